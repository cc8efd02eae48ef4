#include "client_core.hpp"

#include <algorithm>
#include <chrono>

#include "herald/proto/codec.hpp"
#include "herald/proto/codes.hpp"

namespace herald::client::detail {

namespace {

constexpr std::chrono::milliseconds kTick{100};
// Larger than any server message we expect (a history page of big
// publications); the server's own limit protects it, this protects us.
constexpr std::size_t kMaxMessageBytes = 64 * 1024 * 1024;
// A WebSocket close without a protocol code: the transport just dropped.
constexpr std::uint32_t kAbnormalClosure = 1006;

}  // namespace

ClientCore::ClientCore(App& app, unsigned loopIndex, Options options)
    : app_(app),
      loopIndex_(loopIndex),
      opts_(std::move(options)),
      codec_(codecFor(opts_.protocol)),
      token_(opts_.token),
      rng_(std::random_device{}()) {}

void ClientCore::post(std::function<void()> fn) {
  if (app_.currentLoop() == static_cast<int>(loopIndex_)) return fn();
  app_.deferTo(loopIndex_, std::move(fn));
}

std::int64_t ClientCore::now() const { return app_.loop(loopIndex_).nowMs(); }

std::uint32_t ClientCore::nextId() {
  if (++lastId_ == 0) lastId_ = 1;
  return lastId_;
}

void ClientCore::setPhase(State s) {
  phase_ = s;
  state_.store(s, std::memory_order_release);
}

void ClientCore::emitError(std::uint32_t code, std::string message) {
  if (!dead_ && opts_.onError) opts_.onError(makeError(code, std::move(message)));
}

// --- lifecycle ---------------------------------------------------------------

void ClientCore::start() {
  std::weak_ptr<ClientCore> weak = weak_from_this();
  timer_ = app_.loop(loopIndex_).addTimer(kTick, [weak] {
    if (auto self = weak.lock()) self->tick();
  });
}

void ClientCore::shutdown() {
  disconnect();
  dead_ = true;
  if (timer_ >= 0) app_.loop(loopIndex_).cancelTimer(timer_);
  timer_ = -1;
}

void ClientCore::connect() {
  if (dead_ || phase_ != State::Disconnected) return;
  setPhase(State::Connecting);
  attempt_ = 0;
  if (opts_.onConnecting) opts_.onConnecting({0, "connect called", true});
  openTransport();
}

void ClientCore::disconnect() {
  if (phase_ == State::Disconnected) return;
  setPhase(State::Disconnected);
  reconnectAtMs_ = 0;
  refreshAtMs_ = 0;
  dropTransport(false, 1000, "client disconnect");
  failPending(false, error_code::ClientClosed, "client disconnected");
  if (!dead_ && opts_.onDisconnected) opts_.onDisconnected({0, "disconnect called", false});
}

void ClientCore::openTransport() {
  reconnectAtMs_ = 0;
  disconnectPush_.reset();
  if (token_.empty() && opts_.getToken) token_ = opts_.getToken();
  const std::uint64_t gen = ++gen_;
  std::weak_ptr<ClientCore> weak = weak_from_this();

  WsBehavior b;
  b.maxMessageBytes = kMaxMessageBytes;
  b.closeOnBackpressureLimit = false;
  b.open = [weak, gen](WebSocket& ws) {
    auto self = weak.lock();
    if (!self || self->gen_ != gen) return ws.close(1000, "client gave up on this connection");
    self->onOpen(ws);
  };
  b.message = [weak, gen](WebSocket&, std::string_view payload, ws::Opcode) {
    if (auto self = weak.lock()) self->onFrame(gen, payload);
  };
  b.close = [weak, gen](WebSocket&, std::uint16_t code, std::string_view reason) {
    if (auto self = weak.lock()) self->onTransportClosed(gen, code, reason);
  };

  herald::ClientOptions t = opts_.transport;
  if (!codec_.subprotocol().empty()) t.subprotocols = {std::string(codec_.subprotocol())};
  auto seconds = std::chrono::ceil<std::chrono::seconds>(opts_.timeout);
  t.timeout = std::max(seconds, std::chrono::seconds(1));
  t.onError = [weak, gen](std::string_view error) {
    if (auto self = weak.lock()) self->onConnectFailed(gen, error);
  };
  // We are on loop `loopIndex_`, so the connection lands on it too.
  app_.connect(opts_.url, std::move(b), std::move(t));
}

void ClientCore::onOpen(WebSocket& ws) {
  ws_ = &ws;
  if (auto problem = subprotocolProblem(ws.subprotocol())) {
    // The server would read our frames in the other format: retrying
    // cannot help, so this is as final as a refused connect.
    dropTransport(false, 1000, "unsupported subprotocol");
    afterTransportLoss();
    stopForGood(static_cast<std::uint32_t>(proto::DisconnectCode::InappropriateProtocol), std::move(*problem));
    return;
  }
  const std::uint32_t id = nextId();
  Pending p;
  codec_.encodeConnect(p.frame, id, token_, opts_.name, opts_.version);
  p.sent = true;
  p.isConnect = true;
  p.deadlineMs = now() + opts_.timeout.count();
  p.done = [this](const ServerMessage* reply, const Error* error) { onConnectReply(reply, error); };
  ws.send(p.frame, codec_.opcode());
  pending_.emplace(id, std::move(p));
}

// Protobuf needs the server to have selected its subprotocol; JSON needs it
// not to have selected Protobuf's (no subprotocol, or centrifuge-json).
std::optional<std::string> ClientCore::subprotocolProblem(std::string_view selected) const {
  const std::string_view mine = codec_.subprotocol();
  if (!mine.empty() && selected != mine)
    return "connect failed: the server did not select the WebSocket subprotocol " + std::string(mine) +
           (selected.empty() ? std::string() : " (it chose " + std::string(selected) + ")") +
           ": it does not speak the protocol's Protobuf format on this endpoint";
  if (mine.empty() && selected == proto::kProtobufSubprotocol)
    return "connect failed: the server selected the WebSocket subprotocol " + std::string(selected) +
           " for a JSON client";
  return std::nullopt;
}

void ClientCore::onConnectReply(const ServerMessage* reply, const Error* error) {
  if (error) {
    // Timeout: the connection is open but the server does not answer.
    if (error->code == error_code::Timeout && phase_ == State::Connecting) {
      dropTransport(true, 1000, "");
      afterTransportLoss();
      emitError(error_code::Timeout, "no connect reply within the timeout");
      scheduleReconnect(kAbnormalClosure, "connect timeout");
    }
    return;  // TransportClosed/ClientClosed: handled where the transport ended
  }
  if (reply->error) {
    const Error& e = *reply->error;
    if (e.code == static_cast<std::uint32_t>(proto::ErrorCode::TokenExpired) && opts_.getToken) {
      token_ = opts_.getToken();
      if (!token_.empty()) {
        dropTransport(false, 1000, "");
        afterTransportLoss();
        scheduleReconnect(e.code, e.message);
        return;
      }
    }
    if (e.temporary) {
      dropTransport(false, 1000, "");
      afterTransportLoss();
      if (!dead_ && opts_.onError) opts_.onError(e);
      scheduleReconnect(e.code, e.message);
      return;
    }
    if (!dead_ && opts_.onError) opts_.onError(e);
    dropTransport(false, 1000, "");
    afterTransportLoss();
    stopForGood(e.code, "connect refused: " + e.message);
    return;
  }
  ConnectResultData r;
  if (!codec_.decodeConnectResult(reply->body, r)) {
    dropTransport(false, 1000, "");
    afterTransportLoss();
    emitError(error_code::BadReply, "unreadable connect reply");
    scheduleReconnect(kAbnormalClosure, "unreadable connect reply");
    return;
  }
  setPhase(State::Connected);
  attempt_ = 0;
  pingMs_ = static_cast<std::int64_t>(r.ping) * 1000;
  pong_ = r.pong;
  lastPingMs_ = now();
  refreshAtMs_ = r.expires ? now() + static_cast<std::int64_t>(r.ttl) * 1000 : 0;
  const std::uint64_t gen = gen_;
  if (!dead_ && opts_.onConnected) opts_.onConnected({r.client, r.version, r.data, r.ping});
  if (gen != gen_ || phase_ != State::Connected) return;  // the callback disconnected
  for (const auto& sub : allSubs())
    if (sub->state.load() != SubscriptionState::Unsubscribed && sub->subscribeId == 0 && sub->retryAtMs == 0)
      sendSubscribe(sub);
  for (auto& [id, p] : pending_) {
    if (p.sent) continue;
    p.sent = true;
    send(p.frame);
  }
}

void ClientCore::dropTransport(bool terminate, std::uint16_t code, std::string_view reason) {
  ++gen_;  // the close callback below (and any later one) is ignored
  WebSocket* ws = ws_;
  ws_ = nullptr;
  if (!ws) return;
  if (terminate) ws->terminate();
  else ws->close(code, reason);
}

// After the transport is gone: fail what was sent, and make every
// subscription wait for the next connection.
void ClientCore::afterTransportLoss() {
  pingMs_ = 0;
  failPending(true, error_code::TransportClosed, "the connection closed before the reply");
  for (const auto& sub : allSubs()) {
    sub->subscribeId = 0;
    if (sub->state.load() == SubscriptionState::Subscribed) sub->state.store(SubscriptionState::Subscribing);
  }
}

void ClientCore::onTransportClosed(std::uint64_t gen, std::uint32_t code, std::string_view reason) {
  if (gen != gen_) return;
  ++gen_;
  ws_ = nullptr;
  std::string why(reason);
  // A disconnect push names the code when the transport cannot.
  if (disconnectPush_ && code <= 3000) {
    code = disconnectPush_->code;
    why = disconnectPush_->reason;
  }
  afterTransportLoss();
  if (phase_ == State::Disconnected) return;
  if (!proto::shouldReconnect(code)) return stopForGood(code, why);
  scheduleReconnect(code, why);
}

void ClientCore::onConnectFailed(std::uint64_t gen, std::string_view error) {
  if (gen != gen_) return;
  ++gen_;
  ws_ = nullptr;
  emitError(error_code::ConnectFailed, std::string(error));
  if (phase_ == State::Disconnected) return;
  scheduleReconnect(kAbnormalClosure, std::string(error));
}

void ClientCore::scheduleReconnect(std::uint32_t code, std::string reason) {
  if (dead_ || phase_ == State::Disconnected) return;
  setPhase(State::Connecting);
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  auto delay = backoffDelay(attempt_++, opts_.minReconnectDelay, opts_.maxReconnectDelay, draw(rng_));
  reconnectAtMs_ = now() + delay.count();
  if (opts_.onConnecting) opts_.onConnecting({code, std::move(reason), true});
}

void ClientCore::stopForGood(std::uint32_t code, std::string reason) {
  setPhase(State::Disconnected);
  reconnectAtMs_ = 0;
  refreshAtMs_ = 0;
  failPending(false, error_code::ClientClosed, "client disconnected: " + reason);
  if (!dead_ && opts_.onDisconnected) opts_.onDisconnected({code, std::move(reason), false});
}

// --- timers ------------------------------------------------------------------

void ClientCore::tick() {
  if (dead_) return;
  const std::int64_t t = now();
  if (phase_ == State::Connecting && reconnectAtMs_ && t >= reconnectAtMs_) openTransport();

  std::vector<std::uint32_t> late;
  for (const auto& [id, p] : pending_)
    if (t >= p.deadlineMs) late.push_back(id);
  for (std::uint32_t id : late) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    ReplyFn done = std::move(it->second.done);
    pending_.erase(it);
    Error e = makeError(error_code::Timeout, "no reply within the timeout");
    if (done) done(nullptr, &e);
  }

