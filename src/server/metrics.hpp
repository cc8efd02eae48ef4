#pragma once
// The server's counters and the Prometheus text of /metrics. Counters are
// relaxed atomics bumped from every loop; /metrics reads them as they are.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/broker/redis_broker.hpp"

namespace herald::server {

// A fixed-bucket histogram (Prometheus `le` buckets), lock-free to observe.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 12> kBoundsSeconds{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                         0.05,   0.1,   0.2,   0.5,   1.0,  2.0};
  void observe(std::chrono::microseconds latency);
  void render(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsSeconds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sumMicros_{0};
};

struct Metrics {
  std::atomic<std::int64_t> sessions{0};       // connected clients (after connect)
  std::atomic<std::int64_t> subscriptions{0};
  std::atomic<std::int64_t> deltaSubscriptions{0};  // of those, with fossil deltas
  // Client-protocol WebSocket sessions open, by wire format (proto::Format),
  // counted from the upgrade.
  std::atomic<std::int64_t> openByFormat[2] = {};
  std::atomic<std::uint64_t> commands{0};
  std::atomic<std::uint64_t> publications{0};  // accepted publications (client and API)
  std::atomic<std::uint64_t> apiRequests{0};
  std::atomic<std::uint64_t> historyCommits{0};
  LatencyHistogram commitLatency;
  LatencyHistogram redisPublishLatency;  // [engine] type = "redis": publish round trips

  // Counts one refusal under `reason` (a short snake_case word) and tells
  // whether it is the first of its kind (to log it once).
  bool refuse(std::string_view reason);

  // Gauges read at scrape time.
  struct Snapshot {
    std::size_t connections = 0;
    std::size_t channels = 0;
    std::uint64_t fanoutPublications = 0;
    // WebSocket data messages and payload bytes, from the engine's counters
    // (out counts every delivery of a publication to every subscriber).
    std::uint64_t messagesIn = 0, bytesIn = 0, messagesOut = 0, bytesOut = 0;
    // What the engine refused (handshakes, protocol errors, overload), by reason.
    std::vector<std::pair<std::string_view, std::uint64_t>> engineRefusals{};
    std::optional<broker::RedisStats> redis{};  // with [engine] type = "redis"
    // The SQLite history store found its file damaged, at start-up (moved
    // aside, history started afresh) or while running.
    bool historyStoreDamaged = false;
    // Write batches of the SQLite history store that met an SQLite error.
    std::uint64_t historyWriteFailures = 0;
    // Shared files kept on disk ([files] enabled).
    struct Files {
      std::size_t files = 0;
      std::uint64_t bytes = 0, quota = 0;
    };
    std::optional<Files> sharedFiles{};
  };
  std::string render(const Snapshot& snapshot) const;

 private:
  mutable std::mutex refusalsMutex_;
  std::map<std::string, std::uint64_t, std::less<>> refusals_;
};

}  // namespace herald::server
