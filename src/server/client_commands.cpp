// The commands of the client protocol, each checked against the channel's
// options and the client's credentials, then served by the broker.
#include <spdlog/spdlog.h>

#include "channel_rules.hpp"
#include "client_protocol.hpp"
#include "client_protocol_state.hpp"
#include "herald/broker/publication_views.hpp"

namespace herald::server {

namespace {

constexpr std::string_view kVersion = "herald 0.1";

std::uint32_t ttlFrom(std::int64_t expiresAt, std::int64_t nowSec) {
  if (!expiresAt || expiresAt <= nowSec) return 0;
  return static_cast<std::uint32_t>(expiresAt - nowSec);
}

using SubscribeReply = ClientProtocol::SubscribeReply;

proto::SubscribeResult view(const SubscribeReply& o, const broker::PublicationViews& pubs, std::int64_t nowSec) {
  proto::SubscribeResult r;
  r.expires = o.expiresAt != 0;
  r.ttl = ttlFrom(o.expiresAt, nowSec);
  r.recoverable = o.recoverable;
  r.positioned = o.positioned;
  if (o.outcome.hasHistory && (o.recoverable || o.positioned)) {
    r.epoch = o.outcome.epoch;
    r.offset = o.outcome.top;
  }
  r.publications = pubs.views();
  r.recovered = o.outcome.recovered;
  r.wasRecovering = o.wasRecovering;
  r.delta = o.delta;
  return r;
}

}  // namespace

std::function<bool(std::string_view, std::string_view)> originPolicy(const std::vector<std::string>& allowed) {
  return [allowed](std::string_view origin, std::string_view host) {
    for (const auto& a : allowed)
      if (a == "*" || a == origin) return true;
    if (!allowed.empty()) return false;
    // Same host: the Origin's authority equals the Host header.
    std::size_t scheme = origin.find("://");
    std::string_view authority = scheme == std::string_view::npos ? origin : origin.substr(scheme + 3);
    return !host.empty() && authority == host;
  };
}

const ChannelOptions* ClientProtocol::channelOptions(std::string_view channel, proto::ErrorCode& error) const {
  if (checkChannelName(channel, config_.maxChannelLength) != NameProblem::None) {
    error = proto::ErrorCode::BadRequest;
    return nullptr;
  }
  const ChannelOptions* o = config_.optionsFor(channel);
  if (!o) error = proto::ErrorCode::UnknownChannel;
  return o;
}

void ClientProtocol::handleConnect(Session& s, std::uint32_t id, const proto::ConnectCommand& cmd, std::string& batch) {
  if (s.state != Session::State::Connecting || s.connectPending)
    return disconnect(s, proto::DisconnectCode::BadRequest, "already connected");
  std::int64_t nowSec = nowMs() / 1000;
  Credentials creds;
  if (!cmd.token.empty()) {
    TokenResult t = auth_.connectToken(cmd.token, nowSec, creds);
    if (t.verdict == TokenVerdict::Expired) {
      metrics_.refuse("token_expired");
      return encoder(s).errorReply(batch, id, proto::ErrorCode::TokenExpired);
    }
    if (t.verdict == TokenVerdict::Invalid) {
      if (metrics_.refuse("invalid_token")) spdlog::info("connection token refused: {}", t.reason);
      return disconnect(s, proto::DisconnectCode::InvalidToken);
    }
  } else if (!config_.allowAnonymous && !config_.insecure) {
    if (metrics_.refuse("unauthorized")) spdlog::info("a client connected without a token (anonymous not allowed)");
    return encoder(s).errorReply(batch, id, proto::ErrorCode::Unauthorized);
  }
  LoopState& L = loopState(s.ws->loopIndex());
  s.setClient(L.newClientId());
  s.user = std::move(creds.user);
  s.connInfo = std::move(creds.info);
  s.expiresAt = creds.expiresAt;

  std::vector<std::string> serverChannels;
  for (auto& c : creds.channels) {
    proto::ErrorCode error{};
    if (channelOptions(c, error)) serverChannels.push_back(std::move(c));
  }
  if (serverChannels.empty()) {
    markConnected(s);
    proto::ConnectResult r{.client = s.client(),
                           .version = kVersion,
                           .expires = s.expiresAt != 0,
                           .ttl = ttlFrom(s.expiresAt, nowSec),
                           .ping = static_cast<std::uint32_t>(config_.pingInterval.count()),
                           .pong = true,
                           .node = node_};
    return encoder(s).connectReply(batch, id, r);
  }

  // Server-side subscriptions (the token's `channels`): subscribe to each,
  // recovering from the positions the client sent in `subs`, then answer
  // with all of them at once.
  struct Gather {
    std::vector<std::string> channels;
    std::vector<std::optional<SubscribeReply>> results;
    std::size_t pending = 0;
  };
  auto gather = std::make_shared<Gather>();
  gather->results.resize(serverChannels.size());
  gather->pending = serverChannels.size();
  gather->channels = serverChannels;
  s.connectPending = true;
  for (std::size_t i = 0; i < serverChannels.size(); ++i) {
    SubscribeSpec spec;
    spec.channel = serverChannels[i];
    spec.fromServer = true;
    spec.recoverable = true;
    for (const proto::ConnectSub& pos : cmd.subs) {
      if (pos.channel != spec.channel) continue;
      spec.recover = pos.recover;
      spec.offset = pos.offset;
      spec.epoch = std::string(pos.epoch);
    }
    startSubscribe(s, std::move(spec), [this, id, gather, i](Session& s2, std::optional<proto::ErrorCode> error,
                                                            SubscribeReply& r) {
      if (!error) gather->results[i] = std::move(r);
      if (--gather->pending) return;
      std::int64_t now2 = nowMs() / 1000;
      for (const auto& result : gather->results)
        if (result && !carriesAll(s2, result->outcome.publications)) return;
      markConnected(s2);
      std::vector<std::unique_ptr<broker::PublicationViews>> keep;
      std::vector<proto::ChannelSubscribeResult> subs;
      for (std::size_t k = 0; k < gather->channels.size(); ++k) {
        if (!gather->results[k]) continue;
        keep.push_back(std::make_unique<broker::PublicationViews>(gather->results[k]->outcome.publications));
        subs.push_back({gather->channels[k], view(*gather->results[k], *keep.back(), now2)});
      }
      proto::ConnectResult r2{.client = s2.client(),
                              .version = kVersion,
                              .expires = s2.expiresAt != 0,
                              .ttl = ttlFrom(s2.expiresAt, now2),
                              .subs = subs,
                              .ping = static_cast<std::uint32_t>(config_.pingInterval.count()),
                              .pong = true,
                              .node = node_};
      std::string out;
      encoder(s2).connectReply(out, id, r2);
      send(s2, out);
    });
  }
}

bool ClientProtocol::carriesAll(Session& s, const std::vector<broker::StoredPublication>& publications) {
  const proto::Encoder& e = encoder(s);
  for (const auto& p : publications) {
    if (e.carries(p.data)) continue;
    if (metrics_.refuse("inappropriate_protocol"))
      spdlog::info("client {} speaks {} and a channel carries data it cannot: disconnecting (3506)", s.client(),
                   proto::formatName(s.format));
    disconnect(s, proto::DisconnectCode::InappropriateProtocol);
    return false;
  }
  return true;
}

void ClientProtocol::markConnected(Session& s) {
  s.connectPending = false;
  s.state = Session::State::Connected;
  s.lastPingMs = nowMs();
  metrics_.sessions.fetch_add(1, std::memory_order_relaxed);
  if (!s.user.empty()) loopState(s.ws->loopIndex()).addUser(s);
}

void ClientProtocol::startSubscribe(Session& s, SubscribeSpec spec, SubscribeDone done) {
  LoopState& L = loopState(s.ws->loopIndex());
  proto::ErrorCode ignored{};
  const ChannelOptions& o = *channelOptions(spec.channel, ignored);
  Subscription& sub = s.subscriptions[spec.channel];
  sub.state = Subscription::State::Subscribing;
  sub.generation = ++L.generation;
  sub.fromServer = spec.fromServer;
  sub.expiresAt = spec.expiresAt;
  if (!spec.chanInfo.empty() || spec.delta)
    sub.extras = std::make_unique<Subscription::Extras>(Subscription::Extras{.chanInfo = spec.chanInfo});
  sub.delta = spec.delta;
  if (spec.delta) metrics_.deltaSubscriptions.fetch_add(1, std::memory_order_relaxed);
  sub.presence = o.presence;
  sub.leavePush = o.joinLeave;
  metrics_.subscriptions.fetch_add(1, std::memory_order_relaxed);

  bool history = o.historyEnabled();
  SubscribeReply reply;
  reply.recoverable = history && (spec.recoverable || o.forceRecovery);
  reply.positioned = history && (spec.positioned || o.forcePositioning);
  reply.wasRecovering = spec.recover && reply.recoverable;
  reply.delta = spec.delta;
  reply.expiresAt = spec.expiresAt;
  bool listenJoinLeave = o.joinLeave && (spec.joinLeave || o.forcePushJoinLeave);

  broker::SubscribeRequest req;
  req.channel = spec.channel;
  req.who = {std::string(s.client()), s.user, s.connInfo, spec.chanInfo};
  req.recover = reply.wasRecovering;
  req.offset = spec.offset;
  req.epoch = std::move(spec.epoch);
  req.joinPush = o.joinLeave;
  req.rejectUnrecovered = spec.rejectUnrecovered;
  req.maxRecovered = config_.recoveryMaxPublicationLimit;
  unsigned loop = s.ws->loopIndex();
  broker_.subscribe(std::move(req), loop,
                    [this, loop, serial = s.serial, generation = sub.generation, channel = spec.channel,
                     listenJoinLeave, reply = std::move(reply), done = std::move(done)](broker::SubscribeOutcome out) mutable {
                      Session* s2 = loopState(loop).sessions.find(serial);
                      if (!s2 || s2->state == Session::State::Closed) return;  // onClose undid it
                      auto it = s2->subscriptions.find(channel);
                      // Unsubscribed meanwhile (endSubscription undid it), maybe subscribed again.
                      if (it == s2->subscriptions.end() || it->second.generation != generation) return;
                      if (out.failure) {
                        if (it->second.delta) metrics_.deltaSubscriptions.fetch_sub(1, std::memory_order_relaxed);
                        s2->subscriptions.erase(it);
                        metrics_.subscriptions.fetch_sub(1, std::memory_order_relaxed);
                        // A failed subscribe registered nothing with the broker.
                        SubscribeReply none;
                        return done(*s2, out.failure->code, none);
                      }
                      // Listen before anything else arrives: see broker.hpp.
                      s2->ws->subscribe(it->second.delta ? broker::deltaTopic(channel, s2->format)
                                                         : broker::publicationTopic(channel, s2->format));
                      it->second.joinLeave = listenJoinLeave;
                      if (listenJoinLeave) s2->ws->subscribe(broker::joinLeaveTopic(channel, s2->format));
                      it->second.state = Subscription::State::Subscribed;
                      reply.outcome = std::move(out);
                      done(*s2, std::nullopt, reply);
                    });
}

void ClientProtocol::endSubscription(Session& s, const std::string& channel) {
  auto it = s.subscriptions.find(channel);
  if (it == s.subscriptions.end()) return;
  if (it->second.delta) {
    s.ws->unsubscribe(broker::deltaTopic(channel, s.format));
    metrics_.deltaSubscriptions.fetch_sub(1, std::memory_order_relaxed);
  } else {
    s.ws->unsubscribe(broker::publicationTopic(channel, s.format));
  }
  if (it->second.joinLeave) s.ws->unsubscribe(broker::joinLeaveTopic(channel, s.format));
  broker_.unsubscribe(channel, std::string(s.client()), it->second.leavePush);
  s.subscriptions.erase(it);
  metrics_.subscriptions.fetch_sub(1, std::memory_order_relaxed);
}

void ClientProtocol::handleSubscribe(Session& s, std::uint32_t id, const proto::SubscribeCommand& cmd,
                                     std::string& batch) {
  proto::ErrorCode error{};
  const ChannelOptions* o = channelOptions(cmd.channel, error);
  if (!o) {
    metrics_.refuse(error == proto::ErrorCode::UnknownChannel ? "unknown_channel" : "bad_channel_name");
    return encoder(s).errorReply(batch, id, error);
  }
  std::string channel(cmd.channel);
  if (s.subscriptions.contains(channel)) return encoder(s).errorReply(batch, id, proto::ErrorCode::AlreadySubscribed);
  if (s.subscriptions.size() >= config_.maxSubscriptionsPerConnection) {
    metrics_.refuse("subscription_limit");
    return encoder(s).errorReply(batch, id, proto::ErrorCode::LimitExceeded);
  }

  SubscribeSpec spec;
  spec.channel = channel;
  std::int64_t nowSec = nowMs() / 1000;
  if (!cmd.token.empty()) {
    SubscriptionGrant grant;
    TokenResult t = auth_.subscriptionToken(cmd.token, nowSec, grant);
    if (t.verdict == TokenVerdict::Expired) {
      metrics_.refuse("token_expired");
      return encoder(s).errorReply(batch, id, proto::ErrorCode::TokenExpired);
    }
    if (t.verdict == TokenVerdict::Invalid) {
      if (metrics_.refuse("invalid_subscription_token")) spdlog::info("subscription token refused: {}", t.reason);
      return disconnect(s, proto::DisconnectCode::InvalidToken);
    }
    if (grant.channel != channel || grant.user != s.user || (!grant.client.empty() && grant.client != s.client())) {
      metrics_.refuse("permission_denied");
      return encoder(s).errorReply(batch, id, proto::ErrorCode::PermissionDenied);
    }
    spec.expiresAt = grant.expiresAt;
    spec.chanInfo = std::move(grant.info);
  } else {
    if (!maySubscribeWithoutToken(channel, *o, s.user, config_.insecure)) {
      metrics_.refuse("permission_denied");
      return encoder(s).errorReply(batch, id, proto::ErrorCode::PermissionDenied);
    }
  }
  spec.recover = cmd.recover;
  spec.offset = cmd.offset;
  spec.epoch = std::string(cmd.epoch);
  spec.positioned = cmd.positioned;
  spec.recoverable = cmd.recoverable;
  spec.joinLeave = cmd.joinLeave;
  spec.rejectUnrecovered = (cmd.flag & proto::kSubscribeFlagRejectUnrecovered) != 0;
  if (!cmd.delta.empty()) {
    // As Centrifugo: a type no server knows is a broken client; a known one
    // the namespace does not allow is answered without deltas.
    if (cmd.delta != "fossil") {
      if (metrics_.refuse("unknown_delta_type")) spdlog::info("client {} asked for delta type \"{}\"", s.client(), cmd.delta);
      return disconnect(s, proto::DisconnectCode::BadRequest);
    }
    for (const std::string& type : o->allowedDeltaTypes) spec.delta = spec.delta || type == cmd.delta;
  }
  startSubscribe(s, std::move(spec), [this, id](Session& s2, std::optional<proto::ErrorCode> error, SubscribeReply& r) {
    std::string out;
    if (error) {
      encoder(s2).errorReply(out, id, *error);
    } else {
      if (!carriesAll(s2, r.outcome.publications)) return;
      broker::PublicationViews pubs(r.outcome.publications);
      // A delta subscription's publications, recovered ones too, are whole
      // and, in JSON, strings (what the SDK decodes deltas against).
      if (r.delta) pubs.markDataAsText();
      encoder(s2).subscribeReply(out, id, view(r, pubs, nowMs() / 1000));
    }
    send(s2, out);
  });
}

void ClientProtocol::handleUnsubscribe(Session& s, std::uint32_t id, const proto::UnsubscribeCommand& cmd,
                                       std::string& batch) {
  endSubscription(s, std::string(cmd.channel));
  encoder(s).unsubscribeReply(batch, id);
}

void ClientProtocol::handlePublish(Session& s, std::uint32_t id, const proto::PublishCommand& cmd, std::string& batch) {
  proto::ErrorCode error{};
  const ChannelOptions* o = channelOptions(cmd.channel, error);
  if (!o) return encoder(s).errorReply(batch, id, error);
  if (cmd.data.empty()) return encoder(s).errorReply(batch, id, proto::ErrorCode::BadRequest);
  std::string channel(cmd.channel);
  auto sub = s.subscriptions.find(channel);
  bool subscribed = sub != s.subscriptions.end() && sub->second.state == Subscription::State::Subscribed;
  if (!allowedByOptions(Action::Publish, *o,
                        {.anonymous = s.user.empty(), .subscribed = subscribed, .insecure = config_.insecure})) {
    metrics_.refuse("permission_denied");
    return encoder(s).errorReply(batch, id, proto::ErrorCode::PermissionDenied);
  }
  broker::PublishRequest req;
  req.channel = std::move(channel);
  req.data = std::string(cmd.data);
  req.info = broker::ClientDescription{std::string(s.client()), s.user, s.connInfo, subscribed ? std::string(sub->second.channelInfo()) : std::string()};
  metrics_.publications.fetch_add(1, std::memory_order_relaxed);
  unsigned loop = s.ws->loopIndex();
  broker_.publish(std::move(req), loop, [this, loop, serial = s.serial, id](broker::PublishOutcome out) {
    Session* s2 = loopState(loop).sessions.find(serial);
    if (!s2 || s2->state == Session::State::Closed) return;
    std::string reply;
    if (out.failure) encoder(*s2).errorReply(reply, id, out.failure->code);
    else encoder(*s2).publishReply(reply, id);
    send(*s2, reply);
  });
}

void ClientProtocol::handlePresence(Session& s, std::uint32_t id, std::string_view channelName, bool statsOnly,
                                    std::string& batch) {
  proto::ErrorCode error{};
  const ChannelOptions* o = channelOptions(channelName, error);
  if (!o) return encoder(s).errorReply(batch, id, error);
  if (!o->presence) return encoder(s).errorReply(batch, id, proto::ErrorCode::NotAvailable);
  std::string channel(channelName);
  auto sub = s.subscriptions.find(channel);
  bool subscribed = sub != s.subscriptions.end() && sub->second.state == Subscription::State::Subscribed;
  if (!allowedByOptions(Action::Presence, *o,
                        {.anonymous = s.user.empty(), .subscribed = subscribed, .insecure = config_.insecure})) {
    metrics_.refuse("permission_denied");
    return encoder(s).errorReply(batch, id, proto::ErrorCode::PermissionDenied);
  }
  unsigned loop = s.ws->loopIndex();
  broker_.presence(channel, loop, [this, loop, serial = s.serial, id, statsOnly](broker::PresenceOutcome out) {
    Session* s2 = loopState(loop).sessions.find(serial);
    if (!s2 || s2->state == Session::State::Closed) return;
    std::string reply;
    if (out.failure) {
      encoder(*s2).errorReply(reply, id, out.failure->code);
    } else if (statsOnly) {
      encoder(*s2).presenceStatsReply(reply, id, {static_cast<std::uint32_t>(out.clients.size()), out.numUsers});
    } else {
      std::vector<proto::ClientInfo> infos;
      infos.reserve(out.clients.size());
      for (const auto& c : out.clients) infos.push_back({c.user, c.client, c.connInfo, c.chanInfo});
      encoder(*s2).presenceReply(reply, id, infos);
    }
    send(*s2, reply);
  });
}

void ClientProtocol::handleHistory(Session& s, std::uint32_t id, const proto::HistoryCommand& cmd, std::string& batch) {
  proto::ErrorCode error{};
  const ChannelOptions* o = channelOptions(cmd.channel, error);
  if (!o) return encoder(s).errorReply(batch, id, error);
  if (!o->historyEnabled()) return encoder(s).errorReply(batch, id, proto::ErrorCode::NotAvailable);
  std::string channel(cmd.channel);
  auto sub = s.subscriptions.find(channel);
  bool subscribed = sub != s.subscriptions.end() && sub->second.state == Subscription::State::Subscribed;
  if (!allowedByOptions(Action::History, *o,
                        {.anonymous = s.user.empty(), .subscribed = subscribed, .insecure = config_.insecure})) {
    metrics_.refuse("permission_denied");
    return encoder(s).errorReply(batch, id, proto::ErrorCode::PermissionDenied);
  }
  broker::HistoryQuery q;
  q.channel = std::move(channel);
  // -1 ("all") and anything over the cap get the cap: the SDKs page on
  // with `since` from the last offset they got.
  const auto cap = static_cast<std::int32_t>(std::min<std::uint32_t>(config_.historyMaxPublicationLimit, INT32_MAX));
  q.limit = cmd.limit < 0 || cmd.limit > cap ? cap : cmd.limit;
  q.hasSince = cmd.hasSince;
  q.sinceOffset = cmd.since.offset;
  q.sinceEpoch = std::string(cmd.since.epoch);
  q.reverse = cmd.reverse;
  unsigned loop = s.ws->loopIndex();
  broker_.history(std::move(q), loop, [this, loop, serial = s.serial, id](broker::HistoryOutcome out) {
    Session* s2 = loopState(loop).sessions.find(serial);
    if (!s2 || s2->state == Session::State::Closed) return;
    std::string reply;
    if (out.failure) {
      encoder(*s2).errorReply(reply, id, out.failure->code);
    } else {
      if (!carriesAll(*s2, out.publications)) return;
      broker::PublicationViews pubs(out.publications);
      encoder(*s2).historyReply(reply, id, {pubs.views(), out.epoch, out.top});
    }
    send(*s2, reply);
  });
}

void ClientProtocol::handleRefresh(Session& s, std::uint32_t id, const proto::RefreshCommand& cmd, std::string& batch) {
  std::int64_t nowSec = nowMs() / 1000;
  Credentials creds;
  TokenResult t = auth_.connectToken(cmd.token, nowSec, creds);
  if (t.verdict == TokenVerdict::Expired) return encoder(s).errorReply(batch, id, proto::ErrorCode::TokenExpired);
  if (t.verdict == TokenVerdict::Invalid || creds.user != s.user) {
    if (metrics_.refuse("invalid_token")) spdlog::info("refresh token refused: {}", t.reason.empty() ? "another user" : t.reason);
    return disconnect(s, proto::DisconnectCode::InvalidToken);
  }
  s.expiresAt = creds.expiresAt;
  encoder(s).refreshReply(batch, id,
                            {s.client(), kVersion, s.expiresAt != 0, ttlFrom(s.expiresAt, nowSec)});
}

void ClientProtocol::handleSubRefresh(Session& s, std::uint32_t id, const proto::SubRefreshCommand& cmd,
                                      std::string& batch) {
  auto it = s.subscriptions.find(std::string(cmd.channel));
  if (it == s.subscriptions.end()) return encoder(s).errorReply(batch, id, proto::ErrorCode::BadRequest);
  std::int64_t nowSec = nowMs() / 1000;
  SubscriptionGrant grant;
  TokenResult t = auth_.subscriptionToken(cmd.token, nowSec, grant);
  if (t.verdict == TokenVerdict::Expired) return encoder(s).errorReply(batch, id, proto::ErrorCode::TokenExpired);
  if (t.verdict == TokenVerdict::Invalid || grant.channel != cmd.channel || grant.user != s.user) {
    if (metrics_.refuse("invalid_subscription_token")) spdlog::info("subscription refresh token refused: {}", t.reason);
    return disconnect(s, proto::DisconnectCode::InvalidToken);
  }
  it->second.expiresAt = grant.expiresAt;
  encoder(s).subRefreshReply(batch, id, {grant.expiresAt != 0, ttlFrom(grant.expiresAt, nowSec)});
}

}  // namespace herald::server
