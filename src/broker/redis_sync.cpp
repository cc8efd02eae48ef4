// RedisBroker: channels on their owner loops, kept in sync with Redis
// (redis_broker.hpp has the argument; docs/redis.md the whole design).
#include <algorithm>

#include "broker_calls.hpp"
#include "herald/broker/publication_codec.hpp"
#include "herald/broker/publication_views.hpp"
#include "herald/broker/redis_broker.hpp"
#include "herald/redis/keys.hpp"
#include "herald/redis/operations.hpp"
#include "redis_channel.hpp"

namespace herald::broker {

using detail::answer;
using detail::internal;

namespace {

StoredPublication decodeEntry(std::uint64_t offset, std::int64_t timeMs, std::string_view payload) {
  // A payload no Herald node wrote still takes its offset, so that the
  // stream stays whole; it shows as null.
  StoredPublication p = decodePublication(payload).value_or(StoredPublication{.data = "null"});
  p.offset = offset;
  p.timeMs = timeMs;
  return p;
}

// Replaces the epoch when Redis came back with a top offset below what was
// delivered under it (restored from an old snapshot, a failover that lost
// writes): new publications must not reuse offsets clients have seen.
constexpr const char* kGuardScript = R"lua(
local e = redis.call('HGET', KEYS[1], 'e')
local s = tonumber(redis.call('HGET', KEYS[1], 's') or '0')
if e == ARGV[1] and s < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'e', ARGV[3])
  return ARGV[3]
end
return e or ''
)lua";

}  // namespace

RedisBroker::Channel* RedisBroker::channelFor(unsigned owner, const std::string& name) {
  LoopParts& L = *loops_[owner];
  if (Channel* ch = L.find(name)) {
    ch->state.lastActiveMs = host_.nowMs();
    return ch;
  }
  auto made = std::make_unique<Channel>();
  Channel& ch = *made;
  ch.name = name;
  ch.topic = redis::pubsubChannel(name);
  ch.shard = shardOf(name);
  ch.state.setup = resolver_(name);
  ch.state.hasHistory = ch.state.setup.store && ch.state.setup.limits.size > 0 && ch.state.setup.limits.ttl.count() > 0;
  ch.state.lastActiveMs = host_.nowMs();
  L.channels.emplace(name, std::move(made));
  L.countChannels();
  startSync(owner, ch);
  return &ch;
}

void RedisBroker::startSync(unsigned owner, Channel& ch) {
  ch.phase = Channel::Phase::Subscribing;
  ch.syncStartedMs = host_.nowMs();
  if (ch.subscribed) {
    if (ch.confirmed) readAfterConfirm(owner, ch);
    return;  // the confirmation (or the subscriber's reconnect) reads
  }
  ch.subscribed = true;
  std::string name = ch.name;
  loops_[owner]->subscribers[ch.shard]->subscribe(
      ch.topic, [this, owner, name](std::string_view, std::string_view message) { onMessage(owner, name, message); },
      [this, owner, name](redis::Reply) {
        Channel* c = loops_[owner]->find(name);
        if (!c || c->confirmed) return;
        c->confirmed = true;
        readAfterConfirm(owner, *c);
      });
}

void RedisBroker::readAfterConfirm(unsigned owner, Channel& ch) {
  ch.phase = Channel::Phase::Reading;
  ch.readFailed = false;
  std::uint64_t generation = ++ch.generation;
  if (!ch.state.hasHistory) {
    ch.positioned = true;
    return drainBuffered(owner, ch);
  }
  redis::StreamQuery query;
  query.since = ch.positioned ? ch.state.committed : 0;
  const HistoryLimits& limits = ch.state.setup.limits;
  redis::readStream(connection(owner, ch.shard), ch.name, query, {limits.size, limits.ttl, options_.metaTtl},
                    [this, owner, name = ch.name, generation](redis::StreamResult r) {
                      Channel* c = loops_[owner]->find(name);
                      if (!c || c->generation != generation || c->phase != Channel::Phase::Reading) return;
                      if (!r.ok()) {
                        c->readFailed = true;  // the maintenance tick tries again
                        return;
                      }
                      std::vector<StoredPublication> read;
                      read.reserve(r.entries.size());
                      for (const auto& e : r.entries) read.push_back(decodeEntry(e.offset, e.timeMs, e.payload));
                      applyRead(owner, *c, r.top, std::move(r.epoch), std::move(read));
                    });
}

