#pragma once
// A one-shot TCP server that answers the first request it reads with fixed
// bytes, for testing how a client handles answers no real server would give.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace herald::test {

class CannedServer {
 public:
  using Answer = std::function<std::string(const std::string& request)>;
  explicit CannedServer(std::string answer) : CannedServer([answer](const std::string&) { return answer; }) {}
  explicit CannedServer(Answer answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 4);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    done_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  // The request the client sent.
  std::string request() {
    std::lock_guard lock(mutex_);
    return request_;
  }
  // Bytes the client sent after its request.
  std::string received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void serve() {
    pollfd p{fd_, POLLIN, 0};
    while (!done_ && ::poll(&p, 1, 50) == 0) {
    }
    if (done_) return;
    int c = ::accept(fd_, nullptr, nullptr);
    char buf[4096];
    std::string got;
    while (got.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t end = got.find("\r\n\r\n");
    {
      std::lock_guard lock(mutex_);
      request_ = got.substr(0, end == std::string::npos ? got.size() : end + 4);
      if (end != std::string::npos) received_ = got.substr(end + 4);
    }
    std::string answer = answer_(request_);
    ::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
    pollfd q{c, POLLIN, 0};
    while (!done_) {
      if (::poll(&q, 1, 50) <= 0) continue;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      std::lock_guard lock(mutex_);
      received_.append(buf, static_cast<std::size_t>(n));
    }
    ::close(c);
  }

  Answer answer_;
  std::mutex mutex_;
  std::string request_;
  std::string received_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace herald::test
