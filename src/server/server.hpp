#pragma once
// `herald serve`: the messaging server assembled from its layers. The
// configuration picks the stores; the App carries the client protocol at
// /connection/websocket, the server API at /api/, /health and /metrics.

#include <cstdint>
#include <memory>

#include "config/config.hpp"

namespace herald::server {

class Server {
 public:
  // Opens the history database; throws std::runtime_error with a readable
  // message when it cannot (and ConfigError for unusable settings). A
  // damaged database is moved aside, logged at error level, and replaced by
  // a new one (docs/operations.md, "A damaged history file").
  explicit Server(ServerConfig config);
  ~Server();

  // Binds the configured address (port 0: a free one); returns the port.
  std::uint16_t listen();
  // Serves until SIGINT/SIGTERM or stop(); clients are disconnected with the
  // reconnect-advising 3001 "shutdown", then history is flushed.
  void run();
  void stop();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace herald::server
