// `herald sub` and `herald pub` against the real `herald serve`, run as
// child processes, in both of the protocol's formats.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "client_test_support.hpp"

namespace herald::client {
namespace {

class HeraldCliTest : public HeraldServerTest {
 protected:
  // Waits until `channel` has one subscriber (a `herald sub` started).
  bool waitForSubscriber(const std::string& channel) {
    for (int i = 0; i < 100; ++i) {
      auto r = api().call("presence_stats", R"({"channel":")" + channel + "\"}");
      if (r.ok() && r.value.find("\"num_clients\":1") != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  // The lines of a command's output.
  static std::vector<std::string> lines(const std::string& out) {
    std::vector<std::string> v;
    for (std::size_t at = 0; at < out.size();) {
      std::size_t nl = out.find('\n', at);
      if (nl == std::string::npos) nl = out.size();
      v.push_back(out.substr(at, nl - at));
      at = nl + 1;
    }
    return v;
  }
};

TEST_F(HeraldCliTest, SubAndPubCommands) {
  const std::string bin = HeraldProcess::binary();
  auto sub = std::async(std::launch::async, [&] {
    return test::runCommand({bin, "sub", "chat:cli", "--url", server_->wsUrl(), "--count", "2"}, 20s);
  });
  ASSERT_TRUE(waitForSubscriber("chat:cli"));
  ApiClient api(server_->apiUrl(), kApiKey);

  auto p1 = test::runCommand({bin, "pub", "chat:cli", R"({"a":1})", "--url", server_->apiUrl(), "--api-key", kApiKey}, 10s);
  EXPECT_EQ(p1.exitCode, 0) << p1.err;
  EXPECT_NE(p1.out.find("\"offset\":1"), std::string::npos) << p1.out;
  auto p2 = test::runCommand({bin, "pub", "chat:cli", R"({"a":2})", "--ws", server_->wsUrl()}, 10s);
  EXPECT_EQ(p2.exitCode, 0) << p2.err;

  auto s = sub.get();
  EXPECT_EQ(s.exitCode, 0) << s.err;
  EXPECT_EQ(s.out.substr(0, s.out.find('\n')), R"({"channel":"chat:cli","offset":1,"data":{"a":1}})");
  EXPECT_NE(s.out.find(R"("offset":2,"data":{"a":2},"info":{"user":"")"), std::string::npos) << s.out;

  auto bad = test::runCommand({bin, "pub", "chat:cli", "hello", "--url", server_->apiUrl()}, 10s);
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_NE(bad.err.find("not valid JSON"), std::string::npos) << bad.err;

  auto denied = test::runCommand({bin, "sub", "closed:x", "--url", server_->wsUrl()}, 10s);
  EXPECT_EQ(denied.exitCode, 1);
  EXPECT_NE(denied.err.find("permission denied"), std::string::npos) << denied.err;

  auto noKey = test::runCommand({bin, "pub", "chat:cli", "{}", "--url", server_->apiUrl()}, 10s);
  EXPECT_EQ(noKey.exitCode, 1);
  EXPECT_NE(noKey.err.find("unauthorized"), std::string::npos) << noKey.err;

  auto since = test::runCommand({bin, "sub", "chat:cli", "--url", server_->wsUrl(), "--since", "0", "--count", "2"}, 10s);
  EXPECT_EQ(since.exitCode, 0) << since.err;
  EXPECT_EQ(std::count(since.out.begin(), since.out.end(), '\n'), 2);
}

// herald sub --protocol protobuf: what herald pub --ws --protocol protobuf
// publishes (JSON or not), and bytes published through the HTTP API's
// b64data, byte for byte; JSON data prints as it does with --protocol json.
TEST_F(HeraldCliTest, SubAndPubInProtobuf) {
  const std::string bin = HeraldProcess::binary();
  auto sub = std::async(std::launch::async, [&] {
    return test::runCommand(
        {bin, "sub", "chat:bin", "--url", server_->wsUrl(), "--protocol", "protobuf", "--count", "4"}, 20s);
  });
  ASSERT_TRUE(waitForSubscriber("chat:bin"));

  auto p1 = test::runCommand(
      {bin, "pub", "chat:bin", "{\"a\": [1,\n 2]}", "--ws", server_->wsUrl(), "--protocol", "protobuf"}, 10s);
  EXPECT_EQ(p1.exitCode, 0) << p1.err;
  auto p2 = test::runCommand({bin, "pub", "chat:bin", "plain text", "--ws", server_->wsUrl(), "--protocol", "protobuf"}, 10s);
  EXPECT_EQ(p2.exitCode, 0) << p2.err;
  std::string bytes(256, '\0');
  for (int i = 0; i < 256; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>(255 - i);
  apiPublishBytes("chat:bin", bytes);
  apiPublish("chat:bin", R"({"from":"api"})");

  auto s = sub.get();
  ASSERT_EQ(s.exitCode, 0) << s.err;
  auto out = lines(s.out);
  ASSERT_EQ(out.size(), 4u) << s.out;
  EXPECT_EQ(out[0].substr(0, out[0].find(",\"info\"")), R"({"channel":"chat:bin","offset":1,"data":{"a":[1,2]})")
      << "JSON data is printed as JSON, on one line";
  EXPECT_NE(out[0].find(R"("info":{"user":"","client":")"), std::string::npos) << out[0];
  EXPECT_EQ(out[1].substr(0, out[1].find(",\"info\"")),
            R"({"channel":"chat:bin","offset":2,"b64data":")" + auth::base64Encode("plain text") + "\"");
  const std::string prefix = R"({"channel":"chat:bin","offset":3,"b64data":")";
  ASSERT_EQ(out[2].rfind(prefix, 0), 0u) << out[2];
  ASSERT_EQ(out[2].substr(out[2].size() - 2), "\"}") << out[2];
  auto got = auth::base64Decode(out[2].substr(prefix.size(), out[2].size() - prefix.size() - 2));
  ASSERT_TRUE(got) << out[2];
  EXPECT_EQ(*got, bytes) << "the bytes of b64data, exactly";
  EXPECT_EQ(out[3], R"({"channel":"chat:bin","offset":4,"data":{"from":"api"}})");

  // The same channel followed with JSON: the server cannot carry the bytes,
  // and herald sub says which flag can.
  auto json = test::runCommand({bin, "sub", "chat:bin", "--url", server_->wsUrl(), "--since", "0", "--count", "4"}, 10s);
  EXPECT_EQ(json.exitCode, 1);
  EXPECT_NE(json.err.find("(3506)"), std::string::npos) << json.err;
  EXPECT_NE(json.err.find("--protocol protobuf"), std::string::npos) << json.err;

  auto empty = test::runCommand({bin, "pub", "chat:bin", "", "--ws", server_->wsUrl(), "--protocol", "protobuf"}, 10s);
  EXPECT_EQ(empty.exitCode, 2);
  EXPECT_NE(empty.err.find("empty"), std::string::npos) << empty.err;
  auto noWs = test::runCommand({bin, "pub", "chat:bin", "x", "--url", server_->apiUrl(), "--protocol", "protobuf"}, 10s);
  EXPECT_EQ(noWs.exitCode, 2);
  EXPECT_NE(noWs.err.find("--ws"), std::string::npos) << noWs.err;
}

}  // namespace
}  // namespace herald::client
