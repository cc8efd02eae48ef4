// Reading the TOML file: defaults, every option, namespaces, public-key
// files, and the documented example file at the repository root.

#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace herald::server {
namespace {

using namespace std::chrono_literals;
using testing::FakeEnv;
using testing::TempDir;

constexpr char kPem[] = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";

TEST(ConfigFileTest, NoFileAndNoEnvironmentGivesTheDefaults) {
  FakeEnv env{"PATH=/usr/bin", "HOME=/root"};
  const ServerConfig config = loadConfig("", env.get());
  EXPECT_EQ(config, ServerConfig{});
  EXPECT_EQ(config.host, "127.0.0.1");
  EXPECT_EQ(config.port, 8080);
  EXPECT_EQ(config.pingInterval, 25s);
  EXPECT_EQ(config.maxMessageBytes, 64u * 1024);
  EXPECT_TRUE(config.namespaces.empty());
  EXPECT_EQ(loadConfig("", nullptr), ServerConfig{});
}

TEST(ConfigFileTest, EmptyFileGivesTheDefaults) {
  TempDir dir;
  EXPECT_EQ(loadConfig(dir.write("herald.toml", "# nothing\n"), nullptr), ServerConfig{});
}

TEST(ConfigFileTest, ReadsEveryOption) {
  TempDir dir;
  const std::string rsa = dir.write("rsa.pem", kPem);
  const std::string ecdsa = dir.write("ecdsa.pem", kPem);
  const std::string path = dir.write("herald.toml", R"([server]
host = "0.0.0.0"
port = 9000
threads = 4
data_dir = "/var/lib/herald"
log_level = "debug"
tls_cert = "/etc/herald/cert.pem"
tls_key = "/etc/herald/key.pem"
allowed_origins = ["https://example.com", "https://*.example.org"]
node_name = "node-1"
web_root = "/srv/web"

[client]
token_hmac_secret = "s3cret"
token_rsa_public_key_file = ")" + rsa + R"("
token_ecdsa_public_key_file = ")" + ecdsa + R"("
token_audience = "herald"
token_issuer = "auth.example.com"
allow_anonymous = true
insecure = true
ping_interval = "1m"
pong_timeout = 10
max_message_bytes = "128KiB"
write_queue_bytes = 1048576
commands_per_second = 50
command_burst = 75
max_connections = 1000
max_channel_length = 128
max_subscriptions_per_connection = 16
handshake_timeout = "5s"

[api]
key = "api-key"
insecure = true
max_body_bytes = "2MB"

[channel]
presence = true
join_leave = true
force_push_join_leave = true
history_size = 100
history_ttl = "1h"
durable = false
force_recovery = true
force_positioning = true
allow_subscribe_for_client = true
allow_subscribe_for_anonymous = true
allow_publish_for_subscriber = true
allow_publish_for_client = true
allow_publish_for_anonymous = true
allow_history_for_subscriber = true
allow_history_for_client = true
allow_presence_for_subscriber = true
allow_presence_for_client = true
allow_user_limited_channels = true
slow_consumer = "skip"

[[namespace]]
name = "chat"
presence = true
history_size = 50
history_ttl = "10m"

[[namespace]]
name = "feed_2-x"
)");

  ServerConfig want;
  want.host = "0.0.0.0";
  want.port = 9000;
  want.threads = 4;
  want.dataDir = "/var/lib/herald";
  want.logLevel = "debug";
  want.tlsCert = "/etc/herald/cert.pem";
  want.tlsKey = "/etc/herald/key.pem";
  want.allowedOrigins = {"https://example.com", "https://*.example.org"};
  want.nodeName = "node-1";
  want.webRoot = "/srv/web";
  want.tokenHmacSecret = "s3cret";
  want.tokenRsaPublicKeyFile = rsa;
  want.tokenRsaPublicKey = kPem;
  want.tokenEcdsaPublicKeyFile = ecdsa;
  want.tokenEcdsaPublicKey = kPem;
  want.tokenAudience = "herald";
  want.tokenIssuer = "auth.example.com";
  want.allowAnonymous = true;
  want.insecure = true;
  want.pingInterval = 60s;
  want.pongTimeout = 10s;
  want.maxMessageBytes = 128 * 1024;
  want.writeQueueBytes = 1024 * 1024;
  want.commandsPerSecond = 50;
  want.commandBurst = 75;
  want.maxConnections = 1000;
  want.maxChannelLength = 128;
  want.maxSubscriptionsPerConnection = 16;
  want.handshakeTimeout = 5s;
  want.apiKey = "api-key";
  want.apiInsecure = true;
  want.apiMaxBodyBytes = 2'000'000;
  ChannelOptions& o = want.channel;
  o.presence = o.joinLeave = o.forcePushJoinLeave = true;
  o.historySize = 100;
  o.historyTtl = 3600s;
  o.durable = false;
  o.forceRecovery = o.forcePositioning = true;
  o.allowSubscribeForClient = o.allowSubscribeForAnonymous = true;
  o.allowPublishForSubscriber = o.allowPublishForClient = o.allowPublishForAnonymous = true;
  o.allowHistoryForSubscriber = o.allowHistoryForClient = true;
  o.allowPresenceForSubscriber = o.allowPresenceForClient = true;
  o.allowUserLimitedChannels = true;
  o.slowConsumer = SlowConsumerPolicy::Skip;
  NamespaceConfig chat{"chat", {}};
  chat.options.presence = true;
  chat.options.historySize = 50;
  chat.options.historyTtl = 600s;
  want.namespaces = {chat, {"feed_2-x", {}}};

  EXPECT_EQ(loadConfig(path, nullptr), want);
}

TEST(ConfigFileTest, NamespacesStartFromTheBuiltInDefaultsNotFromChannel) {
  TempDir dir;
  const std::string path = dir.write("herald.toml", R"(
[[namespace]]
name = "chat"

[channel]
allow_subscribe_for_anonymous = true
)");
  const ServerConfig config = loadConfig(path, nullptr);
  EXPECT_TRUE(config.channel.allowSubscribeForAnonymous);
  ASSERT_EQ(config.namespaces.size(), 1u);
  EXPECT_EQ(config.namespaces[0].options, ChannelOptions{});
  EXPECT_EQ(config.optionsFor("chat:x"), &config.namespaces[0].options);
}

TEST(ConfigFileTest, DurationsAcceptIntegerSeconds) {
  TempDir dir;
  const ServerConfig config =
      loadConfig(dir.write("herald.toml", "[client]\nping_interval = 300\npong_timeout = \"1m0s\"\n"), nullptr);
  EXPECT_EQ(config.pingInterval, 300s);
  EXPECT_EQ(config.pongTimeout, 60s);
}

TEST(ConfigFileTest, ReadConfigLeavesCrossChecksToValidateConfig) {
  TempDir dir;
  const std::string path = dir.write("herald.toml", "[server]\ntls_cert = \"cert.pem\"\n");
  ServerConfig config = readConfig(path, nullptr);  // as herald serve does before applying flags
  EXPECT_EQ(config.tlsCert, "cert.pem");
  EXPECT_THROW(validateConfig(config), ConfigError);
  config.tlsKey = "key.pem";  // say, from --tls-key
  EXPECT_NO_THROW(validateConfig(config));
}

TEST(ConfigFileTest, ExampleFileLoadsAndDocumentsTheDefaults) {
  const std::string path = std::string(HERALD_SOURCE_DIR) + "/herald.example.toml";
  const ServerConfig config = loadConfig(path, nullptr);

  // Everything is at its default except the one example namespace.
  ServerConfig want;
  NamespaceConfig chat{"chat", {}};
  chat.options.presence = true;
  chat.options.joinLeave = true;
  chat.options.historySize = 100;
  chat.options.historyTtl = 300s;
  chat.options.forceRecovery = true;
  chat.options.allowSubscribeForClient = true;
  chat.options.allowPublishForSubscriber = true;
  chat.options.allowHistoryForSubscriber = true;
  chat.options.allowPresenceForSubscriber = true;
  want.namespaces = {chat};
  EXPECT_EQ(config, want);
}

}  // namespace
}  // namespace herald::server
