#include "loadgen/centrifugo_wire.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace herald::loadgen::centrifugo {
namespace {

TEST(CentrifugoWireTest, PublishDecodesBackFromThePushTheServerMakesOfIt) {
  unsigned char header[20];
  for (int i = 0; i < 20; ++i) header[i] = static_cast<unsigned char>(i * 13);
  std::string cmd;
  encodePublish(cmd, 7, "bench", header, 20, 12);
  EXPECT_TRUE(cmd.starts_with(R"({"id":7,"publish":{"channel":"bench","data":)")) << cmd;
  // The server forwards `data` unchanged inside a publication push.
  std::string data = cmd.substr(cmd.find(R"("data":)") + 7);
  data.resize(data.size() - 2);
  std::string push = R"({"push":{"channel":"bench","pub":{"data":)" + data + R"(,"offset":3}}})";
  unsigned char back[20] = {};
  ASSERT_TRUE(decodePublication(push, back, 20, 12));
  EXPECT_EQ(0, std::memcmp(header, back, 20));
}

TEST(CentrifugoWireTest, RefusesPushesWithOtherPaddingOrBadHex) {
  unsigned char header[20] = {};
  std::string cmd;
  encodePublish(cmd, 1, "c", header, 20, 4);
  std::string push = R"({"push":{"channel":"c","pub":{"data":{"h":")" + std::string(40, '0') + R"(","p":"xxxx"}}}})";
  unsigned char out[20];
  EXPECT_TRUE(decodePublication(push, out, 20, 4));
  EXPECT_FALSE(decodePublication(push, out, 20, 5));
  std::string bad = push;
  bad[bad.find(R"("h":")") + 5] = 'g';
  EXPECT_FALSE(decodePublication(bad, out, 20, 4));
  EXPECT_FALSE(decodePublication(R"({"id":3,"publish":{}})", out, 20, 4));
}

TEST(CentrifugoWireTest, HelloEndsWithTheSubscribeReplyOrAnError) {
  std::string error;
  EXPECT_FALSE(isHelloDone(R"({"id":1,"connect":{"client":"x"}})", true, error));
  EXPECT_TRUE(isHelloDone(R"({"id":1,"connect":{"client":"x"}})", false, error));
  EXPECT_TRUE(isHelloDone("{\"id\":1,\"connect\":{}}\n{\"id\":2,\"subscribe\":{}}", true, error));
  EXPECT_TRUE(error.empty());
  EXPECT_TRUE(isHelloDone(R"({"id":2,"error":{"code":103,"message":"permission denied"}})", true, error));
  EXPECT_NE(error.find("103"), std::string::npos);
  EXPECT_EQ(hello(""), R"({"id":1,"connect":{"name":"herald-bench"}})");
}

}  // namespace
}  // namespace herald::loadgen::centrifugo
