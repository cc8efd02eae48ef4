#pragma once
// What `make run` shows besides chat ([demo] in the configuration):
//   - DemoFeed publishes simulated prices on demo:prices (10 per second) and
//     the server's own figures on demo:stats (once a second), through the
//     broker like any publisher;
//   - demoTokenRoute() answers POST /demo/token {"name":"Ann"} with a token
//     for a fresh user id whose connection info carries the nickname.

#include <functional>
#include <random>
#include <string>

#include "config/config.hpp"
#include "herald/broker/broker.hpp"
#include "herald/engine/app.hpp"
#include "metrics.hpp"

namespace herald::server {

class DemoFeed {
 public:
  DemoFeed(App& app, broker::Broker& broker, std::function<Metrics::Snapshot()> snapshot, const Metrics& metrics);
  // Starts the timers on loop 0; call before app.run().
  void start();

 private:
  void publishPrices();
  void publishStats();

  App& app_;
  broker::Broker& broker_;
  std::function<Metrics::Snapshot()> snapshot_;
  const Metrics& metrics_;
  std::mt19937_64 rng_{std::random_device{}()};
  double prices_[3] = {100.0, 250.0, 42.0};
  Metrics::Snapshot last_{};
  std::int64_t lastMs_ = 0;
};

// The handler of POST /demo/token.
HttpHandler demoTokenRoute(const ServerConfig& config);

}  // namespace herald::server
