// MessageReader and close frames (RFC 6455 5.5.1 and 7.4): status codes,
// the reason's UTF-8, and that nothing is read after a close. Also the close
// code table of opcode.hpp the reader relies on.

#include "herald/ws/message_reader.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "herald/ws/opcode.hpp"
#include "ws/ws_test_support.hpp"

namespace herald::ws {
namespace {

using test::closeEvent;
using test::closeFrame;
using test::closeRaw;
using test::concat;
using test::continuation;
using test::Event;
using test::message;
using test::ping;
using test::pingEvent;
using test::readEveryWay;
using test::ReadOutcome;
using test::text;
using Events = std::vector<Event>;

void expectError(const std::string& bytes, std::uint16_t code) {
  SCOPED_TRACE("input: " + test::escapeBytes(bytes));
  ReadOutcome r = readEveryWay(bytes);
  EXPECT_EQ(r.errorCode(), code) << r;
  EXPECT_EQ(r.events.size(), 1u) << r;
  EXPECT_TRUE(r.ended);
}

TEST(MessageReaderCloseTest, DeliversCodeAndReason) {
  ReadOutcome r = readEveryWay(closeFrame(close_code::GoingAway, "server restart \xE2\x82\xAC"));
  EXPECT_EQ(r.events, (Events{closeEvent(1001, "server restart \xE2\x82\xAC")})) << r;
  EXPECT_TRUE(r.ended);
}

TEST(MessageReaderCloseTest, EmptyCloseReportsNoStatus) {
  ReadOutcome r = readEveryWay(closeRaw(""));
  EXPECT_EQ(r.events, (Events{closeEvent(close_code::NoStatus)})) << r;
  EXPECT_TRUE(r.ended);
}

TEST(MessageReaderCloseTest, AcceptsCodeWithoutReasonAndMaximalReason) {
  EXPECT_EQ(readEveryWay(closeFrame(1000)).events, (Events{closeEvent(1000)}));
  const std::string reason(123, 'r');
  EXPECT_EQ(readEveryWay(closeFrame(1000, reason)).events, (Events{closeEvent(1000, reason)}));
}

TEST(MessageReaderCloseTest, RejectsOneBytePayload) {
  expectError(closeRaw("\x03"), close_code::ProtocolError);
  expectError(closeRaw(std::string(1, '\0')), close_code::ProtocolError);
}

TEST(MessageReaderCloseTest, RejectsCodesAPeerMayNotSend) {
  for (std::uint16_t code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    SCOPED_TRACE("code " + std::to_string(code));
    expectError(closeFrame(code), close_code::ProtocolError);
    expectError(closeFrame(code, "reason"), close_code::ProtocolError);
  }
}

TEST(MessageReaderCloseTest, AcceptsCodesAPeerMaySend) {
  for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
                             4000, 4999}) {
    SCOPED_TRACE("code " + std::to_string(code));
    ReadOutcome r = readEveryWay(closeFrame(code, "ok"));
    EXPECT_EQ(r.events, (Events{closeEvent(code, "ok")})) << r;
  }
}

TEST(MessageReaderCloseTest, RejectsReasonThatIsNotUtf8) {
  expectError(closeFrame(1000, "\xFF"), close_code::InvalidPayload);
  expectError(closeFrame(1000, "ok\xC0\x80"), close_code::InvalidPayload);
  expectError(closeFrame(1000, "\xED\xA0\x80"), close_code::InvalidPayload);
  expectError(closeFrame(1000, "cut \xE2\x82"), close_code::InvalidPayload);  // ends inside a character
  expectError(closeFrame(1000, "\xF0\x9F\x98"), close_code::InvalidPayload);
}

TEST(MessageReaderCloseTest, CodeBytesAreNotCheckedAsUtf8) {
  // 1000 is 03 E8 and 4999 is 13 87: E8 and 87 alone are not UTF-8, and
  // must not be validated with the reason.
  EXPECT_EQ(readEveryWay(closeFrame(1000, "a")).events, (Events{closeEvent(1000, "a")}));
  EXPECT_EQ(readEveryWay(closeFrame(4999, "\xC3\xA9")).events, (Events{closeEvent(4999, "\xC3\xA9")}));
}

