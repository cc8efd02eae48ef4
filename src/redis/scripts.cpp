#include "herald/redis/scripts.hpp"

#include <openssl/evp.h>

#include <array>
#include <memory>

namespace herald::redis {

namespace {

// Every script reads the clock of Redis (one clock for all nodes).
#define HERALD_LUA_NOW                                  \
  "local function now_ms()\n"                           \
  "  local t = redis.call('time')\n"                    \
  "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n" \
  "end\n"

// Creates the channel's meta when missing: a new epoch, top 0, and no
// stream (a stream without its meta belongs to a life that is over).
#define HERALD_LUA_ENSURE_META                          \
  "local function ensure_meta(stream, meta, new_epoch, meta_ttl)\n" \
  "  local epoch = redis.call('hget', meta, 'e')\n"     \
  "  if not epoch then\n"                               \
  "    epoch = new_epoch\n"                             \
  "    redis.call('del', stream)\n"                     \
  "    redis.call('hset', meta, 'e', epoch, 's', 0)\n"  \
  "    if meta_ttl > 0 then redis.call('pexpire', meta, meta_ttl) end\n" \
  "  end\n"                                             \
  "  return epoch\n"                                    \
  "end\n"

constexpr std::string_view kPublish =
    "-- herald publish: append to the channel's stream and publish, atomically\n"
    HERALD_LUA_NOW HERALD_LUA_ENSURE_META
    "local stream, meta = KEYS[1], KEYS[2]\n"
    "local payload = ARGV[1]\n"
    "local size = tonumber(ARGV[2])\n"
    "local ttl = tonumber(ARGV[3])\n"
    "local meta_ttl = tonumber(ARGV[4])\n"
    "local epoch = ensure_meta(stream, meta, ARGV[5], meta_ttl)\n"
    "local top = redis.call('hincrby', meta, 's', 1)\n"
    "local now = now_ms()\n"
    "if size > 0 and ttl > 0 then\n"
    "  redis.call('xadd', stream, 'MAXLEN', '~', size, top, 't', now, 'd', payload)\n"
    "  redis.call('pexpire', stream, ttl)\n"
    "else\n"
    "  redis.call('del', stream)\n"
    "end\n"
    "if meta_ttl > 0 then redis.call('pexpire', meta, meta_ttl) else redis.call('persist', meta) end\n"
    "if ARGV[6] ~= '' then\n"
    "  redis.call('publish', ARGV[6], ARGV[7] .. ' ' .. top .. ' ' .. epoch .. ' ' .. now .. ' ' .. payload)\n"
    "end\n"
    "return {top, epoch, now}\n";

constexpr std::string_view kHistory =
    "-- herald history: the channel's position and the entries after an offset\n"
    HERALD_LUA_NOW HERALD_LUA_ENSURE_META
    "local stream, meta = KEYS[1], KEYS[2]\n"
    "local since = tonumber(ARGV[1])\n"
    "local limit = tonumber(ARGV[2])\n"
    "local reverse = ARGV[3] == '1'\n"
    "local size = tonumber(ARGV[4])\n"
    "local ttl = tonumber(ARGV[5])\n"
    "local meta_ttl = tonumber(ARGV[6])\n"
    "local epoch = ensure_meta(stream, meta, ARGV[7], meta_ttl)\n"
    "local top = tonumber(redis.call('hget', meta, 's') or 0)\n"
    "local now = now_ms()\n"
    "local function entry(e)\n"
    "  local f = e[2]\n"
    "  local t, d = 0, ''\n"
    "  for i = 1, #f, 2 do\n"
    "    if f[i] == 't' then t = tonumber(f[i + 1]) elseif f[i] == 'd' then d = f[i + 1] end\n"
    "  end\n"
    "  return tonumber(string.match(e[1], '^(%d+)')), t, d\n"
    "end\n"
    "local out = {}\n"
    "if limit ~= 0 and size > 0 and ttl > 0 and top > since then\n"
    "  local lo = math.max(since + 1, top - size + 1, 1)\n"
    "  local cutoff = now - ttl\n"
    "  if reverse then\n"
    "    local entries\n"
    "    if limit > 0 then entries = redis.call('xrevrange', stream, top, lo, 'COUNT', limit)\n"
    "    else entries = redis.call('xrevrange', stream, top, lo) end\n"
    "    for _, e in ipairs(entries) do\n"
    "      local o, t, d = entry(e)\n"
    "      if t <= cutoff then break end\n"
    "      out[#out + 1] = {o, t, d}\n"
    "    end\n"
    "  else\n"
    "    for _, e in ipairs(redis.call('xrange', stream, lo, top)) do\n"
    "      local o, t, d = entry(e)\n"
    "      if t > cutoff then\n"
    "        out[#out + 1] = {o, t, d}\n"
    "        if limit > 0 and #out >= limit then break end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return {top, epoch, now, out}\n";

// Drops the entries of a hash whose expiry (a zset score, ms) has passed.
#define HERALD_LUA_PURGE                                                   \
  "local function purge(hash, zset, now)\n"                                \
  "  local expired = redis.call('zrangebyscore', zset, '-inf', now)\n"    \
  "  for i = 1, #expired, 500 do\n"                                        \
  "    redis.call('hdel', hash, unpack(expired, i, math.min(i + 499, #expired)))\n" \
  "  end\n"                                                                \
  "  if #expired > 0 then redis.call('zremrangebyscore', zset, '-inf', now) end\n" \
  "end\n"

constexpr std::string_view kPresenceAdd =
    "-- herald presence add: one client in a channel's presence, for ttl_ms\n"
    HERALD_LUA_NOW
    "local ttl = tonumber(ARGV[3])\n"
    "redis.call('zadd', KEYS[2], now_ms() + ttl, ARGV[1])\n"
    "redis.call('hset', KEYS[1], ARGV[1], ARGV[2])\n"
    "for _, k in ipairs(KEYS) do\n"
    "  if redis.call('pttl', k) < ttl then redis.call('pexpire', k, ttl) end\n"
    "end\n"
    "return 1\n";

constexpr std::string_view kPresenceRemove =
    "-- herald presence remove\n"
    "redis.call('hdel', KEYS[1], ARGV[1])\n"
    "redis.call('zrem', KEYS[2], ARGV[1])\n"
    "return 1\n";

constexpr std::string_view kPresenceGet =
    "-- herald presence get: the live entries of a channel\n"
    HERALD_LUA_NOW HERALD_LUA_PURGE
    "purge(KEYS[1], KEYS[2], now_ms())\n"
    "return redis.call('hgetall', KEYS[1])\n";

constexpr std::string_view kNodeAnnounce =
    "-- herald node announce: this node is alive for ttl_ms more\n"
    HERALD_LUA_NOW
    "redis.call('zadd', KEYS[2], now_ms() + tonumber(ARGV[3]), ARGV[1])\n"
    "redis.call('hset', KEYS[1], ARGV[1], ARGV[2])\n"
    "return 1\n";

constexpr std::string_view kNodeRemove =
    "-- herald node remove: a node leaving cleanly\n"
    "redis.call('hdel', KEYS[1], ARGV[1])\n"
    "redis.call('zrem', KEYS[2], ARGV[1])\n"
    "return 1\n";

constexpr std::string_view kNodeList =
    "-- herald node list: the live nodes\n"
    HERALD_LUA_NOW HERALD_LUA_PURGE
    "purge(KEYS[1], KEYS[2], now_ms())\n"
    "return redis.call('hgetall', KEYS[1])\n";

#undef HERALD_LUA_NOW
#undef HERALD_LUA_ENSURE_META
#undef HERALD_LUA_PURGE

std::string sha1Hex(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(body.data(), body.size(), digest, &length, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Script make(std::string_view name, std::string_view body) { return Script{name, body, sha1Hex(body)}; }

}  // namespace

const Script& publishScript() {
  static const Script s = make("publish", kPublish);
  return s;
}
const Script& historyScript() {
  static const Script s = make("history", kHistory);
  return s;
}
const Script& presenceAddScript() {
  static const Script s = make("presence_add", kPresenceAdd);
  return s;
}
const Script& presenceRemoveScript() {
  static const Script s = make("presence_remove", kPresenceRemove);
  return s;
}
const Script& presenceGetScript() {
  static const Script s = make("presence_get", kPresenceGet);
  return s;
}
const Script& nodeAnnounceScript() {
  static const Script s = make("node_announce", kNodeAnnounce);
  return s;
}
const Script& nodeRemoveScript() {
  static const Script s = make("node_remove", kNodeRemove);
  return s;
}
const Script& nodeListScript() {
  static const Script s = make("node_list", kNodeList);
  return s;
}

std::span<const Script* const> allScripts() {
  static const std::array<const Script*, 8> all = {
      &publishScript(),    &historyScript(),      &presenceAddScript(), &presenceRemoveScript(),
      &presenceGetScript(), &nodeAnnounceScript(), &nodeRemoveScript(),  &nodeListScript()};
  return all;
}

void evalScript(Connection& connection, const Script& script, std::vector<std::string> keys,
                std::vector<std::string> args, ReplyCallback done) {
  auto argv = std::make_shared<std::vector<std::string>>();
  argv->reserve(3 + keys.size() + args.size());
  argv->push_back("EVALSHA");
  argv->push_back(script.sha1);
  argv->push_back(std::to_string(keys.size()));
  for (auto& k : keys) argv->push_back(std::move(k));
  for (auto& a : args) argv->push_back(std::move(a));
  // No callback runs after the Connection is destroyed, so &connection holds.
  connection.command(*argv, [&connection, &script, argv, done = std::move(done)](Reply reply) mutable {
    if (reply.isError() && !reply.isTransportError() && reply.str().starts_with("NOSCRIPT")) {
      (*argv)[0] = "EVAL";
      (*argv)[1] = std::string(script.body);
      connection.command(*argv, std::move(done));
      return;
    }
    done(std::move(reply));
  });
}

void loadScripts(Connection& connection, std::function<void(std::string error)> done) {
  struct Progress {
    std::size_t left = 0;
    std::string error{};
    std::function<void(std::string)> done;
  };
  auto progress = std::make_shared<Progress>();
  progress->left = allScripts().size();
  progress->done = std::move(done);
  for (const Script* script : allScripts()) {
    connection.command({"SCRIPT", "LOAD", script->body}, [progress, script](Reply reply) {
      if (progress->error.empty()) {
        if (reply.isError())
          progress->error = "SCRIPT LOAD " + std::string(script->name) + ": " + reply.str();
        else if (reply.str() != script->sha1)
          progress->error = "SCRIPT LOAD " + std::string(script->name) + ": unexpected SHA-1 " + reply.str();
      }
      if (--progress->left == 0 && progress->done) progress->done(progress->error);
    });
  }
}

}  // namespace herald::redis
