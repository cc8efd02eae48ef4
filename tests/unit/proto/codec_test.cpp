// The Codec seam (codec.hpp): both formats behind one interface, the batch
// convention (an Encoder call appends the next message of a frame), and what
// each format can carry.
#include "herald/proto/codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "herald/proto/protobuf_encoder.hpp"
#include "herald/proto/reply_encoder.hpp"

namespace herald::proto {
namespace {

TEST(CodecTest, JsonMessagesOfOneFrameAreSeparatedByNewlines) {
  const Encoder& json = encoderFor(Format::Json);
  EXPECT_EQ(json.format(), Format::Json);
  std::string batch;
  json.pingReply(batch, 1);
  json.errorReply(batch, 2, ErrorCode::PermissionDenied);
  json.publishReply(batch, 3);
  std::string expected;
  encodePingReply(expected, 1);
  expected += '\n';
  encodeErrorReply(expected, 2, ErrorCode::PermissionDenied);
  expected += '\n';
  encodePublishReply(expected, 3);
  EXPECT_EQ(batch, expected);
  EXPECT_EQ(batch.back(), '}');  // no newline after the last message
}

TEST(CodecTest, ProtobufMessagesOfOneFrameAreLengthPrefixed) {
  const Encoder& pb = encoderFor(Format::Protobuf);
  EXPECT_EQ(pb.format(), Format::Protobuf);
  std::string batch;
  pb.pingReply(batch, 1);
  pb.errorReply(batch, 2, ErrorCode::PermissionDenied);
  std::string expected;
  pb::encodePingReply(expected, 1);
  pb::encodeErrorReply(expected, 2, ErrorCode::PermissionDenied);
  EXPECT_EQ(batch, expected);
  std::string ping;
  pb.serverPing(ping);
  EXPECT_EQ(ping, std::string(1, '\0'));
}

TEST(CodecTest, EveryCallOfBothEncodersWritesItsFormat) {
  const ClientInfo who{.user = "u", .client = "c"};
  for (Format f : kFormats) {
    const Encoder& e = encoderFor(f);
    std::string out;
    e.connectReply(out, 1, {.client = "c"});
    e.subscribeReply(out, 2, {});
    e.unsubscribeReply(out, 3);
    e.presenceReply(out, 4, std::span<const ClientInfo>(&who, 1));
    e.presenceStatsReply(out, 5, {1, 1});
    e.historyReply(out, 6, {});
    e.rpcReply(out, 7, "{}");
    e.refreshReply(out, 8, {});
    e.subRefreshReply(out, 9, {});
    e.publicationPush(out, "ch", {.data = "{}"});
    e.joinPush(out, "ch", who);
    e.leavePush(out, "ch", who);
    e.unsubscribePush(out, "ch", {2000, "x"});
    e.subscribePush(out, "ch", {});
    e.messagePush(out, "{}");
    e.connectPush(out, {});
    e.disconnectPush(out, {3000, "x", true});
    e.refreshPush(out, {});
    if (f == Format::Json) {
      EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 17) << out;
    } else {
      // 18 length-prefixed messages, end to end.
      std::size_t pos = 0, n = 0;
      while (pos < out.size()) {
        std::size_t len = static_cast<unsigned char>(out[pos]);
        ASSERT_LT(len, 0x80u);
        pos += 1 + len;
        ++n;
      }
      EXPECT_EQ(pos, out.size());
      EXPECT_EQ(n, 18u);
    }
  }
}

TEST(CodecTest, JsonCarriesJsonValuesOnlyAndProtobufAnyBytes) {
  const Encoder& json = encoderFor(Format::Json);
  const Encoder& pb = encoderFor(Format::Protobuf);
  for (std::string_view ok : {R"({"a":[1,2,{"b":null}]})", "123", R"("text")", "true", " [ ] "}) {
    EXPECT_TRUE(isJsonValue(ok)) << ok;
    EXPECT_TRUE(json.carries(ok)) << ok;
  }
  const std::string binary("\x00\x01\xff{", 4);
  for (std::string_view bad : {std::string_view(binary), std::string_view("{\"a\":"), std::string_view("{} {}"),
                               std::string_view("\xc3\x28"), std::string_view("nul")}) {
    EXPECT_FALSE(isJsonValue(bad)) << bad;
    EXPECT_FALSE(json.carries(bad)) << bad;
    EXPECT_TRUE(pb.carries(bad)) << bad;
  }
  EXPECT_TRUE(json.carries(""));  // absent data is left out, not sent
}

TEST(CodecTest, EachLoopHasADecoderPerFormat) {
  Codecs codecs(DecodeLimits{});
  std::vector<Command> out;
  EXPECT_EQ(codecs.decoder(Format::Json).decode(R"({"id":1,"ping":{}})", out).kind, DecodeResult::Ok);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<PingCommand>(out[0].body));
  // The same command in Protobuf: Command{id: 1, ping: {}}, length-prefixed.
  const std::string frame("\x04\x08\x01\x5a\x00", 5);
  EXPECT_EQ(codecs.decoder(Format::Protobuf).decode(frame, out).kind, DecodeResult::Ok);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<PingCommand>(out[0].body));
  // Neither decodes the other's frames.
  EXPECT_EQ(codecs.decoder(Format::Json).decode(frame, out).kind, DecodeResult::Error);
  EXPECT_EQ(codecs.decoder(Format::Protobuf).decode(R"({"id":1,"ping":{}})", out).kind, DecodeResult::Error);
}

}  // namespace
}  // namespace herald::proto
