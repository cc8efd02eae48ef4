// HERALD_* environment variables: overrides, precedence over the file,
// strictness, and the variables of the build and the tests that are exempt.

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include "config_test_support.hpp"

namespace herald::server {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::configError;
using testing::FakeEnv;
using testing::TempDir;

TEST(ConfigEnvTest, OverridesTheDefaults) {
  FakeEnv env{"HERALD_SERVER_PORT=9000",
              "HERALD_CLIENT_TOKEN_HMAC_SECRET=s3cret",
              "HERALD_API_KEY=k",
              "HERALD_CLIENT_INSECURE=true",
              "HERALD_CHANNEL_HISTORY_SIZE=100",
              "HERALD_CHANNEL_HISTORY_TTL=5m",
              "HERALD_CHANNEL_SLOW_CONSUMER=skip",
              "HERALD_SERVER_ALLOWED_ORIGINS=https://a.com, https://b.com,,",
              "HERALD_CLIENT_PING_INTERVAL=1m",
              "HERALD_CLIENT_MAX_MESSAGE_BYTES=128KiB",
              "HERALD_API_INSECURE=1",
              "HERALD_SERVER_LOG_LEVEL=debug"};
  const ServerConfig config = loadConfig("", env.get());
  EXPECT_EQ(config.port, 9000);
  EXPECT_EQ(config.tokenHmacSecret, "s3cret");
  EXPECT_EQ(config.apiKey, "k");
  EXPECT_TRUE(config.insecure);
  EXPECT_EQ(config.channel.historySize, 100u);
  EXPECT_EQ(config.channel.historyTtl, 300s);
  EXPECT_EQ(config.channel.slowConsumer, SlowConsumerPolicy::Skip);
  EXPECT_EQ(config.allowedOrigins, (std::vector<std::string>{"https://a.com", "https://b.com"}));
  EXPECT_EQ(config.pingInterval, 60s);
  EXPECT_EQ(config.maxMessageBytes, 128u * 1024);
  EXPECT_TRUE(config.apiInsecure);
  EXPECT_EQ(config.logLevel, "debug");
}

TEST(ConfigEnvTest, BooleansAcceptTheUsualSpellings) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "on"}) {
    FakeEnv env{std::string("HERALD_CLIENT_ALLOW_ANONYMOUS=") + yes};
    EXPECT_TRUE(loadConfig("", env.get()).allowAnonymous) << yes;
  }
  for (const char* no : {"false", "False", "0", "no", "off"}) {
    FakeEnv env{std::string("HERALD_CHANNEL_DURABLE=") + no};
    EXPECT_FALSE(loadConfig("", env.get()).channel.durable) << no;
  }
}

TEST(ConfigEnvTest, EnvironmentWinsOverTheFile) {
  TempDir dir;
  const std::string path = dir.write("herald.toml", R"([server]
host = "0.0.0.0"
port = 9000
allowed_origins = ["https://file.example"]
[client]
token_hmac_secret = "from-file"
)");
  FakeEnv env{"HERALD_SERVER_PORT=9001", "HERALD_SERVER_ALLOWED_ORIGINS=", "HERALD_CLIENT_TOKEN_HMAC_SECRET=from-env"};
  const ServerConfig config = loadConfig(path, env.get());
  EXPECT_EQ(config.host, "0.0.0.0");  // from the file, not overridden
  EXPECT_EQ(config.port, 9001);
  EXPECT_TRUE(config.allowedOrigins.empty());  // set to empty by the environment
  EXPECT_EQ(config.tokenHmacSecret, "from-env");
}

TEST(ConfigEnvTest, PublicKeyFileFromTheEnvironment) {
  TempDir dir;
  const std::string pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  const std::string file = dir.write("rsa.pem", pem);
  FakeEnv env{"HERALD_CLIENT_TOKEN_RSA_PUBLIC_KEY_FILE=" + file};
  const ServerConfig config = loadConfig("", env.get());
  EXPECT_EQ(config.tokenRsaPublicKeyFile, file);
  EXPECT_EQ(config.tokenRsaPublicKey, pem);

  FakeEnv missing{"HERALD_CLIENT_TOKEN_ECDSA_PUBLIC_KEY_FILE=" + dir.path() + "/none.pem"};
  EXPECT_THAT(configError([&] { loadConfig("", missing.get()); }),
              AllOf(HasSubstr("HERALD_CLIENT_TOKEN_ECDSA_PUBLIC_KEY_FILE: client.token_ecdsa_public_key_file"),
                    HasSubstr("No such file or directory")));
}

