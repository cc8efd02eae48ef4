#pragma once
// The C++ client of the Centrifugo client protocol over WebSocket, as
// `herald serve` and Centrifugo speak it, in either of its formats
// (Options::protocol): JSON (the default) or Protobuf.
//
//   herald::client::Client c({.url = "ws://127.0.0.1:8080/connection/websocket"});
//   auto sub = c.subscribe("chat:lobby", {.onPublication = [](const herald::client::Publication& p) {
//     std::printf("%llu %s\n", (unsigned long long)p.offset, p.data.c_str());
//   }});
//   c.connect();
//   c.publish("chat:lobby", R"({"text":"hi"})", [](auto r) { /* r.error or ok */ });
//
// The same with binary data: Options{.url = ..., .protocol = Protocol::Protobuf},
// then publish any bytes; Publication::data holds the bytes received.
//
// What it does for you: reconnects with exponential backoff and full jitter
// (Options::minReconnectDelay..maxReconnectDelay) unless the server's
// disconnect code says not to (3500..3999, 4500..4999); subscribes again
// after each reconnect and recovers from the last delivered offset, dropping
// duplicates and reporting gaps (see subscription.hpp); answers the server's
// pings and reconnects when they stop (ping interval + maxServerPingDelay);
// matches replies to commands by id and fails a command with
// error_code::Timeout when its reply is late; refreshes an expiring
// connection token through Options::getToken.
//
// Threads: a Client runs on ONE event loop thread: its own App's (first
// constructor) or loop `loopIndex` of an App the caller runs (second). Every
// callback - of Options, of SubscriptionHandlers and of commands - runs on
// that thread, one at a time. Every public method may be called from any
// thread; calls from other threads are deferred to the loop (App::deferTo),
// calls made on the loop thread (from a callback) take effect at once.
// Callbacks must not block: waiting on a future returned by this class from
// a callback deadlocks.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "herald/client/subscription.hpp"
#include "herald/client/types.hpp"
#include "herald/engine/app.hpp"

namespace herald::client {

struct ConnectedEvent {
  std::string client{};   // the id the server gave this connection
  std::string version{};  // the server's version
  std::string data{};     // from the server (raw JSON, or bytes with Protobuf), or empty
  std::uint32_t ping = 0;  // seconds between server pings (0: none)
};

struct DisconnectEvent {
  std::uint32_t code = 0;  // the close code or the protocol's disconnect code
  std::string reason{};
  bool reconnect = false;  // the client is going to connect again
};

enum class State : std::uint8_t { Disconnected, Connecting, Connected };

// The protocol's two wire formats.
//   Json      text frames; publication data, info and message data are JSON
//             values (raw JSON text, minified, in Publication::data and the rest).
//   Protobuf  binary frames, WebSocket subprotocol "centrifuge-protobuf";
//             data, info and message data are bytes, any bytes at all,
//             handed over exactly as the server sent them (data published
//             as JSON arrives as that JSON text).
// A server that speaks JSON only cannot carry a channel's binary data to a
// JSON client: it disconnects it with 3506 (inappropriate protocol).
enum class Protocol : std::uint8_t { Json, Protobuf };

struct Options {
  std::string url{};  // ws://host:port/connection/websocket or wss://...
  std::string token{};  // connection JWT; empty: anonymous
  // Called (on the loop thread) for a new token when the server says the
  // current one expired (error 109) and before an expiring connection runs
  // out. Return "" to give up: the client then disconnects.
  std::function<std::string()> getToken{};
  std::string name = "herald-cpp";
  std::string version = "0.1.0";
  // The wire format. With Protobuf the client asks for the subprotocol
  // "centrifuge-protobuf" (replacing transport.subprotocols); a server that
  // does not select it cannot speak Protobuf, and the client stops for good
  // (onDisconnected, code 3506 "inappropriate protocol") instead of
  // retrying. With JSON, a server that selects it is refused the same way.
  Protocol protocol = Protocol::Json;

