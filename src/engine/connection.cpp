// The WebSocket state machine shared by server and client connections: reading,
// message events, the close handshake, writing and timers. The two handshakes
// are in connection_server.cpp and connection_client.cpp.
#include "connection.hpp"

#include "app_state.hpp"
#include "client_phase.hpp"
#include "herald/ws/frame_writer.hpp"
#include "loop_context.hpp"

namespace herald::detail {

namespace {

std::int64_t toMs(std::chrono::seconds s) { return static_cast<std::int64_t>(s.count()) * 1000; }

// Queued bytes past which further pings share one pending pong.
constexpr std::size_t kPongBurstBytes = 64 * 1024;

}  // namespace

// The reader's events, forwarded to the connection. It lives on the stack
// for one feed(), so the connection carries no second vtable pointer.
class ReaderEvents final : public ws::MessageHandler {
 public:
  explicit ReaderEvents(Connection& c) : c_(c) {}
  void onMessage(std::string_view payload, ws::Opcode opcode) override { c_.onMessage(payload, opcode); }
  void onPing(std::string_view payload) override { c_.onPing(payload); }
  void onPong(std::string_view payload) override { c_.onPong(payload); }
  void onClose(std::uint16_t code, std::string_view reason) override { c_.onClose(code, reason); }
  void onProtocolError(std::uint16_t code, std::string_view reason) override { c_.onProtocolError(code, reason); }

