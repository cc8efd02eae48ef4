#pragma once
// The broker of a node that shares its channels with other nodes through
// Redis (docs/redis.md, DESIGN.md section 5).
//
// Offsets and epochs come from Redis (one Lua script appends to a channel's
// stream and publishes it, atomically), so any loop of any node may publish.
// A node learns of every publication, its own included, from Redis pub/sub:
// each channel's owner loop subscribes once per node, keeps the channel's
// recent stream in memory, and hands each publication, in offset order, to
// every local loop. The recovery seam is LocalBroker's, with the owner's
// in-memory stream kept whole by the sync below:
//
// Sync. The owner subscribes to the channel's pub/sub channel, buffers what
// arrives, and once Redis confirms the subscription reads the stream after
// the last offset it delivered (everything published before the confirmation
// is in the stream, everything after arrives live; offsets drop what is in
// both). A live publication that skips an offset (pub/sub is at most once)
// or a lost Redis subscription starts a new sync from the last delivered
// offset. When the stream cannot fill a gap (trimmed, or the channel's epoch
// changed), local subscribers are told to subscribe again (unsubscribe 2500)
// and learn through recovery exactly what they cannot get back.
//
// Outages. While Redis is unreachable, publish, history and presence fail at
// once with a temporary error (100); clients stay connected; subscribes wait
// for their channel's sync and fail when it cannot complete.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "herald/broker/broker.hpp"
#include "herald/redis/connection.hpp"

namespace herald::net {
class Loop;
}

