// FrameParser: the rules one frame alone can break (RFC 6455 5.2), each
// refused with 1002, and the step contract. parseFramesEveryWay() feeds every
// vector whole, byte by byte, at every split point and in random pieces.

#include "herald/ws/frame_parser.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "ws/ws_test_support.hpp"

namespace herald::ws {
namespace {

using test::Frame;
using test::FrameOutcome;
using test::kKey;
using test::parseFrameChunks;
using test::parseFramesEveryWay;
using test::ParserConfig;

constexpr ParserConfig kClient{Role::Client, false};

void expectProtocolError(const std::string& bytes, ParserConfig cfg = {}) {
  SCOPED_TRACE("frame: " + test::escapeBytes(bytes));
  FrameOutcome r = parseFramesEveryWay(bytes, cfg);
  EXPECT_EQ(r.errorCode, close_code::ProtocolError) << r;
  EXPECT_STRNE(r.reason.c_str(), "");
  EXPECT_TRUE(r.frames.empty()) << "a header was reported for a refused frame";
}

TEST(FrameParserTest, ParsesTheRfcMaskedHelloFrame) {
  const std::string bytes = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
  ASSERT_EQ(Frame(0x1, "Hello").bytes(), bytes);  // the test encoder agrees with the RFC
  FrameOutcome r = parseFramesEveryWay(bytes);
  ASSERT_EQ(r.errorCode, 0) << r;
  ASSERT_EQ(r.frames.size(), 1u);
  const test::ParsedFrame& f = r.frames[0];
  EXPECT_TRUE(f.fin);
  EXPECT_FALSE(f.rsv1);
  EXPECT_EQ(f.opcode, Opcode::Text);
  EXPECT_TRUE(f.masked);
  EXPECT_EQ(f.mask, kKey);
  EXPECT_EQ(f.length, 5u);
  EXPECT_EQ(f.payload, "Hello");
  EXPECT_TRUE(f.ended);
}

TEST(FrameParserTest, ParsesTheRfcUnmaskedHelloFrameInClientRole) {
  FrameOutcome r = parseFramesEveryWay("\x81\x05Hello", kClient);
  ASSERT_EQ(r.errorCode, 0) << r;
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_FALSE(r.frames[0].masked);
  EXPECT_EQ(r.frames[0].payload, "Hello");
  EXPECT_TRUE(r.frames[0].ended);
}

TEST(FrameParserTest, DecodesEachLengthEncoding) {
  for (std::size_t len : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 70001u}) {
    SCOPED_TRACE("length " + std::to_string(len));
    std::string payload(len, '\0');
    for (std::size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(i * 7 + i / 251);
    const std::string bytes = Frame(0x2, payload).bytes();
    EXPECT_EQ(bytes.size(), len + 4 + (len < 126 ? 2 : len < 65536 ? 4 : 10));
    FrameOutcome r = parseFramesEveryWay(bytes);
    ASSERT_EQ(r.errorCode, 0) << r;
    ASSERT_EQ(r.frames.size(), 1u);
    EXPECT_EQ(r.frames[0].length, len);
    EXPECT_TRUE(r.frames[0].payload == payload);
    EXPECT_TRUE(r.frames[0].ended);
  }
}

TEST(FrameParserTest, ReportsHeaderOfLargeFrameBeforeItsPayload) {
  // A 64-bit length below 2^63 is accepted; the header comes first and
  // remaining() holds the whole length.
  const std::uint64_t len = std::uint64_t{1} << 40;
  const std::string header = Frame(0x2).declaredLength(len).bytes();
  EXPECT_EQ(header.size(), 14u);
  FrameOutcome r = parseFramesEveryWay(header);
  ASSERT_EQ(r.errorCode, 0) << r;
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].length, len);
  EXPECT_FALSE(r.frames[0].ended);

  FrameParser parser;
  std::string bytes = header + "abc";
  FrameStep s = parser.next(bytes.data(), bytes.size());
  ASSERT_EQ(s.kind, FrameStep::Header);
  EXPECT_EQ(s.consumed, 14u);
  EXPECT_EQ(parser.remaining(), len);
  s = parser.next(bytes.data() + 14, 3);
  ASSERT_EQ(s.kind, FrameStep::Payload);
  EXPECT_EQ(s.consumed, 3u);
  EXPECT_EQ(parser.remaining(), len - 3);
}

