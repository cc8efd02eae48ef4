#include "loadgen/targets.hpp"

#include <algorithm>

#include "herald/engine/url.hpp"

namespace herald::loadgen {

namespace {

bool isLoopbackV4(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

}  // namespace

std::optional<TargetPlan> planTargets(const std::string& url, unsigned addresses, std::size_t connections,
                                      std::string& error) {
  std::optional<WsUrl> parsed = parseWsUrl(url, error);
  if (!parsed) return std::nullopt;
  if (addresses == 0) addresses = static_cast<unsigned>(std::max<std::size_t>(1, (connections + 24'999) / 25'000));
  TargetPlan plan;
  if (addresses <= 1) {
    plan.urls.push_back(url);
    return plan;
  }
  if (!isLoopbackV4(parsed->host)) {
    plan.urls.push_back(url);
    plan.note = "--source-addresses " + std::to_string(addresses) + " ignored: " + parsed->host +
                " is not a 127.x address (the engine cannot bind a source address yet)";
    return plan;
  }
  addresses = std::min(addresses, 254u);
  const std::string scheme = parsed->tls ? "wss://" : "ws://";
  for (unsigned i = 1; i <= addresses; ++i)
    plan.urls.push_back(scheme + "127.0.0." + std::to_string(i) + ":" + std::to_string(parsed->port) + parsed->target);
  plan.note = "connections spread over destinations 127.0.0.1-127.0.0." + std::to_string(addresses) +
              " (not source addresses: the engine cannot bind one yet); the server must listen on 0.0.0.0";
  return plan;
}

}  // namespace herald::loadgen
