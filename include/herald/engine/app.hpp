#pragma once
// The embeddable WebSocket server.
//
//   herald::App app({.threads = 2});
//   app.ws("/echo", {.message = [](herald::WebSocket& ws, std::string_view msg, herald::ws::Opcode op) {
//     ws.send(msg, op);
//   }});
//   std::uint16_t port = app.listen("127.0.0.1", 9001);
//   app.run();  // until SIGINT/SIGTERM or stop()
//
// Each thread runs its own loop with its own SO_REUSEPORT listener and its own
// connections; nothing on the message path is shared between threads.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <memory>
#include <any>
#include <string>
#include <string_view>
#include <vector>

#include "herald/engine/http_route.hpp"
#include "herald/engine/web_socket.hpp"
#include "herald/net/loop.hpp"
#include "herald/ws/permessage_deflate.hpp"

namespace herald {

namespace http {
struct Request;
}

struct WsBehavior {
  // Called when an upgrade request is accepted, with the request (its path,
  // query and headers are gone after this); what it returns becomes the
  // connection's userData() before open() runs. For what a handshake says
  // that the application needs later (a query parameter, a cookie).
  std::function<std::any(const http::Request&)> upgrade{};
  // Called once the handshake succeeded, before any message.
  std::function<void(WebSocket&)> open{};
  std::function<void(WebSocket&, std::string_view payload, ws::Opcode opcode)> message{};
  // Called once when the connection stops being open, for any reason: the
  // peer's close code, ours, or 1006 when the TCP connection just dropped.
  std::function<void(WebSocket&, std::uint16_t code, std::string_view reason)> close{};
  // Called when a connection that had a backlog has written all of it.
  std::function<void(WebSocket&)> drain{};
  std::function<void(WebSocket&, std::string_view payload)> ping{};
  std::function<void(WebSocket&, std::string_view payload)> pong{};

  // Larger messages are refused with close code 1009 before being buffered.
  std::size_t maxMessageBytes = 64 * 1024;
  // Bytes a connection may have queued; a send past it is dropped and, when
  // closeOnBackpressureLimit, the connection is dropped too (slow consumer).
  // A single message into an empty queue is always accepted.
  std::size_t maxBackpressureBytes = 4 * 1024 * 1024;
  bool closeOnBackpressureLimit = true;
  // With closeOnBackpressureLimit off: a publication of `topic` was not
  // queued for this connection because its queue was over the limit. Runs at
  // the end of the loop iteration, once per connection and topic, so the
  // application can act on the gap (unsubscribe it, tell it, close it).
  std::function<void(WebSocket&, std::string_view topic)> dropped{};
  // The close code and reason a slow consumer is dropped with.
  std::uint16_t slowConsumerCloseCode = ws::close_code::PolicyViolation;
  std::string slowConsumerReason = "send queue over its byte limit (slow consumer)";
  // Frames without message bytes (pings, pongs, and empty fragments that do
  // not end a message) a connection may send per second; one more closes
  // it with 1008. Counted over the loop's one-second sweep. 0: no limit.
  std::uint16_t maxControlFramesPerSecond = 100;
  // With no data from the peer for half of this, the server sends a ping; with
  // none for all of it, the connection is closed (1001). Zero disables both.
  std::chrono::seconds idleTimeout{120};
  // Subprotocols this endpoint speaks, most preferred first.
  std::vector<std::string> subprotocols{};
  // Browsers' Origin check; null allows every origin.
  std::function<bool(std::string_view origin, std::string_view host)> allowOrigin{};
  // permessage-deflate (RFC 7692), off by default. When a client offers it,
  // messages of at least deflate.minCompressBytes are sent compressed.
  bool compression = false;
  ws::DeflateConfig deflate{};
};

// How a client connection (App::connect) connects.
struct ClientOptions {
  std::string caFile{};           // trust only the CAs in this PEM file; empty: the system's store
  bool verifyCertificate = true;  // turn off only to test against a self-signed server
  std::vector<std::string> subprotocols{};
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string origin{};
  std::chrono::seconds timeout{10};  // TCP connect, TLS and upgrade together
  // Offer permessage-deflate; messages of at least minCompressBytes are
  // then sent compressed when the server accepts.
  bool compression = false;
  ws::DeflateClientOptions deflate{};
  std::size_t minCompressBytes = 64;
  // A numeric local address to connect from (e.g. "127.0.0.2"). One source
  // and destination address pair gives about 28,000 connections (the
  // ephemeral ports); a client that needs more spreads over sources.
  std::string sourceAddress{};
  // The connection failed before it opened: name resolution, refused,
  // certificate, refused upgrade, redirect. Runs on the connection's loop.
  std::function<void(std::string_view error)> onError{};
};

struct AppOptions {
  unsigned threads = 0;  // 0: one loop per core
  std::size_t maxConnections = 1'000'000;  // beyond it, new connections get HTTP 503
  // Open connections one remote address (IPv4, or IPv6 /128) may hold;
  // beyond it, new ones from that address get HTTP 503. 0: no limit.
  std::size_t maxConnectionsPerAddress = 0;
  std::size_t maxHeadBytes = 8 * 1024;     // request head limit (HTTP 431)
  std::chrono::seconds handshakeTimeout{10};
  std::chrono::seconds closeTimeout{5};     // wait for the peer's close frame
  std::chrono::seconds shutdownTimeout{5};  // wait for clients on SIGINT/SIGTERM
  bool handleSignals = true;                // SIGINT/SIGTERM start a graceful shutdown
  // What open WebSockets are closed with on shutdown.
  std::uint16_t shutdownCloseCode = 1001;
  std::string shutdownReason = "server shutting down";
};

namespace detail {
class AppState;
}

class App {
 public:
  explicit App(AppOptions options = {});
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Serves WebSocket connections on `path`. Call before run().
  App& ws(std::string path, WsBehavior behavior);