TEST(MessageReaderCloseTest, ReportsBadReasonWhenTheBadByteArrives) {
  const std::string frame = closeFrame(1000, "ab\xFF" + std::string(100, 'z'));
  const std::size_t bad = 6 + 2 + 2;  // header, code, "ab"
  EXPECT_TRUE(readEveryWay(frame.substr(0, bad)).events.empty());
  ReadOutcome r = readEveryWay(frame.substr(0, bad + 1));
  EXPECT_EQ(r.errorCode(), close_code::InvalidPayload) << r;
}

TEST(MessageReaderCloseTest, CloseInsideFragmentedMessageEndsTheStream) {
  ReadOutcome r = readEveryWay(concat({text("Hel", false), ping("p"), closeFrame(1000, "bye"),
                                       continuation("lo", true)}));
  EXPECT_EQ(r.events, (Events{pingEvent("p"), closeEvent(1000, "bye")})) << r;
  EXPECT_TRUE(r.ended);
}

TEST(MessageReaderCloseTest, ReadsNothingAfterClose) {
  ReadOutcome r = readEveryWay(concat({text("before"), closeFrame(1000), text("after"), ping("x"),
                                       test::Frame(0x1, "x").unmasked().bytes()}));
  EXPECT_EQ(r.events, (Events{message("before"), closeEvent(1000)})) << r;
  EXPECT_TRUE(r.ended);

  MessageReader reader;
  test::Recorder rec;
  std::string close = closeFrame(1000);
  EXPECT_FALSE(reader.feed(close.data(), close.size(), rec));
  EXPECT_TRUE(reader.done());
  std::string more = text("after");
  EXPECT_FALSE(reader.feed(more.data(), more.size(), rec));
  EXPECT_EQ(rec.events, (Events{closeEvent(1000)}));
}

TEST(MessageReaderCloseTest, DeliversControlPayloadsOfEverySize) {
  for (std::size_t len : {0u, 1u, 2u, 124u, 125u}) {
    std::string payload(len, '\0');
    for (std::size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(255 - i);
    ReadOutcome r = readEveryWay(concat({ping(payload), test::pong(payload)}));
    EXPECT_EQ(r.events, (Events{pingEvent(payload), test::pongEvent(payload)})) << r;
  }
}

TEST(CloseCodeTest, WireCodesAreExactlyThoseOfRfc6455Section74) {
  for (std::uint32_t code = 0; code <= 0xFFFF; ++code) {
    const bool expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                          (code >= 3000 && code <= 4999);
    EXPECT_EQ(isValidWireCloseCode(static_cast<std::uint16_t>(code)), expected) << code;
  }
}

TEST(CloseCodeTest, NamesKnownAndApplicationCodes) {
  EXPECT_EQ(closeCodeName(close_code::Normal), "normal closure");
  EXPECT_EQ(closeCodeName(close_code::ProtocolError), "protocol error");
  EXPECT_EQ(closeCodeName(close_code::MessageTooBig), "message too big");
  EXPECT_EQ(closeCodeName(3000), "application-defined");
  EXPECT_EQ(closeCodeName(4999), "application-defined");
  EXPECT_EQ(closeCodeName(2999), "unknown");
  EXPECT_EQ(closeCodeName(5000), "unknown");
}

TEST(OpcodeTest, ClassifiesControlAndKnownOpcodes) {
  EXPECT_FALSE(isControl(Opcode::Continuation));
  EXPECT_FALSE(isControl(Opcode::Text));
  EXPECT_FALSE(isControl(Opcode::Binary));
  EXPECT_TRUE(isControl(Opcode::Close));
  EXPECT_TRUE(isControl(Opcode::Ping));
  EXPECT_TRUE(isControl(Opcode::Pong));
  for (int op = 0; op < 16; ++op) {
    const bool known = op == 0 || op == 1 || op == 2 || op == 8 || op == 9 || op == 10;
    EXPECT_EQ(isKnownOpcode(static_cast<std::uint8_t>(op)), known) << op;
  }
}

}  // namespace
}  // namespace herald::ws
