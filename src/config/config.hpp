#pragma once
// Everything `herald serve` can be told, with the defaults that need no file.
//
// Sources, later ones winning: these defaults, the TOML file
// (`--config FILE`), HERALD_* environment variables, then command-line flags
// (`--port`, `--host`, `--log-level`, ...). Every option is documented in
// docs/configuration.md; herald.example.toml at the repository root lists
// them all with their defaults.
//
// Contract of the loader (library herald_config, src/config/):
// - Strict: an unknown section, key or HERALD_* variable, a value of the
//   wrong type or out of range is a ConfigError, never a silent default.
//   Every message names the key (or variable), where it was set
//   (file:line:column) and, where one exists, the fix.
// - It never prints and never exits; the caller decides what to do with a
//   ConfigError (herald serve prints what() and exits non-zero).
// - It reads files (the config file, the token public-key PEM files) and
//   nothing else; no sockets, no threads.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace herald::server {

// What to do with a subscriber whose write queue is full.
enum class SlowConsumerPolicy : std::uint8_t {
  Disconnect,  // close it with Centrifugo's 3008 "slow" (it reconnects and recovers)
  Skip,        // drop publications for it; it recovers the gap from history
};

// Per-channel behaviour: the defaults for channels without a namespace
// (`[channel]`), or one `[[namespace]]`'s options. Names follow Centrifugo's.
struct ChannelOptions {
  bool presence = false;            // keep presence; needed for presence/presence_stats and join/leave
  bool joinLeave = false;           // send join/leave pushes to subscribers who ask
  bool forcePushJoinLeave = false;  // ... to every subscriber, asked or not
  std::size_t historySize = 0;      // publications kept per channel; 0: no history
  std::chrono::seconds historyTtl{0};  // how long they are kept; 0: no history
  bool durable = true;              // history in SQLite (true) or in memory only (false)
  bool forceRecovery = false;       // recover every subscriber, asked or not
  bool forcePositioning = false;
  bool allowSubscribeForClient = false;     // any authenticated client may subscribe without a token
  bool allowSubscribeForAnonymous = false;  // ... anonymous ones too
  bool allowPublishForSubscriber = false;   // subscribers may publish from the client
  bool allowPublishForClient = false;       // any authenticated client may publish
  bool allowPublishForAnonymous = false;
  bool allowHistoryForSubscriber = false;
  bool allowHistoryForClient = false;
  bool allowPresenceForSubscriber = false;
  bool allowPresenceForClient = false;
  bool allowUserLimitedChannels = false;  // `chat#42,43`: only users 42 and 43
  // `$` channels ("$secret", "$chat:room") need a subscription token, as in
  // Centrifugo, whatever allow_subscribe_* say; true lets those options
  // apply to them like to any other channel.
  bool allowPrivateSubscribeWithoutToken = false;
  SlowConsumerPolicy slowConsumer = SlowConsumerPolicy::Disconnect;
  std::vector<std::string> allowedDeltaTypes{};  // what subscribers may ask for: "fossil"; empty: no deltas

  bool historyEnabled() const { return historySize > 0 && historyTtl.count() > 0; }

  bool operator==(const ChannelOptions&) const = default;
};

struct NamespaceConfig {
  std::string name;  // [A-Za-z0-9_-]+
  ChannelOptions options;

  bool operator==(const NamespaceConfig&) const = default;
};

struct ServerConfig {
  // [server]
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;                  // 0: one loop per core
  std::string dataDir = "./herald-data";  // SQLite history lives here
  std::string logLevel = "info";          // trace, debug, info, warn, error, off
  std::string logFormat = "text";         // text (a line per event) or json (an object per line)
  std::string tlsCert{};                  // both set: serve wss:// and https:// only
  std::string tlsKey{};
  std::vector<std::string> allowedOrigins{};  // empty: same host only; "*" allows any
  std::string nodeName{};                      // empty: the host name
  std::string webRoot{};                       // static files served at /, empty: none

  // [client]
  std::string tokenHmacSecret{};
  std::string tokenRsaPublicKey{};    // PEM text (the file named by token_rsa_public_key_file is read in)
  std::string tokenEcdsaPublicKey{};  // PEM text
  std::string tokenRsaPublicKeyFile{};    // where tokenRsaPublicKey was read from; empty: not from a file
  std::string tokenEcdsaPublicKeyFile{};  // where tokenEcdsaPublicKey was read from
  std::string tokenAudience{};        // when set, tokens must carry it in `aud`
  std::string tokenIssuer{};          // when set, tokens must carry it in `iss`
  bool allowAnonymous = false;        // connect without a token (user "")
  bool insecure = false;              // development only: anyone may do anything
  std::chrono::seconds pingInterval{25};
  std::chrono::seconds pongTimeout{8};
  std::size_t maxMessageBytes = 64 * 1024;
  std::size_t writeQueueBytes = 4 * 1024 * 1024;
  std::uint32_t commandsPerSecond = 100;
  std::uint32_t commandBurst = 200;
  std::size_t maxConnections = 1'000'000;
  std::size_t maxChannelLength = 255;
  std::size_t maxSubscriptionsPerConnection = 128;
  std::chrono::seconds handshakeTimeout{10};
  std::size_t maxConnectionsPerAddress = 0;  // open connections per remote address; 0: no limit
  std::uint32_t controlFramesPerSecond = 100;  // pings, pongs, empty fragments; more: close 1008 (0: no limit)
  std::uint32_t historyMaxPublicationLimit = 300;   // most publications one history reply carries
  std::uint32_t recoveryMaxPublicationLimit = 300;  // most a recovery carries; a longer gap: recovered false

