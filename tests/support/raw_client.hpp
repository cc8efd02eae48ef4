#pragma once
// A deliberately simple blocking WebSocket client over a raw socket, for
// tests that must send exactly the bytes they choose: broken frames, bad
// handshakes, or nothing at all.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::test {

struct RawFrame {
  bool fin = true;
  bool rsv1 = false;
  std::uint8_t opcode = 0;
  std::string payload;
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  int fd() const { return fd_; }
  void sendBytes(std::string_view bytes);

  // Sends a valid upgrade request for `path` and returns the response head;
  // throws if it is not a 101.
  std::string upgrade(const std::string& path = "/");
  // A handshake request with the given lines instead of the usual headers.
  static std::string request(const std::string& path, const std::string& headerLines);

  // Reads an HTTP response (head and Content-Length body) or what came before EOF.
  std::string readHttpResponse(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Sends one frame; `first` is the whole first byte (FIN, RSV, opcode), so
  // tests can set any bit. Masked with a fixed key unless masked = false.
  void sendFrame(std::uint8_t first, std::string_view payload, bool masked = true);
  void sendText(std::string_view payload) { sendFrame(0x81, payload); }
  void sendClose(std::uint16_t code, std::string_view reason = {});

  // The next frame, or nullopt on EOF or timeout.
  std::optional<RawFrame> readFrame(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads frames until a close frame; returns its code (1005 if it had none),
  // or 0 if the connection ended or timed out without one.
  std::uint16_t readCloseCode(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Whether the server closed the TCP connection within `timeout`.
  bool waitForEof(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  bool fill(std::size_t need, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string in_;
};

}  // namespace herald::test
