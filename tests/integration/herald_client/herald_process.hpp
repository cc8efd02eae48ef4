#pragma once
// Runs the real `herald serve` as a child process for tests: a temp
// directory holds its config, data and log; it listens on 127.0.0.1 with a
// free port (--port 0, read back from its "listening on HOST:PORT" line) and
// is stopped by its PID. restart() after kill() reuses the port and data
// directory, as a real restart would.
//
// The binary: $HERALD_BIN, else the HERALD_BIN compile definition.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace herald::test {

class HeraldProcess {
 public:
  explicit HeraldProcess(const std::string& configToml);
  ~HeraldProcess();
  HeraldProcess(const HeraldProcess&) = delete;
  HeraldProcess& operator=(const HeraldProcess&) = delete;

  // Starts on `port` (0: a free one); throws std::runtime_error with the
  // server's log when it does not come up.
  void start(std::uint16_t port = 0, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  void kill();  // SIGKILL, no shutdown: what was acknowledged must survive
  void stop();  // SIGTERM, then SIGKILL after 10 s
  // SIGSTOP / SIGCONT: a server that keeps its connections but says nothing.
  void pause();
  void resume();
  // kill(), then start again on the same port and data dir (retrying while
  // the kernel still holds the port).
  void restart(std::chrono::milliseconds timeout = std::chrono::seconds(15));

  std::uint16_t port() const { return port_; }
  std::string wsUrl() const;
  std::string apiUrl() const;
  std::string log() const;
  const std::string& dir() const { return dir_; }

  static std::string binary();

 private:
  std::string dir_;
  std::string configPath_;
  std::string dataDir_;
  std::string logPath_;
  pid_t pid_ = -1;
  int stdoutFd_ = -1;
  std::uint16_t port_ = 0;
};

// Runs a command line to completion; its exit code, stdout and stderr.
struct CommandResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};
CommandResult runCommand(const std::vector<std::string>& args, std::chrono::milliseconds timeout);

}  // namespace herald::test
