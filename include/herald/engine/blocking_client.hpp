#pragma once
// A blocking WebSocket client for tools and tests: one connection, its own
// event loop on a background thread, and calls that wait.
//
//   herald::BlockingClient c;
//   c.connect("ws://127.0.0.1:9001/");          // throws with the reason on failure
//   c.send("hello");
//   auto reply = c.receive(std::chrono::seconds(5));
//   c.close();
//
// Not thread-safe: use one BlockingClient from one thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "herald/engine/app.hpp"

namespace herald {

class BlockingClient {
 public:
  struct Message {
    std::string payload;
    ws::Opcode opcode = ws::Opcode::Text;
  };
  struct CloseStatus {
    std::uint16_t code = 0;
    std::string reason;
  };

  BlockingClient();
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // Connects and upgrades; throws std::runtime_error with the reason on
  // failure. `limits` supplies maxMessageBytes and the like; its callbacks
  // are replaced.
  void connect(const std::string& url, ClientOptions options = {}, WsBehavior limits = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Queues a message; false once the connection is closed.
  bool send(std::string_view payload, ws::Opcode opcode = ws::Opcode::Text);
  bool ping(std::string_view payload = {});

  // The next message, or nullopt on timeout or once the connection has
  // closed and every received message was taken.
  std::optional<Message> receive(std::chrono::milliseconds timeout);
  // The next pong's payload, or nullopt on timeout.
  std::optional<std::string> receivePong(std::chrono::milliseconds timeout);

  // Starts the close handshake and returns the status the close callback
  // saw: ours, since the engine reports a close when the connection stops
  // being open. The peer's answer is awaited in the background (up to the
  // close timeout); `timeout` bounds the wait for a connection already
  // closing on its own.
  CloseStatus close(std::uint16_t code = ws::close_code::Normal, std::string_view reason = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits until the connection has closed; the status the close callback saw.
  std::optional<CloseStatus> waitClosed(std::chrono::milliseconds timeout);
  bool isOpen() const;
  std::string subprotocol() const;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace herald
