#pragma once
// The Centrifugo client protocol over WebSocket (/connection/websocket):
// sessions, commands, replies, pings, and the server's own actions on
// clients (disconnect, subscribe, unsubscribe from the HTTP API).
//
// Everything about a session happens on its connection's loop. Broker calls
// answer on that loop too; their callbacks find the session again by its
// serial number, since it may have gone away meanwhile.

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "auth_gate.hpp"
#include "config/config.hpp"
#include "control_message.hpp"
#include "herald/broker/broker.hpp"
#include "herald/engine/app.hpp"
#include "herald/proto/codec.hpp"
#include "herald/proto/reply.hpp"
#include "metrics.hpp"
#include "session.hpp"

namespace herald::server {

class ClientProtocol {
 public:
  ClientProtocol(const ServerConfig& config, App& app, broker::Broker& broker, const AuthGate& auth, Metrics& metrics);
  ~ClientProtocol();

  // The endpoint's behaviour, for app.ws("/connection/websocket", ...).
  WsBehavior behavior();
  // Starts each loop's once-a-second sweep: pings, pongs, expiry, stale
  // connections. Call before app.run().
  void startTimers();

  // Server-side actions, callable from any loop; they reach every loop.
  // An empty `client` means every connection of the user.
  void disconnectUser(std::string user, std::string client, std::uint32_t code, std::string reason);
  void unsubscribeUser(std::string user, std::string client, std::string channel);
  // A control message from any node (ServerApi sends them through the broker).
  void apply(const ControlMessage& message);
  // Every local subscription to `channel` ends with unsubscribe 2500: the
  // broker could not keep the channel's stream whole; clients subscribe
  // again and recovery tells them what is lost.
  void resetChannel(std::string channel);
  // A publication of `channel` cannot travel in `format` (binary data for a
  // JSON client): every local subscriber speaking it is disconnected with
  // 3506 (inappropriate protocol), as in Centrifugo.
  void refuseFormat(std::string channel, proto::Format format);
  // The `seq`-th publication of `channel` on this node, for its delta
  // subscribers in `format` on every loop (BrokerHost::publishDelta).
  void deliverDelta(std::string channel, proto::Format format, std::uint64_t seq,
                    std::shared_ptr<const broker::BrokerHost::DeltaFrames> frames);
  void subscribeUser(std::string user, std::string client, std::string channel);
  // Sets when the user's connections expire (Unix seconds, 0: never) and
  // tells them with a refresh push; `expired` disconnects them with 3005.
  void refreshUser(std::string user, std::string client, std::int64_t expireAt, bool expired);

 private:
  struct LoopState;

  // Lifecycle (client_protocol.cpp).
  void onOpen(WebSocket& ws);
  void onMessage(WebSocket& ws, std::string_view payload, ws::Opcode opcode);
  void onClose(WebSocket& ws, std::uint16_t code);
  // Slow subscribers (slow_consumer policy): publications were dropped for
  // `ws` on `topic`; and its queue has drained.
  void onDropped(WebSocket& ws, std::string_view topic);
  void onDrain(WebSocket& ws);
  void disconnectLater(Session& s, proto::DisconnectCode code);
  // The sessions of `user` on loop L (only the one with id `client` when
  // given); an anonymous user ("") is reached by client id only.
  std::vector<std::uint64_t> targets(LoopState& L, const std::string& user, const std::string& client);
  void sweep(unsigned loop);
  void handle(Session& s, const proto::Command& cmd, std::string& batch);
  bool rateLimited(Session& s, std::int64_t nowMs);
  void disconnect(Session& s, proto::DisconnectCode code, std::string_view reason = {});
  void send(Session& s, std::string_view frame);
  void sendReplyError(Session& s, std::uint32_t id, proto::ErrorCode code);
  static const proto::Encoder& encoder(const Session& s) { return proto::encoderFor(s.format); }
  // Whether the session's format carries every publication's data; if not,
  // the session is disconnected with 3506 (and must not be used after).
  bool carriesAll(Session& s, const std::vector<broker::StoredPublication>& publications);
  LoopState& loopState(unsigned loop) { return *loops_[loop]; }
  std::int64_t nowMs() const;

  // Commands (client_commands.cpp).
  void handleConnect(Session& s, std::uint32_t id, const proto::ConnectCommand& cmd, std::string& batch);
  void markConnected(Session& s);
  void handleSubscribe(Session& s, std::uint32_t id, const proto::SubscribeCommand& cmd, std::string& batch);
  void handleUnsubscribe(Session& s, std::uint32_t id, const proto::UnsubscribeCommand& cmd, std::string& batch);
  void handlePublish(Session& s, std::uint32_t id, const proto::PublishCommand& cmd, std::string& batch);
  void handlePresence(Session& s, std::uint32_t id, std::string_view channel, bool statsOnly, std::string& batch);
  void handleHistory(Session& s, std::uint32_t id, const proto::HistoryCommand& cmd, std::string& batch);
  void handleRefresh(Session& s, std::uint32_t id, const proto::RefreshCommand& cmd, std::string& batch);
  void handleSubRefresh(Session& s, std::uint32_t id, const proto::SubRefreshCommand& cmd, std::string& batch);

  // Replies owned until they are sent (client_protocol_state.hpp).
 public:
  struct SubscribeReply;

 private:
  struct SubscribeSpec {
    std::string channel;
    bool recover = false;
    std::uint64_t offset = 0;
    std::string epoch;
    bool positioned = false;
    bool recoverable = false;
    bool joinLeave = false;
    bool rejectUnrecovered = false;  // proto::kSubscribeFlagRejectUnrecovered
    bool delta = false;              // fossil deltas asked for and allowed
    std::int64_t expiresAt = 0;
    std::string chanInfo;
    bool fromServer = false;
  };
  // Starts a subscription; `done` gets its outcome or an error, on the
  // session's loop, if the session still exists.
  using SubscribeDone = std::function<void(Session&, std::optional<proto::ErrorCode>, SubscribeReply&)>;
  void startSubscribe(Session& s, SubscribeSpec spec, SubscribeDone done);
  // Ends a subscription the client had (or was getting).
  void endSubscription(Session& s, const std::string& channel);
  // The channel's options, or null with the error to answer.
  const ChannelOptions* channelOptions(std::string_view channel, proto::ErrorCode& error) const;

  const ServerConfig& config_;
  App& app_;
  broker::Broker& broker_;
  const AuthGate& auth_;
  Metrics& metrics_;
  std::string node_;
  std::vector<std::unique_ptr<LoopState>> loops_;
};

}  // namespace herald::server
