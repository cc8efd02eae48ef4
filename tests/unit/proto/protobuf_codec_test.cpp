// The Protobuf variant: ProtobufCommandDecoder on frames written byte by
// byte here (what an SDK puts on the wire, from the field numbers of
// client.proto), and the reply encoder read back with protobuf's own parser
// of the generated Reply.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client.pb.h"
#include "herald/proto/protobuf_decoder.hpp"
#include "herald/proto/protobuf_encoder.hpp"

namespace herald::proto {
namespace {

// A field's key byte: field number and wire type (0 varint, 2 bytes).
std::string key(int field, int type) { return std::string(1, static_cast<char>(field << 3 | type)); }
std::string varint(std::uint64_t v) {
  std::string s;
  pb::appendVarint(s, v);
  return s;
}
std::string bytesField(int field, const std::string& value) { return key(field, 2) + varint(value.size()) + value; }
std::string varintField(int field, std::uint64_t value) { return key(field, 0) + varint(value); }
// One command, with its length in front, as it goes into a frame.
std::string delimited(const std::string& message) { return varint(message.size()) + message; }

// The decoded commands' views point into the decoder, which lives as long
// as the test.
DecodeResult decode(const std::string& frame, std::vector<Command>& out) {
  static ProtobufCommandDecoder decoder;
  return decoder.decode(frame, out);
}

TEST(ProtobufDecoderTest, DecodesSeveralCommandsOfOneFrame) {
  std::string connect = varintField(1, 1) + bytesField(4, bytesField(1, "tok") + bytesField(2, "\x01\x02"));
  std::string subscribe =
      varintField(1, 2) + bytesField(5, bytesField(1, "chat:a") + varintField(3, 1) + bytesField(6, "ep") +
                                            varintField(7, 42) + varintField(10, 1));
  std::string publish = varintField(1, 3) + bytesField(7, bytesField(1, "chat:a") + bytesField(2, std::string("\0\xff", 2)));
  std::vector<Command> out;
  DecodeResult r = decode(delimited(connect) + delimited(subscribe) + delimited(publish), out);
  ASSERT_EQ(r.kind, DecodeResult::Ok) << r.reason;
  ASSERT_EQ(out.size(), 3u);
  const auto& c = std::get<ConnectCommand>(out[0].body);
  EXPECT_EQ(out[0].id, 1u);
  EXPECT_EQ(c.token, "tok");
  EXPECT_EQ(c.data, "\x01\x02");
  const auto& s = std::get<SubscribeCommand>(out[1].body);
  EXPECT_EQ(s.channel, "chat:a");
  EXPECT_TRUE(s.recover);
  EXPECT_EQ(s.epoch, "ep");
  EXPECT_EQ(s.offset, 42u);
  EXPECT_TRUE(s.recoverable);
  const auto& p = std::get<PublishCommand>(out[2].body);
  EXPECT_EQ(p.data, std::string_view("\0\xff", 2)) << "bytes pass unchanged, JSON or not";
}

TEST(ProtobufDecoderTest, EmptyCommandIsAPong) {
  std::vector<Command> out;
  DecodeResult r = decode(std::string(1, '\0'), out);
  ASSERT_EQ(r.kind, DecodeResult::Ok) << r.reason;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<PongCommand>(out[0].body));
}

TEST(ProtobufDecoderTest, HistoryWithSinceAndNegativeLimit) {
  std::string history = varintField(1, 9) + bytesField(10, bytesField(1, "h") + varintField(7, static_cast<std::uint64_t>(-1)) +
                                                             bytesField(8, varintField(1, 10) + bytesField(2, "e1")) +
                                                             varintField(9, 1));
  std::vector<Command> out;
  ASSERT_EQ(decode(delimited(history), out).kind, DecodeResult::Ok);
  const auto& h = std::get<HistoryCommand>(out[0].body);
  EXPECT_EQ(h.limit, -1);
  EXPECT_TRUE(h.hasSince);
  EXPECT_EQ(h.since.offset, 10u);
  EXPECT_EQ(h.since.epoch, "e1");
  EXPECT_TRUE(h.reverse);
}

struct BadFrame {
  const char* name;
  std::string frame;
};

TEST(ProtobufDecoderTest, RefusesBadFramesWith3501) {
  const std::string ping = varintField(1, 1) + bytesField(11, "");
  const std::vector<BadFrame> cases = {
      {"empty frame", ""},
      {"truncated varint length", "\xff"},
      {"length past the frame", varint(50) + ping},
      {"varint longer than ten bytes", std::string(11, '\x80')},
      {"field of the wrong wire type", delimited(key(4, 0) + varint(1))},
      {"truncated field", delimited(key(1, 0))},
      {"no method but an id", delimited(varintField(1, 5))},
      {"two methods", delimited(varintField(1, 1) + bytesField(11, "") + bytesField(6, bytesField(1, "c")))},
      {"id 0 on a ping", delimited(bytesField(11, ""))},
      {"empty channel", delimited(varintField(1, 1) + bytesField(6, ""))},
      {"channel not UTF-8", delimited(varintField(1, 1) + bytesField(6, bytesField(1, "\xc3\x28")))},
      {"channel too long", delimited(varintField(1, 1) + bytesField(6, bytesField(1, std::string(256, 'c'))))},
  };
  for (const BadFrame& c : cases) {
    std::vector<Command> out;
    DecodeResult r = decode(c.frame, out);
    EXPECT_EQ(r.kind, DecodeResult::Error) << c.name;
    EXPECT_EQ(r.disconnect, DisconnectCode::BadRequest) << c.name;
    EXPECT_STRNE(r.reason, "") << c.name;
  }
}

TEST(ProtobufDecoderTest, KeepsCommandsBeforeABadOneAndCapsTheCount) {
  const std::string ping = delimited(varintField(1, 1) + bytesField(11, ""));
  std::vector<Command> out;
  DecodeResult r = decode(ping + ping + "\xff", out);
  EXPECT_EQ(r.kind, DecodeResult::Error);
  EXPECT_EQ(r.count, 2u);
  EXPECT_EQ(r.index, 2u);

  std::string many;
  for (int i = 0; i < 10000; ++i) many += ping;
  r = decode(many, out);
  EXPECT_EQ(r.kind, DecodeResult::Error);
  EXPECT_EQ(r.count, 100u) << "a 10,000-command frame stops at the limit";
}

TEST(ProtobufDecoderTest, SkipsFieldsItDoesNotKnow) {
  // A newer SDK's subscribe flag (field 14) and an unknown top-level field.
  std::string subscribe = varintField(1, 4) + bytesField(5, bytesField(1, "c") + varintField(14, 3)) + varintField(99, 7);
  std::vector<Command> out;
  ASSERT_EQ(decode(delimited(subscribe), out).kind, DecodeResult::Ok);
  EXPECT_EQ(std::get<SubscribeCommand>(out[0].body).channel, "c");
}

// Reads back the messages of a frame with the generated parser.
std::vector<wire::Reply> replies(const std::string& frame) {
  std::vector<wire::Reply> out;
  std::size_t pos = 0;
  while (pos < frame.size()) {
    std::uint64_t len = 0;
    unsigned shift = 0;
    unsigned char b;
    do {
      b = static_cast<unsigned char>(frame.at(pos++));
      len |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      shift += 7;
    } while (b & 0x80);
    wire::Reply r;
    EXPECT_TRUE(r.ParseFromArray(frame.data() + pos, static_cast<int>(len)));
    out.push_back(r);
    pos += len;
  }
  return out;
}

TEST(ProtobufEncoderTest, RepliesAndPushesReadBack) {
  std::string frame;
  ClientInfo info{"u1", "c1", std::string_view("\x00\x01", 2), {}};
  Publication pubs[] = {{std::string_view("\xff\xfe", 2), &info, 7, {}}, {"{\"a\":1}", nullptr, 8, {}}};
  pb::encodeSubscribeReply(frame, 3,
                           SubscribeResult{.recoverable = true, .epoch = "ep", .publications = pubs, .recovered = true,
                                           .offset = 8, .wasRecovering = true});
  pb::encodePublishReply(frame, 4);
  pb::encodeErrorReply(frame, 5, ErrorCode::PermissionDenied);
  pb::encodePublicationPush(frame, "chat:a", pubs[0]);
  pb::encodeServerPing(frame);
  std::vector<wire::Reply> r = replies(frame);
  ASSERT_EQ(r.size(), 5u);

  EXPECT_EQ(r[0].id(), 3u);
  const wire::SubscribeResult& s = r[0].subscribe();
  EXPECT_TRUE(s.recoverable() && s.recovered() && s.was_recovering());
  EXPECT_EQ(s.epoch(), "ep");
  EXPECT_EQ(s.offset(), 8u);
  ASSERT_EQ(s.publications_size(), 2);
  EXPECT_EQ(s.publications(0).data(), std::string("\xff\xfe", 2));
  EXPECT_EQ(s.publications(0).info().conn_info(), std::string("\x00\x01", 2));
  EXPECT_EQ(s.publications(1).data(), "{\"a\":1}");
  EXPECT_FALSE(s.publications(1).has_info());

  EXPECT_EQ(r[1].id(), 4u);
  EXPECT_TRUE(r[1].has_publish()) << "an empty result is still sent";

  EXPECT_EQ(r[2].error().code(), 103u);
  EXPECT_EQ(r[2].error().message(), "permission denied");

  EXPECT_EQ(r[3].id(), 0u);
  EXPECT_EQ(r[3].push().channel(), "chat:a");
  EXPECT_EQ(r[3].push().pub().offset(), 7u);

  EXPECT_EQ(r[4].ByteSizeLong(), 0u) << "the server ping is the empty Reply";
  EXPECT_EQ(frame.back(), '\0');
}

TEST(ProtobufEncoderTest, ConnectReplyCarriesServerSideSubscriptions) {
  std::string frame;
  ChannelSubscribeResult subs[] = {{"news", SubscribeResult{.recoverable = true, .epoch = "e", .offset = 3}}};
  pb::encodeConnectReply(frame, 1, ConnectResult{.client = "cid", .version = "v", .subs = subs, .ping = 25, .pong = true});
  std::vector<wire::Reply> r = replies(frame);
  ASSERT_EQ(r.size(), 1u);
  const wire::ConnectResult& c = r[0].connect();
  EXPECT_EQ(c.client(), "cid");
  EXPECT_EQ(c.ping(), 25u);
  EXPECT_TRUE(c.pong());
  ASSERT_EQ(c.subs_size(), 1);
  EXPECT_EQ(c.subs(0).key(), "news");
  EXPECT_EQ(c.subs(0).value().offset(), 3u);
}

}  // namespace
}  // namespace herald::proto
