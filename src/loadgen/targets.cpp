#include "loadgen/targets.hpp"

#include <algorithm>

#include "herald/engine/url.hpp"

namespace herald::loadgen {

namespace {

bool isLoopbackV4(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

}  // namespace

std::optional<TargetPlan> planTargets(const std::string& urls, unsigned addresses, std::size_t connections,
                                      std::string& error) {
  // Several servers (nodes sharing channels): connections go round-robin.
  if (urls.find(',') != std::string::npos) {
    TargetPlan plan;
    std::size_t start = 0;
    while (start <= urls.size()) {
      std::size_t end = std::min(urls.find(',', start), urls.size());
      std::string one = urls.substr(start, end - start);
      if (!parseWsUrl(one, error)) return std::nullopt;
      plan.urls.push_back(one);
      start = end + 1;
    }
    if (addresses > 1) plan.note = "--source-addresses ignored with several URLs";
    return plan;
  }
  const std::string& url = urls;
  std::optional<WsUrl> parsed = parseWsUrl(url, error);
  if (!parsed) return std::nullopt;
  if (addresses == 0) addresses = static_cast<unsigned>(std::max<std::size_t>(1, (connections + 24'999) / 25'000));
  TargetPlan plan;
  if (addresses <= 1) {
    plan.urls.push_back(url);
    return plan;
  }
  plan.urls.push_back(url);
  if (!isLoopbackV4(parsed->host)) {
    plan.note = "--source-addresses " + std::to_string(addresses) + " ignored: " + parsed->host +
                " is not a 127.x address (other hosts need addresses configured on this machine)";
    return plan;
  }
  addresses = std::min(addresses, 254u);
  for (unsigned i = 1; i <= addresses; ++i) plan.sources.push_back("127.0.0." + std::to_string(i));
  plan.note = "connections spread over source addresses 127.0.0.1-127.0.0." + std::to_string(addresses);
  return plan;
}

}  // namespace herald::loadgen
