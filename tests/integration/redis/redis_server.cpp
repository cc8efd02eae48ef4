#include "redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace herald::redis::test {

namespace {

std::uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool pingOnce(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval tv{0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const char ping[] = "PING\r\n";
    if (::send(fd, ping, sizeof ping - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof ping - 1)) {
      char buf[16] = {};
      ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
      ok = n >= 5 && std::string(buf, 5) == "+PONG";
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

std::string redisServerBinary() {
  // HERALD_REDIS_SERVER picks another binary (and lets one check the
  // failure when it is missing).
  if (const char* chosen = std::getenv("HERALD_REDIS_SERVER"))
    return ::access(chosen, X_OK) == 0 ? std::string(chosen) : std::string();
  if (::access("/usr/bin/redis-server", X_OK) == 0) return "/usr/bin/redis-server";
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      std::string candidate = dir + "/redis-server";
      if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return {};
}

RedisServer::RedisServer(std::vector<std::string> extraArgs) : extraArgs_(std::move(extraArgs)) {
  char tmpl[] = "/tmp/herald-redis-XXXXXX";
  if (char* d = ::mkdtemp(tmpl)) dir_ = d;
}

RedisServer::~RedisServer() {
  kill();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

bool RedisServer::start(std::string& error) {
  const std::string binary = redisServerBinary();
  if (binary.empty()) {
    error = kMissingRedisServer;
    return false;
  }
  if (dir_.empty()) {
    error = "cannot create a temporary directory";
    return false;
  }
  if (port_ == 0) port_ = freePort();
  const std::string log = dir_ + "/redis.log";
  std::vector<std::string> args = {binary,   "--port",        std::to_string(port_), "--bind", "127.0.0.1",
                                   "--save", "",              "--appendonly",        "no",     "--dir",
                                   dir_,     "--daemonize",   "no",                  "--logfile", log};
  args.insert(args.end(), extraArgs_.begin(), extraArgs_.end());
  pid_ = ::fork();
  if (pid_ < 0) {
    error = "fork failed";
    return false;
  }
  if (pid_ == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      error = "redis-server exited at start-up; its log:\n" + text.str();
      return false;
    }
    if (pingOnce(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill();
  error = "redis-server did not answer PING within 10 s";
  return false;
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

LoopRunner::LoopRunner() {
  loop_.onIterationEnd([this] {
    if (condition_ != nullptr && (*condition_)()) loop_.stop();
  });
}

bool LoopRunner::runUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  if (condition()) return true;
  condition_ = &condition;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto timer = loop_.addTimer(std::chrono::milliseconds(5), [this, deadline] {
    if (std::chrono::steady_clock::now() >= deadline) loop_.stop();
  });
  loop_.run();
  loop_.cancelTimer(timer);
  condition_ = nullptr;
  return condition();
}

void LoopRunner::runFor(std::chrono::milliseconds duration) {
  runUntil([] { return false; }, duration);
}

}  // namespace herald::redis::test
