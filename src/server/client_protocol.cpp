// Sessions of the client protocol: opening, decoding frames, the command
// rate limit, server pings and client pongs, expiry, and closing.
#include "client_protocol.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "herald/http/request.hpp"
#include "client_protocol_state.hpp"

namespace herald::server {

namespace {

constexpr std::int64_t kStaleMs = 10'000;         // connect must come this soon after the upgrade
constexpr std::int64_t kExpiryGraceSec = 5;       // a refresh may come this late

}  // namespace

ClientProtocol::ClientProtocol(const ServerConfig& config, App& app, broker::Broker& broker, const AuthGate& auth,
                               Metrics& metrics)
    : config_(config), app_(app), broker_(broker), auth_(auth), metrics_(metrics) {
  node_ = config.nodeName;
  for (unsigned i = 0; i < app.threads(); ++i) {
    // The decoder's channel limit is only a guard against absurd input; a
    // name over client.max_channel_length is refused per command (107), as
    // Centrifugo does, not with a disconnect.
    auto state = std::make_unique<LoopState>(proto::DecodeLimits{.maxChannelBytes = 16 * 1024});
    state->rng.seed(std::random_device{}() ^ (static_cast<std::uint64_t>(i) << 32));
    loops_.push_back(std::move(state));
  }
}

ClientProtocol::~ClientProtocol() = default;

std::int64_t ClientProtocol::nowMs() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

WsBehavior ClientProtocol::behavior() {
  WsBehavior b;
  b.open = [this](WebSocket& ws) { onOpen(ws); };
  b.message = [this](WebSocket& ws, std::string_view payload, ws::Opcode opcode) { onMessage(ws, payload, opcode); };
  b.close = [this](WebSocket& ws, std::uint16_t code, std::string_view) { onClose(ws, code); };
  // The format: the SDKs ask for Protobuf with the subprotocol (echoed in
  // the 101, and only when asked for); `format=protobuf` or
  // `cf_protocol=protobuf` in the query does it without one.
  b.subprotocols = {std::string(proto::kJsonSubprotocol), std::string(proto::kProtobufSubprotocol)};
  b.upgrade = [](const http::Request& request) -> std::any {
    for (std::string_view name : {"format", "cf_protocol"})
      if (http::queryParameter(request.query, name) == "protobuf") return proto::Format::Protobuf;
    return {};
  };
  b.maxMessageBytes = config_.maxMessageBytes;
  b.maxBackpressureBytes = config_.writeQueueBytes;
  b.maxControlFramesPerSecond = static_cast<std::uint16_t>(config_.controlFramesPerSecond);
  b.slowConsumerCloseCode = static_cast<std::uint16_t>(proto::DisconnectCode::Slow);
  b.slowConsumerReason = "slow";
  // The protocol's own pings ({} every pingInterval) keep the connection
  // alive; the engine's idle timeout only catches peers that vanished.
  b.idleTimeout = config_.pingInterval * 2 + config_.pongTimeout * 2;
  b.allowOrigin = originPolicy(config_.allowedOrigins);
  // With a namespace whose slow subscribers skip publications, the engine
  // reports drops instead of closing, and the policy is applied per channel.
  bool skip = config_.channel.slowConsumer == SlowConsumerPolicy::Skip;
  for (const auto& ns : config_.namespaces) skip = skip || ns.options.slowConsumer == SlowConsumerPolicy::Skip;
  if (skip) {
    b.closeOnBackpressureLimit = false;
    b.dropped = [this](WebSocket& ws, std::string_view topic) { onDropped(ws, topic); };
    b.drain = [this](WebSocket& ws) { onDrain(ws); };
  }
  return b;
}

void ClientProtocol::startTimers() {
  for (unsigned i = 0; i < app_.threads(); ++i) {
    app_.deferTo(i, [this, i] { app_.loop(i).addTimer(std::chrono::seconds(1), [this, i] { sweep(i); }); });
  }
}

void ClientProtocol::onOpen(WebSocket& ws) {
  LoopState& L = loopState(ws.loopIndex());
  auto s = std::make_unique<Session>();
  s->ws = &ws;
  // The subprotocol the SDKs send, or the query parameter (b.upgrade above).
  const auto* fromQuery = std::any_cast<proto::Format>(&ws.userData());
  if (ws.subprotocol() == proto::kProtobufSubprotocol || (fromQuery && *fromQuery == proto::Format::Protobuf))
    s->format = proto::Format::Protobuf;
  metrics_.openByFormat[static_cast<std::size_t>(s->format)].fetch_add(1, std::memory_order_relaxed);
  s->openedMs = nowMs();
  s->tokens = static_cast<float>(config_.commandBurst);
  s->tokensAtMs = s->openedMs;
  ws.userData() = L.sessions.add(std::move(s))->serial;
}

void ClientProtocol::onMessage(WebSocket& ws, std::string_view payload, ws::Opcode opcode) {
  LoopState& L = loopState(ws.loopIndex());
  Session* s = L.sessions.find(std::any_cast<std::uint64_t>(ws.userData()));
  if (!s || s->state == Session::State::Closed) return;
  // JSON sessions take either kind of frame, as Centrifugo's do; Protobuf
  // ones only binary frames, since a text frame cannot be theirs.
  if (s->format == proto::Format::Protobuf && opcode == ws::Opcode::Text) {
    if (metrics_.refuse("bad_request")) spdlog::info("client {} sent a text frame on a Protobuf connection", s->client());
    return disconnect(*s, proto::DisconnectCode::BadRequest, "binary frames expected (protobuf)");
  }

  proto::DecodeResult r = L.codecs.decoder(s->format).decode(payload, L.commands);
  std::string& batch = L.batch;
  batch.clear();
  L.batchSerial = s->serial;
  std::int64_t now = nowMs();
  std::uint64_t serial = s->serial;
  for (std::size_t i = 0; i < r.count; ++i) {
    if (rateLimited(*s, now)) {
      if (metrics_.refuse("too_many_requests")) spdlog::warn("client {} over the command rate limit", s->client());
      sendReplyError(*s, L.commands[i].id, proto::ErrorCode::TooManyRequests);
      // A client that keeps going after its burst is gone is cut off.
      if (s->tokens < -static_cast<double>(config_.commandBurst)) {
        disconnect(*s, proto::DisconnectCode::TooManyRequests);
        return;
      }
      continue;
    }
    metrics_.commands.fetch_add(1, std::memory_order_relaxed);
    handle(*s, L.commands[i], batch);
    // A command may have closed the session (and freed it).
    s = L.sessions.find(serial);
    if (!s || s->state == Session::State::Closed) return;
  }
  L.batchSerial = 0;
  if (!batch.empty()) send(*s, batch);
  if (r.kind == proto::DecodeResult::Error) {
    if (metrics_.refuse("bad_request")) spdlog::info("client {} sent a bad frame: {}", s->client(), r.reason);
    disconnect(*s, r.disconnect, r.reason);
  }
}

bool ClientProtocol::rateLimited(Session& s, std::int64_t now) {
  double elapsed = static_cast<double>(now - s.tokensAtMs) / 1000.0;
  s.tokensAtMs = now;
  s.tokens = static_cast<float>(std::min<double>(config_.commandBurst, s.tokens + elapsed * config_.commandsPerSecond));
  s.tokens -= 1;
  return s.tokens < 0;
}

void ClientProtocol::handle(Session& s, const proto::Command& cmd, std::string& batch) {
  if (s.state == Session::State::Connecting && !std::holds_alternative<proto::ConnectCommand>(cmd.body)) {
    if (std::holds_alternative<proto::PongCommand>(cmd.body)) return;
    if (metrics_.refuse("command_before_connect")) spdlog::info("a client sent a command before connect");
    return disconnect(s, proto::DisconnectCode::BadRequest, "connect first");
  }
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, proto::PongCommand>) {
          s.awaitingPong = false;
        } else if constexpr (std::is_same_v<T, proto::ConnectCommand>) {
          handleConnect(s, cmd.id, body, batch);
        } else if constexpr (std::is_same_v<T, proto::SubscribeCommand>) {
          handleSubscribe(s, cmd.id, body, batch);
        } else if constexpr (std::is_same_v<T, proto::UnsubscribeCommand>) {
          handleUnsubscribe(s, cmd.id, body, batch);
        } else if constexpr (std::is_same_v<T, proto::PublishCommand>) {
          handlePublish(s, cmd.id, body, batch);
        } else if constexpr (std::is_same_v<T, proto::PresenceCommand>) {
          handlePresence(s, cmd.id, body.channel, false, batch);
        } else if constexpr (std::is_same_v<T, proto::PresenceStatsCommand>) {
          handlePresence(s, cmd.id, body.channel, true, batch);
        } else if constexpr (std::is_same_v<T, proto::HistoryCommand>) {
          handleHistory(s, cmd.id, body, batch);
        } else if constexpr (std::is_same_v<T, proto::PingCommand>) {
          encoder(s).pingReply(batch, cmd.id);
        } else if constexpr (std::is_same_v<T, proto::SendCommand>) {
          // Asynchronous messages need an application handler; without one
          // they are accepted and dropped (docs/protocol.md).
        } else if constexpr (std::is_same_v<T, proto::RpcCommand>) {
          encoder(s).errorReply(batch, cmd.id, proto::ErrorCode::NotAvailable);
        } else if constexpr (std::is_same_v<T, proto::RefreshCommand>) {
          handleRefresh(s, cmd.id, body, batch);
        } else if constexpr (std::is_same_v<T, proto::SubRefreshCommand>) {
          handleSubRefresh(s, cmd.id, body, batch);
        }
      },
      cmd.body);
}

