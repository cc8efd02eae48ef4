#pragma once

#include <signal.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "herald/net/tls_context.hpp"

#include "endpoint.hpp"
#include "http_exchange.hpp"
#include "herald/engine/app.hpp"
#include "loop_context.hpp"

namespace herald::detail {

// Open server connections per remote address, for
// AppOptions::maxConnectionsPerAddress. Shared by every loop (a peer's
// connections land on any of them), so it takes a lock: once per accepted
// and once per closed connection, never on the message path, and only when
// the limit is on.
class AddressCounts {
 public:
  // Counts `fd`'s connection against its address; false (nothing counted)
  // when that address already holds `limit`.
  bool admit(int fd, std::string key, std::size_t limit);
  // Forgets `fd` (before it is closed); nothing when it was not counted.
  void release(int fd);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> open_;  // by address
  std::unordered_map<int, std::string> addressOf_;     // by descriptor
};

class AppState {
 public:
  explicit AppState(AppOptions opts) : options(opts) {}

  const Endpoint* findEndpoint(std::string_view path) const {
    for (const auto& e : endpoints)
      if (e->path == path) return e.get();
    return nullptr;
  }

  // The route for a plain HTTP request: an exact path, else the longest
  // prefix route ("/api/") that starts `path`.
  const HttpRoute* findRoute(std::string_view path) const {
    const HttpRoute* best = nullptr;
    for (const auto& r : routes) {
      if (r.path == path) return &r;
      if (!r.path.empty() && r.path.back() == '/' && path.starts_with(r.path) &&
          (!best || r.path.size() > best->path.size()))
        best = &r;
    }
    return best;
  }

  // Client TLS contexts, one per trust setting, made on first use.
  std::shared_ptr<net::TlsContext> clientTls(const std::string& caFile, bool verify) {
    std::lock_guard lock(tlsMutex);
    auto& slot = clientTlsContexts[{caFile, verify}];
    if (!slot) slot = net::TlsContext::client(caFile, verify);
    return slot;
  }

  AppOptions options;
  std::optional<sigset_t> previousSignalMask;  // restored when the App goes away
  std::mutex tlsMutex;
  std::map<std::pair<std::string, bool>, std::shared_ptr<net::TlsContext>> clientTlsContexts;
  std::vector<std::unique_ptr<Endpoint>> endpoints;
  std::vector<HttpRoute> routes;
  std::vector<std::unique_ptr<LoopContext>> loops;
  std::atomic<std::size_t> connections{0};
  AddressCounts perAddress;  // used when options.maxConnectionsPerAddress > 0
  bool sharedDeflate = false;  // an endpoint compresses with no context takeover
};

// A publication as every subscriber may need it, built once: the plain frame,
// and, when some endpoint compresses with no context takeover, the frame
// deflated once for all of those subscribers (RFC 7692 section 7.1.1.1: a
// compressor reset after each message makes output anyone can inflate).
struct Publication {
  ws::Opcode opcode = ws::Opcode::Text;
  std::string payload;   // for subscribers who compress with their own context
  SharedFrame plain;
  SharedFrame deflated;  // null when no subscriber can use it
};
using SharedPublication = std::shared_ptr<const Publication>;

SharedFrame makeSharedFrame(ws::Opcode opcode, std::string_view payload);
SharedPublication makePublication(const AppState& app, ws::Opcode opcode, std::string_view payload);

}  // namespace herald::detail

namespace herald::detail {

class Connection;

// Hands `frame` to every loop: delivered at once on the calling loop (minus
// `exclude`), deferred to the others. Callable from any thread.
void publishFrame(AppState& app, std::string_view topic, const SharedPublication& publication, const Connection* exclude);

}  // namespace herald::detail
