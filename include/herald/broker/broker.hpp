#pragma once
// The broker: channels, their offsets and recent history, presence, and
// fan-out of publications. No I/O: it runs on the App's loops through the
// BrokerHost it is given, and keeps durable history through HistoryStores.
//
// Ownership. Every channel has one owner loop (a hash of its name). The
// owner orders everything that happens to the channel: it assigns offsets,
// appends to history, and hands each committed publication to every loop
// at once (BrokerHost::publish). Calls may come from any loop; they are
// forwarded to the owner, and their `done` runs on the loop the caller named
// (`replyLoop`).
//
// The recovery seam (DESIGN.md section 5). subscribe() runs on the owner in
// one step: it reads the history after the client's position, notes the
// channel's top offset, and sends `done` to the subscriber's loop. `done`
// must subscribe the client to the channel's topic before it returns. Every
// publication after that top offset is handed out by the owner after that
// `done` was queued (BrokerHost guarantees order per pair of loops), so the
// subscriber gets it live; every one up to it is in the reply, or was
// already delivered before the subscriber listened. No gap, no duplicate.
//
// Durability. A publication of a channel with history is delivered, and its
// publisher told, only after the store committed it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/broker/history_store.hpp"
#include "herald/proto/codec.hpp"
#include "herald/proto/codes.hpp"

namespace herald::broker {

// What the broker needs from its surroundings (the server implements it over
// herald::App; tests over a fake).
class BrokerHost {
 public:
  virtual ~BrokerHost() = default;
  virtual unsigned loopCount() const = 0;
  // The loop running the calling thread, or -1.
  virtual int currentLoop() const = 0;
  // Runs `fn` on loop `loop`: at once when called on that loop, else queued.
  // Queued functions from one loop to another run in order, interleaved in
  // order with publish() deliveries between the same two loops.
  virtual void dispatch(unsigned loop, std::function<void()> fn) = 0;
  // Sends `frame`, a message of `format`, to every connection subscribed to
  // `topic`, on every loop (the calling loop at once, the others queued).
  virtual void publish(std::string_view topic, std::string_view frame, proto::Format format = proto::Format::Json) = 0;
  // Whether any connection speaks `format`: a broker encodes pushes only in
  // the formats in use (each once, whatever the number of subscribers).
  virtual bool formatInUse(proto::Format format) const { return format == proto::Format::Json; }
  // A publication of `channel` cannot travel in `format` (binary data for
  // JSON): its subscribers in that format, on every loop, are disconnected
  // with 3506 (inappropriate protocol) rather than sent something else.
  virtual void refuseFormat(std::string_view channel, proto::Format format) {
    (void)channel;
    (void)format;
  }
  virtual std::int64_t nowMs() const = 0;
  // Ends every local subscription to `channel`, telling each subscriber to
  // subscribe again (unsubscribe push 2500, insufficient state): its stream
  // could not be kept whole, for the reason `why` (one line, for the log).
  // Used by brokers that share channels between nodes; a host without such
  // a broker may ignore it.
  virtual void resetChannel(std::string_view channel, std::string_view why) {
    (void)channel;
    (void)why;
  }

