// The value syntaxes (durations, byte sizes) and ServerConfig::optionsFor.

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace herald::server {
namespace {

using std::chrono::milliseconds;

TEST(ParseDurationTest, ReadsEveryUnit) {
  EXPECT_EQ(parseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(parseDuration("25s"), milliseconds(25'000));
  EXPECT_EQ(parseDuration("5m"), milliseconds(300'000));
  EXPECT_EQ(parseDuration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parseDuration("1d"), milliseconds(86'400'000));
  EXPECT_EQ(parseDuration("0s"), milliseconds(0));
}

TEST(ParseDurationTest, ReadsBareSecondsAndCombinations) {
  EXPECT_EQ(parseDuration("25"), milliseconds(25'000));
  EXPECT_EQ(parseDuration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(parseDuration("1h0m5s"), milliseconds(3'605'000));
  EXPECT_EQ(parseDuration("1s500ms"), milliseconds(1'500));
}

TEST(ParseDurationTest, RejectsMalformed) {
  for (const char* bad : {"", "s", "-5s", "5 s", "5sec", "1.5s", "5x", "1m30", "ms", " 5s", "5s ", "99999999999999999999s",
                          "999999999999999999d"}) {
    EXPECT_EQ(parseDuration(bad), std::nullopt) << bad;
  }
}

TEST(ParseByteSizeTest, ReadsBareBytesAndUnits) {
  EXPECT_EQ(parseByteSize("65536"), 65536u);
  EXPECT_EQ(parseByteSize("0"), 0u);
  EXPECT_EQ(parseByteSize("512B"), 512u);
  EXPECT_EQ(parseByteSize("64KiB"), 64u * 1024);
  EXPECT_EQ(parseByteSize("4MiB"), 4u * 1024 * 1024);
  EXPECT_EQ(parseByteSize("1GiB"), 1024u * 1024 * 1024);
  EXPECT_EQ(parseByteSize("1KB"), 1000u);
  EXPECT_EQ(parseByteSize("1MB"), 1'000'000u);
  EXPECT_EQ(parseByteSize("2GB"), 2'000'000'000u);
  EXPECT_EQ(parseByteSize("64kib"), 64u * 1024);
  EXPECT_EQ(parseByteSize("64 KiB"), 64u * 1024);
}

TEST(ParseByteSizeTest, RejectsMalformed) {
  for (const char* bad : {"", "KiB", "-1", "1.5MiB", "64 ", "64  KiB", "64KiBs", "64K", "1TiB", "99999999999999999999",
                          "99999999999GiB"}) {
    EXPECT_EQ(parseByteSize(bad), std::nullopt) << bad;
  }
}

TEST(OptionsForTest, PicksTheNamespaceBeforeTheColon) {
  ServerConfig config;
  config.channel.historySize = 1;
  config.namespaces.push_back({"chat", {}});
  config.namespaces.back().options.presence = true;
  config.namespaces.push_back({"feed", {}});

  const ChannelOptions* chat = config.optionsFor("chat:room1");
  ASSERT_NE(chat, nullptr);
  EXPECT_TRUE(chat->presence);
  EXPECT_EQ(chat, &config.namespaces[0].options);
  EXPECT_EQ(config.optionsFor("feed:a:b"), &config.namespaces[1].options);  // only the first ':' counts
  EXPECT_EQ(config.optionsFor("chat#42,43"), &config.channel);               // no ':': no namespace
}

TEST(OptionsForTest, ChannelsWithoutNamespaceGetTheDefaults) {
  ServerConfig config;
  config.namespaces.push_back({"chat", {}});
  EXPECT_EQ(config.optionsFor("room1"), &config.channel);
  EXPECT_EQ(config.optionsFor(""), &config.channel);
}

TEST(OptionsForTest, UnknownNamespaceIsNotConfigured) {
  ServerConfig config;
  config.namespaces.push_back({"chat", {}});
  EXPECT_EQ(config.optionsFor("unknown:x"), nullptr);
  EXPECT_EQ(config.optionsFor("Chat:x"), nullptr);  // names are case-sensitive
  EXPECT_EQ(config.optionsFor(":x"), nullptr);      // an empty namespace is never configured
}

}  // namespace
}  // namespace herald::server
