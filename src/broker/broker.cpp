// The broker's routing: every call goes to its channel's owner loop, runs
// there against the channel's state, and its outcome goes back to the loop
// the caller named. See broker.hpp for the ordering argument.
#include "herald/broker/broker.hpp"

#include <atomic>
#include <unordered_map>

#include "broker_calls.hpp"
#include "channel_state.hpp"
#include "herald/broker/publication_views.hpp"

namespace herald::broker {

using detail::ChannelState;

// A JSON publication topic is the channel's name; a last byte no channel
// name may contain marks the others: 1 JSON joins and leaves, 2 Protobuf
// publications, 3 Protobuf joins and leaves, 4 and 5 JSON and Protobuf
// delta subscribers.
namespace {
constexpr char kJsonJoinLeave = '\x01', kProtobufPublications = '\x02', kProtobufJoinLeave = '\x03',
               kJsonDelta = '\x04', kProtobufDelta = '\x05';
}  // namespace

std::string publicationTopic(std::string_view channel, proto::Format format) {
  std::string t(channel);
  if (format == proto::Format::Protobuf) t.push_back(kProtobufPublications);
  return t;
}

std::string joinLeaveTopic(std::string_view channel, proto::Format format) {
  std::string t(channel);
  t.push_back(format == proto::Format::Protobuf ? kProtobufJoinLeave : kJsonJoinLeave);
  return t;
}

std::string deltaTopic(std::string_view channel, proto::Format format) {
  std::string t(channel);
  t.push_back(format == proto::Format::Protobuf ? kProtobufDelta : kJsonDelta);
  return t;
}

TopicKind topicKind(std::string_view topic) {
  if (topic.empty() || topic.back() > kProtobufDelta) return {topic, false, false, proto::Format::Json};
  std::string_view channel = topic.substr(0, topic.size() - 1);
  switch (topic.back()) {
    case kJsonJoinLeave: return {channel, true, false, proto::Format::Json};
    case kProtobufPublications: return {channel, false, false, proto::Format::Protobuf};
    case kProtobufJoinLeave: return {channel, true, false, proto::Format::Protobuf};
    case kJsonDelta: return {channel, false, true, proto::Format::Json};
    case kProtobufDelta: return {channel, false, true, proto::Format::Protobuf};
    default: return {topic, false, false, proto::Format::Json};
  }
}

struct LocalBroker::Shard {
  std::unordered_map<std::string, std::unique_ptr<ChannelState>> channels;
  // Written by the shard's loop alone, read by stats() from any thread.
  std::atomic<std::uint64_t> publications{0};
  std::atomic<std::uint64_t> channelCount{0};

