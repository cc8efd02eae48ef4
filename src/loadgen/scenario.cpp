#include "loadgen/scenario.hpp"

#include <algorithm>

namespace herald::loadgen {

WsBehavior Scenario::clientBehavior() const {
  const std::size_t frame = o_.size + 14;  // payload plus the largest client frame header
  return {.maxMessageBytes = std::max<std::size_t>(64 * 1024, o_.size + 1024),
          .maxBackpressureBytes = std::max<std::size_t>(4 << 20, 4 * frame * std::max<std::size_t>(o_.inflight, 64)),
          .closeOnBackpressureLimit = false,
          .idleTimeout = std::chrono::seconds(0)};
}

ClientOptions Scenario::clientOptions(std::size_t connection, std::function<void(std::string_view)> onError) const {
  std::vector<std::string> subprotocols;
  if (o_.protocol == "centrifugo" && o_.format == "protobuf") subprotocols.emplace_back("centrifuge-protobuf");
  return {.caFile = o_.caFile,
          .verifyCertificate = !o_.insecure,
          .subprotocols = std::move(subprotocols),
          .compression = o_.compression,
          .sourceAddress = plan_.sources.empty() ? std::string() : plan_.sources[connection % plan_.sources.size()],
          .onError = std::move(onError)};
}

std::string Scenario::closeReason(std::uint16_t code, std::string_view reason) {
  std::string text = "closed unexpectedly with code " + std::to_string(code);
  if (code == 1006) text += " (connection dropped)";
  if (code == 1008) text += " (policy: a slow consumer dropped by the server?)";
  if (!reason.empty()) text += ": " + std::string(reason);
  return text;
}

void Scenario::serverMetrics(const RunResult& r, Report& report, double units, const std::string& perWhat) const {
  if (!r.serverWindowStart || !r.serverWindowEnd) return;
  double cpu = r.serverWindowEnd->cpuSeconds - r.serverWindowStart->cpuSeconds;
  double wall = r.serverWindowEnd->wallSeconds - r.serverWindowStart->wallSeconds;
  report.metric("server_cpu_seconds", "server CPU, user+sys (window)", cpu, 2, "s");
  if (wall > 0) report.metric("server_cpu_percent", "server CPU use (window)", 100.0 * cpu / wall, 1, "% of a core");
  if (units > 0)
    report.metric("server_cpu_seconds_per_million_" + perWhat, "server CPU per 1M " + perWhat, cpu * 1e6 / units, 3,
                  "s");
  report.metric("server_rss_mib", "server RSS at the end", static_cast<double>(r.serverWindowEnd->rssBytes) / 1048576.0,
                1, "MiB");
}

}  // namespace herald::loadgen
