#pragma once
// The one list of configuration options, shared by the file reader, the
// HERALD_* environment reader and renderConfig(), so that the three cannot
// drift apart. An option is a (section, key, kind, field) visit; a visitor is
// a generic callable `v(Section, std::string_view key, Kind, Field&)`, called
// in the order the options are documented and rendered.
//
// Adding an option: add a field to ServerConfig or ChannelOptions, one line
// below, a line in herald.example.toml and a row in docs/configuration.md
// (the unit tests check the last two).

#include "config/config.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace herald::server::detail {

enum class Section : std::uint8_t { Server, Client, Api, Admin, Engine, Demo, Files, Channel };

inline constexpr std::string_view kSectionNames[] = {"server", "client", "api",   "admin",
                                                     "engine", "demo",   "files", "channel"};

constexpr std::string_view sectionName(Section s) { return kSectionNames[static_cast<int>(s)]; }

// How a value is written in TOML and in the environment.
enum class Kind : std::uint8_t {
  Text,          // a string
  Secret,        // a string that renderConfig hides
  PemFile,       // a path; the file's text is read into the matching PEM field
  Flag,          // a boolean; env: true/false/1/0/yes/no/on/off
  Number,        // a non-negative integer
  Bytes,         // an integer or "64KiB"
  Seconds,       // an integer (seconds) or "25s"
  List,          // an array of strings; env: comma-separated
  SlowConsumer,  // "disconnect" or "skip"
};

// The options of [channel] and of every [[namespace]].
template <class Options, class Visitor>
void forEachChannelOption(Options& o, Visitor&& v) {
  v("presence", Kind::Flag, o.presence);
  v("join_leave", Kind::Flag, o.joinLeave);
  v("force_push_join_leave", Kind::Flag, o.forcePushJoinLeave);
  v("history_size", Kind::Number, o.historySize);
  v("history_ttl", Kind::Seconds, o.historyTtl);
  v("durable", Kind::Flag, o.durable);
  v("force_recovery", Kind::Flag, o.forceRecovery);
  v("force_positioning", Kind::Flag, o.forcePositioning);
  v("allow_subscribe_for_client", Kind::Flag, o.allowSubscribeForClient);
  v("allow_subscribe_for_anonymous", Kind::Flag, o.allowSubscribeForAnonymous);
  v("allow_publish_for_subscriber", Kind::Flag, o.allowPublishForSubscriber);
  v("allow_publish_for_client", Kind::Flag, o.allowPublishForClient);
  v("allow_publish_for_anonymous", Kind::Flag, o.allowPublishForAnonymous);
  v("allow_history_for_subscriber", Kind::Flag, o.allowHistoryForSubscriber);
  v("allow_history_for_client", Kind::Flag, o.allowHistoryForClient);
  v("allow_presence_for_subscriber", Kind::Flag, o.allowPresenceForSubscriber);
  v("allow_presence_for_client", Kind::Flag, o.allowPresenceForClient);
  v("allow_user_limited_channels", Kind::Flag, o.allowUserLimitedChannels);
  v("allow_private_subscribe_without_token", Kind::Flag, o.allowPrivateSubscribeWithoutToken);
  v("slow_consumer", Kind::SlowConsumer, o.slowConsumer);
  v("allowed_delta_types", Kind::List, o.allowedDeltaTypes);
}