namespace herald::broker {

struct RedisBrokerOptions {
  std::vector<redis::Options> shards{};  // one per Redis instance; channels are spread by consistent hashing
  // How long a presence entry outlives its node's last refresh (a crashed
  // node's clients disappear from presence within this time).
  std::chrono::milliseconds presenceTtl{60'000};
  // How long a channel's offset and epoch outlive its last publication.
  std::chrono::milliseconds metaTtl{std::chrono::hours(24 * 30)};
  // How often the node announces itself (its entry lives three times as long).
  std::chrono::milliseconds announceInterval{5'000};
  // How long a subscribe waits for its channel's sync before failing with 100.
  std::chrono::milliseconds syncTimeout{5'000};
};

// Redis round trips and errors, over every loop and shard (for /metrics).
struct RedisStats {
  std::uint64_t commands = 0;
  std::uint64_t replies = 0;
  std::uint64_t serverErrors = 0;
  std::uint64_t transportErrors = 0;
  std::uint64_t connects = 0;
  std::uint64_t messages = 0;      // pub/sub messages received
  std::uint64_t resyncs = 0;       // channel syncs after a gap or a lost subscription
  std::uint64_t resets = 0;        // channels whose stream could not fill a gap (subscribers told 2500)
  std::uint32_t connected = 0;     // connections and subscribers up now
  std::uint32_t links = 0;         // connections and subscribers in all
};

class RedisBroker final : public Broker {
 public:
  // `loopOf(i)` is loop i of the host. Nothing connects before start().
  RedisBroker(BrokerHost& host, std::function<net::Loop&(unsigned)> loopOf, ChannelResolver resolver,
              RedisBrokerOptions options);
  ~RedisBroker() override;
  RedisBroker(const RedisBroker&) = delete;
  RedisBroker& operator=(const RedisBroker&) = delete;

  // Queues, on every loop, its connections to every Redis instance (and on
  // loop 0 the node's announcements). Call once, before or after the loops
  // start; broker calls made after it find the connections in place.
  void start();
  // Takes the node out of the registry (best effort) and closes the
  // connections; call on loop 0 when shutting down, before the loops stop.
  void stop();

  // Called on loop 0 when its connection to Redis instance `shard` comes up
  // or goes down (once per outage), with the reason: for the log.
  void onLinkChange(std::function<void(unsigned shard, bool up, const std::string& reason)> observer) {
    linkObserver_ = std::move(observer);
  }
  // Called with the duration of every publish round trip through Redis.
  void onPublishLatency(std::function<void(std::chrono::microseconds)> observer) { latency_ = std::move(observer); }

  void subscribe(SubscribeRequest request, unsigned replyLoop, std::function<void(SubscribeOutcome)> done) override;
  void unsubscribe(std::string channel, std::string client, bool leavePush) override;
  void publish(PublishRequest request, unsigned replyLoop, std::function<void(PublishOutcome)> done) override;
  void history(HistoryQuery query, unsigned replyLoop, std::function<void(HistoryOutcome)> done) override;
  void removeHistory(std::string channel, unsigned replyLoop, std::function<void(std::optional<Failure>)> done) override;
  void presence(std::string channel, unsigned replyLoop, std::function<void(PresenceOutcome)> done) override;
  void channels(unsigned replyLoop, std::function<void(std::vector<ChannelSummary>)> done) override;
  void control(std::string message, unsigned replyLoop, std::function<void(std::optional<Failure>)> done) override;
  void nodes(unsigned replyLoop, std::function<void(std::vector<NodeDescription>)> done) override;
  void sweep(std::chrono::milliseconds idle) override;
  BrokerStats stats() const override;
  RedisStats redisStats() const;

  struct Channel;  // a channel as its owner loop keeps it (redis_channel.hpp)
  struct LoopParts;

 private:
  unsigned shardOf(std::string_view channel) const;
  redis::Connection& connection(unsigned loop, unsigned shard);
  Channel* channelFor(unsigned owner, const std::string& name);
  void startSync(unsigned owner, Channel& ch);
  void readAfterConfirm(unsigned owner, Channel& ch);
  void applyRead(unsigned owner, Channel& ch, std::uint64_t top, std::string epoch, std::vector<StoredPublication> read);
  void drainBuffered(unsigned owner, Channel& ch);
  void whenLive(Channel& ch, std::function<void(std::optional<Failure>)> fn);
  bool isEcho(const Channel& ch, std::uint64_t offset, std::int64_t timeMs) const;
  void guardLowerTop(unsigned owner, Channel& ch);
  void maintain(unsigned loop);
  void onMessage(unsigned owner, const std::string& name, std::string_view message);
  void deliverLive(unsigned owner, Channel& ch, std::uint64_t offset, std::string_view epoch, std::int64_t timeMs,
                   std::string_view payload);
  void deliver(unsigned owner, Channel& ch, StoredPublication publication);
  void resetSubscribers(unsigned owner, Channel& ch, const char* why);
  void releaseWaiting(Channel& ch, std::optional<Failure> failure);
  void refreshPresence(unsigned loop);
  void onSubscriberLost(unsigned loop, unsigned shard);
  void onSubscriberBack(unsigned loop, unsigned shard);
  void onControlMessage(std::string_view payload);
  // The `channels` survey of every node (redis_survey.cpp), on loop 0.
  struct Survey;
  void localChannels(unsigned replyLoop, std::function<void(std::vector<ChannelSummary>)> done);
  void onSurveyMessage(std::string_view payload);
  void finishSurvey(std::uint64_t id);
  void expireSurveys(std::int64_t nowMs);
  void announce();
  void mirrorStats(unsigned loop);

  BrokerHost& host_;
  std::function<net::Loop&(unsigned)> loopOf_;
  ChannelResolver resolver_;
  RedisBrokerOptions options_;
  std::vector<std::unique_ptr<LoopParts>> loops_;
  std::function<void(std::chrono::microseconds)> latency_{};
  std::function<void(unsigned, bool, const std::string&)> linkObserver_{};
  std::atomic<bool> stopped_{false};
  std::map<std::uint64_t, std::shared_ptr<Survey>> surveys_{};  // loop 0: surveys waiting for answers
  std::uint64_t nextSurvey_ = 0;                                // loop 0
};

}  // namespace herald::broker
