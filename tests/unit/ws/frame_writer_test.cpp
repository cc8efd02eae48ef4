// FrameWriter: header bytes for each length form, masked and unmasked frames
// read back by FrameParser, and close payloads.

#include "herald/ws/frame_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "herald/ws/frame_parser.hpp"
#include "herald/ws/utf8_validator.hpp"
#include "ws/ws_test_support.hpp"

namespace herald::ws {
namespace {

using test::FrameOutcome;
using test::kKey;
using test::parseFramesEveryWay;

std::string header(Opcode op, std::uint64_t len, const FrameOptions& opts = {}) {
  char out[kMaxFrameHeaderBytes + 2];
  out[kMaxFrameHeaderBytes] = '\x5A';  // guard: nothing is written past the maximum
  std::size_t n = encodeFrameHeader(out, op, len, opts);
  EXPECT_LE(n, kMaxFrameHeaderBytes);
  EXPECT_EQ(out[kMaxFrameHeaderBytes], '\x5A');
  return std::string(out, n);
}

std::vector<int> bytesOf(const std::string& s) {
  std::vector<int> v;
  for (char c : s) v.push_back(static_cast<unsigned char>(c));
  return v;
}

TEST(FrameWriterTest, EncodesSevenBitLengths) {
  EXPECT_EQ(bytesOf(header(Opcode::Text, 0)), (std::vector<int>{0x81, 0x00}));
  EXPECT_EQ(bytesOf(header(Opcode::Binary, 1)), (std::vector<int>{0x82, 0x01}));
  EXPECT_EQ(bytesOf(header(Opcode::Text, 125)), (std::vector<int>{0x81, 0x7D}));
}

TEST(FrameWriterTest, EncodesSixteenBitLengths) {
  EXPECT_EQ(bytesOf(header(Opcode::Text, 126)), (std::vector<int>{0x81, 0x7E, 0x00, 0x7E}));
  EXPECT_EQ(bytesOf(header(Opcode::Text, 256)), (std::vector<int>{0x81, 0x7E, 0x01, 0x00}));
  EXPECT_EQ(bytesOf(header(Opcode::Binary, 65535)), (std::vector<int>{0x82, 0x7E, 0xFF, 0xFF}));
}

TEST(FrameWriterTest, EncodesSixtyFourBitLengths) {
  EXPECT_EQ(bytesOf(header(Opcode::Binary, 65536)),
            (std::vector<int>{0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}));
  EXPECT_EQ(bytesOf(header(Opcode::Binary, std::uint64_t{1} << 32)),
            (std::vector<int>{0x82, 0x7F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}));
  EXPECT_EQ(bytesOf(header(Opcode::Binary, 0x0102030405060708ull)),
            (std::vector<int>{0x82, 0x7F, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}));
}

TEST(FrameWriterTest, EncodesFinRsv1AndOpcode) {
  FrameOptions notFin;
  notFin.fin = false;
  EXPECT_EQ(bytesOf(header(Opcode::Text, 3, notFin)), (std::vector<int>{0x01, 0x03}));
  EXPECT_EQ(bytesOf(header(Opcode::Continuation, 3, notFin)), (std::vector<int>{0x00, 0x03}));
  FrameOptions deflated;
  deflated.rsv1 = true;
  EXPECT_EQ(bytesOf(header(Opcode::Text, 3, deflated)), (std::vector<int>{0xC1, 0x03}));
  EXPECT_EQ(bytesOf(header(Opcode::Close, 2)), (std::vector<int>{0x88, 0x02}));
  EXPECT_EQ(bytesOf(header(Opcode::Ping, 0)), (std::vector<int>{0x89, 0x00}));
  EXPECT_EQ(bytesOf(header(Opcode::Pong, 0)), (std::vector<int>{0x8A, 0x00}));
}

TEST(FrameWriterTest, MaskedHeaderCarriesMaskBitAndKey) {
  FrameOptions masked;
  masked.mask = &kKey;
  EXPECT_EQ(bytesOf(header(Opcode::Text, 5, masked)), (std::vector<int>{0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D}));
  EXPECT_EQ(bytesOf(header(Opcode::Text, 126, masked)),
            (std::vector<int>{0x81, 0xFE, 0x00, 0x7E, 0x37, 0xFA, 0x21, 0x3D}));
  std::string big = header(Opcode::Binary, std::uint64_t{1} << 32, masked);
  EXPECT_EQ(big.size(), kMaxFrameHeaderBytes);
  EXPECT_EQ(static_cast<unsigned char>(big[1]), 0xFF);
  EXPECT_EQ(big.substr(10), "\x37\xFA\x21\x3D");
}

TEST(FrameWriterTest, AppendFrameMatchesTheRfcExamples) {
  std::string out = "prefix";
  appendFrame(out, Opcode::Text, "Hello");
  EXPECT_EQ(out, "prefix\x81\x05Hello");

  FrameOptions masked;
  masked.mask = &kKey;
  std::string client;
  appendFrame(client, Opcode::Text, "Hello", masked);
  EXPECT_EQ(client, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
}

TEST(FrameWriterTest, MaskedFramesRoundTripThroughServerParser) {
  const MaskKey key = {0xA5, 0x00, 0x5A, 0xFF};
  FrameOptions masked;
  masked.mask = &key;
  for (std::size_t len : {0u, 1u, 125u, 126u, 65535u, 65536u}) {
    SCOPED_TRACE("length " + std::to_string(len));
    std::string payload(len, '\0');
    for (std::size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(i % 253);
    std::string wire;
    appendFrame(wire, Opcode::Binary, payload, masked);
    if (len > 0) {
      EXPECT_NE(wire.substr(wire.size() - len), payload) << "payload went out unmasked";
    }
    FrameOutcome r = parseFramesEveryWay(wire);  // a server requires masked frames
    ASSERT_EQ(r.errorCode, 0) << r;
    ASSERT_EQ(r.frames.size(), 1u);
    EXPECT_TRUE(r.frames[0].masked);
    EXPECT_EQ(r.frames[0].mask, key);
    EXPECT_EQ(r.frames[0].length, len);
    EXPECT_TRUE(r.frames[0].payload == payload);
    EXPECT_TRUE(r.frames[0].ended);
  }
}

TEST(FrameWriterTest, UnmaskedFramesRoundTripThroughClientParser) {
  std::string wire;
  FrameOptions first;
  first.fin = false;
  appendFrame(wire, Opcode::Text, "Hel", first);
  appendFrame(wire, Opcode::Ping, "are you there");
  appendFrame(wire, Opcode::Continuation, "lo");
  appendFrame(wire, Opcode::Close, closePayload(close_code::GoingAway, "restart"));
  FrameOutcome r = parseFramesEveryWay(wire, {Role::Client, false});
  ASSERT_EQ(r.errorCode, 0) << r;
  ASSERT_EQ(r.frames.size(), 4u);
  EXPECT_EQ(r.frames[0].payload, "Hel");
  EXPECT_FALSE(r.frames[0].fin);
  EXPECT_EQ(r.frames[1].opcode, Opcode::Ping);
  EXPECT_EQ(r.frames[2].opcode, Opcode::Continuation);
  EXPECT_TRUE(r.frames[2].fin);
  EXPECT_EQ(r.frames[3].payload, "\x03\xE9restart");

  // ...and the server parser refuses them: they are not masked.
  FrameOutcome server = parseFramesEveryWay(wire);
  EXPECT_EQ(server.errorCode, close_code::ProtocolError);
}

TEST(FrameWriterTest, ClosePayloadIsCodeThenReason) {
  EXPECT_EQ(closePayload(close_code::Normal, ""), std::string("\x03\xE8", 2));
  EXPECT_EQ(closePayload(close_code::Normal, "bye"), "\x03\xE8" "bye");
  EXPECT_EQ(closePayload(4999, "x"), "\x13\x87x");
  EXPECT_EQ(closePayload(close_code::ProtocolError, "bad"), "\x03\xEA" "bad");
}

TEST(FrameWriterTest, ClosePayloadForNoStatusIsEmpty) {
  EXPECT_EQ(closePayload(close_code::NoStatus, ""), "");
  EXPECT_EQ(closePayload(close_code::NoStatus, "ignored reason"), "");
}

TEST(FrameWriterTest, ClosePayloadCutsLongReasonTo123Bytes) {
  const std::string reason(300, 'r');
  std::string p = closePayload(close_code::GoingAway, reason);
  EXPECT_EQ(p.size(), kMaxControlPayload);
  EXPECT_EQ(p.substr(2), reason.substr(0, kMaxCloseReason));
  EXPECT_EQ(closePayload(close_code::GoingAway, std::string(123, 'r')).size(), 125u);
}

TEST(FrameWriterTest, ClosePayloadCutsReasonAtACharacterBoundary) {
  // A character of 2, 3 and 4 bytes starting at every position around the
  // 123-byte cut: the reason stays valid UTF-8 and as long as it can be.
  for (const std::string ch : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    for (std::size_t at = 115; at <= 123; ++at) {
      const std::string reason = std::string(at, 'a') + ch + std::string(10, 'b');
      std::string p = closePayload(close_code::Normal, reason);
      std::string got = p.substr(2);
      SCOPED_TRACE("char of " + std::to_string(ch.size()) + " bytes at " + std::to_string(at));
      EXPECT_LE(p.size(), kMaxControlPayload);
      EXPECT_TRUE(Utf8Validator::isValid(got)) << test::escapeBytes(got);
      const bool fits = at + ch.size() <= kMaxCloseReason;
      const std::size_t expected = fits ? kMaxCloseReason : at;
      EXPECT_EQ(got, reason.substr(0, expected));
    }
  }
}

TEST(FrameWriterTest, TruncateUtf8KeepsShortStringsWhole) {
  EXPECT_EQ(truncateUtf8("", 0), "");
  EXPECT_EQ(truncateUtf8("abc", 3), "abc");
  EXPECT_EQ(truncateUtf8("\xE2\x82\xAC", 3), "\xE2\x82\xAC");
  EXPECT_EQ(truncateUtf8("abcd", 2), "ab");
  EXPECT_EQ(truncateUtf8("\xE2\x82\xAC", 2), "");
  EXPECT_EQ(truncateUtf8("\xE2\x82\xAC\xE2\x82\xAC", 5), "\xE2\x82\xAC");
  EXPECT_EQ(truncateUtf8("\xE2\x82\xAC\xE2\x82\xAC", 0), "");
}

TEST(FrameWriterTest, ClosePayloadReadsBackThroughMessageReader) {
  for (std::uint16_t code : {1000, 1001, 1011, 3000, 4999}) {
    std::string reason = std::string(120, 'x') + "\xE2\x82\xAC\xE2\x82\xAC";
    std::string wire;
    FrameOptions masked;
    masked.mask = &kKey;
    appendFrame(wire, Opcode::Close, closePayload(code, reason), masked);
    test::ReadOutcome r = test::readEveryWay(wire);
    ASSERT_EQ(r.events.size(), 1u) << r;
    EXPECT_EQ(r.events[0], test::closeEvent(code, std::string(truncateUtf8(reason, kMaxCloseReason)))) << r;
  }
}

}  // namespace
}  // namespace herald::ws
