#include "loadgen/centrifugo_wire.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "herald/proto/protobuf_decoder.hpp"
#include "herald/proto/protobuf_encoder.hpp"

namespace herald::loadgen::centrifugo {
namespace {

TEST(CentrifugoWireTest, PublishDecodesBackFromThePushTheServerMakesOfIt) {
  unsigned char header[20];
  for (int i = 0; i < 20; ++i) header[i] = static_cast<unsigned char>(i * 13);
  std::string cmd;
  encodePublish(Format::Json, cmd, 7, "bench", header, 20, 12);
  EXPECT_TRUE(cmd.starts_with(R"({"id":7,"publish":{"channel":"bench","data":)")) << cmd;
  // The server forwards `data` unchanged inside a publication push.
  std::string data = cmd.substr(cmd.find(R"("data":)") + 7);
  data.resize(data.size() - 2);
  std::string push = R"({"push":{"channel":"bench","pub":{"data":)" + data + R"(,"offset":3}}})";
  unsigned char back[20] = {};
  ASSERT_TRUE(decodePublication(Format::Json, push, back, 20, 12));
  EXPECT_EQ(0, std::memcmp(header, back, 20));
}

TEST(CentrifugoWireTest, RefusesPushesWithOtherPaddingOrBadHex) {
  unsigned char header[20] = {};
  std::string cmd;
  encodePublish(Format::Json, cmd, 1, "c", header, 20, 4);
  std::string push = R"({"push":{"channel":"c","pub":{"data":{"h":")" + std::string(40, '0') + R"(","p":"xxxx"}}}})";
  unsigned char out[20];
  EXPECT_TRUE(decodePublication(Format::Json, push, out, 20, 4));
  EXPECT_FALSE(decodePublication(Format::Json, push, out, 20, 5));
  std::string bad = push;
  bad[bad.find(R"("h":")") + 5] = 'g';
  EXPECT_FALSE(decodePublication(Format::Json, bad, out, 20, 4));
  EXPECT_FALSE(decodePublication(Format::Json, R"({"id":3,"publish":{}})", out, 20, 4));
}

TEST(CentrifugoWireTest, HelloEndsWithTheSubscribeReplyOrAnError) {
  std::string error;
  EXPECT_FALSE(isHelloDone(Format::Json, R"({"id":1,"connect":{"client":"x"}})", true, error));
  EXPECT_TRUE(isHelloDone(Format::Json, R"({"id":1,"connect":{"client":"x"}})", false, error));
  EXPECT_TRUE(isHelloDone(Format::Json, "{\"id\":1,\"connect\":{}}\n{\"id\":2,\"subscribe\":{}}", true, error));
  EXPECT_TRUE(error.empty());
  EXPECT_TRUE(isHelloDone(Format::Json, R"({"id":2,"error":{"code":103,"message":"permission denied"}})", true, error));
  EXPECT_NE(error.find("103"), std::string::npos);
  EXPECT_EQ(hello(Format::Json, ""), R"({"id":1,"connect":{"name":"herald-bench"}})");
}

// The Protobuf variant, checked against the server's own decoder and encoder.
TEST(CentrifugoWireTest, ProtobufHelloAndPublishAreWhatTheServerDecodes) {
  proto::ProtobufCommandDecoder decoder;
  std::vector<proto::Command> commands;
  ASSERT_EQ(decoder.decode(hello(Format::Protobuf, "bench"), commands).kind, proto::DecodeResult::Ok);
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0].id, 1u);
  ASSERT_TRUE(std::holds_alternative<proto::ConnectCommand>(commands[0].body));
  EXPECT_EQ(std::get<proto::ConnectCommand>(commands[0].body).name, "herald-bench");
  EXPECT_EQ(commands[1].id, 2u);
  ASSERT_TRUE(std::holds_alternative<proto::SubscribeCommand>(commands[1].body));
  EXPECT_EQ(std::get<proto::SubscribeCommand>(commands[1].body).channel, "bench");

  unsigned char header[20];
  for (int i = 0; i < 20; ++i) header[i] = static_cast<unsigned char>(200 - i);
  std::string cmd;
  encodePublish(Format::Protobuf, cmd, 300, "bench", header, 20, 9);
  ASSERT_EQ(decoder.decode(cmd, commands).kind, proto::DecodeResult::Ok);
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].id, 300u);
  const auto& publish = std::get<proto::PublishCommand>(commands[0].body);
  EXPECT_EQ(publish.channel, "bench");

  // The server forwards the data unchanged inside a publication push.
  std::string push;
  proto::pb::encodePublicationPush(push, "bench", {.data = publish.data, .offset = 7});
  std::string_view frame = push;
  auto length = readVarint(frame);
  ASSERT_TRUE(length && *length == frame.size());
  unsigned char back[20] = {};
  ASSERT_TRUE(decodePublication(Format::Protobuf, frame, back, 20, 9));
  EXPECT_EQ(0, std::memcmp(header, back, 20));
  EXPECT_FALSE(decodePublication(Format::Protobuf, frame, back, 20, 8));
  EXPECT_FALSE(isReply(Format::Protobuf, frame));
}

TEST(CentrifugoWireTest, ProtobufHelloEndsWithTheSubscribeReplyOrAnError) {
  std::string frame, error;
  proto::pb::encodeConnectReply(frame, 1, {.client = "x"});
  EXPECT_FALSE(isHelloDone(Format::Protobuf, frame, true, error));
  EXPECT_TRUE(isHelloDone(Format::Protobuf, frame, false, error));
  proto::pb::encodeSubscribeReply(frame, 2, {});
  EXPECT_TRUE(isHelloDone(Format::Protobuf, frame, true, error));
  EXPECT_TRUE(error.empty());
  std::string refused;
  proto::pb::encodeErrorReply(refused, 2, proto::ErrorCode::PermissionDenied);
  EXPECT_TRUE(isHelloDone(Format::Protobuf, refused, true, error));
  EXPECT_FALSE(error.empty());
  std::string ping;
  proto::pb::encodeServerPing(ping);
  EXPECT_TRUE(isPing(Format::Protobuf, ping));
  EXPECT_FALSE(isPing(Format::Protobuf, frame));
  // Messages of one frame, and a frame whose lengths do not add up.
  int n = 0;
  EXPECT_TRUE(forEachMessage(Format::Protobuf, frame, [&](std::string_view) { ++n; }));
  EXPECT_EQ(n, 2);
  EXPECT_FALSE(forEachMessage(Format::Protobuf, std::string_view("\x05" "ab", 3), [](std::string_view) {}));
}

}  // namespace
}  // namespace herald::loadgen::centrifugo
