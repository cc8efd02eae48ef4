// The client handshake: connect, send the upgrade request, check the answer.
#include <cstring>

#include "app_state.hpp"
#include "client_phase.hpp"
#include "connection.hpp"
#include "herald/ws/client_handshake.hpp"
#include "loop_context.hpp"

namespace herald::detail {

Connection::Connection(LoopContext& ctx, net::Stream stream, std::unique_ptr<ClientPhase> client)
    : ctx_(ctx), stream_(std::move(stream)), sinceMs_(ctx.loop().nowMs()), client_(std::move(client)),
      state_(State::Connecting) {}

void Connection::onConnected() {
  if (int err = net::connectError(stream_.fd()))
    return failClient("cannot connect to " + client_->host + ": " + std::strerror(err));
  state_ = State::Http;
  // With TLS, writing the request is what starts the TLS handshake.
  out_.append(client_->request);
  std::string().swap(client_->request);
  markDirty();
  flush();
}

void Connection::handleResponse(char* data, std::size_t len) {
  ClientPhase& c = *client_;
  c.buffer.append(data, len);
  http::Response response;
  http::ParseResult r = c.parser.parse(c.buffer, response);
  if (r.kind == http::ParseResult::NeedMore) return;
  if (r.kind == http::ParseResult::Error)
    return failClient(std::string("malformed handshake response from the server: ") + r.reason);
  ws::ClientHandshakeResult hs = ws::checkUpgradeResponse(response, c.key, c.subprotocols);
  if (!hs.accepted) return failClient(hs.error);
  std::optional<ws::DeflateParams> deflate;
  if (c.deflate) {
    ws::DeflateAnswer answer = ws::checkDeflateAnswer(hs.extensions, *c.deflate);
    if (!answer.ok()) return failClient("bad permessage-deflate answer from the server: " + answer.error);
    deflate = answer.params;
  } else if (!hs.extensions.empty()) {
    return failClient("the server answered with extensions we did not offer: " + hs.extensions);
  }
  std::string leftover = c.buffer.substr(r.consumed);
  std::string().swap(c.buffer);
  open(*c.endpoint, std::move(hs.subprotocol), leftover, deflate);
}

void Connection::failClient(std::string reason) {
  if (client_ && !client_->failed && !endpoint_) {
    client_->failed = true;
    if (client_->onError) client_->onError(reason);
  }
  destroy();
}

}  // namespace herald::detail