void RedisBroker::applyRead(unsigned owner, Channel& ch, std::uint64_t top, std::string epoch,
                            std::vector<StoredPublication> read) {
  detail::ChannelState& st = ch.state;
  if (!ch.positioned) {
    st.epoch = std::move(epoch);
    st.committed = top;
    st.stream.assign(std::make_move_iterator(read.begin()), std::make_move_iterator(read.end()));
    st.trim(host_.nowMs());
    ch.positioned = true;
    return drainBuffered(owner, ch);
  }
  if (epoch != st.epoch || top < st.committed) {
    // The stream this node delivered from is gone (a new epoch), or Redis
    // came back with less than was delivered: start over from Redis' view.
    if (epoch == st.epoch) return guardLowerTop(owner, ch);
    resetSubscribers(owner, ch, "the channel's epoch changed");
    ch.positioned = false;
    st.stream.clear();
    return readAfterConfirm(owner, ch);
  }
  if (top > st.committed) {
    if (read.empty() || read.front().offset != st.committed + 1) {
      // Trimmed or expired before this node could read it.
      st.stream.assign(std::make_move_iterator(read.begin()), std::make_move_iterator(read.end()));
      st.committed = top;
      resetSubscribers(owner, ch, "the stream no longer holds the missed publications");
    } else {
      for (auto& p : read) deliver(owner, ch, std::move(p));
    }
  }
  drainBuffered(owner, ch);
}

void RedisBroker::guardLowerTop(unsigned owner, Channel& ch) {
  std::string fresh = redis::newEpoch();
  connection(owner, ch.shard)
      .command({"EVAL", kGuardScript, "1", redis::metaKey(ch.name), ch.state.epoch, std::to_string(ch.state.committed),
                fresh},
               [this, owner, name = ch.name](redis::Reply) {
                 Channel* c = loops_[owner]->find(name);
                 if (!c) return;
                 // Whatever the script found, the next read sees the epoch
                 // to follow; a failed call is retried by the tick.
                 resetSubscribers(owner, *c, "Redis lost publications this node delivered");
                 c->positioned = false;
                 c->state.stream.clear();
                 readAfterConfirm(owner, *c);
               });
}

void RedisBroker::drainBuffered(unsigned owner, Channel& ch) {
  std::vector<Channel::Buffered> pending = std::move(ch.buffered);
  ch.buffered.clear();
  std::stable_sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  bool again = false;
  for (auto& b : pending) {
    if (!ch.state.hasHistory) {
      deliver(owner, ch, decodeEntry(0, b.timeMs, b.payload));
    } else if (b.epoch != ch.state.epoch) {
      again = b.offset > ch.state.committed || again;  // from another life: the next read tells which
    } else if (b.offset == ch.state.committed + 1) {
      deliver(owner, ch, decodeEntry(b.offset, b.timeMs, b.payload));
    } else if (b.offset > ch.state.committed + 1) {
      again = true;
      ch.buffered.push_back(std::move(b));
    }
  }
  if (again) {
    ++loops_[owner]->resyncs;
    return readAfterConfirm(owner, ch);
  }
  ch.phase = Channel::Phase::Live;
  releaseWaiting(ch, std::nullopt);
}

bool RedisBroker::isEcho(const Channel& ch, std::uint64_t offset, std::int64_t timeMs) const {
  const auto& stream = ch.state.stream;
  if (stream.empty() || offset < stream.front().offset) return true;  // older than anything kept
  std::size_t i = static_cast<std::size_t>(offset - stream.front().offset);
  return i < stream.size() && stream[i].timeMs == timeMs;
}

void RedisBroker::onMessage(unsigned owner, const std::string& name, std::string_view message) {
  Channel* ch = loops_[owner]->find(name);
  auto envelope = redis::decodeEnvelope(message);
  if (!ch || !envelope) return;
  switch (envelope->kind) {
    case redis::kind::Join:
    case redis::kind::Leave:
      if (auto who = decodeClient(envelope->payload))
        publishJoinLeave(host_, name, *who, envelope->kind == redis::kind::Join);
      return;
    case redis::kind::JsonJoin:
    case redis::kind::JsonLeave:
      // From a node of an earlier version: a JSON push, as it encoded it.
      host_.publish(joinLeaveTopic(name), envelope->payload);
      return;
    case redis::kind::Publication:
      return deliverLive(owner, *ch, envelope->offset, envelope->epoch, envelope->timeMs, envelope->payload);
    default:
      return;
  }
}

