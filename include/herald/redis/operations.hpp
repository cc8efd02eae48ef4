#pragma once
// Typed calls over the scripts (scripts.hpp) for the multi-node design:
// channel streams with offsets and epochs assigned by Redis, presence with
// expiry, the node registry. Each call is one round trip on a Connection and
// answers on its loop. Semantics follow the HistoryStore contract
// (include/herald/broker/history_store.hpp), except that the offset is
// assigned by Redis, because several nodes publish to one channel.
//
// Every result has `error` (empty: ok) and `temporary`: true when Redis
// could not be asked or did not answer (transport error: not connected,
// connection lost, timed out). A publish that failed temporarily may still
// have been stored (the reply was lost, not the command): the caller must
// say "try again", never "not published".

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/redis/connection.hpp"

namespace herald::redis {

// A channel's history limits (HistoryLimits, in milliseconds). size 0 or
// ttl 0: no publications kept, only the top offset and epoch. metaTtl: how
// long the top offset and epoch outlive the last publication (0: forever);
// when it runs out the next publish starts a new epoch. Make it much longer
// than ttl (Centrifugo's default: 30 days).
struct StreamLimits {
  std::size_t size = 0;
  std::chrono::milliseconds ttl{0};
  std::chrono::milliseconds metaTtl{0};
};

struct OperationStatus {
  std::string error{};     // empty: ok
  bool temporary = false;  // a transport error (see the header comment)
  bool ok() const { return error.empty(); }
};

struct PublishResult : OperationStatus {
  std::uint64_t offset = 0;
  std::string epoch{};
  std::int64_t timeMs = 0;  // Redis' clock when appended
};

// Appends `payload` to the channel's stream and publishes the envelope
// "p <offset> <epoch> <time_ms> <payload>" on pubsubChannel(channel), in one
// atomic step. With `publish` false, nothing is published (history only).
void publishToStream(Connection& connection, std::string_view channel, std::string_view payload,
                     const StreamLimits& limits, std::function<void(PublishResult)> done, bool publish = true);

struct StreamEntry {
  std::uint64_t offset = 0;
  std::int64_t timeMs = 0;
  std::string payload{};
};

struct StreamQuery {
  std::uint64_t since = 0;  // entries with offset > since
  std::int64_t limit = -1;  // < 0: all; 0: none (only the position)
  bool reverse = false;     // newest first
};

struct StreamResult : OperationStatus {
  std::uint64_t top = 0;
  std::string epoch{};
  std::int64_t nowMs = 0;  // Redis' clock at the read
  // Retained entries after `since`: the last limits.size offsets, none
  // older than limits.ttl; oldest first (newest first when reverse).
  std::vector<StreamEntry> entries{};
};

// Reads the channel's position and entries; creates its meta (a new epoch,
// top 0) when Redis has none, like HistoryStore::load().
void readStream(Connection& connection, std::string_view channel, const StreamQuery& query,
                const StreamLimits& limits, std::function<void(StreamResult)> done);

// Presence: the node that holds a client adds it (and re-adds it before
// `ttl` runs out, to refresh it) and removes it when it leaves; a client of
// a node that died disappears `ttl` after its last refresh.
void presenceAdd(Connection& connection, std::string_view channel, std::string_view client, std::string_view info,
                 std::chrono::milliseconds ttl, std::function<void(OperationStatus)> done);
void presenceRemove(Connection& connection, std::string_view channel, std::string_view client,
                    std::function<void(OperationStatus)> done);

struct EntriesResult : OperationStatus {
  std::vector<std::pair<std::string, std::string>> entries{};  // (client or node id, info)
};
void presenceGet(Connection& connection, std::string_view channel, std::function<void(EntriesResult)> done);

// The node registry (kNodesKey): announce every few seconds with a ttl a few
// times longer; list shows the nodes whose last announce has not expired.
void announceNode(Connection& connection, std::string_view node, std::string_view info, std::chrono::milliseconds ttl,
                  std::function<void(OperationStatus)> done);
void removeNode(Connection& connection, std::string_view node, std::function<void(OperationStatus)> done);
void listNodes(Connection& connection, std::function<void(EntriesResult)> done);

}  // namespace herald::redis