  // Serves plain HTTP requests whose path is `path`, or starts with it when
  // it ends with '/' ("/api/"); the longest match wins, and a WebSocket
  // endpoint at the same path wins over both. Call before run().
  App& http(std::string path, HttpHandler handler, HttpRouteOptions options = {});

  // Binds host:port (0: a free port) on every loop; returns the port.
  // Throws std::system_error with a readable message when it cannot bind.
  std::uint16_t listen(const std::string& host, std::uint16_t port);
  // The same with TLS (wss://): PEM certificate chain and private key. Plain
  // and TLS listeners can run side by side. Throws std::runtime_error naming
  // the file and the reason when they cannot be loaded.
  std::uint16_t listenTls(const std::string& host, std::uint16_t port, const std::string& certFile,
                          const std::string& keyFile);

  // Opens a client WebSocket to `url` (ws:// or wss://) on one of the loops
  // (the calling one, if called from a loop); `behavior` runs it exactly as
  // it runs server connections. Callable from any thread; the host name is
  // resolved in the calling thread. Failures before open go to
  // options.onError, with a readable reason.
  void connect(const std::string& url, WsBehavior behavior, ClientOptions options = {});

  // Runs `fn` on the first loop's thread; callable from any thread.
  void defer(std::function<void()> fn);
  // Runs `fn` on loop `index`'s thread; callable from any thread, and
  // before run() (it runs once that loop starts). Functions deferred from
  // one thread to one loop run in the order they were deferred, and after
  // any publish() made earlier from that thread to that loop.
  void deferTo(unsigned index, std::function<void()> fn);
  // The index of the loop running on the calling thread, or -1.
  int currentLoop() const;
  // Loop `index` itself, for timers (net::Loop::addTimer, from its thread).
  net::Loop& loop(unsigned index);

  // Runs every loop (the calling thread runs the first) until shutdown.
  // Returns once every loop has finished.
  void run();

  // Graceful shutdown from any thread: stop accepting, close every WebSocket
  // with 1001, wait up to shutdownTimeout for the peers, then return from run().
  void stop();

  // Publishes to every subscriber of `topic` on every loop; callable from any
  // thread. The frame is serialized once and shared by all subscribers.
  void publish(std::string_view topic, std::string_view payload, ws::Opcode opcode = ws::Opcode::Text);
  // Calls fn(ws) for every subscriber of `topic` on every loop, each on its
  // loop's thread: the calling loop's at once, the others queued (after
  // what was published to them before, from this thread). fn may close the
  // connection or unsubscribe it. Callable from any thread.
  void forEachSubscriber(std::string_view topic, std::function<void(WebSocket&)> fn);

  // WebSocket messages in and out (data messages, not control frames)
  // across all loops since start; bytes are payload bytes (out: as framed).
  struct Counters {
    std::uint64_t messagesIn = 0, bytesIn = 0, messagesOut = 0, bytesOut = 0;
  };
  Counters counters() const;
  // What the engine refused or cut since start, by reason ("http_431_head_too_large",
  // "close_1009_message_too_big", "http_503_overloaded", "slow_consumer", ...),
  // across all loops, every reason listed.
  std::vector<std::pair<std::string_view, std::uint64_t>> refusals() const;

  unsigned threads() const;
  // Open connections across all loops (HTTP and WebSocket).
  std::size_t connectionCount() const;

 private:
  std::unique_ptr<detail::AppState> state_;
};

}  // namespace herald
