#pragma once
// One WebSocket connection, as the application sees it.
//
// A WebSocket& handed to a callback belongs to the loop thread that runs the
// callback; use it only there, and not after its close callback returned.
// To reach it from another thread, defer() to its loop (App::loopOf).

#include <any>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/ws/opcode.hpp"

namespace herald {

// What send() did with a message.
enum class SendResult : std::uint8_t {
  Sent,      // queued, with no backlog: it goes out when this loop iteration ends
  Buffered,  // queued behind bytes the peer has not taken yet (backpressure)
  Dropped,   // not queued: the connection is closing, or the queue's byte limit was hit
};

class WebSocket {
 public:
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  SendResult send(std::string_view payload, ws::Opcode opcode = ws::Opcode::Text);
  SendResult sendText(std::string_view payload) { return send(payload, ws::Opcode::Text); }
  SendResult sendBinary(std::string_view payload) { return send(payload, ws::Opcode::Binary); }
  SendResult ping(std::string_view payload = {});

  // Starts the close handshake with `code` and `reason` (cut to 123 bytes).
  // The close callback runs at once; later sends are dropped.
  void close(std::uint16_t code = ws::close_code::Normal, std::string_view reason = {});
  // Drops the TCP connection without a close handshake.
  void terminate();

  // Pub/sub across every loop of the App. publish() from a connection
  // reaches every subscriber of `topic` except this connection.
  bool subscribe(std::string_view topic);
  bool unsubscribe(std::string_view topic);
  bool isSubscribed(std::string_view topic) const;
  void publish(std::string_view topic, std::string_view payload, ws::Opcode opcode = ws::Opcode::Text);

  // Bytes queued and not yet taken by the peer.
  std::size_t bufferedAmount() const;
  std::string remoteAddress() const;
  // The index of the App loop this connection lives on.
  unsigned loopIndex() const;

  // The subprotocol selected during the handshake, or empty.
  std::string_view subprotocol() const;

  // Per-connection user data: set it in the open callback, read it anywhere.
  std::any& userData();
  template <class T>
  T& data() { return std::any_cast<T&>(userData()); }

 protected:
  WebSocket() = default;
  ~WebSocket() = default;
};

}  // namespace herald
