#pragma once
// Where the connections go.
//
// One source/destination address pair gives about 28,000 connections (the
// ephemeral port range). Spreading over several local *source* addresses
// would need the engine to bind() before connect(), which App::connect() does
// not offer yet. Meanwhile, with --source-addresses N > 1 and a loopback URL,
// connection i goes to the *destination* 127.0.0.(1 + i % N) instead: the
// server must listen on 0.0.0.0 (or on every one of those addresses), since
// a listener bound to 127.0.0.1 only accepts connections to 127.0.0.1.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace herald::loadgen {

struct TargetPlan {
  std::vector<std::string> urls;  // connection i uses urls[i % urls.size()]
  std::string note;               // a limitation worth printing, or empty
};

// `addresses` 0 picks ceil(connections / 25000). Returns nullopt, with
// `error` set, for a URL that is not ws:// or wss://.
std::optional<TargetPlan> planTargets(const std::string& url, unsigned addresses, std::size_t connections,
                                      std::string& error);

}  // namespace herald::loadgen