  if (phase_ == State::Connected && pingMs_ > 0 && t - lastPingMs_ > pingMs_ + opts_.maxServerPingDelay.count()) {
    dropTransport(true, 1000, "");
    afterTransportLoss();
    emitError(error_code::TransportClosed, "no ping from the server in time: taking the connection for dead");
    scheduleReconnect(static_cast<std::uint32_t>(proto::DisconnectCode::NoPong), "no ping from the server");
  }

  if (phase_ == State::Connected) {
    for (const auto& sub : allSubs())
      if (sub->retryAtMs && t >= sub->retryAtMs) {
        sub->retryAtMs = 0;
        if (sub->state.load() != SubscriptionState::Unsubscribed && sub->subscribeId == 0) sendSubscribe(sub);
      }
    if (refreshAtMs_ && t >= refreshAtMs_) refreshToken();
  }
}

void ClientCore::refreshToken() {
  refreshAtMs_ = 0;
  if (!opts_.getToken) return;  // the server will expire the connection; reconnecting asks again
  std::string token = opts_.getToken();
  if (token.empty()) return;
  token_ = token;
  command([this, token](std::string& out, std::uint32_t id) { codec_.encodeRefresh(out, id, token); },
          [this](const ServerMessage* reply, const Error* error) {
            if (error) return;
            if (reply->error) {
              if (!dead_ && opts_.onError) opts_.onError(*reply->error);
              return;
            }
            RefreshResultData r;
            if (codec_.decodeRefreshResult(reply->body, r) && r.expires)
              refreshAtMs_ = now() + static_cast<std::int64_t>(r.ttl) * 1000;
          });
}

