// CommandDecoder refusals: each is a value with the disconnect code the
// client gets (3501 "bad request", as Centrifugo closes on a malformed
// frame) and a reason; nothing throws.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "herald/proto/command_decoder.hpp"

namespace herald::proto {
namespace {

class CommandDecoderErrorsTest : public ::testing::Test {
 protected:
  void expectRefused(const std::string& frame, std::string_view reason) {
    DecodeResult r = decoder_.decode(frame, out_);
    EXPECT_EQ(r.kind, DecodeResult::Error) << frame;
    EXPECT_EQ(r.disconnect, DisconnectCode::BadRequest) << frame;
    EXPECT_EQ(std::string_view(r.reason), reason) << frame;
    EXPECT_EQ(r.count, out_.size());
  }

  CommandDecoder decoder_{DecodeLimits{.maxCommandsPerFrame = 4, .maxChannelBytes = 8, .maxStringBytes = 16,
                                       .maxConnectSubs = 2, .maxDepth = 4}};
  std::vector<Command> out_;
};

TEST_F(CommandDecoderErrorsTest, RefusesMalformedJson) {
  for (const char* frame :
       {"{", "}", "{\"id\":1", "{\"id\":1,}", "{\"id\" 1}", "{\"id\":1 \"ping\":{}}", "{'id':1}", "nul",
        "{\"id\":1,\"ping\":{}", "{\"id\":1,\"ping\":{}}}", "{\"id\":01,\"ping\":{}}", "{\"id\":1,\"ping\":{]}",
        "{\"id\":1,\"rpc\":{\"method\":\"a\x01\"}}", "\xEF\xBB\xBF{}", "{\"id\":1,\"ping\":{}}x"}) {
    DecodeResult r = decoder_.decode(frame, out_);
    EXPECT_EQ(r.kind, DecodeResult::Error) << frame;
    EXPECT_EQ(r.disconnect, DisconnectCode::BadRequest);
  }
}

TEST_F(CommandDecoderErrorsTest, RefusesMalformedData) {
  for (const char* data : {"[1,]", "{\"a\":}", "tru", "nulll", "1.", "-", "01", "1e", "+1", "[1 2]", "\"\\x\"",
                           "{\"a\" 1}", "[\"\\u12\"]", "{\"\\q\":1}", ".5", "0x10", "[]]"}) {
    const std::string frame = std::string(R"({"id":1,"publish":{"channel":"c","data":)") + data + "}}";
    DecodeResult r = decoder_.decode(frame, out_);
    EXPECT_EQ(r.kind, DecodeResult::Error) << frame;
    EXPECT_EQ(r.disconnect, DisconnectCode::BadRequest);
  }
}

TEST_F(CommandDecoderErrorsTest, RefusesInvalidUtf8) {
  expectRefused("{\"id\":1,\"publish\":{\"channel\":\"\xC3\x28\"}}", "malformed JSON");
  expectRefused("{\"id\":1,\"publish\":{\"channel\":\"c\",\"data\":\"\xED\xA0\x80\"}}", "malformed JSON");
}

TEST_F(CommandDecoderErrorsTest, RefusesMalformedJsonInUnknownFields) {
  expectRefused(R"({"id":1,"ping":{},"future":[tru]})", "malformed JSON");
  expectRefused(R"({"id":1,"ping":{"future":01}})", "malformed JSON");
  expectRefused(R"({"id":1,"subscribe":{"channel":"c","delta":"\x"}})", "invalid escape in a string");
}

TEST_F(CommandDecoderErrorsTest, RefusesNonObjects) {
  for (const char* frame : {"[]", "1", "\"ping\"", "null", "true"})
    expectRefused(frame, "a command must be a JSON object");
}

TEST_F(CommandDecoderErrorsTest, RefusesUnknownMethod) {
  expectRefused(R"({"id":1,"frobnicate":{}})", "unknown method");
  expectRefused(R"({"id":1,"Publish":{"channel":"c"}})", "unknown method");
  expectRefused(R"({"frobnicate":{}})", "unknown method");
  expectRefused(R"({"id":1})", "command without a method");
}

TEST_F(CommandDecoderErrorsTest, RefusesTwoMethods) {
  expectRefused(R"({"id":1,"ping":{},"publish":{"channel":"c"}})", "more than one method in a command");
  expectRefused(R"({"id":1,"ping":{},"ping":{}})", "more than one method in a command");
}

TEST_F(CommandDecoderErrorsTest, RefusesMissingId) {
  expectRefused(R"({"publish":{"channel":"c","data":1}})", "command id required");
  expectRefused(R"({"id":0,"subscribe":{"channel":"c"}})", "command id required");
  expectRefused(R"({"ping":{}})", "command id required");
}

TEST_F(CommandDecoderErrorsTest, RefusesWrongTypes) {
  expectRefused(R"({"id":"1","ping":{}})", "expected an unsigned integer");
  expectRefused(R"({"id":-1,"ping":{}})", "expected an unsigned integer");
  expectRefused(R"({"id":1.5,"ping":{}})", "expected an unsigned integer");
  expectRefused(R"({"id":4294967296,"ping":{}})", "number out of range");
  expectRefused(R"({"id":1,"ping":[]})", "a method's value must be an object");
  expectRefused(R"({"id":1,"publish":"c"})", "a method's value must be an object");
  expectRefused(R"({"id":1,"publish":{"channel":5}})", "expected a string");
  expectRefused(R"({"id":1,"subscribe":{"channel":"c","recover":1}})", "expected true or false");
  expectRefused(R"({"id":1,"subscribe":{"channel":"c","offset":-5}})", "expected an unsigned integer");
  expectRefused(R"({"id":1,"subscribe":{"channel":"c","offset":"5"}})", "expected an unsigned integer");
  expectRefused(R"({"id":1,"history":{"channel":"c","limit":2147483648}})", "number out of range");
  expectRefused(R"({"id":1,"history":{"channel":"c","limit":true}})", "expected an integer");
  expectRefused(R"({"id":1,"history":{"channel":"c","since":5}})", "a method's value must be an object");
  expectRefused(R"({"id":1,"connect":{"subs":[]}})", "a method's value must be an object");
  expectRefused(R"({"id":1,"connect":{"subs":{"c":{"recover":"yes"}}}})", "expected true or false");
}

TEST_F(CommandDecoderErrorsTest, RefusesMissingChannel) {
  for (const char* frame :
       {R"({"id":1,"subscribe":{}})", R"({"id":1,"unsubscribe":{"channel":""}})", R"({"id":1,"publish":{"data":1}})",
        R"({"id":1,"presence":{}})", R"({"id":1,"presence_stats":{}})", R"({"id":1,"history":{"limit":1}})",
        R"({"id":1,"sub_refresh":{"token":"t"}})"})
    expectRefused(frame, "channel required");
}

TEST_F(CommandDecoderErrorsTest, RefusesOversizedFields) {
  expectRefused(R"({"id":1,"publish":{"channel":"123456789","data":1}})", "channel name too long");
  EXPECT_EQ(decoder_.decode(R"({"id":1,"publish":{"channel":"12345678","data":1}})", out_).kind, DecodeResult::Ok);
  // The limit applies to the unescaped name.
  EXPECT_EQ(decoder_.decode(R"({"id":1,"publish":{"channel":"\u0031234567\u0038","data":1}})", out_).kind,
            DecodeResult::Ok);
  expectRefused(R"({"id":1,"refresh":{"token":"12345678901234567"}})", "token too long");
  expectRefused(R"({"id":1,"rpc":{"method":"12345678901234567"}})", "string field too long");
  expectRefused(R"({"id":1,"connect":{"subs":{"123456789":{}}}})", "channel name too long");
  expectRefused(R"({"id":1,"connect":{"subs":{"a":{},"b":{},"c":{}}}})", "too many subscriptions in connect");
}

TEST_F(CommandDecoderErrorsTest, RefusesDeepData) {
  EXPECT_EQ(decoder_.decode(R"({"id":1,"publish":{"channel":"c","data":[[[[1]]]]}})", out_).kind,
            DecodeResult::Ok);
  expectRefused(R"({"id":1,"publish":{"channel":"c","data":[[[[[1]]]]]}})", "JSON nested too deeply");
  expectRefused(R"({"id":1,"publish":{"channel":"c","data":{"a":{"b":{"c":{"d":{}}}}}}})",
                "JSON nested too deeply");
  std::string deep = R"({"id":1,"publish":{"channel":"c","data":)" + std::string(5000, '[') +
                     std::string(5000, ']') + "}}";
  DecodeResult r = decoder_.decode(deep, out_);
  EXPECT_EQ(r.kind, DecodeResult::Error);
}

TEST_F(CommandDecoderErrorsTest, RefusesTooManyCommands) {
  DecodeResult r = decoder_.decode("{}\n{}\n{}\n{}\n{}", out_);
  EXPECT_EQ(r.kind, DecodeResult::Error);
  EXPECT_STREQ(r.reason, "too many commands in one frame");
  EXPECT_EQ(r.index, 4u);
  EXPECT_EQ(decoder_.decode("{}\n{}\n{}\n{}\n", out_).kind, DecodeResult::Ok);
}

TEST_F(CommandDecoderErrorsTest, ReportsTheBadLineAndKeepsTheGoodOnes) {
  DecodeResult r = decoder_.decode("{\"id\":1,\"ping\":{}}\n{\"id\":2,\"ping\":{}}\n{\"id\":3,\"bogus\":{}}", out_);
  EXPECT_EQ(r.kind, DecodeResult::Error);
  EXPECT_EQ(r.index, 2u);
  EXPECT_EQ(r.count, 2u);
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(out_[1].id, 2u);
}

TEST_F(CommandDecoderErrorsTest, RecoversAfterAnError) {
  expectRefused("{\"id\":1", "malformed JSON");
  DecodeResult r = decoder_.decode(R"({"id":9,"ping":{}})", out_);
  EXPECT_EQ(r.kind, DecodeResult::Ok);
  EXPECT_EQ(out_.at(0).id, 9u);
}

}  // namespace
}  // namespace herald::proto
