// The server side of HTTP: a request head, then either a WebSocket upgrade
// (101 or a refusal) or a plain request for an HTTP route, answered by its
// handler, possibly later (http_route.hpp), with keep-alive.
#include <charconv>
#include <cstdlib>

#include "app_state.hpp"
#include "client_phase.hpp"
#include "connection.hpp"
#include "herald/http/response_writer.hpp"
#include "http_exchange.hpp"
#include "loop_context.hpp"

namespace herald::detail {

namespace {

// HTTP/1.1 keeps the connection unless told to close; 1.0 closes unless told
// to keep it.
bool wantsKeepAlive(const http::Request& request) {
  if (request.headerHasToken("Connection", "close")) return false;
  return request.versionMinor >= 1 || request.headerHasToken("Connection", "keep-alive");
}

}  // namespace

Connection::Connection(LoopContext& ctx, net::Stream stream)
    : ctx_(ctx), stream_(std::move(stream)), http_(std::make_unique<HttpPhase>()) {
  http_->parser = http::RequestParser({.maxHeadBytes = ctx.app().options.maxHeadBytes, .maxHeaders = 100});
  sinceMs_ = ctx.loop().nowMs();
}

void Connection::handleRequest(char* data, std::size_t len) {
  http_->buffer.append(data, len);
  processRequests();
}

void Connection::processRequests() {
  // Each turn serves one request; a handler that answers at once lets the
  // loop go on with the next pipelined one.
  while (state_ == State::Http && http_ && !http_->exchange && !http_->buffer.empty()) {
    http::Request request;
    http::ParseResult r = http_->parser.parse(http_->buffer, request);
    if (r.kind == http::ParseResult::NeedMore) return;
    if (r.kind == http::ParseResult::Error) return refuseHttp(http::errorResponse(r.status, r.reason));

    if (const Endpoint* endpoint = ctx_.app().findEndpoint(request.path)) {
      ws::HandshakeResult hs = ws::acceptHandshake(request, endpoint->handshake);
      if (!hs.accepted) return refuseHttp(std::move(hs.response));
      std::any user;
      if (endpoint->behavior.upgrade) user = endpoint->behavior.upgrade(request);
      out_.append(hs.response);
      std::string leftover = http_->buffer.substr(r.consumed);
      return open(*endpoint, std::move(hs.subprotocol), leftover, hs.deflate, std::move(user));
    }
    if (!startExchange(request, r.consumed)) return;
  }
}

bool Connection::startExchange(const http::Request& request, std::size_t headBytes) {
  const HttpRoute* route = ctx_.app().findRoute(request.path);
  if (!route) {
    const char* why = ctx_.app().endpoints.empty() && ctx_.app().routes.empty() ? "nothing is served here"
                                                                                 : "no such path";
    refuseHttp(http::errorResponse(http::Status::NotFound, why));
    return false;
  }
  if (request.header("Transfer-Encoding")) {
    refuseHttp(http::errorResponse(http::Status::LengthRequired,
                                   "chunked request bodies are not supported: send a Content-Length"));
    return false;
  }
  std::size_t bodyBytes = 0;
  if (auto length = request.header("Content-Length")) {
    auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), bodyBytes);
    if (ec != std::errc() || end != length->data() + length->size() || request.headerCount("Content-Length") > 1) {
      refuseHttp(http::errorResponse(http::Status::BadRequest, "invalid Content-Length"));
      return false;
    }
  }
  if (bodyBytes > route->options.maxBodyBytes) {
    refuseHttp(http::errorResponse(http::Status::PayloadTooLarge,
                                   "request body over " + std::to_string(route->options.maxBodyBytes) + " bytes" +
                                       (route->options.tooLargeAdvice.empty() ? "" : "; " + route->options.tooLargeAdvice)));
    return false;
  }
  if (http_->buffer.size() - headBytes < bodyBytes) return false;  // the body is still coming

  auto exchange = std::make_shared<HttpExchange>();
  exchange->connection = this;
  exchange->loop = ctx_.index();
  exchange->keepAlive = wantsKeepAlive(request);
  http_->exchange = exchange;
  http_->requestBytes = headBytes + bodyBytes;
  sinceMs_ = ctx_.loop().nowMs();

  HttpRequest view{request, std::string_view(http_->buffer).substr(headBytes, bodyBytes), remoteAddress()};
  http_->inHandler = true;
  route->handler(view, HttpResponder(exchange));
  if (!http_) return false;  // answered with a close
  http_->inHandler = false;
  if (http_->exchange) return false;  // answered later
  // Answered inside the handler: the request's bytes can go now.
  http_->buffer.erase(0, http_->requestBytes);
  return true;
}

