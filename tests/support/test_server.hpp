#pragma once
// Runs a herald::App on 127.0.0.1 with a free port in a background thread,
// for integration tests; the destructor stops it gracefully and joins.

#include <cstdint>
#include <functional>
#include <thread>

#include "herald/engine/app.hpp"

namespace herald::test {

class TestServer {
 public:
  TestServer(AppOptions options, const std::function<void(App&)>& configure) : app_(withoutSignals(options)) {
    configure(app_);
    port_ = app_.listen("127.0.0.1", 0);
    thread_ = std::thread([this] { app_.run(); });
  }
  ~TestServer() { stop(); }

  void stop() {
    if (!thread_.joinable()) return;
    app_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  App& app() { return app_; }

 private:
  static AppOptions withoutSignals(AppOptions o) {
    o.handleSignals = false;
    return o;
  }

  App app_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace herald::test