void RedisBroker::deliverLive(unsigned owner, Channel& ch, std::uint64_t offset, std::string_view epoch,
                              std::int64_t timeMs, std::string_view payload) {
  auto buffer = [&] { ch.buffered.push_back({offset, std::string(epoch), timeMs, std::string(payload)}); };
  if (ch.phase != Channel::Phase::Live) return buffer();
  if (!ch.state.hasHistory) return deliver(owner, ch, decodeEntry(0, timeMs, payload));
  if (epoch == ch.state.epoch) {
    if (offset == ch.state.committed + 1) return deliver(owner, ch, decodeEntry(offset, timeMs, payload));
    if (offset <= ch.state.committed && isEcho(ch, offset, timeMs)) return;  // read from the stream already
  }
  // A gap (pub/sub lost a message), another epoch, or an offset reused:
  // Redis' stream says which.
  buffer();
  ++loops_[owner]->resyncs;
  readAfterConfirm(owner, ch);
}

void RedisBroker::deliver(unsigned owner, Channel& ch, StoredPublication publication) {
  publishPublication(host_, ch.name, publication, ch.state.setup.delta ? &ch.state.deltaBase : nullptr);
  if (ch.state.hasHistory) {
    ch.state.committed = publication.offset;
    ch.state.stream.push_back(std::move(publication));
    ch.state.trim(host_.nowMs());
  }
  loops_[owner]->countPublication();
}

void RedisBroker::resetSubscribers(unsigned owner, Channel& ch, const char* why) {
  ++loops_[owner]->resets;
  host_.resetChannel(ch.name, why);
}

void RedisBroker::whenLive(Channel& ch, std::function<void(std::optional<Failure>)> fn) {
  if (ch.phase == Channel::Phase::Live) return fn(std::nullopt);
  if (ch.waiting.empty()) ch.syncStartedMs = host_.nowMs();  // the sync timeout counts from the first waiter
  ch.waiting.push_back(std::move(fn));
}

void RedisBroker::releaseWaiting(Channel& ch, std::optional<Failure> failure) {
  auto waiting = std::move(ch.waiting);
  ch.waiting.clear();
  for (auto& fn : waiting) fn(failure);
}

void RedisBroker::subscribe(SubscribeRequest req, unsigned replyLoop, std::function<void(SubscribeOutcome)> done) {
  unsigned owner = ownerLoop(req.channel, host_.loopCount());
  host_.dispatch(owner, [this, owner, req = std::move(req), replyLoop, done = std::move(done)]() mutable {
    Channel* ch = channelFor(owner, req.channel);
    ++ch->state.subscribers;
    bool presence = ch->state.setup.presence;
    if (presence) ch->state.presence[req.who.client] = req.who;
    std::string client = req.who.client;  // req moves into `proceed`
    std::string info = presence ? encodeClient(req.who) : std::string();

    // Runs on the owner once the channel is live (or cannot be).
    auto proceed = [this, owner, req = std::move(req), replyLoop, done = std::move(done)](
                       std::optional<Failure> failure) mutable {
      Channel* c = loops_[owner]->find(req.channel);
      SubscribeOutcome out;
      if (!c) failure = internal("channel state lost");
      if (!failure) {
        detail::ChannelState& st = c->state;
        out.hasHistory = st.hasHistory;
        if (st.hasHistory) {
          st.trim(host_.nowMs());
          out.epoch = st.epoch;
          out.top = st.committed;
          if (req.recover && req.epoch == st.epoch) {
            detail::ChannelState::Recovery r = st.recover(req.offset, req.maxRecovered);
            out.publications = std::move(r.publications);
            out.recovered = r.recovered;
          }
        }
        if (req.recover && req.rejectUnrecovered && !out.recovered)
          failure = Failure{proto::ErrorCode::UnrecoverablePosition, {}};
      }
      if (failure) {
        out = SubscribeOutcome{};
        out.failure = std::move(failure);
        // A failed subscribe is never unsubscribed: undo it here.
        if (c) {
          if (c->state.subscribers > 0) --c->state.subscribers;
          if (c->state.presence.erase(req.who.client))
            redis::presenceRemove(connection(owner, c->shard), req.channel, req.who.client, [](redis::OperationStatus) {});
        }
        return answer(host_, replyLoop, std::move(done), std::move(out));
      }
      // The reply goes first: the subscriber listens before the next
      // publication this owner hands out.
      answer(host_, replyLoop, std::move(done), std::move(out));
      if (req.joinPush) {
        connection(owner, c->shard)
            .command({"PUBLISH", c->topic,
                      redis::encodeEnvelope(redis::kind::Join, 0, "-", host_.nowMs(), encodeClient(req.who))},
                     [](redis::Reply) {});
      }
    };
    if (!presence) return whenLive(*ch, std::move(proceed));
    // Presence is in Redis before the client hears it is subscribed, so
    // that every node's presence call shows it from then on.
    redis::presenceAdd(connection(owner, ch->shard), ch->name, client, info, options_.presenceTtl,
                       [this, owner, name = ch->name, proceed = std::move(proceed)](redis::OperationStatus st) mutable {
                         Channel* c = loops_[owner]->find(name);
                         if (!st.ok() || !c) return proceed(internal("redis unavailable: " + st.error));
                         whenLive(*c, std::move(proceed));
                       });
  });
}

