#pragma once
// One client of the client protocol, on its connection's loop.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/engine/web_socket.hpp"
#include "herald/proto/codec.hpp"

namespace herald::server {

struct Subscription {
  enum class State : std::uint8_t { Subscribing, Subscribed };
  State state = State::Subscribing;
  bool joinLeave = false;     // listening to the join/leave topic
  bool presence = false;      // has a presence entry to remove
  bool leavePush = false;     // a leave push is due when it ends
  bool fromServer = false;    // a server-side subscription (token `channels`)
  bool lagging = false;       // slow_consumer = "skip" dropped publications: resubscribe once drained
  bool delta = false;         // fossil deltas negotiated: on deltaTopic, not publicationTopic
  std::int64_t expiresAt = 0; // subscription token expiry, Unix seconds; 0: never
  std::uint64_t generation = 0;  // which subscribe a late broker answer belongs to
  // What few subscriptions have, out of line: the subscription token's
  // `info`, and for a delta subscription the node-local number of the last
  // publication it received (BrokerHost::publishDelta; 0: none yet).
  struct Extras {
    std::string chanInfo{};
    std::uint64_t deltaSeq = 0;
  };
  std::unique_ptr<Extras> extras{};
  std::string_view channelInfo() const { return extras ? std::string_view(extras->chanInfo) : std::string_view(); }
};

// A connection's subscriptions: a few per client, so a small vector searched
// in order costs less memory than a hash map and is as fast.
class SubscriptionList {
 public:
  using Entry = std::pair<std::string, Subscription>;
  using iterator = std::vector<Entry>::iterator;

  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  iterator find(std::string_view channel) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->first == channel) return it;
    return entries_.end();
  }
  bool contains(std::string_view channel) { return find(channel) != end(); }
  // The entry for `channel`, made when missing.
  Subscription& operator[](std::string_view channel) {
    auto it = find(channel);
    if (it != end()) return it->second;
    return entries_.emplace_back(std::string(channel), Subscription{}).second;
  }
  void erase(iterator it) {
    *it = std::move(entries_.back());
    entries_.pop_back();
  }
  std::size_t size() const { return entries_.size(); }
  void clear() { std::vector<Entry>().swap(entries_); }

 private:
  std::vector<Entry> entries_;
};

struct Session {
  enum class State : std::uint8_t { Connecting, Connected, Closed };
  WebSocket* ws = nullptr;
  std::uint64_t serial = 0;      // names the session on its loop; callbacks find it by this
  State state = State::Connecting;
  proto::Format format = proto::Format::Json;  // the wire format, fixed at the upgrade
  bool connectPending = false;   // a connect command is being served
  bool awaitingPong = false;
  // The client id, a UUID: kept inline, as every session has one.
  std::string_view client() const { return {clientId_, clientIdLength_}; }
  void setClient(std::string_view id) {
    clientIdLength_ = static_cast<std::uint8_t>(std::min(id.size(), sizeof clientId_));
    std::copy_n(id.data(), clientIdLength_, clientId_);
  }
  std::string user{};
  std::string connInfo{};        // raw JSON from the token's `info`
  std::int64_t expiresAt = 0;    // Unix seconds; 0: never
  std::int64_t openedMs = 0;
  std::int64_t lastPingMs = 0;   // when the last server ping went out
  // Command rate limit: a token bucket.
  float tokens = 0;
  std::int64_t tokensAtMs = 0;
  SubscriptionList subscriptions{};

 private:
  char clientId_[36] = {};
  std::uint8_t clientIdLength_ = 0;
};

// The sessions of one loop, in slots: a serial number is (generation, slot),
// so a late callback whose session ended finds the slot reused by another
// generation, or empty, and gives up.
class SessionTable {
 public:
  Session* add(std::unique_ptr<Session> s) {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    Slot& entry = slots_[slot];
    ++entry.generation;
    s->serial = (static_cast<std::uint64_t>(entry.generation) << 32) | slot;
    entry.session = std::move(s);
    ++count_;
    return entry.session.get();
  }
  std::unique_ptr<Session> remove(Session* s) {
    auto slot = static_cast<std::uint32_t>(s->serial);
    std::unique_ptr<Session> owned = std::move(slots_[slot].session);
    free_.push_back(slot);
    --count_;
    return owned;
  }
  Session* find(std::uint64_t serial) const {
    auto slot = static_cast<std::uint32_t>(serial);
    if (slot >= slots_.size()) return nullptr;
    const Slot& entry = slots_[slot];
    if (!entry.session || entry.generation != static_cast<std::uint32_t>(serial >> 32)) return nullptr;
    return entry.session.get();
  }
  // Calls fn(Session&) for every session.
  template <class Fn>
  void forEach(Fn&& fn) const {
    for (const Slot& entry : slots_)
      if (entry.session) fn(*entry.session);
  }
  std::size_t size() const { return count_; }

 private:
  struct Slot {
    std::unique_ptr<Session> session;
    std::uint32_t generation = 0;
  };
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t count_ = 0;
};

}  // namespace herald::server