void ClientProtocol::send(Session& s, std::string_view frame) {
  // Replies collected for this session's current frame go first, so that
  // everything leaves in the order it was decided.
  LoopState& L = loopState(s.ws->loopIndex());
  if (L.batchSerial == s.serial && !L.batch.empty() && frame.data() != L.batch.data()) {
    std::string earlier = std::move(L.batch);
    L.batch.clear();
    send(s, earlier);
  }
  const ws::Opcode opcode = s.format == proto::Format::Protobuf ? ws::Opcode::Binary : ws::Opcode::Text;
  if (s.ws->send(frame, opcode) == SendResult::Dropped && s.state != Session::State::Closed) {
    // Over the write queue's limit (only with slow_consumer = "skip"
    // somewhere; otherwise the engine drops the connection itself).
    if (metrics_.refuse("slow")) spdlog::info("client {} is too slow: disconnecting", s.client());
    disconnectLater(s, proto::DisconnectCode::Slow);
  }
}

void ClientProtocol::disconnectLater(Session& s, proto::DisconnectCode code) {
  unsigned loop = s.ws->loopIndex();
  app_.deferTo(loop, [this, loop, serial = s.serial, code] {
    if (Session* s2 = loopState(loop).sessions.find(serial)) disconnect(*s2, code);
  });
}

