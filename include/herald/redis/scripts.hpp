#pragma once
// The Lua scripts of the multi-node design (docs/redis.md), run atomically
// by Redis. Each takes only keys of one channel (hash-tagged, see keys.hpp),
// so they also run on Redis Cluster. operations.hpp wraps them in typed calls;
// the argument lists below are their contract.
//
//   publish        KEYS stream, meta; ARGV payload, size, ttl_ms, meta_ttl_ms,
//                  new_epoch, pubsub_channel ("" = none), kind
//                  -> {offset, epoch, time_ms}
//                  Creates the meta (epoch = new_epoch, top 0, the stream
//                  deleted) when missing, increments the top, XADDs entry
//                  ID "<offset>-0" {t = time_ms, d = payload} with MAXLEN ~
//                  size (none when size or ttl is 0), PEXPIREs stream (ttl)
//                  and meta (meta_ttl; 0 = persist), PUBLISHes the envelope
//                  "<kind> <offset> <epoch> <time_ms> <payload>".
//   history        KEYS stream, meta; ARGV since, limit (-1 all, 0 none),
//                  reverse (0/1), size, ttl_ms, meta_ttl_ms, new_epoch
//                  -> {top, epoch, now_ms, {{offset, time_ms, payload}...}}
//                  Entries after `since` within the last `size` offsets and
//                  younger than ttl (now - t < ttl), oldest first (newest
//                  first with reverse), at most `limit`. Creates the meta
//                  like publish when missing, so the epoch is fixed from the
//                  first read on.
//   presence_add   KEYS hash, zset; ARGV client, info, ttl_ms -> 1
//   presence_remove KEYS hash, zset; ARGV client -> 1
//   presence_get   KEYS hash, zset -> {client, info, client, info, ...}
//                  Drops entries whose expiry (zset score, ms) has passed.
//   node_announce  KEYS hash, zset; ARGV node, info, ttl_ms -> 1
//   node_remove    KEYS hash, zset; ARGV node -> 1
//   node_list      KEYS hash, zset -> {node, info, ...} (expired dropped)
//
// Times are Redis' clock (TIME), the same for every node.

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/redis/connection.hpp"

namespace herald::redis {

struct Script {
  std::string_view name;
  std::string_view body;
  std::string sha1;  // hex, as SCRIPT LOAD and EVALSHA know it
};

const Script& publishScript();
const Script& historyScript();
const Script& presenceAddScript();
const Script& presenceRemoveScript();
const Script& presenceGetScript();
const Script& nodeAnnounceScript();
const Script& nodeRemoveScript();
const Script& nodeListScript();
std::span<const Script* const> allScripts();

// EVALSHA, and on a NOSCRIPT error (a restarted or flushed Redis) EVAL with
// the body, which caches the script again. `done` gets the script's reply.
void evalScript(Connection& connection, const Script& script, std::vector<std::string> keys,
                std::vector<std::string> args, ReplyCallback done);

// SCRIPT LOAD of every script, checking that Redis computed the same SHA-1.
// Optional (evalScript falls back to EVAL); call it after each connect to
// save the first EVAL round trip. `done(error)`: empty when all loaded.
void loadScripts(Connection& connection, std::function<void(std::string error)> done);

}  // namespace herald::redis
