// MessageReader with permessage-deflate enabled: compressed messages
// (RSV1 on the first frame only) inflated as their payload arrives, the RFC
// 7692 examples, and the close code of each failure: RSV1 misplaced (1002),
// corrupt data and bad inflated UTF-8 (1007), a message too big on the wire
// or once inflated (1009). Every vector is fed whole, byte by byte, at every
// split point and in random pieces, and must give the same events each way.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "herald/ws/deflate_codec.hpp"
#include "herald/ws/message_reader.hpp"
#include "herald/ws/permessage_deflate.hpp"
#include "ws/ws_test_support.hpp"

namespace herald::ws {
namespace {

using test::binaryMessage;
using test::concat;
using test::Event;
using test::Frame;
using test::message;
using test::pingEvent;
using test::ReadOutcome;
using Events = std::vector<Event>;

const std::string kHello("\xf2\x48\xcd\xc9\xc9\x07\x00", 7);   // RFC 7692 7.2.3.1
const std::string kHelloAgain("\xf2\x00\x11\x00\x00", 5);      // 7.2.3.2, with the first's context

struct DeflateReader {
  Role role = Role::Server;
  std::size_t maxMessageBytes = 64 * 1024;
  DeflateParams params{};
};

// readChunks() of ws_test_support.hpp with deflate enabled on the reader.
ReadOutcome readDeflateChunks(const std::string& bytes, const std::vector<std::size_t>& sizes, DeflateReader cfg) {
  MessageReader reader(cfg.role, cfg.maxMessageBytes);
  reader.enableDeflate(cfg.params);
  return test::readChunksWith(reader, bytes, sizes);
}

ReadOutcome readEveryWay(const std::string& bytes, DeflateReader cfg = {}) {
  return test::sameForEveryChunking(bytes, [&](const std::string& b, const std::vector<std::size_t>& sizes) {
    return readDeflateChunks(b, sizes, cfg);
  });
}

void expectError(const std::string& bytes, std::uint16_t code, DeflateReader cfg = {}) {
  SCOPED_TRACE("input: " + test::escapeBytes(bytes));
  ReadOutcome r = readEveryWay(bytes, cfg);
  EXPECT_EQ(r.errorCode(), code) << r;
  EXPECT_TRUE(r.ended);
}

// A compressed message as frames: the payload cut into `parts` fragments,
// RSV1 on the first only.
std::vector<std::string> compressedFrameList(Deflater& d, std::uint8_t opcode, std::string_view msg,
                                             std::size_t parts = 1, bool masked = true) {
  std::string payload;
  EXPECT_TRUE(d.compress(msg, payload));
  std::vector<std::string> frames;
  const std::size_t step = payload.size() / parts + 1;
  for (std::size_t i = 0; i < parts; ++i) {
    const std::size_t at = std::min(payload.size(), i * step);
    Frame f(i == 0 ? opcode : 0x0, payload.substr(at, i + 1 == parts ? std::string::npos : step));
    f.fin(i + 1 == parts).rsv(i == 0 ? 4 : 0);
    if (!masked) f.unmasked();
    frames.push_back(f.bytes());
  }
  return frames;
}

std::string compressedFrames(Deflater& d, std::uint8_t opcode, std::string_view msg, std::size_t parts = 1,
                             bool masked = true) {
  std::string out;
  for (const std::string& f : compressedFrameList(d, opcode, msg, parts, masked)) out += f;
  return out;
}

std::string compressedText(std::string payload) { return Frame(0x1, std::move(payload)).rsv(4).bytes(); }

TEST(MessageReaderDeflateTest, InflatesTheRfcHelloExample) {
  ReadOutcome r = readEveryWay(compressedText(kHello));
  EXPECT_EQ(r.events, (Events{message("Hello")})) << r;
}

TEST(MessageReaderDeflateTest, InflatesTheRfcSharedContextExample) {
  ReadOutcome r = readEveryWay(concat({compressedText(kHello), compressedText(kHelloAgain)}));
  EXPECT_EQ(r.events, (Events{message("Hello"), message("Hello")})) << r;
  // The peer said it would not take over context: the second is corrupt.
  expectError(concat({compressedText(kHello), compressedText(kHelloAgain)}), close_code::InvalidPayload,
              {.params = {.clientNoContextTakeover = true}});
}

TEST(MessageReaderDeflateTest, ReassemblesCompressedFragmentsAroundControlFrames) {
  std::string msg;
  for (int i = 0; i < 60; ++i) msg += "fragment " + std::to_string(i) + " \xE2\x82\xAC; ";
  Deflater d;
  std::vector<std::string> f = compressedFrameList(d, 0x1, msg, 4);
  ASSERT_EQ(f.size(), 4u);
  const std::string second = compressedFrames(d, 0x2, "binary, compressed with context", 2);
  ReadOutcome r = readEveryWay(concat({f[0], test::ping("p"), f[1], f[2], test::pong("q"), f[3], second}));
  EXPECT_EQ(r.events, (Events{pingEvent("p"), test::pongEvent("q"), message(msg),
                              binaryMessage("binary, compressed with context")}))
      << r;
}

TEST(MessageReaderDeflateTest, ControlFrameBetweenCompressedFragments) {
  const std::string first = Frame(0x1, kHello.substr(0, 3)).rsv(4).notFin().bytes();
  const std::string rest = Frame(0x0, kHello.substr(3)).bytes();
  ReadOutcome r = readEveryWay(concat({first, test::ping("mid"), rest, test::text("plain")}));
  EXPECT_EQ(r.events, (Events{pingEvent("mid"), message("Hello"), message("plain")})) << r;
}

TEST(MessageReaderDeflateTest, MixesCompressedAndPlainMessages) {
  Deflater d;
  std::string a = compressedFrames(d, 0x1, "first, compressed");
  std::string b = compressedFrames(d, 0x1, "second, compressed with context", 3);
  ReadOutcome r = readEveryWay(
      concat({a, test::text("plain"), test::binary("raw", false), test::continuation("bytes", true), b}));
  EXPECT_EQ(r.events, (Events{message("first, compressed"), message("plain"), binaryMessage("rawbytes"),
                              message("second, compressed with context")}))
      << r;
}

TEST(MessageReaderDeflateTest, EmptyCompressedMessages) {
  // 00 is what a sender's zlib makes of an empty message; an empty payload is
  // accepted as one too.
  ReadOutcome r = readEveryWay(concat({compressedText(std::string(1, '\0')), compressedText(""), compressedText(kHello),
                                       Frame(0x2, "").rsv(4).notFin().bytes(), test::continuation("", true)}));
  EXPECT_EQ(r.events, (Events{message(""), message(""), message("Hello"), binaryMessage("")})) << r;
}

TEST(MessageReaderDeflateTest, ClientRoleInflatesUnmaskedFrames) {
  Deflater d;
  ReadOutcome r = readEveryWay(compressedFrames(d, 0x1, "from the server", 2, false), {.role = Role::Client});
  EXPECT_EQ(r.events, (Events{message("from the server")})) << r;
}

TEST(MessageReaderDeflateTest, RejectsRsv1OnContinuationFrames) {
  const std::string first = Frame(0x1, kHello.substr(0, 3)).rsv(4).notFin().bytes();
  expectError(concat({first, Frame(0x0, kHello.substr(3)).rsv(4).bytes()}), close_code::ProtocolError);
  // Also when the message itself is not compressed.
  expectError(concat({test::text("a", false), Frame(0x0, "b").rsv(4).bytes()}), close_code::ProtocolError);
}

TEST(MessageReaderDeflateTest, RejectsRsv1OnControlFrames) {
  expectError(Frame(0x9, "").rsv(4).bytes(), close_code::ProtocolError);
  expectError(concat({compressedText(kHello), Frame(0x8, "\x03\xe8").rsv(4).bytes()}), close_code::ProtocolError);
}

TEST(MessageReaderDeflateTest, RejectsRsv2AndRsv1WithoutDeflate) {
  expectError(Frame(0x1, kHello).rsv(2).bytes(), close_code::ProtocolError);
  test::ReadOutcome plain = test::readEveryWay(compressedText(kHello));
  EXPECT_EQ(plain.errorCode(), close_code::ProtocolError) << plain;
}

TEST(MessageReaderDeflateTest, RejectsCorruptDeflateWith1007) {
  expectError(compressedText("\xff\xff"), close_code::InvalidPayload);
  expectError(compressedText(kHello.substr(0, 4)), close_code::InvalidPayload);  // cut inside a block
  expectError(compressedText(kHelloAgain), close_code::InvalidPayload);          // no context to refer to
}

TEST(MessageReaderDeflateTest, ChecksUtf8OfTheInflatedTextAtTheFirstBadByte) {
  // A stored block, so the inflated bytes are the payload's: "ab", a bad
  // byte, then more. The error comes as soon as the bad byte is fed.
  const std::string stored = std::string("\x00\x08\x00\xf7\xff", 5) + "ab\xff" + "cdefg";
  const std::string frame = compressedText(stored + std::string(1, '\0'));
  expectError(frame, close_code::InvalidPayload);
  const std::size_t header = frame.size() - stored.size() - 1;
  ReadOutcome prefix = readDeflateChunks(frame.substr(0, header + 8), {header + 8}, {});
  EXPECT_EQ(prefix.errorCode(), close_code::InvalidPayload) << prefix;
  // The same bytes in a binary message are fine; text ending mid-character is not.
  ReadOutcome bin = readEveryWay(Frame(0x2, stored + std::string(1, '\0')).rsv(4).bytes());
  EXPECT_EQ(bin.events, (Events{binaryMessage("ab\xff" "cdefg")})) << bin;
  Deflater d;
  expectError(compressedFrames(d, 0x1, "euro \xE2\x82"), close_code::InvalidPayload);
}

TEST(MessageReaderDeflateTest, BombIsClosedWith1009) {
  Deflater d;
  const std::string bomb = compressedFrames(d, 0x2, std::string(1 << 20, 'a'));
  ASSERT_LT(bomb.size(), 1200u);
  expectError(bomb, close_code::MessageTooBig);
  // Exactly at the limit is fine; one byte over is not.
  Deflater d2;
  ReadOutcome atLimit = readEveryWay(compressedFrames(d2, 0x2, std::string(1000, 'b'), 2), {.maxMessageBytes = 1000});
  EXPECT_EQ(atLimit.events, (Events{binaryMessage(std::string(1000, 'b'))})) << atLimit;
  Deflater d3;
  expectError(compressedFrames(d3, 0x2, std::string(1001, 'b'), 2), close_code::MessageTooBig,
              {.maxMessageBytes = 1000});
}

TEST(MessageReaderDeflateTest, BoundsTheCompressedSizeOnTheFrameHeader) {
  // 200 bytes declared against a 100-byte limit: refused on the header alone.
  const std::string header = Frame(0x1, "").rsv(4).declaredLength(200).bytes();
  ReadOutcome r = readDeflateChunks(header, {header.size()}, {.maxMessageBytes = 100});
  EXPECT_EQ(r.errorCode(), close_code::MessageTooBig) << r;
  // Over two fragments: 60 + 60 compressed bytes.
  const std::string stored = std::string("\x00\x37\x00\xc8\xff", 5) + std::string(55, 'a');  // 60 bytes
  const std::string first = Frame(0x1, stored).rsv(4).notFin().bytes();
  const std::string second = Frame(0x0, "").declaredLength(60).bytes();
  ReadOutcome r2 = readDeflateChunks(first + second, {first.size() + second.size()}, {.maxMessageBytes = 100});
  EXPECT_EQ(r2.errorCode(), close_code::MessageTooBig) << r2;
}

TEST(MessageReaderDeflateTest, PlainSingleFrameMessagesStayZeroCopy) {
  struct Pointer : test::Recorder {
    const char* seen = nullptr;
    void onMessage(std::string_view payload, Opcode op) override {
      seen = payload.data();
      Recorder::onMessage(payload, op);
    }
  };
  MessageReader reader;
  reader.enableDeflate({});
  std::string bytes = test::text("zero-copy");
  Pointer rec;
  EXPECT_TRUE(reader.feed(bytes.data(), bytes.size(), rec));
  ASSERT_EQ(rec.events, (Events{message("zero-copy")}));
  EXPECT_TRUE(rec.seen >= bytes.data() && rec.seen < bytes.data() + bytes.size());
  EXPECT_TRUE(reader.deflateEnabled());
}

// A compressed message needs a buffer for its inflated bytes while it
// arrives; it is given back once the message is delivered, and the next
// message still inflates with the context the first left.
TEST(MessageReaderDeflateTest, HoldsNoBufferBetweenCompressedMessages) {
  MessageReader reader;
  reader.enableDeflate({});
  test::Recorder rec;
  std::string first = Frame(0x1, kHello.substr(0, 3)).rsv(4).notFin().bytes();
  ASSERT_TRUE(reader.feed(first.data(), first.size(), rec));
  EXPECT_GT(reader.heldBytes(), 0u);
  std::string rest = Frame(0x0, kHello.substr(3)).bytes() + compressedText(kHelloAgain);
  ASSERT_TRUE(reader.feed(rest.data(), rest.size(), rec));
  EXPECT_EQ(rec.events, (Events{message("Hello"), message("Hello")}));
  EXPECT_EQ(reader.heldBytes(), 0u);
}

}  // namespace
}  // namespace herald::ws