  // [api]
  std::string apiKey{};        // empty: the HTTP API refuses every request
  bool apiInsecure = false;    // development only: no key needed
  std::size_t apiMaxBodyBytes = 1024 * 1024;

  // [admin]: the admin web UI at /admin and its sign-in (docs/admin.md)
  bool adminEnabled = false;               // closed by default: /admin and /admin/* answer 404
  std::string adminPassword{};             // what an operator signs in with
  std::string adminSecret{};               // signs admin tokens; empty: a random one each start
  std::chrono::seconds adminTokenTtl{15 * 60};  // how long one sign-in lasts

  // [engine]: where channels live
  std::string engineType = "sqlite";          // sqlite: one node (history in data_dir); redis: nodes share channels
  std::vector<std::string> redisAddresses{};  // "host:port", one per Redis instance (channels sharded by name)
  std::chrono::seconds presenceTtl{60};       // redis: a dead node's clients leave presence within this
  std::chrono::seconds historyMetaTtl{30 * 24 * 3600};  // redis: how long a channel's offset outlives its last publication

  // [demo]: what `make run` shows; never for production
  bool demoTokens = false;  // POST /demo/token mints a token for a nickname (needs token_hmac_secret)
  bool demoFeed = false;    // publish simulated prices (demo:prices, 10 Hz) and server figures (demo:stats, 1 Hz)

  // [files]: files shared in a channel, kept in data_dir/files for the
  // channel's history_ttl (POST /files, GET /files/<id>; docs/protocol.md)
  bool filesEnabled = false;
  std::size_t filesMaxFileSize = 10 * 1024 * 1024;  // one file; larger: 413
  std::uint64_t filesQuota = 1024ull * 1024 * 1024;  // all files' bytes together; past it: 507

  // [channel] and [[namespace]]
  ChannelOptions channel{};
  std::vector<NamespaceConfig> namespaces{};

  // The options for `channel`: its namespace's (the part before ':', after
  // a leading '$' of a private channel), or the defaults when it has none. Null when the namespace is not configured
  // (the server answers 102 "unknown channel"); an empty namespace (":x")
  // is never configured.
  const ChannelOptions* optionsFor(std::string_view channel) const;

  bool operator==(const ServerConfig&) const = default;
};

// "host:port" or "[v6]:port" split; nullopt when it is neither or the port
// is not 1-65535.
std::optional<std::pair<std::string, std::uint16_t>> splitHostPort(std::string_view address);

// A configuration that cannot be used; what() names the key and the fix.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads `path` (empty: no file) and then the HERALD_* variables of `environ`
// (a null-terminated array of "NAME=value", as ::environ; null: none) over
// the defaults, and checks the result. Throws ConfigError.
//
// HERALD_<SECTION>_<KEY> sets [section] key (HERALD_SERVER_PORT=9000; lists
// are comma-separated). Any other HERALD_* variable is an error, except
// those that belong to the build and the tests: names starting with
// HERALD_TEST_, HERALD_PEER_, HERALD_BUILD_DIR or HERALD_BIN are ignored.
ServerConfig loadConfig(const std::string& path, char** environ);

// loadConfig without the final validateConfig: for a caller that applies
// command-line flags on top and then calls validateConfig itself. Syntax,
// type and range errors of single values are still thrown here.
ServerConfig readConfig(const std::string& path, char** environ);

// Checks a configuration as assembled (after command-line flags); throws
// ConfigError on the first problem.
void validateConfig(const ServerConfig& config);

// The configuration as a TOML file that readConfig() reads back to the same
// ServerConfig, every option present, for `herald serve --check-config`.
// Secrets (token_hmac_secret, api key) are shown as "<set>" unless
// `revealSecrets`; the loader refuses "<set>" as a secret, so a pasted
// output cannot silently run with it. Public keys are shown as their file.
std::string renderConfig(const ServerConfig& config, bool revealSecrets = false);

// "500ms", "25s", "5m", "1h", "1d", combinations ("1m30s") and bare digits
// (seconds). Nullopt when malformed or too large.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);

// Bare digits (bytes) or a number with a unit: B, KB, MB, GB (powers of
// 1000) or KiB, MiB, GiB (powers of 1024), case-insensitive, optionally
// separated by a space. Nullopt when malformed or too large.
std::optional<std::uint64_t> parseByteSize(std::string_view text);

}  // namespace herald::server