// --- commands ----------------------------------------------------------------

void ClientCore::send(std::string_view frame) {
  if (ws_) ws_->send(frame, codec_.opcode());
}

std::uint32_t ClientCore::command(std::function<void(std::string&, std::uint32_t)> encode, ReplyFn onReply) {
  if (dead_ || phase_ == State::Disconnected) {
    Error e = makeError(error_code::ClientClosed, "the client is disconnected: call connect() first");
    if (onReply) onReply(nullptr, &e);
    return 0;
  }
  const std::uint32_t id = nextId();
  Pending p;
  encode(p.frame, id);
  p.deadlineMs = now() + opts_.timeout.count();
  p.done = std::move(onReply);
  if (phase_ == State::Connected && ws_) {
    p.sent = true;
    send(p.frame);
  }
  pending_.emplace(id, std::move(p));
  return id;
}

void ClientCore::failPending(bool onlySent, std::uint32_t code, std::string_view message) {
  std::vector<ReplyFn> fails;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (onlySent && !it->second.sent) {
      ++it;
      continue;
    }
    fails.push_back(std::move(it->second.done));
    it = pending_.erase(it);
  }
  Error e = makeError(code, std::string(message));
  for (auto& f : fails)
    if (f) f(nullptr, &e);
}

// --- incoming ----------------------------------------------------------------