TEST(FrameParserTest, ParsesConsecutiveFramesIncludingEmptyOnes) {
  const std::string bytes = test::concat({test::text("Hel", false), test::ping(""), test::continuation("", false),
                                          test::pong("pong!"), test::continuation("lo", true), test::binary(""),
                                          test::closeFrame(1000, "bye")});
  FrameOutcome r = parseFramesEveryWay(bytes);
  ASSERT_EQ(r.errorCode, 0) << r;
  ASSERT_EQ(r.frames.size(), 7u);
  const Opcode ops[] = {Opcode::Text, Opcode::Ping, Opcode::Continuation, Opcode::Pong,
                        Opcode::Continuation, Opcode::Binary, Opcode::Close};
  const bool fins[] = {false, true, false, true, true, true, true};
  const char* payloads[] = {"Hel", "", "", "pong!", "lo", "", ("\x03\xE8" "bye")};
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(r.frames[i].opcode, ops[i]) << i;
    EXPECT_EQ(r.frames[i].fin, fins[i]) << i;
    EXPECT_EQ(r.frames[i].payload, payloads[i]) << i;
    EXPECT_TRUE(r.frames[i].ended) << i;
  }
}

TEST(FrameParserTest, ZeroLengthFrameEndsWithoutMoreInput) {
  std::string bytes = Frame(0x9, "").bytes();
  FrameParser parser;
  FrameStep s = parser.next(bytes.data(), bytes.size());
  ASSERT_EQ(s.kind, FrameStep::Header);
  EXPECT_EQ(s.consumed, bytes.size());
  s = parser.next(nullptr, 0);
  EXPECT_EQ(s.kind, FrameStep::FrameEnd);
  s = parser.next(nullptr, 0);
  EXPECT_EQ(s.kind, FrameStep::NeedMore);
}

TEST(FrameParserTest, RejectsUnmaskedClientFrame) {
  expectProtocolError(Frame(0x1, "Hello").unmasked().bytes());
  expectProtocolError(Frame(0x9, "").unmasked().bytes());
}

TEST(FrameParserTest, RejectsMaskedServerFrameInClientRole) {
  expectProtocolError(Frame(0x1, "Hello").bytes(), kClient);
  expectProtocolError(Frame(0x8, "").bytes(), kClient);
}

TEST(FrameParserTest, RejectsReservedBitsWithoutExtension) {
  for (std::uint8_t rsv = 1; rsv <= 7; ++rsv) {
    SCOPED_TRACE("rsv bits " + std::to_string(rsv));
    expectProtocolError(Frame(0x1, "x").rsv(rsv).bytes());
    expectProtocolError(Frame(0x1, "x").rsv(rsv).unmasked().bytes(), kClient);
  }
}

TEST(FrameParserTest, AcceptsRsv1OnDataFrameWhenAnExtensionAllowsIt) {
  FrameOutcome r = parseFramesEveryWay(Frame(0x2, "zz").rsv(4).bytes(), {Role::Server, true});
  ASSERT_EQ(r.errorCode, 0) << r;
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_TRUE(r.frames[0].rsv1);
  EXPECT_EQ(r.frames[0].payload, "zz");
}

TEST(FrameParserTest, RejectsRsv2Rsv3AndControlRsv1EvenWithExtension) {
  const ParserConfig deflate{Role::Server, true};
  expectProtocolError(Frame(0x1, "x").rsv(2).bytes(), deflate);
  expectProtocolError(Frame(0x1, "x").rsv(1).bytes(), deflate);
  expectProtocolError(Frame(0x1, "x").rsv(6).bytes(), deflate);
  expectProtocolError(Frame(0x9, "x").rsv(4).bytes(), deflate);
  expectProtocolError(Frame(0x8, "").rsv(4).bytes(), deflate);
}

TEST(FrameParserTest, SetAllowRsv1TogglesTheCheck) {
  std::string bytes = Frame(0x1, "x").rsv(4).bytes();
  FrameParser parser(Role::Server, false);
  parser.setAllowRsv1(true);
  EXPECT_EQ(parser.next(bytes.data(), bytes.size()).kind, FrameStep::Header);
  FrameParser strict(Role::Server, true);
  strict.setAllowRsv1(false);
  EXPECT_EQ(strict.next(bytes.data(), bytes.size()).kind, FrameStep::Error);
}

TEST(FrameParserTest, RejectsReservedOpcodes) {
  for (std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    SCOPED_TRACE("opcode " + std::to_string(op));
    expectProtocolError(Frame(op, "abc").bytes());
    expectProtocolError(Frame(op, "").bytes());
  }
}

