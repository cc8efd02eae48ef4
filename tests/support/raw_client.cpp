#include "raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace herald::test {

RawClient::RawClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

void RawClient::sendBytes(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string RawClient::request(const std::string& path, const std::string& headerLines) {
  return "GET " + path + " HTTP/1.1\r\n" + headerLines + "\r\n";
}

std::string RawClient::upgrade(const std::string& path) {
  sendBytes(request(path,
                    "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::size_t end;
  while ((end = in_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(in_.size() + 1, deadline)) throw std::runtime_error("no handshake response");
  std::string head = in_.substr(0, end + 4);
  in_.erase(0, end + 4);
  if (head.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("handshake refused: " + head);
  return head;
}

bool RawClient::fill(std::size_t need, std::chrono::steady_clock::time_point deadline) {
  char buf[65536];
  while (in_.size() < need) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

std::string RawClient::readHttpResponse(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t end;
  while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(in_.size() + 1, deadline)) {
      std::string all;
      all.swap(in_);
      return all;
    }
  }
  std::size_t bodyLen = 0;
  std::string head = in_.substr(0, end + 4);
  if (auto pos = head.find("Content-Length: "); pos != std::string::npos) bodyLen = std::stoul(head.substr(pos + 16));
  fill(end + 4 + bodyLen, deadline);
  std::string response = in_.substr(0, end + 4 + bodyLen);
  in_.erase(0, response.size());
  return response;
}

void RawClient::sendFrame(std::uint8_t first, std::string_view payload, bool masked) {
  std::string frame;
  frame.push_back(static_cast<char>(first));
  const char maskBit = masked ? static_cast<char>(0x80) : 0;
  std::uint64_t len = payload.size();
  if (len < 126) {
    frame.push_back(static_cast<char>(maskBit | static_cast<char>(len)));
  } else if (len <= 0xFFFF) {
    frame.push_back(static_cast<char>(maskBit | 126));
    frame.push_back(static_cast<char>(len >> 8));
    frame.push_back(static_cast<char>(len));
  } else {
    frame.push_back(static_cast<char>(maskBit | 127));
    for (int i = 7; i >= 0; --i) frame.push_back(static_cast<char>(len >> (8 * i)));
  }
  const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) frame.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    frame.push_back(masked ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i]);
  sendBytes(frame);
}

void RawClient::sendClose(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  sendFrame(0x88, payload);
}

std::optional<RawFrame> RawClient::readFrame(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!fill(2, deadline)) return std::nullopt;
  auto b0 = static_cast<unsigned char>(in_[0]), b1 = static_cast<unsigned char>(in_[1]);
  std::size_t header = 2;
  std::uint64_t len = b1 & 0x7F;
  if (len == 126) {
    if (!fill(4, deadline)) return std::nullopt;
    len = (static_cast<unsigned char>(in_[2]) << 8) | static_cast<unsigned char>(in_[3]);
    header = 4;
  } else if (len == 127) {
    if (!fill(10, deadline)) return std::nullopt;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(in_[2 + i]);
    header = 10;
  }
  if (!fill(header + len, deadline)) return std::nullopt;
  RawFrame f;
  f.fin = (b0 & 0x80) != 0;
  f.rsv1 = (b0 & 0x40) != 0;
  f.opcode = b0 & 0x0F;
  f.payload = in_.substr(header, len);
  in_.erase(0, header + len);
  return f;
}

std::uint16_t RawClient::readCloseCode(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto f = readFrame(left);
    if (!f) return 0;
    if (f->opcode != 0x8) continue;
    if (f->payload.size() < 2) return 1005;
    return static_cast<std::uint16_t>((static_cast<unsigned char>(f->payload[0]) << 8) |
                                      static_cast<unsigned char>(f->payload[1]));
  }
}

bool RawClient::waitForEof(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::size_t before = in_.size();
    if (fill(before + 1, deadline)) {
      in_.clear();
      continue;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    return true;  // recv returned 0 or an error before the deadline
  }
}

}  // namespace herald::test
