// Every class of configuration error: the message names the key (or the
// file), where it was set, and the fix.

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include "config_test_support.hpp"

namespace herald::server {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::configError;
using testing::TempDir;

class ConfigErrorsTest : public ::testing::Test {
 protected:
  // The error loading a herald.toml holding `text`.
  std::string errorFor(const std::string& text) {
    dir_.write("herald.toml", text);
    return configError([&] { loadConfig(path_, nullptr); });
  }
  // "<path>:<line>:" — where a message must point.
  std::string line(int n) const { return path_ + ":" + std::to_string(n) + ":"; }

  TempDir dir_;
  const std::string path_ = dir_.path() + "/herald.toml";
};

TEST_F(ConfigErrorsTest, MissingFileNamesItAndTheReason) {
  const std::string missing = dir_.path() + "/nope.toml";
  EXPECT_EQ(configError([&] { loadConfig(missing, nullptr); }),
            "cannot read config file " + missing + ": No such file or directory");
}

TEST_F(ConfigErrorsTest, DirectoryIsNotAFile) {
  EXPECT_THAT(configError([&] { loadConfig(dir_.path(), nullptr); }),
              AllOf(HasSubstr("cannot read config file " + dir_.path()), HasSubstr("Is a directory")));
}

TEST_F(ConfigErrorsTest, SyntaxErrorHasLineColumnAndDescription) {
  const std::string e = errorFor("[server]\nport = 80\nhost = \"unterminated\n");
  EXPECT_THAT(e, AllOf(HasSubstr(line(3)), HasSubstr("TOML syntax error")));
  EXPECT_THAT(errorFor("[server]\nport = 1\nport = 2\n"), AllOf(HasSubstr(line(3)), HasSubstr("TOML syntax error")));
  EXPECT_THAT(errorFor("[server\n"), AllOf(HasSubstr(line(1)), HasSubstr("TOML syntax error")));
}

TEST_F(ConfigErrorsTest, UnknownKeySuggestsTheClosest) {
  EXPECT_EQ(errorFor("[server]\nhost = \"::1\"\nprot = 9000\n"),
            line(3) + "1: unknown key \"prot\" in [server]; did you mean \"port\"?");
  EXPECT_THAT(errorFor("[client]\ntoken_hmac_secert = \"x\"\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("\"token_hmac_secert\""), HasSubstr("did you mean \"token_hmac_secret\"?")));
  EXPECT_THAT(errorFor("[channel]\nhistory_sise = 10\n"), HasSubstr("did you mean \"history_size\"?"));
}

TEST_F(ConfigErrorsTest, KeyInTheWrongSectionNamesTheRightOne) {
  EXPECT_THAT(errorFor("[client]\nport = 9000\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("unknown key \"port\" in [client]"), HasSubstr("it belongs in [server]")));
}

TEST_F(ConfigErrorsTest, UnknownKeyFarFromAnyListsTheKeys) {
  EXPECT_THAT(errorFor("[api]\nbananas = 1\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("\"bananas\""), HasSubstr("key, insecure, max_body_bytes")));
}

TEST_F(ConfigErrorsTest, UnknownSectionSuggestsTheClosest) {
  EXPECT_THAT(errorFor("[sever]\nport = 1\n"),
              AllOf(HasSubstr(line(1)), HasSubstr("unknown section \"sever\""), HasSubstr("did you mean [server]?")));
  EXPECT_THAT(errorFor("[database]\n"), AllOf(HasSubstr("unknown section \"database\""), HasSubstr("[[namespace]]")));
  EXPECT_THAT(errorFor("[server.tls]\ncert = \"x\"\n"), HasSubstr("unknown key \"tls\" in [server]"));
}

TEST_F(ConfigErrorsTest, TopLevelOptionSaysWhichSection) {
  EXPECT_THAT(errorFor("port = 9000\n"), AllOf(HasSubstr(line(1)), HasSubstr("put it under [server]")));
}

TEST_F(ConfigErrorsTest, SectionThatIsNotATable) {
  EXPECT_THAT(errorFor("server = 1\n"), AllOf(HasSubstr(line(1)), HasSubstr("server must be a table")));
}

