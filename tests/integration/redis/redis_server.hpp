#pragma once
// A redis-server child process for tests, and a loop runner.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "herald/net/loop.hpp"

namespace herald::redis::test {

// The redis-server binary ($HERALD_REDIS_SERVER, /usr/bin/redis-server or
// in PATH), or empty when it is not installed.
std::string redisServerBinary();
inline constexpr const char* kMissingRedisServer =
    "redis-server not found (looked for /usr/bin/redis-server and in PATH): run scripts/install-deps.sh, "
    "which installs it";

class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extraArgs = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts it (again on the same port after a kill) and waits until it
  // answers PING. False with `error` (including its log) otherwise.
  bool start(std::string& error);
  void kill();  // SIGKILL, then reaped
  std::uint16_t port() const { return port_; }
  bool running() const { return pid_ > 0; }

 private:
  std::vector<std::string> extraArgs_;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Runs a Loop on the calling thread until a condition holds or time is up.
class LoopRunner {
 public:
  LoopRunner();
  net::Loop& loop() { return loop_; }
  // True when `condition` held before `timeout`.
  bool runUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void runFor(std::chrono::milliseconds duration);

 private:
  net::Loop loop_;
  const std::function<bool()>* condition_ = nullptr;
};

}  // namespace herald::redis::test
