#pragma once
// The state machine behind herald::client::Client. Everything here runs on
// the client's loop thread, except post(), subscribe() (which takes the
// subscriptions' mutex) and the atomics that public getters read.
//
// Phases:  Disconnected --connect()--> Connecting --connect reply--> Connected
//          Connected --transport closed, code says reconnect--> Connecting (after a backoff)
//          any --disconnect(), terminal code, refused connect--> Disconnected
//
// Each WebSocket attempt has a generation number; callbacks of an older
// attempt (a close that arrives after we gave up on it) are ignored.
//
// The wire format is the Codec's business (codec.hpp): the core encodes
// commands and decodes what arrives only through codec(), so everything
// here is written once for JSON and Protobuf.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "codec.hpp"
#include "herald/client/client.hpp"

namespace herald::client::detail {

// An error the client makes itself (never temporary).
inline Error makeError(std::uint32_t code, std::string message) { return Error{code, std::move(message), false}; }


struct SubState {
  SubState(std::string ch, SubscriptionHandlers h, SubscriptionOptions o)
      : channel(std::move(ch)), handlers(std::move(h)), options(std::move(o)) {}

  const std::string channel;
  SubscriptionHandlers handlers;
  SubscriptionOptions options;

  // Loop thread only.
  std::uint32_t subscribeId = 0;  // the subscribe command in flight, or 0
  bool hasPosition = false;       // recover from (offset, epoch) on the next subscribe
  bool tracking = false;          // the stream has offsets: dedupe and detect gaps
  std::uint64_t offset = 0;       // the last offset delivered (or the top when subscribed)
  std::string epoch;
  bool epochLearned = false;      // `since` had no epoch: we took the stream's current one
  unsigned retryAttempt = 0;
  std::int64_t retryAtMs = 0;     // resubscribe then (after a temporary error), or 0

  // Any thread.
  std::atomic<SubscriptionState> state{SubscriptionState::Subscribing};
  mutable std::mutex positionMutex;
  std::optional<StreamPosition> position;  // a copy for Subscription::position()
};

class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  ClientCore(App& app, unsigned loopIndex, Options options);

  // Runs `fn` on the loop thread: at once when called there, else deferred.
  void post(std::function<void()> fn);

  // Loop thread.
  void start();     // the tick timer
  void shutdown();  // disconnect, stop the timer, and never call back again
  void connect();
  void disconnect();
  void startSubscription(const std::shared_ptr<SubState>& sub);
  void unsubscribe(const std::shared_ptr<SubState>& sub);

  // A command: `encode` writes it with the given id (through codec());
  // `onReply` gets the reply (or an error) on the loop thread. Returns the
  // command's id, or 0 when it failed at once (the client is disconnected).
  using ReplyFn = std::function<void(const ServerMessage* reply, const Error* error)>;
  std::uint32_t command(std::function<void(std::string&, std::uint32_t)> encode, ReplyFn onReply);

  // Any thread.
  std::shared_ptr<SubState> addSubscription(std::string channel, SubscriptionHandlers handlers,
                                            SubscriptionOptions options);
  State state() const { return state_.load(std::memory_order_acquire); }
  // The format of Options::protocol; a stateless singleton, safe to keep.
  const Codec& codec() const { return codec_; }
  App& app() { return app_; }
  unsigned loopIndex() const { return loopIndex_; }

 private:
  struct Pending {
    std::string frame;
    bool sent = false;
    bool isConnect = false;
    std::int64_t deadlineMs = 0;
    ReplyFn done;
  };

  std::int64_t now() const;
  std::uint32_t nextId();
  void setPhase(State s);

  void openTransport();
  void onOpen(WebSocket& ws);
  // Why the subprotocol the server selected does not fit our format, if it does not.
  std::optional<std::string> subprotocolProblem(std::string_view selected) const;
  void onFrame(std::uint64_t gen, std::string_view payload);
  void onTransportClosed(std::uint64_t gen, std::uint32_t code, std::string_view reason);
  void onConnectFailed(std::uint64_t gen, std::string_view error);
  void onConnectReply(const ServerMessage* reply, const Error* error);
  // Ends the current WebSocket on our side; its callbacks are ignored from now.
  void dropTransport(bool terminate, std::uint16_t code, std::string_view reason);
  void afterTransportLoss();
  void scheduleReconnect(std::uint32_t code, std::string reason);
  void stopForGood(std::uint32_t code, std::string reason);

  void tick();
  void send(std::string_view frame);
  void failPending(bool onlySent, std::uint32_t code, std::string_view message);

  void handlePush(ServerMessage& m);
  std::shared_ptr<SubState> findSub(std::string_view channel);
  std::vector<std::shared_ptr<SubState>> allSubs();
  void sendSubscribe(const std::shared_ptr<SubState>& sub);
  void onSubscribeReply(const std::shared_ptr<SubState>& sub, std::uint32_t id, const ServerMessage* reply,
                        const Error* error);
  void retrySubscribe(const std::shared_ptr<SubState>& sub);
  void deliver(SubState& sub, const Publication& pub);
  void reportGap(SubState& sub, GapInfo gap);
  void finishSubscription(const std::shared_ptr<SubState>& sub, std::uint32_t code, std::string reason);
  void publishPosition(SubState& sub);
  void refreshToken();
  void emitError(std::uint32_t code, std::string message);

  App& app_;
  const unsigned loopIndex_;
  Options opts_;
  const Codec& codec_;
  std::atomic<State> state_{State::Disconnected};

  // Loop thread only.
  State phase_ = State::Disconnected;
  bool dead_ = false;  // shut down: no more callbacks
  std::string token_;
  std::uint64_t gen_ = 0;
  WebSocket* ws_ = nullptr;
  std::uint32_t lastId_ = 0;
  std::map<std::uint32_t, Pending> pending_;
  unsigned attempt_ = 0;
  std::int64_t reconnectAtMs_ = 0;
  std::int64_t refreshAtMs_ = 0;
  std::int64_t pingMs_ = 0;  // 0: the server does not ping
  bool pong_ = false;
  std::int64_t lastPingMs_ = 0;
  std::optional<DisconnectPushData> disconnectPush_;
  int timer_ = -1;
  std::mt19937_64 rng_;

  std::mutex subsMutex_;
  std::map<std::string, std::shared_ptr<SubState>, std::less<>> subs_;  // guarded by subsMutex_
};

}  // namespace herald::client::detail