TEST_F(ConfigErrorsTest, NamespaceMustBeAnArrayOfNamedTables) {
  EXPECT_THAT(errorFor("[namespace]\nname = \"chat\"\n"), AllOf(HasSubstr(line(1)), HasSubstr("[[namespace]]")));
  EXPECT_THAT(errorFor("namespace = [1]\n"), HasSubstr("expected a table, got an integer"));
  EXPECT_THAT(errorFor("[[namespace]]\npresence = true\n"),
              AllOf(HasSubstr(line(1)), HasSubstr("without a name"), HasSubstr("name = ")));
  EXPECT_THAT(errorFor("[[namespace]]\nname = 5\n"), AllOf(HasSubstr(line(2)), HasSubstr("expected a string, got an integer")));
  EXPECT_THAT(errorFor("[[namespace]]\nname = \"chat\"\npresense = true\n"),
              AllOf(HasSubstr(line(3)), HasSubstr("in [[namespace]] \"chat\""), HasSubstr("did you mean \"presence\"?")));
}

TEST_F(ConfigErrorsTest, WrongTypeNamesKeyExpectedAndGot) {
  EXPECT_EQ(errorFor("[server]\nport = \"8080\"\n"),
            line(2) + "8: server.port: expected a non-negative integer, got a string (\"8080\"); write the number without quotes");
  EXPECT_THAT(errorFor("[client]\ninsecure = \"yes\"\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("client.insecure"), HasSubstr("expected a boolean"), HasSubstr("got a string")));
  EXPECT_THAT(errorFor("[server]\nhost = 1\n"), AllOf(HasSubstr("server.host"), HasSubstr("expected a string, got an integer (1)")));
  EXPECT_THAT(errorFor("[server]\nallowed_origins = \"https://a.com\"\n"),
              AllOf(HasSubstr("server.allowed_origins"), HasSubstr("expected an array of strings"), HasSubstr("write [\"https://a.com\"]")));
  EXPECT_THAT(errorFor("[server]\nallowed_origins = [\"a\", 2]\n"), HasSubstr("an element is an integer"));
  EXPECT_THAT(errorFor("[channel]\nhistory_size = 1e3\n"),
              AllOf(HasSubstr("channel.history_size"), HasSubstr("got a floating-point number")));
  EXPECT_THAT(errorFor("[client]\nping_interval = true\n"),
              AllOf(HasSubstr("client.ping_interval"), HasSubstr("expected a duration"), HasSubstr("got a boolean (true)")));
}

TEST_F(ConfigErrorsTest, OutOfRangeNumbers) {
  EXPECT_THAT(errorFor("[server]\nport = 70000\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("server.port"), HasSubstr("70000 is out of range; at most 65535")));
  EXPECT_THAT(errorFor("[server]\nthreads = -1\n"), AllOf(HasSubstr("server.threads"), HasSubstr("must not be negative")));
  EXPECT_THAT(errorFor("[server]\nthreads = 5000\n"), AllOf(HasSubstr(line(2)), HasSubstr("server.threads"), HasSubstr("0 for one loop per core")));
  EXPECT_THAT(errorFor("[client]\ncommands_per_second = 5000000000\n"),
              AllOf(HasSubstr("client.commands_per_second"), HasSubstr("at most 4294967295")));
  EXPECT_THAT(errorFor("[channel]\nhistory_size = 2000000\nhistory_ttl = \"1h\"\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("channel.history_size"), HasSubstr("more than 1000000")));
}

TEST_F(ConfigErrorsTest, BadDurationsAndSizes) {
  EXPECT_THAT(errorFor("[client]\nping_interval = \"25 seconds\"\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("client.ping_interval"), HasSubstr("\"25s\"")));
  EXPECT_THAT(errorFor("[client]\nhandshake_timeout = \"1500ms\"\n"),
              AllOf(HasSubstr("client.handshake_timeout"), HasSubstr("whole seconds")));
  EXPECT_THAT(errorFor("[client]\npong_timeout = -3\n"), HasSubstr("must not be negative"));
  EXPECT_THAT(errorFor("[client]\nmax_message_bytes = \"64KB/s\"\n"),
              AllOf(HasSubstr("client.max_message_bytes"), HasSubstr("expected a size"), HasSubstr("\"64KB/s\"")));
  EXPECT_THAT(errorFor("[client]\nmax_connections = \"10k\"\n"), HasSubstr("expected a non-negative integer"));
}

TEST_F(ConfigErrorsTest, BadEnumValues) {
  EXPECT_THAT(errorFor("[channel]\nslow_consumer = \"drop\"\n"),
              AllOf(HasSubstr("channel.slow_consumer"), HasSubstr("\"disconnect\" or \"skip\"")));
  EXPECT_THAT(errorFor("[server]\nlog_level = \"verbose\"\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("server.log_level"), HasSubstr("trace, debug, info, warn, error or off")));
}

TEST_F(ConfigErrorsTest, NamespaceNames) {
  EXPECT_THAT(errorFor("[[namespace]]\nname = \"chat room\"\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("\"chat room\" is not valid"), HasSubstr("letters, digits, _ and -")));
  EXPECT_THAT(errorFor("[[namespace]]\nname = \"\"\n"), HasSubstr("is not valid"));
  EXPECT_THAT(errorFor("[[namespace]]\nname = \"a:b\"\n"), HasSubstr("is not valid"));
  EXPECT_THAT(errorFor("[[namespace]]\nname = \"chat\"\n\n[[namespace]]\nname = \"chat\"\n"),
              AllOf(HasSubstr(line(5)), HasSubstr("defined twice")));
}

TEST_F(ConfigErrorsTest, TlsCertWithoutKey) {
  EXPECT_THAT(errorFor("[server]\ntls_cert = \"c.pem\"\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("server.tls_cert"), HasSubstr("set both")));
  EXPECT_THAT(errorFor("[server]\ntls_key = \"k.pem\"\n"), AllOf(HasSubstr("server.tls_key"), HasSubstr("set both")));
}

TEST_F(ConfigErrorsTest, PongTimeoutMustBeShorterThanPingInterval) {
  EXPECT_THAT(errorFor("[client]\nping_interval = \"10s\"\npong_timeout = \"10s\"\n"),
              AllOf(HasSubstr(line(3)), HasSubstr("client.pong_timeout"), HasSubstr("ping_interval (10s)"),
                    HasSubstr("lower pong_timeout or raise ping_interval")));
  EXPECT_THAT(errorFor("[client]\nping_interval = 0\n"), HasSubstr("client.ping_interval: must be more than 0"));
}

TEST_F(ConfigErrorsTest, OtherCrossChecks) {
  EXPECT_THAT(errorFor("[client]\nwrite_queue_bytes = \"1KiB\"\n"),
              AllOf(HasSubstr("client.write_queue_bytes"), HasSubstr("max_message_bytes (64KiB)")));
  EXPECT_THAT(errorFor("[client]\ncommand_burst = 10\n"), AllOf(HasSubstr("client.command_burst"), HasSubstr("at least the rate")));
  EXPECT_THAT(errorFor("[channel]\nhistory_size = 10\n"), AllOf(HasSubstr("channel.history_ttl"), HasSubstr("set history_ttl")));
  EXPECT_THAT(errorFor("[channel]\nhistory_ttl = \"5m\"\n"), HasSubstr("set history_size"));
  EXPECT_THAT(errorFor("[[namespace]]\nname = \"chat\"\nforce_recovery = true\n"),
              AllOf(HasSubstr(line(3)), HasSubstr("namespace.chat.force_recovery"), HasSubstr("recovery needs history")));
  EXPECT_THAT(errorFor("[channel]\njoin_leave = true\n"), HasSubstr("join/leave needs presence = true"));
  EXPECT_THAT(errorFor("[server]\ndata_dir = \"\"\n[channel]\nhistory_size = 1\nhistory_ttl = 1\n"),
              HasSubstr("server.data_dir: must not be empty"));
  EXPECT_NO_THROW(loadConfig(dir_.write("ok.toml", "[server]\ndata_dir = \"\"\n"), nullptr));  // no durable history
}

TEST_F(ConfigErrorsTest, FilesLimitsAreCheckedOnlyWhenEnabled) {
  EXPECT_THAT(errorFor("[files]\nenabled = true\nmax_file_size = \"20MiB\"\nquota = \"10MiB\"\n"),
              AllOf(HasSubstr(line(4)), HasSubstr("files.quota"), HasSubstr("less than max_file_size (20MiB)")));
  EXPECT_THAT(errorFor("[files]\nenabled = true\nmax_file_size = 0\n"), HasSubstr("files.max_file_size: must be more than 0"));
  EXPECT_THAT(errorFor("[files]\nenabled = true\nmax_file_size = \"2GiB\"\nquota = \"4GiB\"\n"),
              HasSubstr("is more than 1GiB; a file is held in memory"));
  EXPECT_THAT(errorFor("[server]\ndata_dir = \"\"\n[files]\nenabled = true\n"),
              HasSubstr("server.data_dir: must not be empty: [files] enabled keeps files in data_dir/files"));
  EXPECT_THAT(errorFor("[files]\nmax_file_size = \"ten\"\n"), HasSubstr("files.max_file_size"));
  EXPECT_NO_THROW(loadConfig(dir_.write("off.toml", "[files]\nmax_file_size = \"20MiB\"\nquota = \"10MiB\"\n"), nullptr));
}

TEST_F(ConfigErrorsTest, UnreadableOrNonPemKeyFile) {
  EXPECT_THAT(errorFor("[client]\ntoken_rsa_public_key_file = \"" + dir_.path() + "/missing.pem\"\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("client.token_rsa_public_key_file"), HasSubstr("missing.pem"),
                    HasSubstr("No such file or directory"), HasSubstr("PEM public key file")));
  const std::string notPem = dir_.write("key.txt", "hello\n");
  EXPECT_THAT(errorFor("[client]\ntoken_ecdsa_public_key_file = \"" + notPem + "\"\n"),
              AllOf(HasSubstr("client.token_ecdsa_public_key_file"), HasSubstr("is not a PEM file")));
}

TEST_F(ConfigErrorsTest, SecretPlaceholderIsRefused) {
  EXPECT_THAT(errorFor("[client]\ntoken_hmac_secret = \"<set>\"\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("client.token_hmac_secret"), HasSubstr("placeholder")));
  EXPECT_THAT(errorFor("[api]\nkey = \"<set>\"\n"), AllOf(HasSubstr("api.key"), HasSubstr("placeholder")));
}

TEST(ValidateConfigTest, NamesTheKeyWithoutALocation) {
  ServerConfig config;
  EXPECT_NO_THROW(validateConfig(config));
  config.port = 0;  // an ephemeral port is fine (the tests use it)
  EXPECT_NO_THROW(validateConfig(config));
  config.host = "";
  EXPECT_THAT(configError([&] { validateConfig(config); }), ::testing::StartsWith("server.host: must not be empty"));
}

TEST_F(ConfigErrorsTest, EngineNamesTheFix) {
  EXPECT_THAT(errorFor("[engine]\ntype = \"etcd\"\n"),
              AllOf(HasSubstr(line(2)), HasSubstr("\"etcd\" is not an engine; use sqlite (one node) or redis")));
  EXPECT_THAT(errorFor("[engine]\ntype = \"redis\"\n"),
              AllOf(HasSubstr("engine.redis_addresses"), HasSubstr("needs at least one address")));
  EXPECT_THAT(errorFor("[engine]\ntype = \"redis\"\nredis_addresses = [\"localhost\"]\n"),
              AllOf(HasSubstr(line(3)), HasSubstr("\"localhost\" is not host:port")));
  EXPECT_THAT(errorFor("[engine]\nredis_addresses = [\"::1:6379\"]\n"), HasSubstr("is not host:port"));
  EXPECT_THAT(errorFor("[engine]\npresence_ttl = \"2s\"\n"), HasSubstr("must be at least 3s"));
}

TEST(SplitHostPortTest, AcceptsNamesV4AndBracketedV6) {
  EXPECT_EQ(splitHostPort("127.0.0.1:6379"), (std::pair<std::string, std::uint16_t>{"127.0.0.1", 6379}));
  EXPECT_EQ(splitHostPort("redis.internal:7000"), (std::pair<std::string, std::uint16_t>{"redis.internal", 7000}));
  EXPECT_EQ(splitHostPort("[::1]:6379"), (std::pair<std::string, std::uint16_t>{"::1", 6379}));
  for (const char* bad : {"", ":6379", "host", "host:", "host:0", "host:65536", "host:12a", "::1:6379", "[]:1", "[::1:6379"})
    EXPECT_FALSE(splitHostPort(bad).has_value()) << bad;
}

}  // namespace
}  // namespace herald::server