void RedisBroker::unsubscribe(std::string channel, std::string client, bool leavePush) {
  unsigned owner = ownerLoop(channel, host_.loopCount());
  host_.dispatch(owner, [this, owner, channel = std::move(channel), client = std::move(client), leavePush] {
    Channel* ch = loops_[owner]->find(channel);
    if (!ch) return;
    detail::ChannelState& st = ch->state;
    if (st.subscribers > 0) --st.subscribers;
    st.lastActiveMs = host_.nowMs();
    ClientDescription who;
    who.client = client;
    if (auto p = st.presence.find(client); p != st.presence.end()) {
      who = std::move(p->second);
      st.presence.erase(p);
      redis::presenceRemove(connection(owner, ch->shard), channel, client, [](redis::OperationStatus) {});
    }
    if (leavePush) {
      connection(owner, ch->shard)
          .command({"PUBLISH", ch->topic,
                    redis::encodeEnvelope(redis::kind::Leave, 0, "-", host_.nowMs(), encodeClient(who))},
                   [](redis::Reply) {});
    }
  });
}

void RedisBroker::refreshPresence(unsigned loop) {
  LoopParts& L = *loops_[loop];
  L.lastPresenceRefreshMs = host_.nowMs();
  for (const auto& [name, ch] : L.channels)
    for (const auto& [client, who] : ch->state.presence)
      redis::presenceAdd(connection(loop, ch->shard), name, client, encodeClient(who), options_.presenceTtl,
                         [](redis::OperationStatus) {});
}

void RedisBroker::onSubscriberLost(unsigned loop, unsigned shard) {
  // Messages published from now on are lost to this node: buffer whatever
  // still comes, and read the stream once the subscriptions are back.
  for (auto& [name, ch] : loops_[loop]->channels) {
    if (ch->shard != shard) continue;
    ch->confirmed = false;
    ch->phase = Channel::Phase::Subscribing;
    ch->syncStartedMs = host_.nowMs();
  }
}

void RedisBroker::onSubscriberBack(unsigned loop, unsigned shard) {
  for (auto& [name, ch] : loops_[loop]->channels) {
    if (ch->shard != shard || !ch->subscribed) continue;
    ch->confirmed = true;
    ++loops_[loop]->resyncs;
    readAfterConfirm(loop, *ch);
  }
}

void RedisBroker::maintain(unsigned loop) {
  LoopParts& L = *loops_[loop];
  std::int64_t now = host_.nowMs();
  for (auto& [name, ch] : L.channels) {
    if (ch->phase == Channel::Phase::Live) continue;
    if (ch->readFailed && ch->confirmed) readAfterConfirm(loop, *ch);
    if (!ch->waiting.empty() && now - ch->syncStartedMs > options_.syncTimeout.count())
      releaseWaiting(*ch, internal("redis unavailable: the channel could not be synchronised"));
  }
  if (now - L.lastPresenceRefreshMs >= options_.presenceTtl.count() / 3) refreshPresence(loop);
  if (loop == 0) expireSurveys(now);
  mirrorStats(loop);
}

void RedisBroker::sweep(std::chrono::milliseconds idle) {
  int here = host_.currentLoop();
  if (here < 0) return;
  auto loop = static_cast<unsigned>(here);
  LoopParts& L = *loops_[loop];
  std::int64_t cutoff = host_.nowMs() - idle.count();
  std::erase_if(L.channels, [&](const auto& entry) {
    const Channel& ch = *entry.second;
    bool idleNow = ch.state.subscribers == 0 && ch.state.presence.empty() && ch.waiting.empty() &&
                   ch.state.lastActiveMs < cutoff;
    if (idleNow && ch.subscribed) L.subscribers[ch.shard]->unsubscribe(ch.topic);
    return idleNow;
  });
  L.countChannels();
}

}  // namespace herald::broker
