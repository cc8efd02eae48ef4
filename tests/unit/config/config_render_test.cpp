// renderConfig: the effective configuration as TOML that reads back to the
// same ServerConfig; and the documentation (herald.example.toml,
// docs/configuration.md) checked against the options it renders.

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "config_test_support.hpp"

namespace herald::server {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

ServerConfig readBack(const TempDir& dir, const std::string& text) {
  return loadConfig(dir.write("rendered.toml", text), nullptr);
}

std::string fileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ServerConfig everythingSet(const TempDir& dir) {
  ServerConfig c;
  c.host = "0.0.0.0";
  c.port = 443;
  c.threads = 2;
  c.dataDir = "/data/with \"quotes\" and \\ backslash";
  c.logLevel = "warn";
  c.tlsCert = "cert.pem";
  c.tlsKey = "key.pem";
  c.allowedOrigins = {"*", "https://ü.example"};
  c.nodeName = "n1";
  c.webRoot = "web";
  c.tokenHmacSecret = "s3cr3t\tvalue";
  c.tokenRsaPublicKeyFile = dir.write("rsa.pem", "-----BEGIN PUBLIC KEY-----\nrsa\n-----END PUBLIC KEY-----\n");
  c.tokenRsaPublicKey = "-----BEGIN PUBLIC KEY-----\nrsa\n-----END PUBLIC KEY-----\n";
  c.tokenAudience = "aud";
  c.tokenIssuer = "iss";
  c.allowAnonymous = c.insecure = true;
  c.pingInterval = 90s;
  c.pongTimeout = 7s;
  c.maxMessageBytes = 1000;
  c.writeQueueBytes = 3 * 1024 * 1024;
  c.commandsPerSecond = 10;
  c.commandBurst = 10;
  c.maxConnections = 7;
  c.maxChannelLength = 64;
  c.maxSubscriptionsPerConnection = 3;
  c.handshakeTimeout = 2h;
  c.apiKey = "api-k3y";
  c.apiInsecure = true;
  c.apiMaxBodyBytes = 1024;
  c.channel.historySize = 10;
  c.channel.historyTtl = 1s;
  c.channel.slowConsumer = SlowConsumerPolicy::Skip;
  NamespaceConfig ns{"chat", {}};
  ns.options.presence = ns.options.joinLeave = true;
  ns.options.historySize = 5;
  ns.options.historyTtl = 86400s;
  c.namespaces = {ns, {"b", {}}};
  return c;
}

TEST(RenderConfigTest, DefaultsReadBackToTheDefaults) {
  TempDir dir;
  const std::string text = renderConfig(ServerConfig{});
  EXPECT_EQ(readBack(dir, text), ServerConfig{});
  EXPECT_THAT(text, HasSubstr("\n[server]\nhost = \"127.0.0.1\"\nport = 8080\n"));
  EXPECT_THAT(text, HasSubstr("ping_interval = \"25s\"\n"));
  EXPECT_THAT(text, HasSubstr("max_message_bytes = \"64KiB\"\n"));
  EXPECT_THAT(text, HasSubstr("write_queue_bytes = \"4MiB\"\n"));
  EXPECT_THAT(text, HasSubstr("token_hmac_secret = \"\"\n"));  // unset secrets show as empty
  EXPECT_THAT(text, HasSubstr("slow_consumer = \"disconnect\"\n"));
}

TEST(RenderConfigTest, EveryOptionReadsBackWhenSecretsAreRevealed) {
  TempDir dir;
  const ServerConfig config = everythingSet(dir);
  const std::string text = renderConfig(config, /*revealSecrets=*/true);
  EXPECT_EQ(readBack(dir, text), config) << text;
  EXPECT_THAT(text, HasSubstr("handshake_timeout = \"2h\""));
  EXPECT_THAT(text, HasSubstr("max_message_bytes = 1000\n"));
  EXPECT_THAT(text, HasSubstr("[[namespace]]\nname = \"chat\"\npresence = true\n"));
}

TEST(RenderConfigTest, HidesSecretsByDefault) {
  TempDir dir;
  const ServerConfig config = everythingSet(dir);
  const std::string text = renderConfig(config);
  EXPECT_THAT(text, HasSubstr("token_hmac_secret = \"<set>\"\n"));
  EXPECT_THAT(text, HasSubstr("\n[api]\nkey = \"<set>\"\n"));
  EXPECT_THAT(text, Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(text, Not(HasSubstr("api-k3y")));
  EXPECT_THAT(text, HasSubstr("token_rsa_public_key_file = \"" + config.tokenRsaPublicKeyFile + "\""));
  EXPECT_THAT(text, Not(HasSubstr("BEGIN PUBLIC KEY")));

  // Everything else reads back; the placeholder itself is refused.
  EXPECT_THROW(readBack(dir, text), ConfigError);
  ServerConfig withoutSecrets = config;
  withoutSecrets.tokenHmacSecret.clear();
  withoutSecrets.apiKey.clear();
  EXPECT_EQ(readBack(dir, renderConfig(withoutSecrets)), withoutSecrets);
}

TEST(RenderConfigTest, SaysWhenAPublicKeyIsNotFromAFile) {
  ServerConfig config;
  config.tokenEcdsaPublicKey = "-----BEGIN PUBLIC KEY-----\n";
  EXPECT_THAT(renderConfig(config), HasSubstr("# client.token_ecdsa_public_key is set, but not from a file"));
}

// Every option that renderConfig shows, as (section, key).
std::vector<std::pair<std::string, std::string>> renderedOptions() {
  ServerConfig config;
  config.namespaces.push_back({"x", {}});
  const toml::table rendered = toml::parse(renderConfig(config));
  std::vector<std::pair<std::string, std::string>> options;
  for (auto&& [section, table] : rendered) {
    if (section.str() == "namespace") continue;
    for (auto&& [key, value] : *table.as_table()) options.emplace_back(std::string(section.str()), std::string(key.str()));
  }
  return options;
}

TEST(RenderConfigTest, ExampleFileListsEveryOption) {
  const std::string path = std::string(HERALD_SOURCE_DIR) + "/herald.example.toml";
  const toml::table example = toml::parse_file(path);
  const auto options = renderedOptions();
  EXPECT_GE(options.size(), 40u);  // the rendering parsed
  for (const auto& [section, key] : options) {
    EXPECT_TRUE(example[section][key]) << section << "." << key << " is missing from herald.example.toml";
  }
  // ... and a namespace showing every per-channel key.
  const toml::table* ns = example["namespace"][0].as_table();
  ASSERT_NE(ns, nullptr);
  for (const auto& [section, key] : options) {
    if (section == "channel") {
      EXPECT_TRUE(ns->contains(key)) << key << " is missing from the example [[namespace]]";
    }
  }
}

TEST(RenderConfigTest, DocsNameEveryOptionAndVariable) {
  const std::string docs = fileText(std::string(HERALD_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_FALSE(docs.empty());
  for (const auto& [section, key] : renderedOptions()) {
    std::string env = "HERALD_" + section + "_" + key;
    for (char& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_THAT(docs, HasSubstr("`" + key + "`")) << section << "." << key;
    EXPECT_THAT(docs, HasSubstr("`" + env + "`"));
  }
}

}  // namespace
}  // namespace herald::server
