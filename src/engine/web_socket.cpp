// The public WebSocket methods, forwarding to the connection behind them.
#include "herald/engine/web_socket.hpp"

#include "app_state.hpp"
#include "connection.hpp"
#include "herald/net/socket.hpp"
#include "herald/ws/frame_writer.hpp"

namespace herald {

namespace {

detail::Connection& impl(WebSocket* ws) { return *static_cast<detail::Connection*>(ws); }
const detail::Connection& impl(const WebSocket* ws) { return *static_cast<const detail::Connection*>(ws); }

}  // namespace

SendResult WebSocket::send(std::string_view payload, ws::Opcode opcode) { return impl(this).sendFrame(opcode, payload); }

SendResult WebSocket::ping(std::string_view payload) {
  return impl(this).sendFrame(ws::Opcode::Ping, payload.substr(0, ws::kMaxControlPayload));
}

void WebSocket::close(std::uint16_t code, std::string_view reason) {
  if (!ws::isValidWireCloseCode(code)) code = ws::close_code::Normal;
  impl(this).startClose(code, reason);
}

void WebSocket::terminate() { impl(this).destroy(); }

bool WebSocket::subscribe(std::string_view topic) {
  auto& c = impl(this);
  return c.isOpen() && c.context().subscribe(&c, topic);
}

bool WebSocket::unsubscribe(std::string_view topic) {
  auto& c = impl(this);
  return c.context().unsubscribe(&c, topic);
}

bool WebSocket::isSubscribed(std::string_view topic) const {
  const std::vector<std::string>* topics = impl(this).topicsIfAny();
  if (!topics) return false;
  for (const auto& t : *topics)
    if (t == topic) return true;
  return false;
}

void WebSocket::publish(std::string_view topic, std::string_view payload, ws::Opcode opcode) {
  auto& c = impl(this);
  detail::publishFrame(c.context().app(), topic, detail::makePublication(c.context().app(), opcode, payload), &c);
}

std::size_t WebSocket::bufferedAmount() const { return impl(this).queuedBytes(); }

std::string WebSocket::remoteAddress() const { return net::peerAddress(impl(this).fd()); }

std::string_view WebSocket::subprotocol() const { return impl(this).subprotocolName(); }

unsigned WebSocket::loopIndex() const { return impl(this).loopIndex(); }

std::any& WebSocket::userData() { return impl(this).user(); }

}  // namespace herald
