#pragma once
// One client of the client protocol, on its connection's loop.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "herald/engine/web_socket.hpp"

namespace herald::server {

struct Subscription {
  enum class State : std::uint8_t { Subscribing, Subscribed };
  State state = State::Subscribing;
  bool joinLeave = false;     // listening to the join/leave topic
  bool presence = false;      // has a presence entry to remove
  bool leavePush = false;     // a leave push is due when it ends
  bool fromServer = false;    // a server-side subscription (token `channels`)
  std::int64_t expiresAt = 0; // subscription token expiry, Unix seconds; 0: never
  std::uint64_t generation = 0;  // which subscribe a late broker answer belongs to
  std::string chanInfo{};
};

struct Session {
  enum class State : std::uint8_t { Connecting, Connected, Closed };
  WebSocket* ws = nullptr;
  std::uint64_t serial = 0;      // unique on this loop; callbacks find the session by it
  State state = State::Connecting;
  bool connectPending = false;   // a connect command is being served
  std::string client{};          // the client id (a UUID)
  std::string user{};
  std::string connInfo{};        // raw JSON from the token's `info`
  std::int64_t expiresAt = 0;    // Unix seconds; 0: never
  std::int64_t openedMs = 0;
  std::int64_t lastPingMs = 0;   // when the last server ping went out
  bool awaitingPong = false;
  // Command rate limit: a token bucket.
  double tokens = 0;
  std::int64_t tokensAtMs = 0;
  std::unordered_map<std::string, Subscription> subscriptions{};
  std::size_t index = 0;         // position in the loop's SessionTable
};

// The sessions of one loop.
class SessionTable {
 public:
  Session* add(std::unique_ptr<Session> s) {
    s->index = all_.size();
    Session* raw = s.get();
    bySerial_.emplace(raw->serial, raw);
    all_.push_back(std::move(s));
    return raw;
  }
  std::unique_ptr<Session> remove(Session* s) {
    std::unique_ptr<Session> owned = std::move(all_[s->index]);
    if (s->index + 1 != all_.size()) {
      all_[s->index] = std::move(all_.back());
      all_[s->index]->index = s->index;
    }
    all_.pop_back();
    bySerial_.erase(s->serial);
    return owned;
  }
  Session* find(std::uint64_t serial) const {
    auto it = bySerial_.find(serial);
    return it == bySerial_.end() ? nullptr : it->second;
  }
  const std::vector<std::unique_ptr<Session>>& all() const { return all_; }
  std::uint64_t nextSerial() { return ++serial_; }

 private:
  std::vector<std::unique_ptr<Session>> all_;
  std::unordered_map<std::uint64_t, Session*> bySerial_;
  std::uint64_t serial_ = 0;
};

}  // namespace herald::server
