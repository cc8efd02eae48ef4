#pragma once
// Everything one loop thread owns: its epoll loop, its listeners, its
// connections, its write batch, and its local table of topic subscribers.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "herald/net/acceptor.hpp"
#include "herald/net/loop.hpp"
#include "herald/net/tls_context.hpp"
#include "herald/ws/deflate_codec.hpp"
#include "write_queue.hpp"

struct sockaddr_storage;

namespace herald::detail {

class AppState;
class Connection;
struct ClientPhase;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Why the engine refused a request or dropped a connection; the names are
// App::refusals()'s.
enum class RefusalReason : std::uint8_t {
  Http400, Http403, Http404, Http405, Http411, Http413, Http426, Http431, Http505, Overloaded503, HttpOther,
  HandshakeTimeout, Close1002, Close1007, Close1009, CloseOther, SlowConsumer,
  Close1008FrameFlood, PerAddress503,
};
inline constexpr std::size_t kRefusalReasons = 19;
inline constexpr const char* kRefusalNames[kRefusalReasons] = {
    "http_400_bad_request", "http_403_forbidden_origin", "http_404_not_found", "http_405_method_not_allowed",
    "http_411_length_required", "http_413_body_too_large", "http_426_upgrade_required", "http_431_head_too_large",
    "http_505_version", "http_503_overloaded", "http_other", "handshake_timeout", "close_1002_protocol_error",
    "close_1007_invalid_data", "close_1009_message_too_big", "close_other_protocol_error", "slow_consumer",
    "close_1008_frame_flood", "http_503_per_address_limit"};

// Counters of one loop: written by its thread alone (a relaxed store, no
// locked instruction), read by any thread for statistics.
struct LoopCounters {
  std::atomic<std::uint64_t> messagesIn{0}, bytesIn{0}, messagesOut{0}, bytesOut{0};
  std::atomic<std::uint64_t> refusals[kRefusalReasons]{};  // by RefusalReason
  void refuse(RefusalReason r) { add(refusals[static_cast<std::size_t>(r)], 1); }
  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

class LoopContext {
 public:
  LoopContext(AppState& app, unsigned index);
  ~LoopContext();

  AppState& app() { return app_; }
  net::Loop& loop() { return loop_; }
  unsigned index() const { return index_; }

  // The context of the loop running on this thread, or null.
  static LoopContext* current();
  void bindToThisThread();

  // Serves the listening socket `fd`, with TLS when `tls` is set.
  void addListener(int fd, std::shared_ptr<net::TlsContext> tls);
  void accept(int fd, const net::TlsContext* tls);
  // Starts a client connection to `addr`; failures go to client->onError.
  void connectClient(const sockaddr_storage& addr, std::unique_ptr<ClientPhase> client);
  void remove(Connection* c);  // from the connection list; freed at iteration end
  // A server connection's descriptor is about to close: it no longer
  // counts against its address's limit.
  void releaseAddress(int fd);
  void markDirty(Connection* c) { dirty_.push_back(c); }
  void markDoomed(Connection* c) { doomed_.push_back(c); }

  // The shared read buffer of this loop: every connection reads into it.
  char* readBuffer() { return readBuffer_.get(); }
  std::size_t readBufferSize() const { return kReadBufferSize; }

  bool subscribe(Connection* c, std::string_view topic);
  bool unsubscribe(Connection* c, std::string_view topic);
  // The local subscribers of `topic`, copied (a caller may unsubscribe them).
  std::vector<Connection*> subscribersOf(std::string_view topic) const;
  // Queues `frame` to every local subscriber of `topic` except `exclude`.
  void deliver(std::string_view topic, const std::shared_ptr<const struct Publication>& publication,
               const Connection* exclude);

  // Scratch space for compressing one message at a time on this loop.
  std::string& compressBuffer() { return compressBuffer_; }
  // A compressor shared by every connection of this loop that resets after
  // each message (no context takeover) with these settings: such a
  // compressor carries nothing from one message to the next, so one per loop
  // does the work of one per connection, and its 256 KiB of zlib state is
  // paid once.
  ws::Deflater& sharedDeflater(const ws::DeflaterOptions& options);

  LoopCounters counters;
  // Connections its acceptors refused for lack of descriptors (HTTP 503).
  std::uint64_t acceptorRefusals() const {
    std::uint64_t n = 0;
    for (const auto& a : acceptors_) n += a->refusedCount();
    return n;
  }

  void beginShutdown();
  std::size_t connectionCount() const { return connections_.size(); }

 private:
  static constexpr std::size_t kReadBufferSize = 512 * 1024;
  // A flush batch of at least kInterleaveFrom connections checks for input
  // after every kPollEvery writes (flushDirty, when `readInput`).
  static constexpr std::size_t kInterleaveFrom = 32;
  static constexpr std::size_t kPollEvery = 16;

  void endIteration();
  void flushDirty(bool readInput);
  void sweep();

  AppState& app_;
  unsigned index_;
  net::Loop loop_;
  std::vector<std::unique_ptr<net::Acceptor>> acceptors_;
  std::vector<std::shared_ptr<net::TlsContext>> tlsContexts_;
  std::vector<Connection*> connections_;
  std::vector<Connection*> dirty_;
  std::vector<Connection*> doomed_;
  // Publications not queued for a connection over its limit, for
  // WsBehavior::dropped at the end of the iteration.
  std::vector<std::pair<Connection*, std::string>> drops_;
  std::vector<Connection*> graveyard_;
  std::unordered_map<std::string, std::vector<Connection*>, StringHash, std::equal_to<>> topics_;
  std::unique_ptr<char[]> readBuffer_;
  std::string compressBuffer_;
  std::vector<std::unique_ptr<ws::Deflater>> sharedDeflaters_;
  bool shuttingDown_ = false;
  std::int64_t shutdownDeadlineMs_ = 0;
};

}  // namespace herald::detail