void ClientProtocol::onDropped(WebSocket& ws, std::string_view topic) {
  LoopState& L = loopState(ws.loopIndex());
  Session* s = L.sessions.find(std::any_cast<std::uint64_t>(ws.userData()));
  if (!s || s->state != Session::State::Connected) return;
  broker::TopicKind kind = broker::topicKind(topic);
  if (kind.joinLeave) return;  // a join/leave push: presence is there to ask
  std::string channel(kind.channel);
  const ChannelOptions* o = config_.optionsFor(channel);
  if (!o || o->slowConsumer == SlowConsumerPolicy::Disconnect) {
    if (metrics_.refuse("slow")) spdlog::info("client {} is too slow: disconnecting", s->client());
    return disconnect(*s, proto::DisconnectCode::Slow);
  }
  auto it = s->subscriptions.find(channel);
  if (it == s->subscriptions.end() || it->second.lagging) return;
  // Skip: stop delivering to it; once its queue drains it is told to
  // subscribe again, and recovers the gap from history.
  metrics_.refuse("slow_skipped");
  it->second.lagging = true;
  ws.unsubscribe(broker::publicationTopic(channel, s->format));
  if (it->second.joinLeave) ws.unsubscribe(broker::joinLeaveTopic(channel, s->format));
  it->second.joinLeave = false;
}