  std::chrono::milliseconds minReconnectDelay{500};
  std::chrono::milliseconds maxReconnectDelay{20'000};
  std::chrono::milliseconds timeout{10'000};  // connect (upgrade + connect reply) and each reply
  // How much later than the announced interval a server ping may come
  // before the connection is taken for dead.
  std::chrono::milliseconds maxServerPingDelay{10'000};
  // TLS, headers, compression of the WebSocket (its onError is replaced).
  herald::ClientOptions transport{};

  std::function<void(const ConnectedEvent&)> onConnected{};
  // The connection is down and the client is about to try again (also
  // before the first attempt, with code 0).
  std::function<void(const DisconnectEvent&)> onConnecting{};
  // The client stopped for good: disconnect(), a terminal disconnect code,
  // or a connect refused by the server. connect() starts it again.
  std::function<void(const DisconnectEvent&)> onDisconnected{};
  // Failures that belong to no command: a failed connection attempt
  // (error_code::ConnectFailed), a refused connect, an unreadable frame.
  std::function<void(const Error&)> onError{};
  // `message` pushes (server-to-client asynchronous messages): raw JSON,
  // or bytes with Protobuf.
  std::function<void(std::string_view data)> onMessage{};
};

// The delay before reconnect attempt `attempt` (0 first): a random value in
// [min, min + min(max, min * 2^attempt)], never above max ("full jitter",
// with a floor so that a zero draw cannot hammer the server). `random01` is
// a uniform draw from [0, 1).
std::chrono::milliseconds backoffDelay(unsigned attempt, std::chrono::milliseconds min,
                                       std::chrono::milliseconds max, double random01);

class Client {
 public:
  // Runs on its own App with one loop thread, started here.
  explicit Client(Options options);
  // Runs on loop `loopIndex` of `app`, which the caller runs; `app` must
  // outlive the Client and keep running until the destructor returns.
  Client(App& app, Options options, unsigned loopIndex = 0);
  // Disconnects; with its own App, stops it and joins the thread. Callbacks
  // may still run while the destructor waits, never after it returned
  // (unless the destructor runs on the caller's loop thread itself).
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void connect();
  // Closes the connection (1000) and stops reconnecting; commands waiting
  // for replies fail with error_code::ClientClosed. Subscriptions are kept
  // and subscribe again on the next connect().
  void disconnect();
  State state() const;

  // One Subscription per channel: while one for `channel` is not
  // Unsubscribed, subscribing again returns nullptr. Subscribes now when
  // connected, else as soon as the client connects.
  std::shared_ptr<Subscription> subscribe(std::string channel, SubscriptionHandlers handlers,
                                          SubscriptionOptions options = {});

  // Commands. While connecting they wait (within Options::timeout) for the
  // connection; after disconnect() they fail at once.
  //
  // publish: `data` is one JSON value with Protocol::Json, any non-empty
  // bytes with Protocol::Protobuf. Other data fails at once with 107 (bad
  // request) and never reaches the server, which would close the connection
  // for it.
  void publish(std::string channel, std::string data, std::function<void(Result<PublishResult>)> done);
  void presence(std::string channel, std::function<void(Result<PresenceResult>)> done);
  void presenceStats(std::string channel, std::function<void(Result<PresenceStatsResult>)> done);
  void history(std::string channel, HistoryOptions options, std::function<void(Result<HistoryResult>)> done);

  // The same, for code that prefers to wait (tools, tests). Never wait on
  // these futures from the loop thread.
  std::future<Result<PublishResult>> publish(std::string channel, std::string data);
  std::future<Result<PresenceResult>> presence(std::string channel);
  std::future<Result<PresenceStatsResult>> presenceStats(std::string channel);
  std::future<Result<HistoryResult>> history(std::string channel, HistoryOptions options);

 private:
  std::unique_ptr<App> ownApp_{};
  std::shared_ptr<detail::ClientCore> core_{};
  std::thread thread_{};
};

}  // namespace herald::client