  // Fossil delta subscriptions (channels whose ChannelSetup::delta is on).
  // Whether any exists on this node: without, a broker computes no delta.
  virtual bool deltaInUse() const { return false; }
  // The `seq`-th publication of `channel` on this node (a node-local count,
  // 1, 2, ... without gaps), for `format`'s delta subscribers on every loop
  // (deltaTopic): `frames.full` carries the whole data; `frames.delta`,
  // when not empty, a delta against publication seq - 1, for subscribers
  // that received that one. Ordered like publish() between two loops.
  struct DeltaFrames {
    std::string full;
    std::string delta;
  };
  virtual void publishDelta(std::string_view channel, proto::Format format, std::uint64_t seq,
                            std::shared_ptr<const DeltaFrames> frames) {
    (void)channel;
    (void)format;
    (void)seq;
    (void)frames;
  }
};

// A channel's delta chain on this node (ChannelSetup::delta): how many
// publications it handed out, and the data of the last one while delta
// subscribers exist (`hasData`), to compute the next delta from.
struct DeltaBase {
  std::uint64_t seq = 0;
  bool hasData = false;
  std::string data{};
};

// How one channel behaves, as the server's configuration decides it.
struct ChannelSetup {
  HistoryStore* store = nullptr;  // null: no history (publications carry no offset)
  HistoryLimits limits{};
  bool presence = false;
  bool delta = false;  // subscribers may ask for fossil deltas
};
using ChannelResolver = std::function<ChannelSetup(std::string_view channel)>;

// The topics of a channel's live stream on the App's pub/sub, one per wire
// format, since each format's subscribers share one encoded frame.
std::string publicationTopic(std::string_view channel, proto::Format format = proto::Format::Json);  // publications
std::string joinLeaveTopic(std::string_view channel, proto::Format format = proto::Format::Json);    // joins and leaves
// The topic delta subscribers join instead of publicationTopic: nothing is
// published on it; BrokerHost::publishDelta visits its subscribers.
std::string deltaTopic(std::string_view channel, proto::Format format = proto::Format::Json);
// What a topic carries, for callbacks that get one (slow-subscriber drops).
struct TopicKind {
  std::string_view channel{};
  bool joinLeave = false;
  bool delta = false;
  proto::Format format = proto::Format::Json;
};
TopicKind topicKind(std::string_view topic);

// A client as presence and publications show it.
struct ClientDescription {
  std::string client{};
  std::string user{};
  std::string connInfo{};  // raw JSON, or empty
  std::string chanInfo{};  // raw JSON, or empty
};

struct Failure {
  proto::ErrorCode code = proto::ErrorCode::Internal;
  std::string message{};  // empty: the code's own message
};

struct SubscribeRequest {
  std::string channel{};
  ClientDescription who{};
  bool recover = false;      // the client asks for what it missed since (offset, epoch)
  std::uint64_t offset = 0;
  std::string epoch{};
  bool joinPush = false;     // publish a join push for this client
  // With `recover`: when what was missed cannot be given (another epoch, a
  // gap longer than history or than maxRecovered), fail with 112
  // (UnrecoverablePosition) and register nothing, instead of answering
  // `recovered` false.
  bool rejectUnrecovered = false;
  // The most publications a recovery carries (0: no cap). A longer gap is
  // answered with the newest this many and `recovered` false.
  std::size_t maxRecovered = 0;
};

struct SubscribeOutcome {
  std::optional<Failure> failure{};
  bool hasHistory = false;   // the channel keeps history (offsets and epochs are real)
  std::string epoch{};
  std::uint64_t top = 0;     // live delivery continues strictly after this offset
  bool recovered = false;    // `publications` are exactly what was missed
  std::vector<StoredPublication> publications{};  // after the client's offset, oldest first
};

struct PublishRequest {
  std::string channel{};
  std::string data{};  // raw JSON
  std::optional<ClientDescription> info{};
  std::vector<std::pair<std::string, std::string>> tags{};
  bool delta = false;  // StoredPublication::delta
};

struct PublishOutcome {
  std::optional<Failure> failure{};
  std::uint64_t offset = 0;
  std::string epoch{};
};

struct HistoryQuery {
  std::string channel{};
  std::int32_t limit = 0;  // < 0: all; 0: none (only the position)
  bool hasSince = false;
  std::uint64_t sinceOffset = 0;
  std::string sinceEpoch{};
  bool reverse = false;
};

struct HistoryOutcome {
  std::optional<Failure> failure{};
  std::string epoch{};
  std::uint64_t top = 0;
  std::vector<StoredPublication> publications{};
};

struct PresenceOutcome {
  std::optional<Failure> failure{};
  std::vector<ClientDescription> clients{};
  std::uint32_t numUsers = 0;
};

struct ChannelSummary {
  std::string channel{};
  std::uint32_t numClients = 0;
};

struct BrokerStats {
  std::uint64_t publications = 0;  // committed and handed out
  std::uint64_t channels = 0;      // channels with state in memory
};

// Nodes, as the node registry shows them (one for a single node).
struct NodeDescription {
  std::string name{};
  std::string info{};  // a JSON object: what the node announced about itself
};

// What a Broker does, on one node (LocalBroker) or across several sharing
// Redis (cluster::RedisBroker). Every `done` runs on `replyLoop`.
class Broker {
 public:
  virtual ~Broker() = default;

