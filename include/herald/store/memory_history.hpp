#pragma once
// MemoryHistory: the HistoryStore contract (herald/broker/history_store.hpp)
// kept in this process's memory, for channels that opt out of durability and
// for tests.
//
// "Durable" here means "in this object": nothing survives the process, so
// every channel gets a fresh random epoch the first time a MemoryHistory sees
// it, and a restarted server tells reconnecting subscribers that their
// position is gone instead of pretending to continue.
//
// Threads: every method may be called from any thread; one mutex guards the
// channels. append() and removeHistory() call `done` synchronously, before
// they return, on the calling thread and outside the lock (so `done` may call
// back into the store). flush() has nothing to wait for.
//
// Trimming: on append, publications are dropped from the oldest end while
// there are more than limits.size or while the oldest is expired at the
// newest appended publication's timeMs (size 0 or ttl 0: keep none). load()
// applies its own limits at its nowMs to what it returns, and trims the
// stored ones the same way.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "herald/broker/history_store.hpp"

namespace herald::store {

class MemoryHistory final : public broker::HistoryStore {
 public:
  MemoryHistory() = default;
  MemoryHistory(const MemoryHistory&) = delete;
  MemoryHistory& operator=(const MemoryHistory&) = delete;

  broker::ChannelStream load(std::string_view channel, const broker::HistoryLimits& limits,
                             std::int64_t nowMs) override;
  void append(std::string channel, std::string epoch, std::vector<broker::StoredPublication> publications,
              broker::HistoryLimits limits, std::function<void(broker::StoreResult)> done) override;
  void removeHistory(std::string channel, std::function<void(broker::StoreResult)> done) override;
  void flush() override {}

  // How many channels the store knows (for metrics and tests).
  std::size_t channelCount() const;

 private:
  struct Channel {
    std::string epoch;
    std::uint64_t top = 0;
    std::deque<broker::StoredPublication> publications;  // offsets end at top when not empty
  };
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  broker::StoreResult appendLocked(const std::string& channel, const std::string& epoch,
                                   std::vector<broker::StoredPublication>& publications,
                                   const broker::HistoryLimits& limits);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Channel, NameHash, std::equal_to<>> channels_;
};

}  // namespace herald::store
