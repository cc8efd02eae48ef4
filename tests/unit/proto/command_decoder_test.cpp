// CommandDecoder: every command with all of its fields, frames of several
// commands, and the reuse of one decoder across many frames.

#include "herald/proto/command_decoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::proto {
namespace {

class CommandDecoderTest : public ::testing::Test {
 protected:
  // Decodes a frame that must be accepted and hold exactly one command.
  const Command& one(std::string_view frame) {
    DecodeResult r = decoder_.decode(frame, out_);
    EXPECT_EQ(r.kind, DecodeResult::Ok) << r.reason << " in " << frame;
    EXPECT_EQ(r.count, 1u);
    if (out_.size() != 1) out_.resize(1);
    return out_[0];
  }

  CommandDecoder decoder_;
  std::vector<Command> out_;
};

TEST_F(CommandDecoderTest, DecodesConnectWithAllFields) {
  const Command& c = one(
      R"({"id":1,"connect":{"token":"jwt.token","data":{"a":[1,2]},"name":"js","version":"5.0.0",)"
      R"("subs":{"news":{"recover":true,"epoch":"ep","offset":42},"chat:1":{}}}})");
  EXPECT_EQ(c.id, 1u);
  const auto& m = std::get<ConnectCommand>(c.body);
  EXPECT_EQ(m.token, "jwt.token");
  EXPECT_EQ(m.data, R"({"a":[1,2]})");
  EXPECT_EQ(m.name, "js");
  EXPECT_EQ(m.version, "5.0.0");
  ASSERT_EQ(m.subs.size(), 2u);
  EXPECT_EQ(m.subs[0].channel, "news");
  EXPECT_TRUE(m.subs[0].recover);
  EXPECT_EQ(m.subs[0].epoch, "ep");
  EXPECT_EQ(m.subs[0].offset, 42u);
  EXPECT_EQ(m.subs[1].channel, "chat:1");
  EXPECT_FALSE(m.subs[1].recover);
  EXPECT_EQ(methodName(c.body), "connect");
}

TEST_F(CommandDecoderTest, DecodesEmptyConnect) {
  const Command& c = one(R"({"id":1,"connect":{}})");
  const auto& m = std::get<ConnectCommand>(c.body);
  EXPECT_TRUE(m.token.empty());
  EXPECT_TRUE(m.data.empty());
  EXPECT_TRUE(m.subs.empty());
}

TEST_F(CommandDecoderTest, DecodesSubscribeWithAllFields) {
  const Command& c = one(
      R"({"id":2,"subscribe":{"channel":"news","token":"t","recover":true,"epoch":"xyz","offset":18446744073709551615,)"
      R"("data":"hi","positioned":true,"recoverable":true,"join_leave":true}})");
  EXPECT_EQ(c.id, 2u);
  const auto& m = std::get<SubscribeCommand>(c.body);
  EXPECT_EQ(m.channel, "news");
  EXPECT_EQ(m.token, "t");
  EXPECT_TRUE(m.recover);
  EXPECT_EQ(m.epoch, "xyz");
  EXPECT_EQ(m.offset, 18446744073709551615u);
  EXPECT_EQ(m.data, R"("hi")");
  EXPECT_TRUE(m.positioned);
  EXPECT_TRUE(m.recoverable);
  EXPECT_TRUE(m.joinLeave);
}

TEST_F(CommandDecoderTest, DecodesChannelOnlyCommands) {
  EXPECT_EQ(std::get<UnsubscribeCommand>(one(R"({"id":3,"unsubscribe":{"channel":"a"}})").body).channel, "a");
  EXPECT_EQ(std::get<PresenceCommand>(one(R"({"id":4,"presence":{"channel":"b"}})").body).channel, "b");
  EXPECT_EQ(std::get<PresenceStatsCommand>(one(R"({"id":5,"presence_stats":{"channel":"c"}})").body).channel,
            "c");
}

TEST_F(CommandDecoderTest, DecodesPublish) {
  const Command& c = one(R"({"id":6,"publish":{"channel":"chat","data":{"text":"hello \"you\"\n"}}})");
  EXPECT_EQ(c.id, 6u);
  const auto& m = std::get<PublishCommand>(c.body);
  EXPECT_EQ(m.channel, "chat");
  EXPECT_EQ(m.data, R"({"text":"hello \"you\"\n"})");  // raw, escapes untouched
}