// Every option of [server], [client], [api], [admin], [engine], [demo], [files] and [channel].
template <class Config, class Visitor>
void forEachOption(Config& c, Visitor&& v) {
  v(Section::Server, "host", Kind::Text, c.host);
  v(Section::Server, "port", Kind::Number, c.port);
  v(Section::Server, "threads", Kind::Number, c.threads);
  v(Section::Server, "data_dir", Kind::Text, c.dataDir);
  v(Section::Server, "log_level", Kind::Text, c.logLevel);
  v(Section::Server, "log_format", Kind::Text, c.logFormat);
  v(Section::Server, "tls_cert", Kind::Text, c.tlsCert);
  v(Section::Server, "tls_key", Kind::Text, c.tlsKey);
  v(Section::Server, "allowed_origins", Kind::List, c.allowedOrigins);
  v(Section::Server, "node_name", Kind::Text, c.nodeName);
  v(Section::Server, "web_root", Kind::Text, c.webRoot);

  v(Section::Client, "token_hmac_secret", Kind::Secret, c.tokenHmacSecret);
  v(Section::Client, "token_rsa_public_key_file", Kind::PemFile, c.tokenRsaPublicKeyFile);
  v(Section::Client, "token_ecdsa_public_key_file", Kind::PemFile, c.tokenEcdsaPublicKeyFile);
  v(Section::Client, "token_audience", Kind::Text, c.tokenAudience);
  v(Section::Client, "token_issuer", Kind::Text, c.tokenIssuer);
  v(Section::Client, "allow_anonymous", Kind::Flag, c.allowAnonymous);
  v(Section::Client, "insecure", Kind::Flag, c.insecure);
  v(Section::Client, "ping_interval", Kind::Seconds, c.pingInterval);
  v(Section::Client, "pong_timeout", Kind::Seconds, c.pongTimeout);
  v(Section::Client, "max_message_bytes", Kind::Bytes, c.maxMessageBytes);
  v(Section::Client, "write_queue_bytes", Kind::Bytes, c.writeQueueBytes);
  v(Section::Client, "commands_per_second", Kind::Number, c.commandsPerSecond);
  v(Section::Client, "command_burst", Kind::Number, c.commandBurst);
  v(Section::Client, "max_connections", Kind::Number, c.maxConnections);
  v(Section::Client, "max_channel_length", Kind::Number, c.maxChannelLength);
  v(Section::Client, "max_subscriptions_per_connection", Kind::Number, c.maxSubscriptionsPerConnection);
  v(Section::Client, "handshake_timeout", Kind::Seconds, c.handshakeTimeout);
  v(Section::Client, "max_connections_per_address", Kind::Number, c.maxConnectionsPerAddress);
  v(Section::Client, "control_frames_per_second", Kind::Number, c.controlFramesPerSecond);
  v(Section::Client, "history_max_publication_limit", Kind::Number, c.historyMaxPublicationLimit);
  v(Section::Client, "recovery_max_publication_limit", Kind::Number, c.recoveryMaxPublicationLimit);

  v(Section::Api, "key", Kind::Secret, c.apiKey);
  v(Section::Api, "insecure", Kind::Flag, c.apiInsecure);
  v(Section::Api, "max_body_bytes", Kind::Bytes, c.apiMaxBodyBytes);

  v(Section::Admin, "enabled", Kind::Flag, c.adminEnabled);
  v(Section::Admin, "password", Kind::Secret, c.adminPassword);
  v(Section::Admin, "secret", Kind::Secret, c.adminSecret);
  v(Section::Admin, "token_ttl", Kind::Seconds, c.adminTokenTtl);

  v(Section::Engine, "type", Kind::Text, c.engineType);
  v(Section::Engine, "redis_addresses", Kind::List, c.redisAddresses);
  v(Section::Engine, "presence_ttl", Kind::Seconds, c.presenceTtl);
  v(Section::Engine, "history_meta_ttl", Kind::Seconds, c.historyMetaTtl);

  v(Section::Demo, "tokens", Kind::Flag, c.demoTokens);
  v(Section::Demo, "feed", Kind::Flag, c.demoFeed);

  v(Section::Files, "enabled", Kind::Flag, c.filesEnabled);
  v(Section::Files, "max_file_size", Kind::Bytes, c.filesMaxFileSize);
  v(Section::Files, "quota", Kind::Bytes, c.filesQuota);

  forEachChannelOption(c.channel, [&](std::string_view key, Kind kind, auto& field) {
    v(Section::Channel, key, kind, field);
  });
}

// What renderConfig shows for a secret that is set.
inline constexpr std::string_view kSecretPlaceholder = "<set>";

// The log levels server.log_level accepts.
inline constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error", "off"};

// Levenshtein distance, for "did you mean ...?".
std::size_t editDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, when it is close enough to be a likely
// typo; empty otherwise.
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);

// "25s", "5m", "1h", "1d": the largest unit that divides the duration.
std::string formatSeconds(std::chrono::seconds s);

// "64KiB", "4MiB": the largest binary unit that divides the size; bare
// digits otherwise.
std::string formatBytes(std::uint64_t n);

// `s` as a TOML basic string, with its quotes.
std::string tomlQuote(std::string_view s);

// Where each option was set, by dotted name ("server.port",
// "namespace.chat.history_size"): "herald.toml:12:8" or
// "HERALD_SERVER_PORT". Options left at their defaults are absent.
using Origins = std::map<std::string, std::string, std::less<>>;

// validateConfig, naming in each message where the option was set when
// `origins` knows it (it may be null).
void validateConfigAt(const ServerConfig& config, const Origins* origins);

}  // namespace herald::server::detail