void Connection::completeExchange(std::string response, bool keepAlive) {
  if (!http_ || !http_->exchange) return;
  http_->exchange->connection = nullptr;
  http_->exchange.reset();
  out_.append(response);
  markDirty();
  if (!keepAlive) {
    http_.reset();
    return beginDrain();
  }
  http_->parser.reset();
  sinceMs_ = ctx_.loop().nowMs();
  if (http_->inHandler) return;  // startExchange erases the request and goes on
  http_->buffer.erase(0, http_->requestBytes);
  processRequests();
}

void Connection::detachExchange() {
  if (http_ && http_->exchange) http_->exchange->connection = nullptr;
}

void Connection::refuseHttp(std::string response) {
  // "HTTP/1.1 431 ..." : count the refusal by its status.
  int status = response.size() > 12 ? std::atoi(response.c_str() + 9) : 0;
  RefusalReason reason = RefusalReason::HttpOther;
  switch (status) {
    case 400: reason = RefusalReason::Http400; break;
    case 403: reason = RefusalReason::Http403; break;
    case 404: reason = RefusalReason::Http404; break;
    case 405: reason = RefusalReason::Http405; break;
    case 411: reason = RefusalReason::Http411; break;
    case 413: reason = RefusalReason::Http413; break;
    case 426: reason = RefusalReason::Http426; break;
    case 431: reason = RefusalReason::Http431; break;
    case 505: reason = RefusalReason::Http505; break;
    case 503: reason = RefusalReason::Overloaded503; break;
    default: break;
  }
  ctx_.counters.refuse(reason);
  detachExchange();
  http_.reset();
  out_.append(response);
  beginDrain();
}

}  // namespace herald::detail

namespace herald {

namespace {

std::string buildResponse(http::Status status, std::size_t length, std::string_view body, std::string_view contentType,
                          std::string_view extraHeaders, bool keepAlive) {
  http::ResponseWriter w(status);
  w.rawHeaders(extraHeaders);
  if (!keepAlive) w.header("Connection", "close");
  if (!contentType.empty()) w.header("Content-Type", contentType);
  w.header("Content-Length", std::to_string(length));
  std::string out = std::move(w).finishHead();
  out.append(body);
  return out;
}

}  // namespace

void HttpResponder::respond(http::Status status, std::string_view body, std::string_view contentType,
                            std::string_view extraHeaders) {
  if (!connected()) return;
  exchange_->answered = true;
  detail::Connection* c = exchange_->connection;
  c->completeExchange(buildResponse(status, body.size(), body, contentType, extraHeaders, exchange_->keepAlive),
                      exchange_->keepAlive);
}

void HttpResponder::respondHead(http::Status status, std::size_t bodyLength, std::string_view contentType,
                                std::string_view extraHeaders) {
  if (!connected()) return;
  exchange_->answered = true;
  detail::Connection* c = exchange_->connection;
  c->completeExchange(buildResponse(status, bodyLength, {}, contentType, extraHeaders, exchange_->keepAlive),
                      exchange_->keepAlive);
}

bool HttpResponder::connected() const { return exchange_ && exchange_->connection && !exchange_->answered; }

unsigned HttpResponder::loopIndex() const { return exchange_ ? exchange_->loop : 0; }

}  // namespace herald