void ClientProtocol::onDrain(WebSocket& ws) {
  LoopState& L = loopState(ws.loopIndex());
  Session* s = L.sessions.find(std::any_cast<std::uint64_t>(ws.userData()));
  if (!s || s->state != Session::State::Connected) return;
  std::vector<std::string> lagging;
  for (auto& [channel, sub] : s->subscriptions)
    if (sub.lagging) lagging.push_back(channel);
  const auto& info = proto::unsubscribeInfo(proto::UnsubscribeCode::InsufficientState);
  for (const auto& channel : lagging) {
    endSubscription(*s, channel);
    std::string push;
    encoder(*s).unsubscribePush(push, channel, {static_cast<std::uint32_t>(info.code), info.reason});
    send(*s, push);
  }
}

void ClientProtocol::sendReplyError(Session& s, std::uint32_t id, proto::ErrorCode code) {
  std::string out;
  encoder(s).errorReply(out, id, code);
  send(s, out);
}

void ClientProtocol::disconnect(Session& s, proto::DisconnectCode code, std::string_view reason) {
  if (s.state == Session::State::Closed) return;
  const proto::DisconnectInfo& info = proto::disconnectInfo(code);
  // The close callback (onClose) runs inside close() and frees the session.
  s.ws->close(static_cast<std::uint16_t>(code), reason.empty() ? info.reason : reason);
}

void ClientProtocol::onClose(WebSocket& ws, std::uint16_t) {
  LoopState& L = loopState(ws.loopIndex());
  Session* s = L.sessions.find(std::any_cast<std::uint64_t>(ws.userData()));
  if (!s) return;
  if (s->state == Session::State::Connected) metrics_.sessions.fetch_sub(1, std::memory_order_relaxed);
  metrics_.openByFormat[static_cast<std::size_t>(s->format)].fetch_sub(1, std::memory_order_relaxed);
  s->state = Session::State::Closed;
  // Leave every channel: presence entries go, leave pushes go out.
  for (auto& [channel, sub] : s->subscriptions) {
    broker_.unsubscribe(channel, std::string(s->client()), sub.leavePush);
    metrics_.subscriptions.fetch_sub(1, std::memory_order_relaxed);
    if (sub.delta) metrics_.deltaSubscriptions.fetch_sub(1, std::memory_order_relaxed);
  }
  s->subscriptions.clear();
  if (!s->user.empty()) L.removeUser(*s);
  L.sessions.remove(s);
}

void ClientProtocol::sweep(unsigned loop) {
  LoopState& L = loopState(loop);
  std::int64_t now = nowMs();
  std::int64_t nowSec = now / 1000;
  const std::int64_t pingMs = std::chrono::duration_cast<std::chrono::milliseconds>(config_.pingInterval).count();
  const std::int64_t pongMs = std::chrono::duration_cast<std::chrono::milliseconds>(config_.pongTimeout).count();
  // Collect first: disconnecting removes sessions from the table.
  std::vector<std::pair<std::uint64_t, proto::DisconnectCode>> doomed;
  L.sessions.forEach([&](Session& s) {
    if (s.state == Session::State::Connecting) {
      if (!s.connectPending && now - s.openedMs >= kStaleMs) doomed.emplace_back(s.serial, proto::DisconnectCode::Stale);
      return;
    }
    if (s.state != Session::State::Connected) return;
    if (s.expiresAt && nowSec >= s.expiresAt + kExpiryGraceSec) {
      doomed.emplace_back(s.serial, proto::DisconnectCode::Expired);
      return;
    }
    if (s.awaitingPong && now - s.lastPingMs >= pongMs) {
      doomed.emplace_back(s.serial, proto::DisconnectCode::NoPong);
      return;
    }
    for (auto& [channel, sub] : s.subscriptions) {
      if (sub.expiresAt && nowSec >= sub.expiresAt + kExpiryGraceSec) {
        doomed.emplace_back(s.serial, proto::DisconnectCode::SubscriptionExpired);
        break;
      }
    }
    if (now - s.lastPingMs >= pingMs) {
      s.lastPingMs = now;
      s.awaitingPong = true;
      std::string ping;
      encoder(s).serverPing(ping);
      send(s, ping);
    }
  });
  for (auto [serial, code] : doomed) {
    if (Session* s = L.sessions.find(serial)) {
      if (metrics_.refuse(proto::disconnectInfo(code).name))
        spdlog::info("disconnecting client {}: {}", s->client(), proto::disconnectInfo(code).reason);
      disconnect(*s, code);
    }
  }
  broker_.sweep(std::chrono::seconds(30));
}

}  // namespace herald::server

