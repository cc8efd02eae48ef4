#include "herald_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace herald::test {

namespace {

using Clock = std::chrono::steady_clock;

std::string makeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "herald-client-test-XXXXXX").string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  return buf.data();
}

// fork + exec `args` with stdout/stderr going to the given fds (-1: keep).
pid_t spawn(const std::vector<std::string>& args, int outFd, int errFd) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (outFd >= 0) dup2(outFd, STDOUT_FILENO);
    if (errFd >= 0) dup2(errFd, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

std::string HeraldProcess::binary() {
  if (const char* env = std::getenv("HERALD_BIN"); env && *env) return env;
  return HERALD_BIN;
}

HeraldProcess::HeraldProcess(const std::string& configToml) {
  dir_ = makeTempDir();
  configPath_ = dir_ + "/herald.toml";
  dataDir_ = dir_ + "/data";
  logPath_ = dir_ + "/serve.log";
  std::ofstream(configPath_) << configToml;
}

HeraldProcess::~HeraldProcess() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void HeraldProcess::start(std::uint16_t port, std::chrono::milliseconds timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  int logFd = open(logPath_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_ = spawn({binary(), "serve", "--config", configPath_, "--port", std::to_string(port), "--data-dir", dataDir_,
                "--log-level", "info", "--threads", "2"},
               fds[1], logFd);
  close(fds[1]);
  if (logFd >= 0) close(logFd);
  stdoutFd_ = fds[0];

  std::string line;
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{stdoutFd_, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (poll(&p, 1, std::max(left, 1)) <= 0) continue;
    char c;
    ssize_t n = read(stdoutFd_, &c, 1);
    if (n <= 0) break;  // the server exited
    if (c != '\n') {
      line.push_back(c);
      continue;
    }
    if (line.rfind("listening on ", 0) == 0) {
      port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
      return;
    }
    line.clear();
  }
  kill();
  throw std::runtime_error("herald serve did not start (" + line + "); log:\n" + log());
}

void HeraldProcess::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  if (stdoutFd_ >= 0) close(stdoutFd_);
  stdoutFd_ = -1;
}

void HeraldProcess::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  kill();
}

void HeraldProcess::pause() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void HeraldProcess::resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

void HeraldProcess::restart(std::chrono::milliseconds timeout) {
  kill();
  auto deadline = Clock::now() + timeout;
  for (;;) {
    try {
      return start(port_, timeout);
    } catch (const std::runtime_error&) {
      if (Clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

std::string HeraldProcess::wsUrl() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/connection/websocket"; }

std::string HeraldProcess::apiUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string HeraldProcess::log() const {
  std::ifstream in(logPath_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CommandResult runCommand(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = spawn(args, out[1], err[1]);
  close(out[1]);
  close(err[1]);
  CommandResult r;
  auto deadline = Clock::now() + timeout;
  bool outOpen = true, errOpen = true, killed = false;
  while (outOpen || errOpen) {
    if (!killed && Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    pollfd p[2] = {{outOpen ? out[0] : -1, POLLIN, 0}, {errOpen ? err[0] : -1, POLLIN, 0}};
    if (poll(p, 2, 100) <= 0) continue;
    char buf[4096];
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n <= 0) {
        (i == 0 ? outOpen : errOpen) = false;
        continue;
      }
      (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
    }
  }
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace herald::test
