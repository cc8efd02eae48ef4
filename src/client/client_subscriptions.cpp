// The subscriptions of a ClientCore: subscribing (again after every
// reconnect, recovering from the last delivered offset), delivering with
// dedupe by offset, reporting gaps, unsubscribing.
#include <algorithm>

#include "client_core.hpp"
#include "herald/proto/codes.hpp"

namespace herald::client::detail {

std::shared_ptr<SubState> ClientCore::addSubscription(std::string channel, SubscriptionHandlers handlers,
                                                      SubscriptionOptions options) {
  std::lock_guard lock(subsMutex_);
  auto it = subs_.find(channel);
  if (it != subs_.end() && it->second->state.load() != SubscriptionState::Unsubscribed) return nullptr;
  auto sub = std::make_shared<SubState>(channel, std::move(handlers), std::move(options));
  if (sub->options.since) {
    sub->hasPosition = true;
    sub->tracking = true;
    sub->offset = sub->options.since->offset;
    sub->epoch = sub->options.since->epoch;
  }
  subs_[std::move(channel)] = sub;
  return sub;
}

std::shared_ptr<SubState> ClientCore::findSub(std::string_view channel) {
  std::lock_guard lock(subsMutex_);
  auto it = subs_.find(channel);
  return it == subs_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<SubState>> ClientCore::allSubs() {
  std::lock_guard lock(subsMutex_);
  std::vector<std::shared_ptr<SubState>> out;
  out.reserve(subs_.size());
  for (const auto& [name, sub] : subs_) out.push_back(sub);
  return out;
}

void ClientCore::startSubscription(const std::shared_ptr<SubState>& sub) {
  if (dead_) return;
  if (phase_ == State::Connected && sub->subscribeId == 0 && sub->state.load() == SubscriptionState::Subscribing)
    sendSubscribe(sub);
}

void ClientCore::sendSubscribe(const std::shared_ptr<SubState>& sub) {
  if (phase_ != State::Connected) return;  // sent once connected
  SubscribeFields f{.channel = sub->channel,
                    .token = sub->options.token,
                    .recover = sub->hasPosition,
                    .epoch = sub->epoch,
                    .offset = sub->offset,
                    .recoverable = sub->options.recoverable,
                    .joinLeave = sub->options.joinLeave};
  auto id = std::make_shared<std::uint32_t>(0);
  std::weak_ptr<SubState> weak = sub;
  *id = command([this, f](std::string& out, std::uint32_t cid) { codec_.encodeSubscribe(out, cid, f); },
                [this, weak, id](const ServerMessage* reply, const Error* error) {
                  if (auto s = weak.lock()) onSubscribeReply(s, *id, reply, error);
                });
  sub->subscribeId = *id;
}

void ClientCore::retrySubscribe(const std::shared_ptr<SubState>& sub) {
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  auto delay = backoffDelay(sub->retryAttempt++, opts_.minReconnectDelay, opts_.maxReconnectDelay, draw(rng_));
  sub->retryAtMs = now() + delay.count();
}

void ClientCore::onSubscribeReply(const std::shared_ptr<SubState>& sub, std::uint32_t id, const ServerMessage* reply,
                                  const Error* error) {
  if (sub->subscribeId != id) return;  // an older attempt
  sub->subscribeId = 0;
  if (sub->state.load() == SubscriptionState::Unsubscribed) {
    // unsubscribe() came while the subscribe was in flight: undo it.
    if (reply && !reply->error && phase_ == State::Connected) {
      std::string channel = sub->channel;
      command([this, channel](std::string& out, std::uint32_t cid) { codec_.encodeUnsubscribe(out, cid, channel); },
              {});
    }
    return;
  }
  auto& h = sub->handlers;
  if (error) {
    if (error->code == error_code::Timeout) {
      if (h.onError) h.onError(*error);
      retrySubscribe(sub);
    }
    return;  // transport closed or client disconnected: subscribes again on connect
  }
  if (reply->error) {
    const Error& e = *reply->error;
    if (h.onError) h.onError(e);
    if (e.temporary) return retrySubscribe(sub);
    if (e.code == static_cast<std::uint32_t>(proto::ErrorCode::UnrecoverablePosition) && sub->hasPosition) {
      reportGap(*sub, {sub->channel, sub->offset, 0, sub->epoch, "", "the server cannot recover from this position"});
      sub->hasPosition = false;
      return sendSubscribe(sub);
    }
    return finishSubscription(sub, e.code, e.message);
  }
  SubscribeResultData r;
  if (!codec_.decodeSubscribeResult(reply->body, sub->channel, r)) {
    if (h.onError) h.onError(makeError(error_code::BadReply, "unreadable subscribe reply"));
    return retrySubscribe(sub);
  }

  if (sub->hasPosition && sub->epoch.empty() && !r.epoch.empty() && !sub->epochLearned) {
    // `since` came without an epoch, so the server could not recover from
    // it. Take the stream's current epoch and subscribe again from the same
    // offset; publications pushed meanwhile are dropped (not Subscribed) and
    // come back in the recovery.
    sub->epochLearned = true;
    sub->epoch = r.epoch;
    std::string channel = sub->channel;
    command([this, channel](std::string& out, std::uint32_t cid) { codec_.encodeUnsubscribe(out, cid, channel); },
              {});
    return sendSubscribe(sub);
  }
  const bool wasRecovering = sub->hasPosition;
  std::optional<GapInfo> gap;
  if (wasRecovering && !r.recovered) {
    GapInfo g{sub->channel, sub->offset, r.publications.empty() ? 0 : r.publications.front().offset, sub->epoch,
              r.epoch, ""};
    if (!r.recoverable || r.epoch.empty())
      g.reason = "the channel keeps no history to recover from";
    else if (sub->epoch.empty())
      g.reason = "the position had no epoch, so the server could not recover from it";
    else if (sub->epoch != r.epoch)
      g.reason = "the channel's history was lost (its epoch changed)";
    else
      g.reason = "the history no longer holds every publication missed";
    gap = std::move(g);
    // The gap is reported once, here; delivery below must not report it again.
    if (sub->epoch != r.epoch) sub->offset = 0;
    if (!r.publications.empty()) sub->offset = r.publications.front().offset - 1;
    else sub->offset = std::max(sub->offset, r.offset);
  }
  sub->epoch = r.epoch;
  sub->tracking = !r.epoch.empty();
  if (!wasRecovering && sub->tracking) sub->offset = r.offset;
  sub->retryAttempt = 0;
  sub->state.store(SubscriptionState::Subscribed);

  const std::uint64_t gen = gen_;
  if (h.onSubscribed)
    h.onSubscribed({sub->channel, r.recoverable, wasRecovering || r.wasRecovering, r.recovered, r.epoch, r.offset});
  if (gap) reportGap(*sub, std::move(*gap));
  for (const Publication& p : r.publications) {
    if (gen != gen_ || sub->state.load() != SubscriptionState::Subscribed) break;
    deliver(*sub, p);
  }
  if (sub->tracking) {
    if (gen == gen_) sub->offset = std::max(sub->offset, r.offset);
    sub->hasPosition = sub->options.recoverable;
  }
  publishPosition(*sub);
}

void ClientCore::deliver(SubState& sub, const Publication& pub) {
  if (sub.tracking && pub.offset > 0) {
    if (pub.offset <= sub.offset) return;  // already delivered
    if (pub.offset > sub.offset + 1)
      reportGap(sub, {sub.channel, sub.offset, pub.offset, sub.epoch, sub.epoch,
                      "publications between these offsets were not delivered"});
    sub.offset = pub.offset;
    publishPosition(sub);  // before the callback, so it sees position() updated
  }
  if (sub.handlers.onPublication) sub.handlers.onPublication(pub);
}

void ClientCore::reportGap(SubState& sub, GapInfo gap) {
  if (sub.handlers.onGap) return sub.handlers.onGap(gap);
  if (!sub.handlers.onError) return;
  std::string msg = "gap in " + sub.channel + ": " + gap.reason + " (after offset " + std::to_string(gap.lastOffset);
  if (gap.nextOffset) msg += ", next delivered " + std::to_string(gap.nextOffset);
  msg += ")";
  sub.handlers.onError(makeError(error_code::Gap, std::move(msg)));
}

void ClientCore::publishPosition(SubState& sub) {
  std::lock_guard lock(sub.positionMutex);
  if (sub.tracking) sub.position = StreamPosition{sub.offset, sub.epoch};
}

void ClientCore::unsubscribe(const std::shared_ptr<SubState>& sub) {
  if (sub->state.load() == SubscriptionState::Unsubscribed) return;
  if (phase_ == State::Connected && sub->state.load() == SubscriptionState::Subscribed) {
    std::string channel = sub->channel;
    command([this, channel](std::string& out, std::uint32_t id) { codec_.encodeUnsubscribe(out, id, channel); }, {});
  }
  finishSubscription(sub, 0, "unsubscribe called");
}

void ClientCore::finishSubscription(const std::shared_ptr<SubState>& sub, std::uint32_t code, std::string reason) {
  sub->state.store(SubscriptionState::Unsubscribed);
  sub->retryAtMs = 0;
  {
    std::lock_guard lock(subsMutex_);
    auto it = subs_.find(sub->channel);
    if (it != subs_.end() && it->second == sub) subs_.erase(it);
  }
  if (!dead_ && sub->handlers.onUnsubscribed) sub->handlers.onUnsubscribed({sub->channel, code, std::move(reason)});
}

}  // namespace herald::client::detail