namespace herald::server {

std::vector<std::uint64_t> ClientProtocol::targets(LoopState& L, const std::string& user, const std::string& client) {
  std::vector<std::uint64_t> out;
  if (!user.empty()) {
    if (auto it = L.byUser.find(user); it != L.byUser.end()) out = it->second;
  } else if (!client.empty()) {
    // Anonymous connections are not indexed (it would cost memory for each
    // of them); the server API reaches one by its client id, rarely.
    L.sessions.forEach([&](Session& s) {
      if (s.user.empty() && s.client() == client) out.push_back(s.serial);
    });
  }
  return out;
}

void ClientProtocol::disconnectUser(std::string user, std::string client, std::uint32_t code, std::string reason) {
  for (unsigned i = 0; i < app_.threads(); ++i) {
    app_.deferTo(i, [this, i, user, client, code, reason] {
      LoopState& L = loopState(i);
      for (std::uint64_t serial : targets(L, user, client)) {
        Session* s = L.sessions.find(serial);
        if (!s || (!client.empty() && s->client() != client) || s->state == Session::State::Closed) continue;
        s->ws->close(static_cast<std::uint16_t>(code), reason);
      }
    });
  }
}

void ClientProtocol::unsubscribeUser(std::string user, std::string client, std::string channel) {
  for (unsigned i = 0; i < app_.threads(); ++i) {
    app_.deferTo(i, [this, i, user, client, channel] {
      LoopState& L = loopState(i);
      for (std::uint64_t serial : targets(L, user, client)) {
        Session* s = L.sessions.find(serial);
        if (!s || (!client.empty() && s->client() != client) || !s->subscriptions.contains(channel)) continue;
        endSubscription(*s, channel);
        std::string push;
        const auto& info = proto::unsubscribeInfo(proto::UnsubscribeCode::Server);
        encoder(*s).unsubscribePush(push, channel, {static_cast<std::uint32_t>(info.code), info.reason});
        send(*s, push);
      }
    });
  }
}

void ClientProtocol::apply(const ControlMessage& m) {
  switch (m.op) {
    case ControlMessage::Op::Disconnect:
      return disconnectUser(m.user, m.client, m.code, m.reason);
    case ControlMessage::Op::Unsubscribe:
      return unsubscribeUser(m.user, m.client, m.channel);
    case ControlMessage::Op::Subscribe:
      return subscribeUser(m.user, m.client, m.channel);
    case ControlMessage::Op::Refresh:
      return refreshUser(m.user, m.client, m.expireAt, m.expired);
  }
}

void ClientProtocol::resetChannel(std::string channel) {
  for (unsigned i = 0; i < app_.threads(); ++i) {
    app_.deferTo(i, [this, i, channel] {
      LoopState& L = loopState(i);
      std::vector<std::uint64_t> serials;
      L.sessions.forEach([&](Session& s) {
        if (s.subscriptions.contains(channel)) serials.push_back(s.serial);
      });
      const auto& info = proto::unsubscribeInfo(proto::UnsubscribeCode::InsufficientState);
      for (std::uint64_t serial : serials) {
        Session* s = L.sessions.find(serial);
        if (!s || !s->subscriptions.contains(channel)) continue;
        endSubscription(*s, channel);
        std::string push;
        encoder(*s).unsubscribePush(push, channel, {static_cast<std::uint32_t>(info.code), info.reason});
        send(*s, push);
      }
    });
  }
}

void ClientProtocol::refuseFormat(std::string channel, proto::Format format) {
  // Through the engine's topics: the cost is the subscribers of that format,
  // none at all on a loop where the channel has none.
  auto refuse = [this, channel, format](WebSocket& ws) {
    LoopState& L = loopState(ws.loopIndex());
    const auto* serial = std::any_cast<std::uint64_t>(&ws.userData());
    Session* s = serial ? L.sessions.find(*serial) : nullptr;
    if (!s || s->state == Session::State::Closed || s->format != format) return;
    if (metrics_.refuse("inappropriate_protocol"))
      spdlog::info("channel {} carries data {} cannot carry: its {} subscribers are disconnected (3506)", channel,
                   proto::formatName(format), proto::formatName(format));
    disconnect(*s, proto::DisconnectCode::InappropriateProtocol);
  };
  app_.forEachSubscriber(broker::publicationTopic(channel, format), refuse);
  app_.forEachSubscriber(broker::deltaTopic(channel, format), refuse);
}

void ClientProtocol::deliverDelta(std::string channel, proto::Format format, std::uint64_t seq,
                                  std::shared_ptr<const broker::BrokerHost::DeltaFrames> frames) {
  app_.forEachSubscriber(broker::deltaTopic(channel, format), [this, channel, seq, frames](WebSocket& ws) {
    LoopState& L = loopState(ws.loopIndex());
    const auto* serial = std::any_cast<std::uint64_t>(&ws.userData());
    Session* s = serial ? L.sessions.find(*serial) : nullptr;
    if (!s || s->state == Session::State::Closed) return;
    auto it = s->subscriptions.find(channel);
    if (it == s->subscriptions.end() || !it->second.delta || !it->second.extras) return;
    std::uint64_t& last = it->second.extras->deltaSeq;
    // The delta only to whom received the publication it was made from;
    // everyone else (new, or after a gap) gets the whole data.
    bool chained = last != 0 && last + 1 == seq && !frames->delta.empty();
    last = seq;
    send(*s, chained ? frames->delta : frames->full);
  });
}

void ClientProtocol::subscribeUser(std::string user, std::string client, std::string channel) {
  for (unsigned i = 0; i < app_.threads(); ++i) {
    app_.deferTo(i, [this, i, user, client, channel] {
      LoopState& L = loopState(i);
      for (std::uint64_t serial : targets(L, user, client)) {
        Session* s = L.sessions.find(serial);
        if (!s || (!client.empty() && s->client() != client) || s->subscriptions.contains(channel)) continue;
        SubscribeSpec spec;
        spec.channel = channel;
        spec.fromServer = true;
        spec.recoverable = true;
        startSubscribe(*s, std::move(spec), [this, channel](Session& s2, std::optional<proto::ErrorCode> error,
                                                            SubscribeReply& r) {
          if (error) return;
          std::string push;
          encoder(s2).subscribePush(push, channel,
                                     {.recoverable = r.recoverable,
                                      .epoch = r.outcome.hasHistory && r.recoverable ? std::string_view(r.outcome.epoch) : "",
                                      .offset = r.outcome.hasHistory && r.recoverable ? r.outcome.top : 0,
                                      .positioned = r.positioned});
          send(s2, push);
        });
      }
    });
  }
}

void ClientProtocol::refreshUser(std::string user, std::string client, std::int64_t expireAt, bool expired) {
  if (expired) {
    const auto& info = proto::disconnectInfo(proto::DisconnectCode::Expired);
    return disconnectUser(std::move(user), std::move(client), static_cast<std::uint32_t>(info.code),
                          std::string(info.reason));
  }
  for (unsigned i = 0; i < app_.threads(); ++i) {
    app_.deferTo(i, [this, i, user, client, expireAt] {
      LoopState& L = loopState(i);
      std::int64_t nowSec = nowMs() / 1000;
      for (std::uint64_t serial : targets(L, user, client)) {
        Session* s = L.sessions.find(serial);
        if (!s || (!client.empty() && s->client() != client)) continue;
        s->expiresAt = expireAt;
        std::string push;
        encoder(*s).refreshPush(
            push, {expireAt != 0, expireAt > nowSec ? static_cast<std::uint32_t>(expireAt - nowSec) : 0});
        send(*s, push);
      }
    });
  }
}

}  // namespace herald::server