  // See the header comment for the seam.
  virtual void subscribe(SubscribeRequest request, unsigned replyLoop, std::function<void(SubscribeOutcome)> done) = 0;
  // Forgets the client's subscription: presence entry, leave push when
  // `leavePush`. Call exactly once for each subscribe() that did not fail
  // (also for one that has not answered yet).
  virtual void unsubscribe(std::string channel, std::string client, bool leavePush) = 0;
  virtual void publish(PublishRequest request, unsigned replyLoop, std::function<void(PublishOutcome)> done) = 0;
  virtual void history(HistoryQuery query, unsigned replyLoop, std::function<void(HistoryOutcome)> done) = 0;
  virtual void removeHistory(std::string channel, unsigned replyLoop,
                             std::function<void(std::optional<Failure>)> done) = 0;
  virtual void presence(std::string channel, unsigned replyLoop, std::function<void(PresenceOutcome)> done) = 0;
  // Every channel with at least one subscriber, with its subscribers: on
  // this node, or with Redis on every live node, summed (a node that does
  // not answer within 2 s is left out).
  virtual void channels(unsigned replyLoop, std::function<void(std::vector<ChannelSummary>)> done) = 0;

  // Node-wide commands (disconnect a user, ...): `message` reaches the
  // control handler of every node, this one included, on loop 0. `done`
  // tells whether it was sent.
  virtual void control(std::string message, unsigned replyLoop, std::function<void(std::optional<Failure>)> done) = 0;
  void onControl(std::function<void(std::string_view message)> handler) { controlHandler_ = std::move(handler); }

  // The live nodes. `describe` (set before the loops run) gives this node's
  // own JSON object, called on loop 0.
  virtual void nodes(unsigned replyLoop, std::function<void(std::vector<NodeDescription>)> done) = 0;
  void describeNode(std::string name, std::function<std::string()> describe) {
    nodeName_ = std::move(name);
    describe_ = std::move(describe);
  }

  // Forgets channels idle for `idle` (no subscribers, nothing in flight);
  // their history stays in the store. Call from each loop now and then.
  virtual void sweep(std::chrono::milliseconds idle) = 0;
  virtual BrokerStats stats() const = 0;

 protected:
  std::function<void(std::string_view)> controlHandler_{};
  std::string nodeName_{};
  std::function<std::string()> describe_{};
};

// The owner loop of `channel` among `loops` (FNV-1a: stable across runs and
// platforms, unlike std::hash).
unsigned ownerLoop(std::string_view channel, unsigned loops);

// The broker of a single node: offsets assigned by the owner loop, history
// in HistoryStores (SQLite, memory).
class LocalBroker final : public Broker {
 public:
  LocalBroker(BrokerHost& host, ChannelResolver resolver);
  ~LocalBroker() override;
  LocalBroker(const LocalBroker&) = delete;
  LocalBroker& operator=(const LocalBroker&) = delete;

  unsigned ownerOf(std::string_view channel) const { return ownerLoop(channel, loopCount_); }

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

 private:
  struct Shard;
  void onCommitted(unsigned owner, const std::string& channel, std::uint64_t numbering, StoredPublication publication,
                   StoreResult result, std::function<void(PublishOutcome)> reply);

  BrokerHost& host_;
  ChannelResolver resolver_;
  unsigned loopCount_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace herald::broker