  void countPublication() { publications.store(publications.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
  void countChannels() { channelCount.store(channels.size(), std::memory_order_relaxed); }
};

using detail::answer;
using detail::clientView;
using detail::internal;

LocalBroker::LocalBroker(BrokerHost& host, ChannelResolver resolver)
    : host_(host), resolver_(std::move(resolver)), loopCount_(host.loopCount()) {
  for (unsigned i = 0; i < host_.loopCount(); ++i) shards_.push_back(std::make_unique<Shard>());
}

LocalBroker::~LocalBroker() = default;

unsigned ownerLoop(std::string_view channel, unsigned loops) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : channel) h = (h ^ c) * 1099511628211ull;
  return static_cast<unsigned>(h % loops);
}

namespace {

// The channel's state on its owner loop, loaded from its store on first use.
template <class Shard>
ChannelState* channelState(Shard& shard, const ChannelResolver& resolver, const std::string& channel, std::int64_t nowMs,
                           std::optional<Failure>& failure) {
  auto& channels = shard.channels;
  auto it = channels.find(channel);
  if (it != channels.end()) {
    it->second->lastActiveMs = nowMs;
    return it->second.get();
  }
  auto state = std::make_unique<ChannelState>();
  state->setup = resolver(channel);
  state->hasHistory = state->setup.store && state->setup.limits.size > 0 && state->setup.limits.ttl.count() > 0;
  if (state->hasHistory) {
    try {
      ChannelStream loaded = state->setup.store->load(channel, state->setup.limits, nowMs);
      state->epoch = std::move(loaded.epoch);
      state->committed = state->assigned = loaded.top;
      state->stream.assign(std::make_move_iterator(loaded.publications.begin()),
                           std::make_move_iterator(loaded.publications.end()));
    } catch (const std::exception& e) {
      // Error 100 for the caller, with this message (the HTTP API shows it).
      // A damaged file is also reported by the store itself, which the
      // server logs (SqliteHistory::Options::onCorruption).
      failure = internal(std::string("cannot load the channel's history: ") + e.what());
      return nullptr;
    }
  }
  state->lastActiveMs = nowMs;
  ChannelState* made = channels.emplace(channel, std::move(state)).first->second.get();
  shard.countChannels();
  return made;
}

}  // namespace

void LocalBroker::subscribe(SubscribeRequest req, unsigned replyLoop, std::function<void(SubscribeOutcome)> done) {
  unsigned owner = ownerOf(req.channel);
  host_.dispatch(owner, [this, owner, req = std::move(req), replyLoop, done = std::move(done)]() mutable {
    SubscribeOutcome out;
    ChannelState* ch = channelState(*shards_[owner], resolver_, req.channel, host_.nowMs(), out.failure);
    if (!ch) return answer(host_, replyLoop, std::move(done), std::move(out));

    out.hasHistory = ch->hasHistory;
    if (ch->hasHistory) {
      ch->trim(host_.nowMs());
      out.epoch = ch->epoch;
      out.top = ch->committed;
      if (req.recover) {
        if (req.epoch == ch->epoch) {
          ChannelState::Recovery r = ch->recover(req.offset, req.maxRecovered);
          out.publications = std::move(r.publications);
          out.recovered = r.recovered;
        }
        if (!out.recovered && req.rejectUnrecovered) {
          // Nothing registered: no subscriber, no presence, no join.
          SubscribeOutcome refused;
          refused.failure = Failure{proto::ErrorCode::UnrecoverablePosition, {}};
          return answer(host_, replyLoop, std::move(done), std::move(refused));
        }
      }
    }
    ++ch->subscribers;
    bool join = req.joinPush;
    ClientDescription who = ch->setup.presence || join ? req.who : ClientDescription{};
    if (ch->setup.presence) ch->presence[req.who.client] = req.who;
    // The reply goes first: the subscriber must be listening before the
    // next publication (and its own join) is handed out.
    answer(host_, replyLoop, std::move(done), std::move(out));
    if (join) publishJoinLeave(host_, req.channel, who, true);
  });
}

void LocalBroker::unsubscribe(std::string channel, std::string client, bool leavePush) {
  unsigned owner = ownerOf(channel);
  host_.dispatch(owner, [this, owner, channel = std::move(channel), client = std::move(client), leavePush] {
    auto& channels = shards_[owner]->channels;
    auto it = channels.find(channel);
    if (it == channels.end()) return;
    ChannelState& ch = *it->second;
    if (ch.subscribers > 0) --ch.subscribers;
    ch.lastActiveMs = host_.nowMs();
    auto p = ch.presence.find(client);
    ClientDescription who;
    if (p != ch.presence.end()) {
      who = std::move(p->second);
      ch.presence.erase(p);
    } else {
      who.client = client;
    }
    if (leavePush) publishJoinLeave(host_, channel, who, false);
  });
}

void LocalBroker::publish(PublishRequest req, unsigned replyLoop, std::function<void(PublishOutcome)> done) {
  unsigned owner = ownerOf(req.channel);
  host_.dispatch(owner, [this, owner, req = std::move(req), replyLoop, done = std::move(done)]() mutable {
    auto reply = [this, replyLoop, done = std::move(done)](PublishOutcome out) mutable {
      answer(host_, replyLoop, std::move(done), std::move(out));
    };
    PublishOutcome out;
    std::int64_t now = host_.nowMs();
    ChannelState* ch = channelState(*shards_[owner], resolver_, req.channel, now, out.failure);
    if (!ch) return reply(std::move(out));

    StoredPublication pub = detail::takePublication(req);
    pub.timeMs = now;

    if (!ch->hasHistory) {
      publishPublication(host_, req.channel, pub, ch->setup.delta ? &ch->deltaBase : nullptr);
      shards_[owner]->countPublication();
      return reply(std::move(out));
    }

    pub.offset = ++ch->assigned;
    ++ch->inFlight;
    std::uint64_t numbering = ch->numbering;
    std::string channel = req.channel;
    std::string epoch = ch->epoch;
    std::vector<StoredPublication> batch;
    batch.push_back(pub);
    // The store answers on its own thread; the owner takes it from there,
    // in the order of the appends.
    ch->setup.store->append(
        channel, epoch, std::move(batch), ch->setup.limits,
        [this, owner, channel, numbering, pub = std::move(pub), reply = std::move(reply)](StoreResult result) mutable {
          host_.dispatch(owner, [this, owner, channel = std::move(channel), numbering, pub = std::move(pub),
                                 reply = std::move(reply), result = std::move(result)]() mutable {
            onCommitted(owner, channel, numbering, std::move(pub), std::move(result), std::move(reply));
          });
        });
  });
}

void LocalBroker::onCommitted(unsigned owner, const std::string& channel, std::uint64_t numbering, StoredPublication pub,
                         StoreResult result, std::function<void(PublishOutcome)> reply) {
  PublishOutcome out;
  auto& channels = shards_[owner]->channels;
  auto it = channels.find(channel);
  ChannelState* ch = it == channels.end() ? nullptr : it->second.get();
  if (ch) --ch->inFlight;
  if (!result.ok || !ch) {
    // Not stored: the offsets handed out after it fail the store's
    // continuity check too, and numbering resumes after the last durable
    // one -- once: the failures of those later appends must not reset it
    // again under publications numbered since.
    if (ch && numbering == ch->numbering) {
      ch->assigned = ch->committed;
      ++ch->numbering;
    }
    out.failure = internal(result.ok ? "channel state lost" : "history store: " + result.error);
    return reply(std::move(out));
  }
  ch->committed = pub.offset;
  out.offset = pub.offset;
  out.epoch = ch->epoch;
  publishPublication(host_, channel, pub, ch->setup.delta ? &ch->deltaBase : nullptr);
  ch->stream.push_back(std::move(pub));
  ch->trim(host_.nowMs());
  shards_[owner]->countPublication();
  reply(std::move(out));
}

void LocalBroker::history(HistoryQuery q, unsigned replyLoop, std::function<void(HistoryOutcome)> done) {
  unsigned owner = ownerOf(q.channel);
  host_.dispatch(owner, [this, owner, q = std::move(q), replyLoop, done = std::move(done)]() mutable {
    HistoryOutcome out;
    ChannelState* ch = channelState(*shards_[owner], resolver_, q.channel, host_.nowMs(), out.failure);
    if (ch && !ch->hasHistory) out.failure = Failure{proto::ErrorCode::NotAvailable, {}};
    if (ch && !out.failure) {
      ch->trim(host_.nowMs());
      out.epoch = ch->epoch;
      out.top = ch->committed;
      // Only what the reply carries is copied: a limit bounds the work too.
      const std::size_t limit = q.limit < 0 ? ch->stream.size() : static_cast<std::size_t>(q.limit);
      if (q.hasSince && (q.sinceEpoch != ch->epoch || !ch->covers(q.sinceOffset))) {
        out.failure = Failure{proto::ErrorCode::UnrecoverablePosition, {}};
      } else if (q.reverse) {
        // Newest first, strictly before the given offset (or from the top).
        out.publications = ch->lastBefore(q.hasSince ? q.sinceOffset : ch->committed + 1, limit);
      } else {
        std::uint64_t from = q.hasSince || ch->stream.empty() ? q.sinceOffset : ch->stream.front().offset - 1;
        out.publications = ch->firstAfter(from, limit);
      }
    }
    answer(host_, replyLoop, std::move(done), std::move(out));
  });
}

void LocalBroker::removeHistory(std::string channel, unsigned replyLoop, std::function<void(std::optional<Failure>)> done) {
  unsigned owner = ownerOf(channel);
  host_.dispatch(owner, [this, owner, channel = std::move(channel), replyLoop, done = std::move(done)]() mutable {
    std::optional<Failure> failure;
    auto reply = [this, replyLoop, done = std::move(done)](std::optional<Failure> f) mutable {
      answer(host_, replyLoop, std::move(done), std::move(f));
    };
    ChannelState* ch = channelState(*shards_[owner], resolver_, channel, host_.nowMs(), failure);
    if (!ch || !ch->hasHistory) return reply(failure);
    ch->stream.clear();
    ch->setup.store->removeHistory(channel, [this, owner, reply = std::move(reply)](StoreResult r) mutable {
      host_.dispatch(owner, [r = std::move(r), reply = std::move(reply)]() mutable {
        if (r.ok) return reply(std::nullopt);
        reply(internal("history store: " + r.error));
      });
    });
  });
}

void LocalBroker::presence(std::string channel, unsigned replyLoop, std::function<void(PresenceOutcome)> done) {
  unsigned owner = ownerOf(channel);
  host_.dispatch(owner, [this, owner, channel = std::move(channel), replyLoop, done = std::move(done)]() mutable {
    PresenceOutcome out;
    ChannelState* ch = channelState(*shards_[owner], resolver_, channel, host_.nowMs(), out.failure);
    if (ch && !ch->setup.presence) out.failure = Failure{proto::ErrorCode::NotAvailable, {}};
    if (ch && !out.failure) {
      out.clients.reserve(ch->presence.size());
      for (const auto& [id, who] : ch->presence) out.clients.push_back(who);
      out.numUsers = ch->countUsers();
    }
    answer(host_, replyLoop, std::move(done), std::move(out));
  });
}

void LocalBroker::channels(unsigned replyLoop, std::function<void(std::vector<ChannelSummary>)> done) {
  detail::gatherFromLoops<ChannelSummary>(
      host_, replyLoop,
      [this](unsigned loop) {
        std::vector<ChannelSummary> part;
        for (const auto& [name, ch] : shards_[loop]->channels)
          if (ch->subscribers > 0) part.push_back({name, ch->subscribers});
        return part;
      },
      std::move(done));
}

void LocalBroker::sweep(std::chrono::milliseconds idle) {
  int here = host_.currentLoop();
  if (here < 0) return;
  Shard& shard = *shards_[static_cast<unsigned>(here)];
  auto& channels = shard.channels;
  std::int64_t cutoff = host_.nowMs() - idle.count();
  std::erase_if(channels, [cutoff](const auto& entry) {
    const ChannelState& ch = *entry.second;
    return ch.subscribers == 0 && ch.presence.empty() && ch.inFlight == 0 && ch.lastActiveMs < cutoff;
  });
  shard.countChannels();
}

void LocalBroker::control(std::string message, unsigned replyLoop, std::function<void(std::optional<Failure>)> done) {
  host_.dispatch(0, [this, message = std::move(message)] {
    if (controlHandler_) controlHandler_(message);
  });
  answer(host_, replyLoop, std::move(done), std::optional<Failure>{});
}

void LocalBroker::nodes(unsigned replyLoop, std::function<void(std::vector<NodeDescription>)> done) {
  host_.dispatch(0, [this, replyLoop, done = std::move(done)]() mutable {
    std::vector<NodeDescription> all{{nodeName_, describe_ ? describe_() : "{}"}};
    answer(host_, replyLoop, std::move(done), std::move(all));
  });
}

BrokerStats LocalBroker::stats() const {
  BrokerStats s;
  for (const auto& shard : shards_) {
    s.publications += shard->publications.load(std::memory_order_relaxed);
    s.channels += shard->channelCount.load(std::memory_order_relaxed);
  }
  return s;
}

}  // namespace herald::broker
