#pragma once
// What a bench run found, and its two renderings: a table for people and a
// JSON object for scripts. Formatting is pure (strings in, strings out), so
// it is unit-tested without running anything.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "loadgen/histogram.hpp"

namespace herald::loadgen {

struct Metric {
  std::string key;    // JSON key, snake_case with its unit: "messages_per_second"
  std::string label;  // table label: "messages/s"
  double value = 0;
  int decimals = 0;   // 0: an integer, printed with thousands separators in the table
  std::string unit;   // table suffix, e.g. "MiB/s"; the JSON key carries the unit
};

// Percentiles of one latency histogram, in nanoseconds.
struct LatencySummary {
  std::string what;  // "round trip", "end to end", "connect + upgrade"
  std::uint64_t count = 0;
  std::uint64_t min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  double mean = 0;
};
LatencySummary summarize(const Histogram& h, std::string what);

struct Report {
  std::string scenario;
  std::string url;
  std::vector<std::pair<std::string, std::string>> settings;  // in the header; numbers stay numbers in JSON
  std::vector<Metric> metrics;
  std::optional<LatencySummary> latency;
  std::vector<std::pair<std::string, std::uint64_t>> errors;  // reason, count; most frequent first
  std::vector<std::string> failures;  // failed checks: printed loudly, exit code 1
  std::vector<std::string> notes;     // limitations worth knowing about this run

  bool ok() const { return failures.empty(); }
  void setting(std::string key, std::string value) { settings.emplace_back(std::move(key), std::move(value)); }
  void metric(std::string key, std::string label, double value, int decimals = 0, std::string unit = {}) {
    metrics.push_back({std::move(key), std::move(label), value, decimals, std::move(unit)});
  }
};

std::string formatTable(const Report& report);
std::string formatJson(const Report& report);

// One line of progress, printed to stderr once a second while a run goes on.
struct Progress {
  double elapsedSeconds = 0;
  std::string phase;            // "connecting", "warm-up", "measuring", "draining", "holding"
  double messagesPerSecond = 0;
  double connectionsPerSecond = 0;
  std::uint64_t p99Ns = 0;      // 0: no sample yet
  std::uint64_t open = 0;
  std::uint64_t errors = 0;
};
std::string formatProgress(const Progress& progress);

// Helpers shared with the scenarios.
std::string formatDuration(std::uint64_t ns);      // "850 ns", "12.3 µs", "1.23 ms", "2.50 s"
std::string groupThousands(std::uint64_t value);  // 1234567 -> "1,234,567"
std::string jsonEscape(std::string_view text);    // the inside of a JSON string

}  // namespace herald::loadgen