TEST(FrameParserTest, AcceptsControlFrameOf125Bytes) {
  for (std::uint8_t op : {0x8, 0x9, 0xA}) {
    std::string payload(125, 'p');
    if (op == 0x8) payload[0] = '\x03', payload[1] = '\xE8';
    FrameOutcome r = parseFramesEveryWay(Frame(op, payload).bytes());
    ASSERT_EQ(r.errorCode, 0) << r;
    ASSERT_EQ(r.frames.size(), 1u);
    EXPECT_EQ(r.frames[0].payload, payload);
  }
}

TEST(FrameParserTest, RejectsControlFrameOver125Bytes) {
  for (std::uint8_t op : {0x8, 0x9, 0xA}) {
    SCOPED_TRACE("opcode " + std::to_string(op));
    expectProtocolError(Frame(op, std::string(126, 'p')).bytes());
    expectProtocolError(Frame(op, std::string(65536, 'p')).bytes());
    // Even a short payload in the 16- or 64-bit form is refused for a control frame.
    expectProtocolError(Frame(op, "\x03\xE8").lengthBytes(2).bytes());
    expectProtocolError(Frame(op, "\x03\xE8").lengthBytes(8).bytes());
  }
}

TEST(FrameParserTest, RejectsFragmentedControlFrame) {
  for (std::uint8_t op : {0x8, 0x9, 0xA}) {
    SCOPED_TRACE("opcode " + std::to_string(op));
    expectProtocolError(Frame(op, "").notFin().bytes());
    expectProtocolError(Frame(op, "\x03\xE8").notFin().bytes());
  }
}

TEST(FrameParserTest, Rejects64BitLengthWithTopBitSet) {
  for (std::uint64_t len : {std::uint64_t{1} << 63, ~std::uint64_t{0}, (std::uint64_t{1} << 63) | 5}) {
    expectProtocolError(Frame(0x2).declaredLength(len).bytes());
    expectProtocolError(Frame(0x2).unmasked().declaredLength(len).bytes(), kClient);
  }
}

TEST(FrameParserTest, RefusesAsSoonAsTheFirstTwoBytesShowTheError) {
  // The error comes with the second byte; the rest of the header (length,
  // mask key) is not waited for.
  const std::string cases[] = {
      Frame(0x1, "Hello").unmasked().bytes(),       // unmasked from a client
      Frame(0x1, "Hello").rsv(4).bytes(),              // RSV1
      Frame(0x3, "Hello").bytes(),         // reserved opcode
      Frame(0x9, std::string(200, 'x')).bytes(),  // long ping
      Frame(0x9, "x").notFin().bytes(),      // fragmented ping
  };
  for (const std::string& bytes : cases) {
    SCOPED_TRACE(test::escapeBytes(bytes, 16));
    FrameOutcome r = parseFrameChunks(bytes.substr(0, 2), {2});
    EXPECT_EQ(r.errorCode, close_code::ProtocolError) << r;
    FrameParser parser;
    std::string first = bytes.substr(0, 1);
    EXPECT_EQ(parser.next(first.data(), 1).kind, FrameStep::NeedMore);
  }
}

TEST(FrameParserTest, StaysFailedAfterAnError) {
  std::string bad = Frame(0x1, "x").unmasked().bytes();
  std::string good = Frame(0x1, "fine").bytes();
  FrameParser parser;
  FrameStep s = parser.next(bad.data(), bad.size());
  ASSERT_EQ(s.kind, FrameStep::Error);
  EXPECT_EQ(s.closeCode, close_code::ProtocolError);
  for (int i = 0; i < 3; ++i) {
    s = parser.next(good.data(), good.size());
    EXPECT_EQ(s.kind, FrameStep::Error);
    EXPECT_EQ(s.consumed, 0u);
  }
}

TEST(FrameParserTest, UnmasksWithTheRightPhaseAtEverySplit) {
  std::string payload;
  for (int i = 0; i < 41; ++i) payload.push_back(static_cast<char>('A' + i % 26));
  const MaskKey key = {0x01, 0x80, 0xFE, 0x7F};
  FrameOutcome r = parseFramesEveryWay(Frame(0x2, payload).key(key).bytes());
  ASSERT_EQ(r.errorCode, 0) << r;
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].payload, payload);
  EXPECT_EQ(r.frames[0].mask, key);
}

TEST(FrameParserTest, ReportsAnErrorInTheSecondFrameAfterTheFirst) {
  const std::string bytes = test::text("ok") + Frame(0xB, "").bytes();
  FrameOutcome r = parseFramesEveryWay(bytes);
  EXPECT_EQ(r.errorCode, close_code::ProtocolError) << r;
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].payload, "ok");
  EXPECT_TRUE(r.frames[0].ended);
}

}  // namespace
}  // namespace herald::ws
