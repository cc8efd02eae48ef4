#include "connection.hpp"

#include "app_state.hpp"
#include "herald/http/response_writer.hpp"
#include "herald/net/socket.hpp"
#include "herald/ws/frame_writer.hpp"
#include "loop_context.hpp"

namespace herald::detail {

namespace {

std::int64_t toMs(std::chrono::seconds s) { return static_cast<std::int64_t>(s.count()) * 1000; }

}  // namespace

Connection::Connection(LoopContext& ctx, int fd)
    : ctx_(ctx), fd_(fd), http_(std::make_unique<HttpPhase>()) {
  http_->parser = http::RequestParser({.maxHeadBytes = ctx.app().options.maxHeadBytes, .maxHeaders = 100});
  lastReadMs_ = stateSinceMs_ = ctx.loop().nowMs();
}

Connection::~Connection() = default;

void Connection::onIo(std::uint32_t events) {
  if (state_ == State::Closed) return;
  using namespace net::io_event;
  if ((events & Writable) && !out_.empty()) flush();
  if (state_ != State::Closed && (events & (Readable | PeerClosed | Hangup | Error))) readAll();
}

void Connection::readAll() {
  char* buf = ctx_.readBuffer();
  const std::size_t cap = ctx_.readBufferSize();
  // Edge-triggered: read until the socket is empty.
  while (state_ != State::Closed) {
    net::IoResult r = net::readSome(fd_, buf, cap);
    if (r.status == net::IoResult::WouldBlock) return;
    if (r.status != net::IoResult::Ok) return onEof();  // EOF, or a reset
    lastReadMs_ = ctx_.loop().nowMs();
    handleBytes(buf, r.bytes);
  }
}

void Connection::handleBytes(char* data, std::size_t len) {
  switch (state_) {
    case State::Http:
      handleHttp(data, len);
      break;
    case State::Open:
    case State::Closing:
      reader_.feed(data, len, *this);
      break;
    case State::Draining:
    case State::Closed:
      break;  // the close handshake is over; what follows is discarded
  }
}

void Connection::handleHttp(char* data, std::size_t len) {
  http_->buffer.append(data, len);
  http::Request request;
  http::ParseResult r = http_->parser.parse(http_->buffer, request);
  if (r.kind == http::ParseResult::NeedMore) return;
  if (r.kind == http::ParseResult::Error) return refuseHttp(http::errorResponse(r.status, r.reason));

  const Endpoint* endpoint = ctx_.app().findEndpoint(request.path);
  if (!endpoint) return refuseHttp(http::errorResponse(http::Status::NotFound, "no WebSocket endpoint at this path"));
  ws::HandshakeResult hs = ws::acceptHandshake(request, endpoint->handshake);
  if (!hs.accepted) return refuseHttp(std::move(hs.response));
  std::string leftover = http_->buffer.substr(r.consumed);
  upgrade(*endpoint, std::move(hs.response), std::move(hs.subprotocol), std::move(leftover));
}

void Connection::refuseHttp(std::string response) {
  http_.reset();
  out_.append(response);
  beginDrain();
}

void Connection::upgrade(const Endpoint& endpoint, std::string response, std::string subprotocol,
                         std::string leftover) {
  http_.reset();
  endpoint_ = &endpoint;
  subprotocol_ = std::move(subprotocol);
  reader_ = ws::MessageReader(ws::Role::Server, behavior().maxMessageBytes);
  state_ = State::Open;
  stateSinceMs_ = ctx_.loop().nowMs();
  out_.append(response);
  markDirty();
  if (behavior().open) behavior().open(*this);
  if (!leftover.empty() && state_ == State::Open) reader_.feed(leftover.data(), leftover.size(), *this);
}

void Connection::onMessage(std::string_view payload, ws::Opcode opcode) {
  if (state_ == State::Open && behavior().message) behavior().message(*this, payload, opcode);
  reader_.trimBuffers();
}

void Connection::onPing(std::string_view payload) {
  if (state_ != State::Open) return;
  char header[ws::kMaxFrameHeaderBytes];
  std::size_t h = ws::encodeFrameHeader(header, ws::Opcode::Pong, payload.size());
  queue({header, h}, payload);
  if (behavior().ping) behavior().ping(*this, payload);
}

void Connection::onPong(std::string_view payload) {
  pingOutstanding_ = false;
  if (state_ == State::Open && behavior().pong) behavior().pong(*this, payload);
}

void Connection::onClose(std::uint16_t code, std::string_view reason) {
  if (state_ == State::Open) {
    // The peer started the close handshake: answer with its code, then close.
    std::string payload = ws::closePayload(code, {});
    char header[ws::kMaxFrameHeaderBytes];
    std::size_t h = ws::encodeFrameHeader(header, ws::Opcode::Close, payload.size());
    out_.append({header, h}, payload);
    finish(code, reason);
  }
  beginDrain();
}

void Connection::onProtocolError(std::uint16_t code, std::string_view reason) {
  if (state_ == State::Open) {
    std::string payload = ws::closePayload(code, reason);
    char header[ws::kMaxFrameHeaderBytes];
    std::size_t h = ws::encodeFrameHeader(header, ws::Opcode::Close, payload.size());
    out_.append({header, h}, payload);
    finish(code, reason);
  }
  beginDrain();
}

void Connection::startClose(std::uint16_t code, std::string_view reason) {
  if (state_ != State::Open) return;
  std::string payload = ws::closePayload(code, reason);
  char header[ws::kMaxFrameHeaderBytes];
  std::size_t h = ws::encodeFrameHeader(header, ws::Opcode::Close, payload.size());
  out_.append({header, h}, payload);
  markDirty();
  state_ = State::Closing;
  stateSinceMs_ = ctx_.loop().nowMs();
  finish(code, reason);
}

void Connection::finish(std::uint16_t code, std::string_view reason) {
  if (finished_ || !endpoint_) return;
  finished_ = true;
  while (!topics_.empty()) ctx_.unsubscribe(this, std::string(topics_.back()));
  if (behavior().close) behavior().close(*this, code, reason);
}

void Connection::beginDrain() {
  if (state_ == State::Closed || state_ == State::Draining) return;
  reader_.stop();
  state_ = State::Draining;
  stateSinceMs_ = ctx_.loop().nowMs();
  markDirty();
}

void Connection::onEof() {
  if (state_ == State::Open || state_ == State::Closing)
    finish(ws::close_code::Abnormal, "connection dropped without a close frame");
  destroy();
}

void Connection::destroy() {
  if (state_ == State::Closed) return;
  reader_.stop();
  if (state_ == State::Open) finish(ws::close_code::Abnormal, "connection terminated");
  state_ = State::Closed;
  out_.clear();
  net::closeFd(fd_);
  fd_ = -1;
  ctx_.remove(this);
}

void Connection::killSlowConsumer() {
  if (state_ == State::Closed) return;
  finish(ws::close_code::PolicyViolation, "send queue over its byte limit (slow consumer)");
  destroy();
}

SendResult Connection::sendFrame(ws::Opcode opcode, std::string_view payload) {
  if (state_ != State::Open || doomed_) return SendResult::Dropped;
  char header[ws::kMaxFrameHeaderBytes];
  std::size_t h = ws::encodeFrameHeader(header, opcode, payload.size());
  return queue({header, h}, payload);
}

SendResult Connection::queue(std::string_view header, std::string_view payload) {
  if (overLimit(header.size() + payload.size())) {
    if (behavior().closeOnBackpressureLimit && !doomed_) {
      doomed_ = true;
      ctx_.markDoomed(this);
    }
    return SendResult::Dropped;
  }
  out_.append(header, payload);
  markDirty();
  return backlogged_ ? SendResult::Buffered : SendResult::Sent;
}

SendResult Connection::sendShared(const SharedFrame& frame) {
  if (state_ != State::Open || doomed_) return SendResult::Dropped;
  if (overLimit(frame->size())) {
    if (behavior().closeOnBackpressureLimit) {
      doomed_ = true;
      ctx_.markDoomed(this);
    }
    return SendResult::Dropped;
  }
  out_.append(frame);
  markDirty();
  return backlogged_ ? SendResult::Buffered : SendResult::Sent;
}

bool Connection::overLimit(std::size_t bytes) const {
  // A single message larger than the limit still goes out on an empty queue;
  // the limit bounds the backlog behind a peer that does not read.
  return !out_.empty() && out_.size() + bytes > behavior().maxBackpressureBytes;
}

void Connection::markDirty() {
  if (inDirtyList || state_ == State::Closed) return;
  inDirtyList = true;
  ctx_.markDirty(this);
}

void Connection::flush() {
  if (state_ == State::Closed) return;
  switch (out_.flushTo(fd_)) {
    case WriteQueue::FlushResult::Partial:
      backlogged_ = true;  // EPOLLOUT will tell us when the peer reads again
      return;
    case WriteQueue::FlushResult::Error:
      if (state_ == State::Open) finish(ws::close_code::Abnormal, "write failed: connection reset");
      destroy();
      return;
    case WriteQueue::FlushResult::Done:
      break;
  }
  if (backlogged_) {
    backlogged_ = false;
    if (state_ == State::Open && behavior().drain) behavior().drain(*this);
  }
  if (state_ == State::Draining && !shutWrite_ && out_.empty()) {
    // Our last bytes are out: the server closes the TCP connection first
    // (RFC 6455 7.1.1), then reads until the peer's EOF.
    net::shutdownWrite(fd_);
    shutWrite_ = true;
  }
}

void Connection::checkTimers(std::int64_t nowMs) {
  const AppOptions& opts = ctx_.app().options;
  switch (state_) {
    case State::Http:
      if (nowMs - stateSinceMs_ >= toMs(opts.handshakeTimeout)) destroy();
      break;
    case State::Open: {
      std::int64_t idle = toMs(behavior().idleTimeout);
      if (idle <= 0) break;
      std::int64_t quiet = nowMs - lastReadMs_;
      if (quiet >= idle) {
        startClose(ws::close_code::GoingAway, "idle timeout");
      } else if (quiet >= idle / 2 && !pingOutstanding_) {
        pingOutstanding_ = true;
        char header[ws::kMaxFrameHeaderBytes];
        std::size_t h = ws::encodeFrameHeader(header, ws::Opcode::Ping, 0);
        queue({header, h}, {});
      }
      break;
    }
    case State::Closing:
    case State::Draining:
      if (nowMs - stateSinceMs_ >= toMs(opts.closeTimeout)) destroy();
      break;
    case State::Closed:
      break;
  }
}

void Connection::shutdownForServerStop() {
  if (state_ == State::Http) destroy();
  else if (state_ == State::Open) startClose(ws::close_code::GoingAway, "server shutting down");
}

}  // namespace herald::detail