TEST(ConfigEnvTest, IgnoresOtherVariablesAndTheExemptOnes) {
  FakeEnv env{"PATH=/bin",           "HERALDRY=1",       "herald_server_port=1",   "NO_EQUALS_SIGN",
              "HERALD_TEST_PORT=5",  "HERALD_TEST_=x",   "HERALD_PEER_1=host:80",  "HERALD_BUILD_DIR=/b",
              "HERALD_BIN=/b/herald"};
  EXPECT_EQ(loadConfig("", env.get()), ServerConfig{});
}

TEST(ConfigEnvTest, UnknownHeraldVariableIsAnError) {
  FakeEnv typo{"HERALD_SERVER_PROT=9000"};
  EXPECT_EQ(configError([&] { loadConfig("", typo.get()); }),
            "unknown environment variable HERALD_SERVER_PROT; did you mean HERALD_SERVER_PORT?");
  FakeEnv unknown{"HERALD_FOO=1"};
  EXPECT_THAT(configError([&] { loadConfig("", unknown.get()); }),
              AllOf(HasSubstr("unknown environment variable HERALD_FOO"), HasSubstr("HERALD_<SECTION>_<KEY>")));
  FakeEnv ns{"HERALD_NAMESPACE_CHAT_PRESENCE=true"};
  EXPECT_THAT(configError([&] { loadConfig("", ns.get()); }),
              HasSubstr("namespaces cannot be set from the environment; use [[namespace]]"));
  FakeEnv prefixOnly{"HERALD_=1"};
  EXPECT_THAT(configError([&] { loadConfig("", prefixOnly.get()); }), HasSubstr("unknown environment variable HERALD_"));
}

TEST(ConfigEnvTest, BadValuesNameTheVariable) {
  const std::pair<const char*, const char*> cases[] = {
      {"HERALD_SERVER_PORT=abc", "environment variable HERALD_SERVER_PORT: expected a non-negative integer, got \"abc\""},
      {"HERALD_SERVER_PORT=-1", "environment variable HERALD_SERVER_PORT: expected a non-negative integer"},
      {"HERALD_SERVER_PORT=99999", "environment variable HERALD_SERVER_PORT: 99999 is out of range; at most 65535"},
      {"HERALD_SERVER_PORT=", "environment variable HERALD_SERVER_PORT: expected a non-negative integer, got \"\""},
      {"HERALD_SERVER_THREADS=99999999999999999999999", "HERALD_SERVER_THREADS: \"99999999999999999999999\" is out of range"},
      {"HERALD_CLIENT_INSECURE=maybe", "environment variable HERALD_CLIENT_INSECURE: expected true or false"},
      {"HERALD_CLIENT_PING_INTERVAL=500ms", "environment variable HERALD_CLIENT_PING_INTERVAL: durations here are whole seconds"},
      {"HERALD_CLIENT_PING_INTERVAL=soon", "HERALD_CLIENT_PING_INTERVAL: expected a duration"},
      {"HERALD_API_MAX_BODY_BYTES=1 TB", "HERALD_API_MAX_BODY_BYTES: expected a size"},
      {"HERALD_CHANNEL_SLOW_CONSUMER=drop", "HERALD_CHANNEL_SLOW_CONSUMER: expected \"disconnect\" or \"skip\""},
      {"HERALD_API_KEY=<set>", "HERALD_API_KEY: \"<set>\" is the placeholder"},
  };
  for (const auto& [entry, want] : cases) {
    FakeEnv env{entry};
    EXPECT_THAT(configError([&] { loadConfig("", env.get()); }), HasSubstr(want)) << entry;
  }
}

TEST(ConfigEnvTest, ValidationErrorsNameTheVariable) {
  TempDir dir;
  const std::string path = dir.write("herald.toml", "[client]\nping_interval = \"20s\"\n");
  FakeEnv env{"HERALD_CLIENT_PONG_TIMEOUT=30s"};
  EXPECT_THAT(configError([&] { loadConfig(path, env.get()); }),
              AllOf(HasSubstr("HERALD_CLIENT_PONG_TIMEOUT: client.pong_timeout"), HasSubstr("ping_interval (20s)")));
}

}  // namespace
}  // namespace herald::server
