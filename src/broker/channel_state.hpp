#pragma once
// One channel as its owner loop keeps it: position, recent history,
// subscribers and presence. Touched only on the owner loop.

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "herald/broker/broker.hpp"

namespace herald::broker::detail {

struct ChannelState {
  ChannelSetup setup{};
  bool hasHistory = false;
  std::string epoch{};
  std::uint64_t committed = 0;  // top durable offset: what subscribers may have seen
  std::uint64_t assigned = 0;   // last offset handed to the store (>= committed)
  std::size_t inFlight = 0;     // appends not yet answered by the store
  // Bumped when a failed append makes numbering restart after `committed`;
  // a failure of an append numbered before that restart changes nothing.
  std::uint64_t numbering = 0;
  std::deque<StoredPublication> stream{};  // retained publications, oldest first, ending at `committed`
  // Subscriptions (the server unsubscribes each exactly once), not their
  // ids: a count costs nothing per subscriber.
  std::uint32_t subscribers = 0;
  std::unordered_map<std::string, ClientDescription> presence{};  // client id -> who
  std::int64_t lastActiveMs = 0;
  // With setup.delta: the last publication handed out here and its place in
  // this node's count (BrokerHost::publishDelta), kept while delta
  // subscribers exist, to compute the next delta from.
  DeltaBase deltaBase{};

  // Drops what the limits no longer keep.
  void trim(std::int64_t nowMs);
  // The retained publications after `offset` (all of them when it is older
  // than the stream), oldest first; only the newest `atMost` of them when
  // there are more (0: no cap).
  std::vector<StoredPublication> after(std::uint64_t offset, std::size_t atMost = 0) const;
  // What a subscriber recovering after `offset` gets: at most `atMost`
  // publications (the newest; 0: no cap), and whether they are exactly the
  // ones it missed (none trimmed away, none cut by the cap).
  struct Recovery {
    std::vector<StoredPublication> publications;
    bool recovered = false;
  };
  Recovery recover(std::uint64_t offset, std::size_t atMost) const;
  // The first `count` retained publications after `offset`, oldest first.
  std::vector<StoredPublication> firstAfter(std::uint64_t offset, std::size_t count) const;
  // The last `count` retained publications before `offset`, newest first.
  std::vector<StoredPublication> lastBefore(std::uint64_t offset, std::size_t count) const;
  // Whether the stream still holds every publication after `offset`.
  bool covers(std::uint64_t offset) const;
  std::uint32_t countUsers() const;
};

}  // namespace herald::broker::detail