 private:
  Connection& c_;
};

// What an idle server connection costs in user space is mostly this object
// (docs/benchmarks.md, "Idle connections"): keep it within 168 bytes, which
// glibc's allocator serves from a 176-byte chunk.
static_assert(sizeof(Connection) <= 168, "Connection grew: move what is rarely used behind a pointer");

Connection::~Connection() { detachExchange(); }

Connection::Extras& Connection::extras() {
  if (!extras_) extras_ = std::make_unique<Extras>();
  return *extras_;
}

unsigned Connection::loopIndex() const { return ctx_.index(); }

std::string_view Connection::subprotocolName() const {
  if (subprotocolIndex_ == 0) return {};
  const std::vector<std::string>& offered = isClient() ? client_->subprotocols : behavior().subprotocols;
  return offered[subprotocolIndex_ - 1];
}

const AppOptions& Connection::opts() const { return ctx_.app().options; }

void Connection::onIo(std::uint32_t events) {
  if (state_ == State::Closed) return;
  using namespace net::io_event;
  if (state_ == State::Connecting) {
    if (events & (Writable | Error | Hangup)) onConnected();
    return;
  }
  // A TLS engine may need to write to make progress on a read and the other
  // way round, so TLS connections retry both on any event.
  bool tls = stream_.isTls();
  if ((tls || (events & Writable)) && !out_.empty()) flush();
  if (state_ != State::Closed && (tls || (events & (Readable | PeerClosed | Hangup | Error)))) readAll(events);
  if (tls && state_ != State::Closed && backlogged_ && !out_.empty()) flush();
}

void Connection::readAll(std::uint32_t events) {
  char* buf = ctx_.readBuffer();
  const std::size_t cap = ctx_.readBufferSize();
  // Edge-triggered: read until the socket is empty. A plain TCP read that
  // returned less than it asked for has emptied the socket, and anything
  // that arrives after it (bytes or a FIN) raises a new event, so the read
  // that would only say EAGAIN is skipped: one recv() per message instead of
  // two. A FIN or error already reported is read to the end, and TLS always
  // reads on (its records need not match the socket's buffer).
  using namespace net::io_event;
  const bool stopShort = !stream_.isTls() && !(events & (PeerClosed | Hangup | Error));
  while (state_ != State::Closed) {
    net::IoResult r = stream_.read(buf, cap);
    if (r.status == net::IoResult::WouldBlock) return;
    if (r.status == net::IoResult::Error && state_ == State::Http && isClient())
      return failClient("TLS handshake failed: " + stream_.lastError());
    if (r.status != net::IoResult::Ok) return onEof();  // EOF, a reset, or a broken TLS stream
    if (state_ == State::Open) sinceMs_ = ctx_.loop().nowMs();
    handleBytes(buf, r.bytes);
    if (stopShort && r.bytes < cap) return;
  }
}

void Connection::handleBytes(char* data, std::size_t len) {
  switch (state_) {
    case State::Http:
      if (isClient()) handleResponse(data, len);
      else handleRequest(data, len);
      break;
    case State::Open:
    case State::Closing: {
      ReaderEvents events(*this);
      reader_.feed(data, len, events);
      break;
    }
    case State::Connecting:
    case State::Draining:
    case State::Closed:
      break;  // the close handshake is over; what follows is discarded
  }
}

void Connection::open(const Endpoint& endpoint, std::string subprotocol, std::string_view leftover,
                      const std::optional<ws::DeflateParams>& deflate, std::any user) {
  http_.reset();
  endpoint_ = &endpoint;
  const std::vector<std::string>& offered = isClient() ? client_->subprotocols : behavior().subprotocols;
  for (std::size_t i = 0; i < offered.size() && i < 255; ++i)
    if (offered[i] == subprotocol) subprotocolIndex_ = static_cast<std::uint8_t>(i + 1);
  reader_ = ws::MessageReader(role(), behavior().maxMessageBytes);
  reader_.setMaxEmptyFrames(behavior().maxControlFramesPerSecond);
  if (deflate) {
    reader_.enableDeflate(*deflate);
    int memLevel = isClient() ? client_->deflate->memLevel : behavior().deflate.memLevel;
    int level = isClient() ? client_->deflate->compressionLevel : behavior().deflate.compressionLevel;
    extras().deflater = std::make_unique<ws::Deflater>(ws::deflaterOptions(*deflate, role(), memLevel, level));
  }
  state_ = State::Open;
  sinceMs_ = ctx_.loop().nowMs();
  markDirty();
  if (user.has_value()) this->user() = std::move(user);
  if (behavior().open) behavior().open(*this);
  if (!leftover.empty() && state_ == State::Open) {
    std::string copy(leftover);  // the reader unmasks in place
    ReaderEvents events(*this);
    reader_.feed(copy.data(), copy.size(), events);
  }
}

void Connection::onMessage(std::string_view payload, ws::Opcode opcode) {
  LoopCounters::add(ctx_.counters.messagesIn, 1);
  LoopCounters::add(ctx_.counters.bytesIn, payload.size());
  if (state_ == State::Open && behavior().message) behavior().message(*this, payload, opcode);
}

void Connection::onPing(std::string_view payload) {
  if (state_ != State::Open) return;
  // Pings are answered in order while writes keep up. Once the peer stops
  // reading (or a burst of pings has queued kPongBurstBytes unsent), one
  // pong waits, for the latest ping.
  if (backlogged_ || out_.size() >= kPongBurstBytes) {
    auto& pending = extras().pendingPong;
    if (!pending) pending = std::make_unique<std::string>();
    pending->assign(payload);
  } else {
    queue(ws::Opcode::Pong, payload);
  }
  if (behavior().ping) behavior().ping(*this, payload);
}

void Connection::sendPendingPong() {
  if (!extras_ || !extras_->pendingPong) return;
  std::unique_ptr<std::string> pong = std::move(extras_->pendingPong);
  if (state_ == State::Open) queue(ws::Opcode::Pong, *pong);
}

void Connection::onPong(std::string_view payload) {
  pingOutstanding_ = false;
  if (state_ == State::Open && behavior().pong) behavior().pong(*this, payload);
}

void Connection::onClose(std::uint16_t code, std::string_view reason) {
  if (state_ == State::Open) {
    // The peer started the close handshake: answer with its code, then close.
    queueFrame(ws::Opcode::Close, ws::closePayload(code, {}));
    finish(code, reason);
  }
  beginDrain();
}

void Connection::onProtocolError(std::uint16_t code, std::string_view reason) {
  ctx_.counters.refuse(code == 1002   ? RefusalReason::Close1002
                       : code == 1007 ? RefusalReason::Close1007
                       : code == 1008 ? RefusalReason::Close1008FrameFlood
                       : code == 1009 ? RefusalReason::Close1009
                                      : RefusalReason::CloseOther);
  if (state_ == State::Open) {
    queueFrame(ws::Opcode::Close, ws::closePayload(code, reason));
    finish(code, reason);
  }
  beginDrain();
}

void Connection::startClose(std::uint16_t code, std::string_view reason) {
  if (state_ != State::Open) return;
  queueFrame(ws::Opcode::Close, ws::closePayload(code, reason));
  state_ = State::Closing;
  sinceMs_ = ctx_.loop().nowMs();
  finish(code, reason);
}

void Connection::finish(std::uint16_t code, std::string_view reason) {
  if (finished_ || !endpoint_) return;
  finished_ = true;
  while (extras_ && !extras_->topics.empty()) ctx_.unsubscribe(this, std::string(extras_->topics.back()));
  if (behavior().close) behavior().close(*this, code, reason);
}

void Connection::beginDrain() {
  if (state_ == State::Closed || state_ == State::Draining) return;
  reader_.stop();
  state_ = State::Draining;
  sinceMs_ = ctx_.loop().nowMs();
  markDirty();
}

void Connection::onEof() {
  if (state_ == State::Http && isClient()) return failClient("the server closed the connection during the handshake");
  if (state_ == State::Open || state_ == State::Closing)
    finish(ws::close_code::Abnormal, "connection dropped without a close frame");
  destroy();
}

void Connection::destroy() {
  if (state_ == State::Closed) return;
  detachExchange();
  reader_.stop();
  if (state_ == State::Open) finish(ws::close_code::Abnormal, "connection terminated");
  state_ = State::Closed;
  out_.clear();
  if (!isClient()) ctx_.releaseAddress(stream_.fd());
  stream_.close();
  ctx_.remove(this);
}

void Connection::killSlowConsumer() {
  if (state_ == State::Closed) return;
  ctx_.counters.refuse(RefusalReason::SlowConsumer);
  finish(behavior().slowConsumerCloseCode, behavior().slowConsumerReason);
  destroy();
}

void Connection::notifyDropped(const std::string& topic) {
  if (state_ == State::Open && wantsDropNotices()) behavior().dropped(*this, topic);
}

SendResult Connection::sendFrame(ws::Opcode opcode, std::string_view payload) {
  if (state_ != State::Open || doomed_) return SendResult::Dropped;
  if (ws::isControl(opcode)) return queue(opcode, payload);
  return queueData(opcode, payload);
}

std::size_t Connection::minCompressBytes() const {
  return isClient() ? client_->minCompressBytes : behavior().deflate.minCompressBytes;
}

SendResult Connection::queueData(ws::Opcode opcode, std::string_view payload) {
  ws::Deflater* own = deflater();
  if (!own || payload.size() < minCompressBytes()) return queue(opcode, payload);
  std::string& compressed = ctx_.compressBuffer();
  compressed.clear();
  const ws::DeflaterOptions& mine = own->options();
  ws::Deflater& deflater = mine.noContextTakeover ? ctx_.sharedDeflater(mine) : *own;
  if (!deflater.compress(payload, compressed)) {
    // Our compressor's state is lost, and with it the peer's dictionary.
    startClose(ws::close_code::InternalError, "compression failed");
    return SendResult::Dropped;
  }
  SendResult r = queue(opcode, compressed, true);
  if (compressed.capacity() > 1024 * 1024) std::string().swap(compressed);
  return r;
}

SendResult Connection::deliver(const Publication& p) {
  ws::Deflater* own = deflater();
  if (own && p.payload.size() >= minCompressBytes()) {
    const ws::DeflaterOptions& mine = own->options();
    // The shared deflated frame fits a subscriber whose compressor resets
    // after every message and whose window is the full 15 bits.
    if (p.deflated && mine.noContextTakeover && mine.windowBits == 15) return sendShared(p.deflated);
    if (state_ != State::Open || doomed_) return SendResult::Dropped;
    return queueData(p.opcode, p.payload);  // its own context: compress for it alone
  }
  return sendShared(p.plain);
}

// Control frames that end the conversation skip the queue limit.
void Connection::queueFrame(ws::Opcode opcode, std::string_view payload, bool rsv1) {
  char header[ws::kMaxFrameHeaderBytes];
  if (isClient()) {
    ws::MaskKey key = ws::freshMaskKey();
    std::size_t h = ws::encodeFrameHeader(header, opcode, payload.size(), {.rsv1 = rsv1, .mask = &key});
    out_.appendMasked({header, h}, payload, key);
  } else {
    std::size_t h = ws::encodeFrameHeader(header, opcode, payload.size(), {.rsv1 = rsv1});
    out_.append({header, h}, payload);
  }
  markDirty();
}

SendResult Connection::queue(ws::Opcode opcode, std::string_view payload, bool rsv1) {
  if (overLimit(ws::kMaxFrameHeaderBytes + payload.size())) {
    if (behavior().closeOnBackpressureLimit && !doomed_) {
      doomed_ = true;
      ctx_.markDoomed(this);
    }
    return SendResult::Dropped;
  }
  queueFrame(opcode, payload, rsv1);
  if (!ws::isControl(opcode)) {
    LoopCounters::add(ctx_.counters.messagesOut, 1);
    LoopCounters::add(ctx_.counters.bytesOut, payload.size());
  }
  return backlogged_ ? SendResult::Buffered : SendResult::Sent;
}

SendResult Connection::sendShared(const SharedFrame& frame) {
  if (state_ != State::Open || doomed_) return SendResult::Dropped;
  if (isClient()) return SendResult::Dropped;  // a client masks every frame: nothing to share
  if (overLimit(frame->size())) {
    if (behavior().closeOnBackpressureLimit) {
      doomed_ = true;
      ctx_.markDoomed(this);
    }
    return SendResult::Dropped;
  }
  out_.append(frame);
  markDirty();
  LoopCounters::add(ctx_.counters.messagesOut, 1);
  LoopCounters::add(ctx_.counters.bytesOut, frame->size());
  return backlogged_ ? SendResult::Buffered : SendResult::Sent;
}

bool Connection::overLimit(std::size_t bytes) const {
  // A single message larger than the limit still goes out on an empty queue;
  // the limit bounds the backlog behind a peer that does not read.
  return !out_.empty() && out_.size() + bytes > behavior().maxBackpressureBytes;
}

void Connection::markDirty() {
  if (inDirtyList || state_ == State::Closed || state_ == State::Connecting) return;
  inDirtyList = true;
  ctx_.markDirty(this);
}

void Connection::flush() {
  if (state_ == State::Closed || state_ == State::Connecting) return;
  if (!backlogged_) sendPendingPong();
  switch (out_.flushTo(stream_)) {
    case WriteQueue::FlushResult::Partial:
      backlogged_ = true;  // EPOLLOUT will tell us when the peer reads again
      return;
    case WriteQueue::FlushResult::Error:
      if (state_ == State::Http && isClient()) return failClient("TLS handshake failed: " + stream_.lastError());
      if (state_ == State::Open) finish(ws::close_code::Abnormal, "write failed: connection reset");
      destroy();
      return;
    case WriteQueue::FlushResult::Done:
      break;
  }
  if (backlogged_) {
    backlogged_ = false;
    sendPendingPong();  // queued, and written before this iteration ends
    if (state_ == State::Open && behavior().drain) behavior().drain(*this);
  }
  if (state_ == State::Draining && !shutWrite_ && out_.empty() && !isClient()) {
    // Our last bytes are out: the server closes the TCP connection first
    // (RFC 6455 7.1.1), then reads until the peer's EOF. A client waits for
    // the server's FIN instead.
    stream_.shutdownWrite();
    shutWrite_ = true;
  }
}

void Connection::checkTimers(std::int64_t nowMs) {
  const AppOptions& opts = ctx_.app().options;
  switch (state_) {
    case State::Connecting:
    case State::Http: {
      std::int64_t limit = isClient() ? client_->timeoutMs : toMs(opts.handshakeTimeout);
      if (nowMs - sinceMs_ < limit) break;
      if (isClient()) {
        failClient("timed out connecting and upgrading");
      } else {
        ctx_.counters.refuse(RefusalReason::HandshakeTimeout);
        destroy();
      }
      break;
    }
    case State::Open: {
      reader_.resetFrameBudget();  // once a second: the sweep's period
      std::int64_t idle = toMs(behavior().idleTimeout);
      if (idle <= 0) break;
      std::int64_t quiet = nowMs - sinceMs_;
      // Close only after a ping went unanswered, so a connection always
      // gets its ping whatever the sweep's timing.
      if (quiet >= idle && pingOutstanding_) {
        startClose(ws::close_code::GoingAway, "idle timeout");
      } else if (quiet >= idle / 2 && !pingOutstanding_) {
        pingOutstanding_ = true;
        queue(ws::Opcode::Ping, {});
      }
      break;
    }
    case State::Closing:
    case State::Draining:
      if (nowMs - sinceMs_ >= toMs(opts.closeTimeout)) destroy();
      break;
    case State::Closed:
      break;
  }
}

void Connection::shutdownForServerStop() {
  if (state_ == State::Open) startClose(opts().shutdownCloseCode, opts().shutdownReason);
  else if (state_ == State::Connecting || state_ == State::Http) {
    if (isClient()) failClient("the application is shutting down");
    else destroy();
  }
}

}  // namespace herald::detail