TEST_F(CommandDecoderTest, KeepsDataAsSentIncludingInnerWhitespace) {
  const Command& c = one("{\"id\":6,\"publish\":{\"channel\":\"c\",\"data\": [ 1 , {\"x\" : null} ] \t}}");
  EXPECT_EQ(std::get<PublishCommand>(c.body).data, "[ 1 , {\"x\" : null} ]");
  for (std::string_view scalar : {"-0.5e+10", "true", "false", "\"\"", "0", "\"\\u00e9\""}) {
    std::string frame = R"({"id":1,"publish":{"channel":"c","data":)" + std::string(scalar) + " }}";
    EXPECT_EQ(std::get<PublishCommand>(one(frame).body).data, scalar);
  }
}

TEST_F(CommandDecoderTest, DecodesHistoryWithAllFields) {
  const Command& c =
      one(R"({"id":7,"history":{"channel":"h","limit":-1,"since":{"offset":10,"epoch":"e1"},"reverse":true}})");
  const auto& m = std::get<HistoryCommand>(c.body);
  EXPECT_EQ(m.channel, "h");
  EXPECT_EQ(m.limit, -1);
  EXPECT_TRUE(m.hasSince);
  EXPECT_EQ(m.since.offset, 10u);
  EXPECT_EQ(m.since.epoch, "e1");
  EXPECT_TRUE(m.reverse);

  const auto& plain = std::get<HistoryCommand>(one(R"({"id":7,"history":{"channel":"h"}})").body);
  EXPECT_FALSE(plain.hasSince);
  EXPECT_EQ(plain.limit, 0);
}

TEST_F(CommandDecoderTest, DecodesPingSendRpcRefreshSubRefresh) {
  EXPECT_TRUE(std::holds_alternative<PingCommand>(one(R"({"id":8,"ping":{}})").body));

  const Command& send = one(R"({"send":{"data":{"typing":true}}})");
  EXPECT_EQ(send.id, 0u);
  EXPECT_EQ(std::get<SendCommand>(send.body).data, R"({"typing":true})");

  const Command& rpc = one(R"({"id":9,"rpc":{"method":"getUser","data":{"id":5}}})");
  EXPECT_EQ(std::get<RpcCommand>(rpc.body).method, "getUser");
  EXPECT_EQ(std::get<RpcCommand>(rpc.body).data, R"({"id":5})");

  EXPECT_EQ(std::get<RefreshCommand>(one(R"({"id":10,"refresh":{"token":"new"}})").body).token, "new");

  const auto& sr = std::get<SubRefreshCommand>(one(R"({"id":11,"sub_refresh":{"channel":"c","token":"t2"}})").body);
  EXPECT_EQ(sr.channel, "c");
  EXPECT_EQ(sr.token, "t2");
}

TEST_F(CommandDecoderTest, EmptyObjectIsPong) {
  const Command& c = one("{}");
  EXPECT_EQ(c.id, 0u);
  EXPECT_TRUE(std::holds_alternative<PongCommand>(c.body));
  EXPECT_EQ(methodName(c.body), "");
  EXPECT_TRUE(std::holds_alternative<PongCommand>(one(" { } ").body));
  EXPECT_TRUE(std::holds_alternative<PongCommand>(one(R"({"id":0})").body));
}

TEST_F(CommandDecoderTest, UnescapesStrings) {
  const Command& c = one(R"({"id":1,"subscribe":{"channel":"caf\u00e9 \"q\" \\ \/","token":"\ud83d\ude00"}})");
  const auto& m = std::get<SubscribeCommand>(c.body);
  EXPECT_EQ(m.channel, "caf\xC3\xA9 \"q\" \\ /");
  EXPECT_EQ(m.token, "\xF0\x9F\x98\x80");
}

