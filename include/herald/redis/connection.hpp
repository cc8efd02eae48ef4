#pragma once
// Asynchronous Redis connections driven by a herald::net::Loop (hiredis
// underneath, with an event adapter onto the loop; see docs/redis.md).
//
// Two kinds, because Redis does not mix them on one connection:
//   Connection  commands, pipelined: every command() is queued at once and
//               all commands of one loop iteration go out in one write.
//   Subscriber  pub/sub: SUBSCRIBE / PSUBSCRIBE with a message handler and a
//               confirmation callback; subscriptions survive reconnects.
// A node uses one of each per loop per Redis address.
//
// Threads. A Connection or Subscriber belongs to the loop it was made for:
// construct, call, and destroy it on that loop's thread (or before run()
// starts), and every callback runs on that thread. Nothing here is
// thread-safe; another thread reaches it through Loop::defer(). The loop
// must outlive it. Destroying it from inside one of its own callbacks is
// allowed; no callback runs after the destructor.
//
// Connecting never blocks the loop: `host` must be a numeric IPv4 or IPv6
// address (resolveHost() turns a name into one, blocking, at start-up).
//
// Failures. When the connection drops (Redis killed, network cut, a command
// past its timeout), every command waiting for a reply gets a transport
// error ("connection lost", "command timed out"; Reply::isTransportError()),
// the state becomes Disconnected, and the connection is retried with
// exponential backoff and jitter until it succeeds or stop() is called.
// command() while Disconnected fails at once (on the next iteration) with
// "not connected"; while Connecting it is queued and sent on connect. After
// every successful REconnect (not the first connect) onReconnected runs, for
// a Subscriber once every subscription is confirmed again: the owner's cue
// to resync whatever it may have missed while disconnected.

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "herald/redis/reply.hpp"

namespace herald::net {
class Loop;
}

namespace herald::redis {

struct Options {
  std::string host = "127.0.0.1";  // a numeric IPv4 or IPv6 address
  std::uint16_t port = 6379;
  // How long a connect may take before it is abandoned and retried.
  std::chrono::milliseconds connectTimeout{2000};
  // A command without a reply after this long drops the connection (replies
  // are matched to commands by position, so one lost reply means all are
  // lost): every waiting command fails with "command timed out" and the
  // connection is re-established. 0: no timeout. Not applied to
  // subscriptions.
  std::chrono::milliseconds commandTimeout{5000};
  // Reconnect delays: the n-th retry waits a random time in [d/2, d] with
  // d = min(reconnectMax, reconnectMin * 2^n); reset after a connect.
  std::chrono::milliseconds reconnectMin{100};
  std::chrono::milliseconds reconnectMax{10000};
  // How often deadlines (connect, command, reconnect) are checked.
  std::chrono::milliseconds tick{50};
};

enum class State {
  Idle,          // made, start() not called yet
  Connecting,    // TCP connect in progress (commands queue)
  Connected,
  Disconnected,  // waiting to retry (commands fail at once)
  Stopped,       // stop() called
};
std::string_view stateName(State state);

// Counters for metrics (Redis round trips and errors).
struct ConnectionStats {
  std::uint64_t commands = 0;         // handed to Redis
  std::uint64_t replies = 0;          // answered by Redis (errors included)
  std::uint64_t serverErrors = 0;     // answered with an error reply
  std::uint64_t transportErrors = 0;  // failed without an answer
  std::uint64_t connects = 0;         // successful connects, the first included
  std::uint64_t messages = 0;         // pub/sub messages delivered (Subscriber)
};

using ReplyCallback = std::function<void(Reply)>;
using StateCallback = std::function<void(State state, const std::string& reason)>;

// Resolves a host name to a numeric address for Options::host. Blocks
// (getaddrinfo): call it before the loops run, not on a loop.
std::optional<std::string> resolveHost(const std::string& host, std::string& error);

namespace detail {
class Link;
}

class Connection {
 public:
  // Throws std::invalid_argument when options.host is not a numeric address.
  Connection(net::Loop& loop, Options options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts connecting (and, after a stop(), connecting again).
  void start();
  // Closes the connection: waiting commands fail with "connection closed",
  // no reconnect. start() may follow.
  void stop();

  // Sends one command (each argument one bulk string, binary-safe). `done`
  // runs exactly once, on this loop, with the reply or a transport error,
  // unless the Connection is destroyed first. Replies come in command order.
  void command(std::initializer_list<std::string_view> args, ReplyCallback done);
  void command(std::span<const std::string> args, ReplyCallback done);

  State state() const;
  // Why the last connection attempt failed or the connection dropped.
  const std::string& lastError() const;
  // Commands sent and not answered yet.
  std::size_t pending() const;
  const ConnectionStats& stats() const;

  // State changes: Connected (every connect), Disconnected (with the reason;
  // once per outage, not per failed retry).
  void onStateChange(StateCallback fn);
  // After each reconnect (see the header comment).
  void onReconnected(std::function<void()> fn);

 private:
  std::shared_ptr<detail::Link> link_;
};

// A pub/sub message: the channel it was published to (for a pattern, the
// matching channel) and its payload. Views valid during the call only.
using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;

class Subscriber {
 public:
  Subscriber(net::Loop& loop, Options options);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  void start();
  void stop();

  // Subscribes to `channel`; `onMessage` runs for each message from then on.
  // `onConfirmed` (optional) runs once, when Redis first confirms the
  // subscription (the ["subscribe", channel, count] reply): from that moment
  // every message published to the channel is delivered. A subscription made
  // while disconnected is sent on connect. Returns false (and does nothing)
  // when `channel` is already subscribed.
  bool subscribe(std::string channel, MessageHandler onMessage, ReplyCallback onConfirmed = {});
  // Stops delivery for `channel` at once (a message already on its way is
  // dropped) and tells Redis. False when not subscribed.
  bool unsubscribe(std::string_view channel);
  // The same for glob patterns (PSUBSCRIBE); handlers get the channel name.
  bool psubscribe(std::string pattern, MessageHandler onMessage, ReplyCallback onConfirmed = {});
  bool punsubscribe(std::string_view pattern);

  bool isSubscribed(std::string_view channel) const;
  // Subscriptions confirmed on the current connection.
  std::size_t confirmedCount() const;

  State state() const;
  const std::string& lastError() const;
  const ConnectionStats& stats() const;
  void onStateChange(StateCallback fn);
  // After each reconnect, once every subscription is confirmed again: all
  // messages from now on arrive; those published while disconnected did not.
  void onReconnected(std::function<void()> fn);

 private:
  std::shared_ptr<detail::Link> link_;
};

}  // namespace herald::redis