void ClientCore::onFrame(std::uint64_t gen, std::string_view payload) {
  if (gen != gen_ || dead_) return;
  std::string frameError;  // why the frame could not be cut to its end
  const std::vector<std::string_view> messages = codec_.splitFrame(payload, frameError);
  for (std::string_view message : messages) {
    if (gen != gen_) return;  // a callback dropped this connection
    std::string error;
    std::optional<ServerMessage> m = codec_.decodeMessage(message, error);
    if (!m) {
      emitError(error_code::BadReply, error);
      continue;
    }
    switch (m->kind) {
      case ServerMessage::Kind::Ping:
        lastPingMs_ = now();
        if (pong_) {
          std::string pong;
          codec_.encodePong(pong);
          send(pong);
        }
        break;
      case ServerMessage::Kind::Reply: {
        auto it = pending_.find(m->id);
        if (it == pending_.end()) break;  // late (timed out) or fire-and-forget
        ReplyFn done = std::move(it->second.done);
        pending_.erase(it);
        if (done) done(&*m, nullptr);
        break;
      }
      case ServerMessage::Kind::Push:
        handlePush(*m);
        break;
    }
  }
  if (!frameError.empty() && gen == gen_) emitError(error_code::BadReply, frameError);
}

void ClientCore::handlePush(ServerMessage& m) {
  if (m.key == "disconnect") {
    DisconnectPushData d;
    if (codec_.decodeDisconnectPush(m.body, d)) disconnectPush_ = d;
    return;
  }
  if (m.key == "message") {
    std::string data;
    if (codec_.decodeMessageData(m.body, data) && !dead_ && opts_.onMessage) opts_.onMessage(data);
    return;
  }
  std::shared_ptr<SubState> sub = findSub(m.channel);
  if (!sub || sub->state.load() == SubscriptionState::Unsubscribed) return;
  if (m.key == "pub") {
    // Only after the subscribe reply: the server sends that first, and
    // anything pushed while we subscribe again comes back in the recovery.
    if (sub->state.load() != SubscriptionState::Subscribed) return;
    Publication pub;
    if (!codec_.decodePublication(m.body, m.channel, pub)) return emitError(error_code::BadReply, "unreadable publication");
    deliver(*sub, pub);
  } else if (m.key == "join" || m.key == "leave") {
    ClientInfo info;
    if (!codec_.decodeJoinLeave(m.body, info)) return;
    auto& fn = m.key == "join" ? sub->handlers.onJoin : sub->handlers.onLeave;
    if (fn) fn(info);
  } else if (m.key == "unsubscribe") {
    UnsubscribePushData u;
    if (!codec_.decodeUnsubscribePush(m.body, u)) return;
    if (proto::shouldResubscribe(u.code)) {
      sub->state.store(SubscriptionState::Subscribing);
      sub->subscribeId = 0;
      sendSubscribe(sub);
    } else {
      finishSubscription(sub, u.code, u.reason);
    }
  }
  // "subscribe", "connect", "refresh": server-side subscriptions and
  // unidirectional transports, which this client does not use.
}

}  // namespace herald::client::detail
