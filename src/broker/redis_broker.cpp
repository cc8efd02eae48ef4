// RedisBroker: the calls answered by Redis directly (publish, history,
// presence, control, nodes) and the per-loop links. Channel sync and
// delivery are in redis_sync.cpp.
#include "herald/broker/redis_broker.hpp"

#include <chrono>
#include <unordered_set>

#include "broker_calls.hpp"
#include "channel_survey.hpp"
#include "herald/broker/publication_codec.hpp"
#include "herald/net/loop.hpp"
#include "herald/redis/keys.hpp"
#include "herald/redis/operations.hpp"
#include "redis_channel.hpp"

namespace herald::broker {

using detail::answer;
using detail::internal;

namespace {

// What Redis' trouble looks like to a client: 100, temporary.
Failure redisFailure(const redis::OperationStatus& status) {
  return internal((status.temporary ? "redis unavailable: " : "redis: ") + status.error);
}

bool keepsHistory(const ChannelSetup& s) { return s.limits.size > 0 && s.limits.ttl.count() > 0; }

constexpr std::string_view kClearPrefix = "\x01" "clear ";  // control: a channel's history was removed

std::int64_t microsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

RedisBroker::RedisBroker(BrokerHost& host, std::function<net::Loop&(unsigned)> loopOf, ChannelResolver resolver,
                         RedisBrokerOptions options)
    : host_(host), loopOf_(std::move(loopOf)), resolver_(std::move(resolver)), options_(std::move(options)) {
  if (options_.shards.empty()) throw std::invalid_argument("RedisBroker needs at least one Redis address");
  for (unsigned i = 0; i < host_.loopCount(); ++i) loops_.push_back(std::make_unique<LoopParts>());
}

RedisBroker::~RedisBroker() = default;

unsigned RedisBroker::shardOf(std::string_view channel) const {
  return redis::shardFor(channel, static_cast<unsigned>(options_.shards.size()));
}

redis::Connection& RedisBroker::connection(unsigned loop, unsigned shard) { return *loops_[loop]->connections[shard]; }

void RedisBroker::start() {
  for (unsigned i = 0; i < loops_.size(); ++i) {
    host_.dispatch(i, [this, i] {
      LoopParts& L = *loops_[i];
      net::Loop& loop = loopOf_(i);
      for (unsigned s = 0; s < options_.shards.size(); ++s) {
        auto c = std::make_unique<redis::Connection>(loop, options_.shards[s]);
        // A restarted Redis may have lost what this node keeps alive.
        c->onReconnected([this, i, s] {
          refreshPresence(i);
          if (i == 0 && s == 0) announce();
        });
        if (i == 0)
          c->onStateChange([this, s](redis::State state, const std::string& reason) {
            if (linkObserver_ && (state == redis::State::Connected || state == redis::State::Disconnected))
              linkObserver_(s, state == redis::State::Connected, reason);
          });
        c->start();
        L.connections.push_back(std::move(c));
        auto sub = std::make_unique<redis::Subscriber>(loop, options_.shards[s]);
        sub->onStateChange([this, i, s](redis::State state, const std::string&) {
          if (state == redis::State::Disconnected) onSubscriberLost(i, s);
        });
        sub->onReconnected([this, i, s] { onSubscriberBack(i, s); });
        sub->start();
        L.subscribers.push_back(std::move(sub));
      }
      if (i == 0) {
        L.subscribers[0]->subscribe(std::string(redis::kControlChannel),
                                    [this](std::string_view, std::string_view message) { onControlMessage(message); });
        announce();
        loop.addTimer(options_.announceInterval, [this] { announce(); });
      }
      L.lastPresenceRefreshMs = host_.nowMs();
      loop.addTimer(std::chrono::seconds(1), [this, i] { maintain(i); });
    });
  }
}

void RedisBroker::stop() {
  if (stopped_.exchange(true)) return;
  host_.dispatch(0, [this] {
    if (loops_[0]->connections.empty()) return;
    redis::removeNode(connection(0, 0), nodeName_, [](redis::OperationStatus) {});
  });
}

void RedisBroker::announce() {
  if (stopped_.load() || loops_[0]->connections.empty()) return;
  std::string info = describe_ ? describe_() : "{}";
  redis::announceNode(connection(0, 0), nodeName_, info, options_.announceInterval * 3, [](redis::OperationStatus) {});
}

void RedisBroker::publish(PublishRequest req, unsigned replyLoop, std::function<void(PublishOutcome)> done) {
  host_.dispatch(replyLoop, [this, req = std::move(req), replyLoop, done = std::move(done)]() mutable {
    ChannelSetup setup = resolver_(req.channel);
    std::string payload = encodePublication(detail::takePublication(req));
    redis::Connection& redis = connection(replyLoop, shardOf(req.channel));
    auto started = std::chrono::steady_clock::now();

    if (!keepsHistory(setup)) {
      std::string envelope = redis::encodeEnvelope(redis::kind::Publication, 0, "-", host_.nowMs(), payload);
      redis.command({"PUBLISH", redis::pubsubChannel(req.channel), envelope},
                    [done = std::move(done)](redis::Reply reply) mutable {
                      PublishOutcome out;
                      if (reply.isError()) out.failure = redisFailure({reply.str(), reply.isTransportError()});
                      done(std::move(out));
                    });
      return;
    }
    redis::StreamLimits limits{setup.limits.size, setup.limits.ttl, options_.metaTtl};
    redis::publishToStream(redis, req.channel, payload, limits,
                           [this, started, done = std::move(done)](redis::PublishResult r) mutable {
                             PublishOutcome out;
                             if (!r.ok()) {
                               out.failure = redisFailure(r);
                             } else {
                               out.offset = r.offset;
                               out.epoch = std::move(r.epoch);
                               if (latency_) latency_(std::chrono::microseconds(microsSince(started)));
                             }
                             done(std::move(out));
                           });
  });
}

void RedisBroker::history(HistoryQuery q, unsigned replyLoop, std::function<void(HistoryOutcome)> done) {
  host_.dispatch(replyLoop, [this, q = std::move(q), replyLoop, done = std::move(done)]() mutable {
    ChannelSetup setup = resolver_(q.channel);
    if (!setup.store || !keepsHistory(setup)) {
      HistoryOutcome out;
      out.failure = Failure{proto::ErrorCode::NotAvailable, {}};
      return done(std::move(out));
    }
    // Without a position Redis applies limit and direction; with one, the
    // whole retained window is read and judged like LocalBroker's stream.
    redis::StreamQuery query;
    if (!q.hasSince) {
      query.limit = q.limit;
      query.reverse = q.reverse;
    }
    redis::StreamLimits limits{setup.limits.size, setup.limits.ttl, options_.metaTtl};
    std::string channel = q.channel;  // q moves into the callback
    redis::readStream(
        connection(replyLoop, shardOf(channel)), channel, query, limits,
        [q = std::move(q), setup, done = std::move(done)](redis::StreamResult r) mutable {
          HistoryOutcome out;
          if (!r.ok()) {
            out.failure = redisFailure(r);
            return done(std::move(out));
          }
          out.epoch = r.epoch;
          out.top = r.top;
          detail::ChannelState window;
          window.setup = setup;
          window.epoch = r.epoch;
          window.committed = r.top;
          for (auto& e : r.entries) {
            StoredPublication p = decodePublication(e.payload).value_or(StoredPublication{.data = "null"});
            p.offset = e.offset;
            p.timeMs = e.timeMs;
            window.stream.push_back(std::move(p));
          }
          std::vector<StoredPublication> all;
          if (!q.hasSince) {
            all.assign(window.stream.begin(), window.stream.end());
          } else if (q.sinceEpoch != window.epoch || !window.covers(q.sinceOffset)) {
            out.failure = Failure{proto::ErrorCode::UnrecoverablePosition, {}};
          } else if (q.reverse) {
            for (const auto& p : window.stream)
              if (p.offset < q.sinceOffset) all.push_back(p);
            std::reverse(all.begin(), all.end());
          } else {
            all = window.after(q.sinceOffset);
          }
          if (q.limit >= 0 && all.size() > static_cast<std::size_t>(q.limit)) all.resize(static_cast<std::size_t>(q.limit));
          out.publications = std::move(all);
          done(std::move(out));
        });
  });
}

void RedisBroker::removeHistory(std::string channel, unsigned replyLoop,
                                std::function<void(std::optional<Failure>)> done) {
  host_.dispatch(replyLoop, [this, channel = std::move(channel), replyLoop, done = std::move(done)]() mutable {
    ChannelSetup setup = resolver_(channel);
    if (!setup.store || !keepsHistory(setup)) return done(std::nullopt);
    // The stream goes; the meta (top offset, epoch) stays, so numbering
    // continues. Every node's owner then forgets its copy.
    redis::Connection& redis = connection(replyLoop, shardOf(channel));
    redis.command({"DEL", redis::streamKey(channel)},
                  [this, channel, replyLoop, done = std::move(done)](redis::Reply reply) mutable {
                    if (reply.isError()) return done(redisFailure({reply.str(), reply.isTransportError()}));
                    control(std::string(kClearPrefix) + channel, replyLoop, std::move(done));
                  });
  });
}

void RedisBroker::presence(std::string channel, unsigned replyLoop, std::function<void(PresenceOutcome)> done) {
  host_.dispatch(replyLoop, [this, channel = std::move(channel), replyLoop, done = std::move(done)]() mutable {
    if (!resolver_(channel).presence) {
      PresenceOutcome out;
      out.failure = Failure{proto::ErrorCode::NotAvailable, {}};
      return done(std::move(out));
    }
    redis::presenceGet(connection(replyLoop, shardOf(channel)), channel,
                       [done = std::move(done)](redis::EntriesResult r) mutable {
                         PresenceOutcome out;
                         if (!r.ok()) {
                           out.failure = redisFailure(r);
                           return done(std::move(out));
                         }
                         std::unordered_set<std::string> users;
                         for (const auto& [id, info] : r.entries) {
                           ClientDescription who = decodeClient(info).value_or(ClientDescription{.client = id});
                           users.insert(who.user);
                           out.clients.push_back(std::move(who));
                         }
                         out.numUsers = static_cast<std::uint32_t>(users.size());
                         done(std::move(out));
                       });
  });
}

void RedisBroker::control(std::string message, unsigned replyLoop, std::function<void(std::optional<Failure>)> done) {
  host_.dispatch(replyLoop, [this, message = std::move(message), replyLoop, done = std::move(done)]() mutable {
    std::string envelope = redis::encodeEnvelope(redis::kind::Control, 0, "-", host_.nowMs(), message);
    connection(replyLoop, 0).command({"PUBLISH", redis::kControlChannel, envelope},
                                     [done = std::move(done)](redis::Reply reply) mutable {
                                       if (reply.isError()) return done(redisFailure({reply.str(), reply.isTransportError()}));
                                       done(std::nullopt);
                                     });
  });
}

void RedisBroker::onControlMessage(std::string_view message) {
  auto envelope = redis::decodeEnvelope(message);
  if (!envelope || envelope->kind != redis::kind::Control) return;
  std::string_view payload = envelope->payload;
  if (payload.starts_with(kClearPrefix)) {
    std::string channel(payload.substr(kClearPrefix.size()));
    unsigned owner = ownerLoop(channel, host_.loopCount());
    host_.dispatch(owner, [this, owner, channel] {
      if (Channel* ch = loops_[owner]->find(channel)) ch->state.stream.clear();
    });
    return;
  }
  if (isSurveyMessage(payload)) return onSurveyMessage(payload);
  if (controlHandler_) controlHandler_(payload);
}

void RedisBroker::nodes(unsigned replyLoop, std::function<void(std::vector<NodeDescription>)> done) {
  host_.dispatch(replyLoop, [this, replyLoop, done = std::move(done)]() mutable {
    redis::listNodes(connection(replyLoop, 0), [this, done = std::move(done)](redis::EntriesResult r) mutable {
      std::vector<NodeDescription> all;
      // Redis down: this node still knows itself.
      if (!r.ok()) all.push_back({nodeName_, describe_ ? describe_() : "{}"});
      for (auto& [name, info] : r.entries) all.push_back({std::move(name), std::move(info)});
      done(std::move(all));
    });
  });
}

BrokerStats RedisBroker::stats() const {
  BrokerStats s;
  for (const auto& L : loops_) {
    s.publications += L->publications.load(std::memory_order_relaxed);
    s.channels += L->channelCount.load(std::memory_order_relaxed);
  }
  return s;
}

RedisStats RedisBroker::redisStats() const {
  RedisStats s;
  for (const auto& L : loops_) {
    auto c = [&](int i) { return L->counters[static_cast<std::size_t>(i)].load(std::memory_order_relaxed); };
    s.commands += c(0);
    s.replies += c(1);
    s.serverErrors += c(2);
    s.transportErrors += c(3);
    s.connects += c(4);
    s.messages += c(5);
    s.resyncs += c(6);
    s.resets += c(7);
    s.connected += L->connected.load(std::memory_order_relaxed);
    s.links += L->links.load(std::memory_order_relaxed);
  }
  return s;
}

void RedisBroker::mirrorStats(unsigned loop) {
  LoopParts& L = *loops_[loop];
  std::array<std::uint64_t, 8> sum{};
  std::uint32_t connected = 0;
  auto add = [&](const redis::ConnectionStats& st, redis::State state) {
    sum[0] += st.commands;
    sum[1] += st.replies;
    sum[2] += st.serverErrors;
    sum[3] += st.transportErrors;
    sum[4] += st.connects;
    sum[5] += st.messages;
    if (state == redis::State::Connected) ++connected;
  };
  for (const auto& c : L.connections) add(c->stats(), c->state());
  for (const auto& s : L.subscribers) add(s->stats(), s->state());
  sum[6] = L.resyncs;
  sum[7] = L.resets;
  for (std::size_t i = 0; i < sum.size(); ++i) L.counters[i].store(sum[i], std::memory_order_relaxed);
  L.connected.store(connected, std::memory_order_relaxed);
  L.links.store(static_cast<std::uint32_t>(L.connections.size() + L.subscribers.size()), std::memory_order_relaxed);
}

}  // namespace herald::broker
