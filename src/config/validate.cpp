// validateConfig: the checks that need more than one value, or that apply
// to a configuration however it was assembled (file, environment, flags);
// and ServerConfig::optionsFor.

#include <algorithm>
#include <set>

#include "config/options.hpp"

namespace herald::server {

namespace {

// Publications a channel may keep; more is a typo or a job for a database.
constexpr std::size_t kMaxHistorySize = 1'000'000;
// Event loops a process may run.
constexpr unsigned kMaxThreads = 1024;

class Checker {
 public:
  explicit Checker(const detail::Origins* origins) : origins_(origins) {}

  // Throws when `bad`: "<where>: <key>: <message>".
  void require(bool good, std::string_view key, const std::string& message) const {
    if (good) return;
    std::string text;
    if (origins_ != nullptr) {
      if (const auto it = origins_->find(key); it != origins_->end()) text = it->second + ": ";
    }
    throw ConfigError(text + std::string(key) + ": " + message);
  }

 private:
  const detail::Origins* origins_;
};

bool validNamespaceName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

void checkChannelOptions(const Checker& check, const ChannelOptions& o, const std::string& prefix) {
  const std::string size = prefix + "history_size", ttl = prefix + "history_ttl";
  check.require(o.historySize <= kMaxHistorySize, size,
                std::to_string(o.historySize) + " is more than " + std::to_string(kMaxHistorySize) +
                    " publications per channel; lower it");
  check.require(o.historySize == 0 || o.historyTtl.count() > 0, ttl,
                "history_size is " + std::to_string(o.historySize) +
                    " but history_ttl is 0, so no history is kept; set history_ttl (e.g. \"300s\") or history_size = 0");
  check.require(o.historyTtl.count() == 0 || o.historySize > 0, size,
                "history_ttl is set but history_size is 0, so no history is kept; set history_size (e.g. 100) or "
                "history_ttl = 0");
  check.require(!o.forceRecovery || o.historyEnabled(), prefix + "force_recovery",
                "recovery needs history; set history_size and history_ttl too");
  check.require(!o.forcePositioning || o.historyEnabled(), prefix + "force_positioning",
                "positioning needs history; set history_size and history_ttl too");
  check.require(!o.forcePushJoinLeave || o.joinLeave, prefix + "force_push_join_leave",
                "needs join_leave = true");
  check.require(!o.joinLeave || o.presence, prefix + "join_leave", "join/leave needs presence = true");
  for (const std::string& type : o.allowedDeltaTypes)
    check.require(type == "fossil", prefix + "allowed_delta_types",
                  "\"" + type + "\" is not a delta type this server knows; the one it knows is \"fossil\"");
}

}  // namespace

namespace detail {

void validateConfigAt(const ServerConfig& c, const Origins* origins) {
  const Checker check(origins);

  check.require(!c.host.empty(), "server.host", "must not be empty; use 127.0.0.1 (local) or 0.0.0.0 (every interface)");
  check.require(!c.demoTokens || !c.tokenHmacSecret.empty(), "demo.tokens",
                "demo tokens are signed with client.token_hmac_secret; set it");
  check.require(!c.demoFeed || std::any_of(c.namespaces.begin(), c.namespaces.end(),
                                           [](const NamespaceConfig& n) { return n.name == "demo"; }),
                "demo.feed", "the feed publishes to demo:prices and demo:stats; add a [[namespace]] named \"demo\"");
  check.require(c.threads <= kMaxThreads, "server.threads",
                std::to_string(c.threads) + " is more than " + std::to_string(kMaxThreads) + "; use 0 for one loop per core");
  check.require(std::find(std::begin(kLogLevels), std::end(kLogLevels), c.logLevel) != std::end(kLogLevels),
                "server.log_level", tomlQuote(c.logLevel) + " is not a level; use trace, debug, info, warn, error or off");
  check.require(c.logFormat == "text" || c.logFormat == "json", "server.log_format",
                tomlQuote(c.logFormat) + " is not a format; use text or json");
  check.require(c.engineType == "sqlite" || c.engineType == "redis", "engine.type",
                tomlQuote(c.engineType) + " is not an engine; use sqlite (one node) or redis (several nodes)");
  check.require(c.engineType != "redis" || !c.redisAddresses.empty(), "engine.redis_addresses",
                "the redis engine needs at least one address, e.g. [\"127.0.0.1:6379\"]");
  for (const std::string& address : c.redisAddresses)
    check.require(splitHostPort(address).has_value(), "engine.redis_addresses",
                  tomlQuote(address) + " is not host:port (e.g. \"127.0.0.1:6379\" or \"[::1]:6379\")");
  check.require(c.presenceTtl.count() >= 3, "engine.presence_ttl",
                "must be at least 3s (presence is refreshed every third of it; the default is \"60s\")");
  check.require(c.historyMetaTtl.count() > 0, "engine.history_meta_ttl",
                "must be more than 0 (the default is \"30d\")");
  check.require(c.tlsCert.empty() || !c.tlsKey.empty(), "server.tls_cert",
                "tls_cert is set but tls_key is not; set both (PEM certificate chain and its private key) or neither");
  check.require(c.tlsKey.empty() || !c.tlsCert.empty(), "server.tls_key",
                "tls_key is set but tls_cert is not; set both (PEM certificate chain and its private key) or neither");
  for (const std::string& origin : c.allowedOrigins) {
    check.require(!origin.empty(), "server.allowed_origins", "has an empty entry; remove it");
  }

  check.require(c.tokenHmacSecret != kSecretPlaceholder, "client.token_hmac_secret",
                "\"<set>\" is the placeholder --check-config prints; put the real secret here");
  check.require(c.apiKey != kSecretPlaceholder, "api.key",
                "\"<set>\" is the placeholder --check-config prints; put the real key here");
  check.require(c.adminPassword != kSecretPlaceholder, "admin.password",
                "\"<set>\" is the placeholder --check-config prints; put the real password here");
  check.require(c.adminSecret != kSecretPlaceholder, "admin.secret",
                "\"<set>\" is the placeholder --check-config prints; put the real secret here");
  check.require(!c.adminEnabled || c.adminPassword.size() >= 8, "admin.password",
                c.adminPassword.empty()
                    ? "[admin] enabled = true needs a password to sign in with; `herald genconfig` writes a random one"
                    : "is shorter than 8 characters; the admin UI can disconnect every client: use a long random one");
  check.require(c.adminSecret.empty() || c.adminSecret.size() >= 32, "admin.secret",
                "is shorter than 32 bytes; leave it empty for a random one each start, or use `openssl rand -hex 32`");
  check.require(c.adminSecret.empty() || c.adminSecret != c.tokenHmacSecret, "admin.secret",
                "equals client.token_hmac_secret, so whoever mints client tokens could mint admin ones; use another");
  check.require(c.adminTokenTtl.count() >= 60 && c.adminTokenTtl.count() <= 24 * 3600, "admin.token_ttl",
                "must be between \"1m\" and \"1d\" (the default is \"15m\")");
  check.require(c.pingInterval.count() > 0, "client.ping_interval", "must be more than 0 (the default is \"25s\")");
  check.require(c.pongTimeout.count() > 0, "client.pong_timeout", "must be more than 0 (the default is \"8s\")");
  check.require(c.pongTimeout < c.pingInterval, "client.pong_timeout",
                formatSeconds(c.pongTimeout) + " is not shorter than ping_interval (" + formatSeconds(c.pingInterval) +
                    "); the pong of one ping must be due before the next ping: lower pong_timeout or raise ping_interval");
  check.require(c.handshakeTimeout.count() > 0, "client.handshake_timeout", "must be more than 0 (the default is \"10s\")");
  check.require(c.maxMessageBytes >= 128, "client.max_message_bytes",
                std::to_string(c.maxMessageBytes) + " bytes cannot hold a connect command; use at least 128 (default \"64KiB\")");
  check.require(c.writeQueueBytes >= c.maxMessageBytes, "client.write_queue_bytes",
                formatBytes(c.writeQueueBytes) + " is less than max_message_bytes (" + formatBytes(c.maxMessageBytes) +
                    "); the queue must hold at least one message");
  check.require(c.commandsPerSecond > 0, "client.commands_per_second", "must be more than 0 (the default is 100)");
  check.require(c.commandBurst >= c.commandsPerSecond, "client.command_burst",
                std::to_string(c.commandBurst) + " is less than commands_per_second (" + std::to_string(c.commandsPerSecond) +
                    "); the burst is the bucket size and must be at least the rate");
  check.require(c.maxConnections > 0, "client.max_connections", "must be more than 0");
  check.require(c.maxChannelLength > 0, "client.max_channel_length", "must be more than 0 (the default is 255)");
  check.require(c.maxSubscriptionsPerConnection > 0, "client.max_subscriptions_per_connection", "must be more than 0");
  check.require(c.controlFramesPerSecond <= 65535, "client.control_frames_per_second",
                std::to_string(c.controlFramesPerSecond) + " is more than 65535; use 0 for no limit (the default is 100)");
  check.require(c.historyMaxPublicationLimit > 0, "client.history_max_publication_limit",
                "must be more than 0 (the default is 300); clients page through longer histories");
  check.require(c.recoveryMaxPublicationLimit > 0, "client.recovery_max_publication_limit",
                "must be more than 0 (the default is 300)");

  check.require(c.apiMaxBodyBytes >= 128, "api.max_body_bytes",
                std::to_string(c.apiMaxBodyBytes) + " bytes cannot hold a publish request; use at least 128 (default \"1MiB\")");

  if (c.filesEnabled) {
    check.require(c.filesMaxFileSize > 0, "files.max_file_size", "must be more than 0 (the default is \"10MiB\")");
    check.require(c.filesMaxFileSize <= (std::size_t{1} << 30), "files.max_file_size",
                  formatBytes(c.filesMaxFileSize) + " is more than 1GiB; a file is held in memory while it is uploaded "
                  "and downloaded, so keep it at most \"1GiB\" (the default is \"10MiB\")");
    check.require(c.filesQuota >= c.filesMaxFileSize, "files.quota",
                  formatBytes(c.filesQuota) + " is less than max_file_size (" + formatBytes(c.filesMaxFileSize) +
                      "); the quota must hold at least one file");
    check.require(!c.dataDir.empty(), "server.data_dir", "must not be empty: [files] enabled keeps files in data_dir/files");
  }

  checkChannelOptions(check, c.channel, "channel.");
  bool durableHistory = c.channel.durable && c.channel.historyEnabled();
  std::set<std::string, std::less<>> names;
  for (const NamespaceConfig& ns : c.namespaces) {
    check.require(validNamespaceName(ns.name), "namespace." + ns.name,
                  "namespace name " + tomlQuote(ns.name) + " is not valid; use letters, digits, _ and - only");
    check.require(names.insert(ns.name).second, "namespace." + ns.name,
                  "namespace " + tomlQuote(ns.name) + " is defined twice; merge the two [[namespace]] tables");
    check.require(ns.name.size() < c.maxChannelLength, "namespace." + ns.name,
                  "the name is not shorter than client.max_channel_length, so no channel fits in it");
    checkChannelOptions(check, ns.options, "namespace." + ns.name + ".");
    durableHistory = durableHistory || (ns.options.durable && ns.options.historyEnabled());
  }
  check.require(!durableHistory || !c.dataDir.empty(), "server.data_dir",
                "must not be empty: durable history is kept there (or set durable = false)");
}

}  // namespace detail

void validateConfig(const ServerConfig& config) { detail::validateConfigAt(config, nullptr); }

const ChannelOptions* ServerConfig::optionsFor(std::string_view channel) const {
  if (channel.starts_with('$')) channel.remove_prefix(1);  // "$chat:x" is in namespace "chat"
  const std::size_t colon = channel.find(':');
  if (colon == std::string_view::npos) return &this->channel;
  const std::string_view name = channel.substr(0, colon);
  for (const NamespaceConfig& ns : namespaces) {
    if (ns.name == name) return &ns.options;
  }
  return nullptr;
}

}  // namespace herald::server
