// The server handshake: an HTTP request head, then 101 or a refusal.
#include "app_state.hpp"
#include "client_phase.hpp"
#include "connection.hpp"
#include "herald/http/response_writer.hpp"
#include "loop_context.hpp"

namespace herald::detail {

Connection::Connection(LoopContext& ctx, net::Stream stream)
    : ctx_(ctx), stream_(std::move(stream)), http_(std::make_unique<HttpPhase>()) {
  http_->parser = http::RequestParser({.maxHeadBytes = ctx.app().options.maxHeadBytes, .maxHeaders = 100});
  lastReadMs_ = stateSinceMs_ = ctx.loop().nowMs();
}

void Connection::handleRequest(char* data, std::size_t len) {
  http_->buffer.append(data, len);
  http::Request request;
  http::ParseResult r = http_->parser.parse(http_->buffer, request);
  if (r.kind == http::ParseResult::NeedMore) return;
  if (r.kind == http::ParseResult::Error) return refuseHttp(http::errorResponse(r.status, r.reason));

  const Endpoint* endpoint = ctx_.app().findEndpoint(request.path);
  if (!endpoint) return refuseHttp(http::errorResponse(http::Status::NotFound, "no WebSocket endpoint at this path"));
  ws::HandshakeResult hs = ws::acceptHandshake(request, endpoint->handshake);
  if (!hs.accepted) return refuseHttp(std::move(hs.response));
  out_.append(hs.response);
  std::string leftover = http_->buffer.substr(r.consumed);
  open(*endpoint, std::move(hs.subprotocol), leftover, hs.deflate);
}

void Connection::refuseHttp(std::string response) {
  http_.reset();
  out_.append(response);
  beginDrain();
}

}  // namespace herald::detail
