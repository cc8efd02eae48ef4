#pragma once
// Where the connections go.
//
// One source/destination address pair gives about 28,000 connections (the
// ephemeral port range). With --source-addresses N > 1 and a loopback URL,
// connection i connects *from* 127.0.0.(1 + i % N) (ClientOptions::
// sourceAddress), so one server address takes N times as many.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace herald::loadgen {

struct TargetPlan {
  std::vector<std::string> urls;     // connection i uses urls[i % urls.size()]
  std::vector<std::string> sources;  // and, when not empty, sources[i % sources.size()]
  std::string note;               // a limitation worth printing, or empty
};

// `addresses` 0 picks ceil(connections / 25000). Several comma-separated
// URLs (nodes of one cluster) take the connections round-robin. Returns
// nullopt, with `error` set, for a URL that is not ws:// or wss://.
std::optional<TargetPlan> planTargets(const std::string& urls, unsigned addresses, std::size_t connections,
                                      std::string& error);

}  // namespace herald::loadgen