// JSON's grammar allows a \u escape of a lone surrogate (JSON.stringify writes
// one for a broken pair): data keeps it as sent, a string gets U+FFFD.
TEST_F(CommandDecoderTest, AcceptsLoneSurrogateEscapes) {
  const Command& c = one(R"({"id":1,"publish":{"channel":"a\ud800b\udc00\ud83d\ude00","data":["\ud800\u0041"]}})");
  const auto& m = std::get<PublishCommand>(c.body);
  EXPECT_EQ(m.channel, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xF0\x9F\x98\x80");
  EXPECT_EQ(m.data, R"(["\ud800\u0041"])");
}

TEST_F(CommandDecoderTest, EscapedKeysAreMatched) {
  const Command& c = one(R"({"\u0069d":3,"publ\u0069sh":{"ch\u0061nnel":"x","data":1}})");
  EXPECT_EQ(c.id, 3u);
  EXPECT_EQ(std::get<PublishCommand>(c.body).channel, "x");
}

TEST_F(CommandDecoderTest, IgnoresUnknownFieldsInsideMethodsAndBesideThem) {
  const Command& c = one(
      R"({"id":1,"subscribe":{"channel":"c","delta":"fossil","tf":{"op":"and","nodes":[]},"flag":3},"extra":[1]})");
  EXPECT_EQ(std::get<SubscribeCommand>(c.body).channel, "c");
}

TEST_F(CommandDecoderTest, NullFieldsAreAbsent) {
  const Command& c = one(R"({"id":1,"publish":{"channel":"c","data":null},"connect":null})");
  EXPECT_TRUE(std::get<PublishCommand>(c.body).data.empty());
  const auto& s = std::get<SubscribeCommand>(
      one(R"({"id":2,"subscribe":{"channel":"c","token":null,"recover":null,"offset":null}})").body);
  EXPECT_TRUE(s.token.empty());
  EXPECT_FALSE(s.recover);
  EXPECT_EQ(s.offset, 0u);
}

TEST_F(CommandDecoderTest, IdMayComeAfterTheMethod) {
  EXPECT_EQ(one(R"({"ping":{},"id":4294967295})").id, 4294967295u);
}

TEST_F(CommandDecoderTest, DecodesSeveralCommandsPerFrame) {
  const std::string frame =
      "{\"id\":1,\"connect\":{\"token\":\"t\"}}\n"
      "{\"id\":2,\"subscribe\":{\"channel\":\"a\"}}\n"
      "{\"id\":3,\"publish\":{\"channel\":\"a\",\"data\":{\"n\":1}}}\n"
      "{}";
  DecodeResult r = decoder_.decode(frame, out_);
  ASSERT_EQ(r.kind, DecodeResult::Ok) << r.reason;
  ASSERT_EQ(r.count, 4u);
  ASSERT_EQ(out_.size(), 4u);
  EXPECT_EQ(std::get<ConnectCommand>(out_[0].body).token, "t");
  EXPECT_EQ(std::get<SubscribeCommand>(out_[1].body).channel, "a");
  EXPECT_EQ(std::get<PublishCommand>(out_[2].body).data, R"({"n":1})");
  EXPECT_TRUE(std::holds_alternative<PongCommand>(out_[3].body));
}

TEST_F(CommandDecoderTest, AcceptsOneTrailingNewline) {
  DecodeResult r = decoder_.decode("{\"id\":1,\"ping\":{}}\n{\"id\":2,\"ping\":{}}\n", out_);
  ASSERT_EQ(r.kind, DecodeResult::Ok) << r.reason;
  EXPECT_EQ(r.count, 2u);
  EXPECT_EQ(out_[1].id, 2u);
}

TEST_F(CommandDecoderTest, AcceptsCarriageReturnAsWhitespace) {
  DecodeResult r = decoder_.decode("{\"id\":1,\"ping\":{}}\r\n{\"id\":2,\"ping\":{}}\r\n", out_);
  ASSERT_EQ(r.kind, DecodeResult::Ok) << r.reason;
  EXPECT_EQ(r.count, 2u);
}

TEST_F(CommandDecoderTest, RefusesEmptyLines) {
  for (std::string_view frame : {"", "\n", "\n\n", "{\"id\":1,\"ping\":{}}\n\n", "\n{\"id\":1,\"ping\":{}}",
                                 "{\"id\":1,\"ping\":{}}\n\n{\"id\":2,\"ping\":{}}"}) {
    DecodeResult r = decoder_.decode(frame, out_);
    EXPECT_EQ(r.kind, DecodeResult::Error) << frame;
    EXPECT_EQ(r.disconnect, DisconnectCode::BadRequest);
  }
  DecodeResult r = decoder_.decode("{\"id\":1,\"ping\":{}}\n\n{\"id\":2,\"ping\":{}}", out_);
  EXPECT_EQ(r.index, 1u);
  EXPECT_EQ(r.count, 1u);  // the first command stays decoded
  EXPECT_STREQ(r.reason, "empty line between commands");
}

TEST_F(CommandDecoderTest, ViewsStayValidUntilTheNextDecode) {
  const std::string frame =
      "{\"id\":1,\"publish\":{\"channel\":\"a\\u0062\",\"data\":\"x\"}}\n"
      "{\"id\":2,\"publish\":{\"channel\":\"c\\u0064\",\"data\":\"y\"}}";
  ASSERT_EQ(decoder_.decode(frame, out_).kind, DecodeResult::Ok);
  // Unescaping the second line did not overwrite the first one's strings.
  EXPECT_EQ(std::get<PublishCommand>(out_[0].body).channel, "ab");
  EXPECT_EQ(std::get<PublishCommand>(out_[1].body).channel, "cd");
}

TEST_F(CommandDecoderTest, DoesNotReferToTheCallersFrame) {
  std::string frame = R"({"id":1,"publish":{"channel":"chan","data":{"k":"v"}}})";
  ASSERT_EQ(decoder_.decode(frame, out_).kind, DecodeResult::Ok);
  std::fill(frame.begin(), frame.end(), 'X');
  EXPECT_EQ(std::get<PublishCommand>(out_[0].body).channel, "chan");
  EXPECT_EQ(std::get<PublishCommand>(out_[0].body).data, R"({"k":"v"})");
}

// 10k publish frames through one decoder: the decoder's buffers and the
// output vector are reused, so steady state needs no new capacity.
TEST_F(CommandDecoderTest, ReusesItsBuffersAcrossManyFrames) {
  std::vector<Command> out;
  out.reserve(4);
  const Command* storage = nullptr;
  for (int i = 0; i < 10000; ++i) {
    std::string frame = R"({"id":)" + std::to_string(i + 1) +
                        R"(,"publish":{"channel":"chat:lobby","data":{"text":"message )" + std::to_string(i) +
                        R"(","from":"user\u0031"}}})";
    DecodeResult r = decoder_.decode(frame, out);
    ASSERT_EQ(r.kind, DecodeResult::Ok) << r.reason;
    ASSERT_EQ(out.size(), 1u);
    if (i == 0) storage = out.data();
    EXPECT_EQ(out.data(), storage);  // the vector never reallocated
    const auto& p = std::get<PublishCommand>(out[0].body);
    ASSERT_EQ(out[0].id, static_cast<std::uint32_t>(i + 1));
    ASSERT_EQ(p.channel, "chat:lobby");
  }
  EXPECT_EQ(out.capacity(), 4u);
}

TEST_F(CommandDecoderTest, DecoderCanBeMoved) {
  CommandDecoder moved(DecodeLimits{.maxCommandsPerFrame = 1});
  CommandDecoder other = std::move(moved);
  EXPECT_EQ(other.limits().maxCommandsPerFrame, 1u);
  EXPECT_EQ(other.decode("{}\n{}", out_).kind, DecodeResult::Error);
  EXPECT_EQ(other.decode("{}", out_).kind, DecodeResult::Ok);
}

}  // namespace
}  // namespace herald::proto
