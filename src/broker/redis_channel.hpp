#pragma once
// RedisBroker's per-loop state: the loop's Redis links, and the channels it
// owns with their sync (redis_broker.hpp). Touched only on that loop, except
// the atomic mirrors read by stats().

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "channel_state.hpp"
#include "herald/broker/redis_broker.hpp"
#include "herald/redis/connection.hpp"

namespace herald::broker {

struct RedisBroker::Channel {
  enum class Phase : std::uint8_t {
    Subscribing,  // waiting for Redis to confirm the pub/sub subscription
    Reading,      // reading the stream after the last delivered offset
    Live,         // delivering pub/sub messages as they come
  };
  struct Buffered {
    std::uint64_t offset = 0;
    std::string epoch{};
    std::int64_t timeMs = 0;
    std::string payload{};
  };

  detail::ChannelState state{};  // committed = the last offset delivered here; stream = the recent ones
  std::string name{};
  std::string topic{};   // the Redis pub/sub channel
  unsigned shard = 0;
  Phase phase = Phase::Subscribing;
  bool subscribed = false;  // a Redis subscription is requested
  bool confirmed = false;   // ... and confirmed on the current connection
  bool positioned = false;  // epoch and committed are known
  bool readFailed = false;  // the last read failed: the maintenance tick retries
  std::uint64_t generation = 0;  // of the read in flight: older answers are ignored
  std::int64_t syncStartedMs = 0;
  std::vector<Buffered> buffered{};  // arrived while not Live
  // Subscribes waiting for Live (nullopt) or for the sync to give up.
  std::vector<std::function<void(std::optional<Failure>)>> waiting{};
};

struct RedisBroker::LoopParts {
  std::vector<std::unique_ptr<redis::Connection>> connections{};  // one per shard
  std::vector<std::unique_ptr<redis::Subscriber>> subscribers{};  // one per shard
  std::unordered_map<std::string, std::unique_ptr<Channel>> channels{};  // owned by this loop
  std::int64_t lastPresenceRefreshMs = 0;
  std::uint64_t resyncs = 0;
  std::uint64_t resets = 0;

  // Mirrors for stats() and redisStats(), written by this loop only.
  std::atomic<std::uint64_t> publications{0};
  std::atomic<std::uint64_t> channelCount{0};
  std::array<std::atomic<std::uint64_t>, 8> counters{};  // RedisStats' counters, in declaration order
  std::atomic<std::uint32_t> connected{0};
  std::atomic<std::uint32_t> links{0};

  void countPublication() { publications.store(publications.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
  void countChannels() { channelCount.store(channels.size(), std::memory_order_relaxed); }
  Channel* find(const std::string& name) {
    auto it = channels.find(name);
    return it == channels.end() ? nullptr : it->second.get();
  }
};

}  // namespace herald::broker
