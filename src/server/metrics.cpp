#include "metrics.hpp"

#include <fmt/format.h>

namespace herald::server {

void LatencyHistogram::observe(std::chrono::microseconds latency) {
  double seconds = static_cast<double>(latency.count()) / 1e6;
  std::size_t i = 0;
  while (i < kBoundsSeconds.size() && seconds > kBoundsSeconds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sumMicros_.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
}

void LatencyHistogram::render(std::string& out, std::string_view name, std::string_view help) const {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBoundsSeconds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, kBoundsSeconds[i], cumulative);
  }
  cumulative += buckets_.back().load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
  out += fmt::format("{}_sum {}\n", name, static_cast<double>(sumMicros_.load(std::memory_order_relaxed)) / 1e6);
  out += fmt::format("{}_count {}\n", name, count_.load(std::memory_order_relaxed));
}

bool Metrics::refuse(std::string_view reason) {
  std::lock_guard lock(refusalsMutex_);
  auto it = refusals_.find(reason);
  if (it == refusals_.end()) {
    refusals_.emplace(std::string(reason), 1);
    return true;
  }
  ++it->second;
  return false;
}

namespace {

template <class T>
void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help, T value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

std::uint64_t get(const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); }
std::int64_t get(const std::atomic<std::int64_t>& a) { return a.load(std::memory_order_relaxed); }

}  // namespace

std::string Metrics::render(const Snapshot& s) const {
  std::string out;
  metric(out, "herald_connections", "gauge", "Open TCP connections (HTTP and WebSocket).", s.connections);
  metric(out, "herald_clients", "gauge", "Clients connected through the client protocol.", get(sessions));
  out += "# HELP herald_websocket_sessions Client-protocol WebSocket connections open, by wire format.\n"
         "# TYPE herald_websocket_sessions gauge\n";
  out += fmt::format("herald_websocket_sessions{{format=\"json\"}} {}\n", get(openByFormat[0]));
  out += fmt::format("herald_websocket_sessions{{format=\"protobuf\"}} {}\n", get(openByFormat[1]));
  metric(out, "herald_subscriptions", "gauge", "Channel subscriptions of connected clients.", get(subscriptions));
  metric(out, "herald_delta_subscriptions", "gauge", "Of those, subscriptions with fossil deltas.",
         get(deltaSubscriptions));
  metric(out, "herald_channels", "gauge", "Channels with state in memory.", s.channels);
  metric(out, "herald_messages_in_total", "counter", "WebSocket messages received.", s.messagesIn);
  metric(out, "herald_bytes_in_total", "counter", "Payload bytes of WebSocket messages received.", s.bytesIn);
  metric(out, "herald_messages_out_total", "counter",
         "WebSocket messages sent (replies, pushes, and each delivery of a publication).", s.messagesOut);
  metric(out, "herald_bytes_out_total", "counter", "Bytes of WebSocket messages sent.", s.bytesOut);
  metric(out, "herald_commands_total", "counter", "Client protocol commands served.", get(commands));
  metric(out, "herald_publications_total", "counter", "Publications accepted (client protocol and HTTP API).",
         get(publications));
  metric(out, "herald_fanout_publications_total", "counter", "Publications handed out to subscribers.",
         s.fanoutPublications);
  metric(out, "herald_api_requests_total", "counter", "Server HTTP API requests.", get(apiRequests));
  metric(out, "herald_history_commits_total", "counter", "History store commits (each may hold many publications).",
         get(historyCommits));
  commitLatency.render(out, "herald_history_commit_seconds", "Time the history store's COMMIT of one batch of appends took (its fsync, with synchronous=FULL).");
  metric(out, "herald_history_store_damaged", "gauge",
         "1 when the history database was found damaged, at start-up or since (see the log and docs/operations.md).",
         s.historyStoreDamaged ? 1 : 0);
  metric(out, "herald_history_write_failures_total", "counter",
         "History write batches (transactions) that met an SQLite error: disk full, I/O error, damage. Their "
         "publications were refused with error 100, none acknowledged.",
         s.historyWriteFailures);
  if (s.sharedFiles) {
    metric(out, "herald_shared_files", "gauge", "Files shared in channels and kept on disk ([files]).", s.sharedFiles->files);
    metric(out, "herald_shared_files_bytes", "gauge", "Bytes of the kept files, as counted against [files] quota.",
           s.sharedFiles->bytes);
    metric(out, "herald_shared_files_quota_bytes", "gauge", "[files] quota: past it, uploads get HTTP 507.",
           s.sharedFiles->quota);
  }
  if (s.redis) {
    const broker::RedisStats& r = *s.redis;
    metric(out, "herald_redis_commands_total", "counter", "Commands sent to Redis (round trips).", r.commands);
    metric(out, "herald_redis_replies_total", "counter", "Replies received from Redis.", r.replies);
    out += "# HELP herald_redis_errors_total Redis commands that failed: answered with an error, or not answered.\n";
    out += "# TYPE herald_redis_errors_total counter\n";
    out += fmt::format("herald_redis_errors_total{{kind=\"server\"}} {}\n", r.serverErrors);
    out += fmt::format("herald_redis_errors_total{{kind=\"transport\"}} {}\n", r.transportErrors);
    metric(out, "herald_redis_connects_total", "counter", "Connections made to Redis, reconnects included.", r.connects);
    metric(out, "herald_redis_messages_total", "counter", "Pub/sub messages received from Redis.", r.messages);
    metric(out, "herald_redis_resyncs_total", "counter", "Channel re-reads after a gap or a lost subscription.",
           r.resyncs);
    metric(out, "herald_redis_channel_resets_total", "counter",
           "Channels whose subscribers were told to resubscribe (2500): the stream could not fill a gap.", r.resets);
    metric(out, "herald_redis_links_up", "gauge", "Redis connections and subscribers connected now.", r.connected);
    metric(out, "herald_redis_links", "gauge", "Redis connections and subscribers in all.", r.links);
    redisPublishLatency.render(out, "herald_redis_publish_seconds",
                               "Time from a publish to Redis' answer (appended and published).");
  }
  out += "# HELP herald_refusals_total Requests and connections refused, by reason.\n";
  out += "# TYPE herald_refusals_total counter\n";
  for (const auto& [reason, count] : s.engineRefusals)
    if (count) out += fmt::format("herald_refusals_total{{reason=\"{}\"}} {}\n", reason, count);
  std::lock_guard lock(refusalsMutex_);
  for (const auto& [reason, count] : refusals_) out += fmt::format("herald_refusals_total{{reason=\"{}\"}} {}\n", reason, count);
  return out;
}

}  // namespace herald::server
