// MessageReader: the rules that span frames (fragmentation, UTF-8 of text,
// message size) and the end-of-stream contract. Close frames are in
// message_reader_close_test.cpp. readEveryWay() feeds each vector whole, byte
// by byte, at every split point and in random pieces and expects the same
// events each time.

#include "herald/ws/message_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ws/ws_test_support.hpp"

namespace herald::ws {
namespace {

using test::binary;
using test::binaryMessage;
using test::closeEvent;
using test::closeFrame;
using test::concat;
using test::continuation;
using test::Frame;
using test::Event;
using test::message;
using test::ping;
using test::pingEvent;
using test::pong;
using test::pongEvent;
using test::readEveryWay;
using test::readPrefix;
using test::ReadOutcome;
using test::ReaderConfig;
using test::text;
using Events = std::vector<Event>;

void expectError(const std::string& bytes, std::uint16_t code, ReaderConfig cfg = {}) {
  SCOPED_TRACE("input: " + test::escapeBytes(bytes));
  ReadOutcome r = readEveryWay(bytes, cfg);
  EXPECT_EQ(r.errorCode(), code) << r;
  EXPECT_TRUE(r.ended);
}

TEST(MessageReaderTest, DeliversTextAndBinaryMessages) {
  ReadOutcome r = readEveryWay(concat({text("Hello"), binary(std::string("\x00\xFF\x80", 3)), text("\xE2\x82\xAC")}));
  EXPECT_EQ(r.events, (Events{message("Hello"), binaryMessage(std::string("\x00\xFF\x80", 3)), message("\xE2\x82\xAC")}))
      << r;
  EXPECT_FALSE(r.ended);
}

TEST(MessageReaderTest, DeliversZeroLengthMessages) {
  ReadOutcome r = readEveryWay(concat({text(""), binary(""), text("", false), continuation("", false),
                                       continuation("", true), ping("")}));
  EXPECT_EQ(r.events, (Events{message(""), binaryMessage(""), message(""), pingEvent("")})) << r;
  EXPECT_FALSE(r.ended);
}

TEST(MessageReaderTest, ReassemblesFragmentedMessage) {
  ReadOutcome r = readEveryWay(concat({text("Hel", false), continuation("lo, ", false), continuation("", false),
                                       continuation("world", true), binary("ab", false), continuation("cd", true)}));
  EXPECT_EQ(r.events, (Events{message("Hello, world"), binaryMessage("abcd")})) << r;
}

TEST(MessageReaderTest, DeliversControlFramesInterleavedInFragmentedMessage) {
  ReadOutcome r = readEveryWay(concat({text("Hel", false), ping("p1"), continuation("lo", false), pong("p2"),
                                       ping(""), continuation(" world", true), text("next")}));
  EXPECT_EQ(r.events,
            (Events{pingEvent("p1"), pongEvent("p2"), pingEvent(""), message("Hello world"), message("next")}))
      << r;
}

TEST(MessageReaderTest, ValidatesUtf8SplitAcrossFragments) {
  // U+20AC cut after each of its bytes, and a 4-byte character over three frames.
  ReadOutcome r = readEveryWay(concat({text("\xE2", false), continuation("\x82", false), continuation("\xAC", true),
                                       text("a\xF0\x9F", false), ping("x"), continuation("\x98", false),
                                       continuation("\x80z", true)}));
  EXPECT_EQ(r.events, (Events{message("\xE2\x82\xAC"), pingEvent("x"), message("a\xF0\x9F\x98\x80z")})) << r;
}

TEST(MessageReaderTest, BinaryMessagesAreNotCheckedForUtf8) {
  ReadOutcome r = readEveryWay(concat({binary("\xFF\xC0\x80", false), continuation("\xED\xA0\x80", true)}));
  EXPECT_EQ(r.events, (Events{binaryMessage("\xFF\xC0\x80\xED\xA0\x80")})) << r;
}

TEST(MessageReaderTest, DeliversLargeMessagesWithEachLengthForm) {
  for (std::size_t len : {125u, 126u, 65535u, 65536u}) {
    std::string payload(len, 'a');
    for (std::size_t i = 0; i < len; i += 97) payload[i] = static_cast<char>('b' + i % 20);
    ReadOutcome r = readEveryWay(text(payload), {.maxMessageBytes = 70000});
    ASSERT_EQ(r.events.size(), 1u) << r;
    EXPECT_TRUE(r.events[0] == message(payload)) << "length " << len;
  }
}

TEST(MessageReaderTest, RejectsContinuationWithNothingToContinue) {
  expectError(continuation("x", true), close_code::ProtocolError);
  expectError(continuation("x", false), close_code::ProtocolError);
  // ...also right after a complete message.
  expectError(concat({text("a", false), continuation("b", true), continuation("c", true)}), close_code::ProtocolError);
}

TEST(MessageReaderTest, RejectsNewDataFrameInsideFragmentedMessage) {
  ReadOutcome r = readEveryWay(concat({text("a", false), text("b")}));
  ASSERT_EQ(r.events.size(), 1u) << r;  // the half message is not delivered
  EXPECT_EQ(r.events[0].kind, Event::Error);
  EXPECT_EQ(r.events[0].code, close_code::ProtocolError);
  expectError(concat({text("a", false), binary("b", false)}), close_code::ProtocolError);
  expectError(concat({binary("a", false), ping(""), text("b")}), close_code::ProtocolError);
}

TEST(MessageReaderTest, ReportsFrameParserErrorsWithTheirCloseCode) {
  expectError(Frame(0x1, "x").unmasked().bytes(), close_code::ProtocolError);   // unmasked
  expectError(Frame(0x1, "x").rsv(4).bytes(), close_code::ProtocolError);          // RSV1
  expectError(Frame(0x1, "x").rsv(2).bytes(), close_code::ProtocolError);          // RSV2
  expectError(Frame(0x1, "x").rsv(1).bytes(), close_code::ProtocolError);          // RSV3
  for (std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF})
    expectError(Frame(op, "x").bytes(), close_code::ProtocolError);
  expectError(ping(std::string(126, 'p')), close_code::ProtocolError);
  expectError(Frame(0x9, "p").notFin().bytes(), close_code::ProtocolError);
  expectError(Frame(0xA, "").notFin().bytes(), close_code::ProtocolError);
  expectError(Frame(0x2).declaredLength(std::uint64_t{1} << 63).bytes(), close_code::ProtocolError);
}

TEST(MessageReaderTest, ClientRoleAcceptsUnmaskedAndRejectsMaskedFrames) {
  const ReaderConfig client{.role = Role::Client};
  ReadOutcome r = readEveryWay(Frame(0x1, "from server").unmasked().bytes(), client);
  EXPECT_EQ(r.events, (Events{message("from server")})) << r;
  expectError(text("masked"), close_code::ProtocolError, client);
}

TEST(MessageReaderTest, RejectsInvalidUtf8InText) {
  expectError(text("ab\xFF" "cd"), close_code::InvalidPayload);
  expectError(text("\xC0\x80"), close_code::InvalidPayload);
  expectError(text("\xED\xA0\x80"), close_code::InvalidPayload);
  expectError(text("\xF4\x90\x80\x80"), close_code::InvalidPayload);
}

TEST(MessageReaderTest, RejectsTextEndingInsideACharacter) {
  expectError(text("ok \xE2\x82"), close_code::InvalidPayload);
  expectError(concat({text("ok", false), continuation("\xF0\x9F\x98", true)}), close_code::InvalidPayload);
}

TEST(MessageReaderTest, RejectsInvalidUtf8SplitAcrossFragments) {
  expectError(concat({text("\xCE", false), continuation("\xFF", true)}), close_code::InvalidPayload);
  expectError(concat({text("\xED", false), ping("p"), continuation("\xA0\x80", true)}), close_code::InvalidPayload);
}

TEST(MessageReaderTest, ReportsInvalidUtf8WhenTheBadByteArrives) {
  // Fail fast: the frame declares more payload than has arrived; the error
  // is reported with the bad byte, not at the end of the frame.
  const std::string frame = text("good \xE0\x80 and then much more text that never arrives");
  const std::size_t header = 6;
  const std::size_t bad = header + 6;  // the 0x80 after E0
  for (std::size_t n = header; n <= bad; ++n) {
    ReadOutcome r = readEveryWay(frame.substr(0, n));
    EXPECT_TRUE(r.events.empty()) << "after " << n << " bytes: " << r;
  }
  ReadOutcome r = readEveryWay(frame.substr(0, bad + 1));
  EXPECT_EQ(r.errorCode(), close_code::InvalidPayload) << r;

  // Across fragments: the first byte of the next fragment is the bad one.
  const std::string frames = concat({text("ab\xE2\x82", false), continuation("zzzzzz", true)});
  const std::size_t second = text("ab\xE2\x82", false).size();
  EXPECT_TRUE(readEveryWay(frames.substr(0, second + 6)).events.empty());
  EXPECT_EQ(readEveryWay(frames.substr(0, second + 7)).errorCode(), close_code::InvalidPayload);
}

TEST(MessageReaderTest, RejectsMessageOverTheLimitAtTheFrameHeader) {
  const ReaderConfig small{.maxMessageBytes = 100};
  // 100 bytes is allowed, 101 is not.
  EXPECT_EQ(readEveryWay(text(std::string(100, 'a')), small).events, (Events{message(std::string(100, 'a'))}));
  expectError(text(std::string(101, 'a')), close_code::MessageTooBig, small);
  expectError(binary(std::string(5000, 'a')), close_code::MessageTooBig, small);

  // Only the header has arrived: the error is already reported.
  for (std::size_t len : {101u, 126u, 70000u}) {
    std::string frame = binary(std::string(len, 'a'));
    std::size_t headerBytes = frame.size() - len;
    ReadOutcome r = readPrefix(frame.substr(0, headerBytes), small);
    EXPECT_EQ(r.errorCode(), close_code::MessageTooBig) << "length " << len << ": " << r;
    EXPECT_EQ(readEveryWay(frame.substr(0, headerBytes), small).errorCode(), close_code::MessageTooBig);
  }
  // A declared length near 2^63 must not wrap around the check.
  expectError(Frame(0x2).declaredLength((std::uint64_t{1} << 63) - 1).bytes(), close_code::MessageTooBig);
}

TEST(MessageReaderTest, RejectsFragmentsWhoseSumExceedsTheLimit) {
  const ReaderConfig small{.maxMessageBytes = 100};
  EXPECT_EQ(readEveryWay(concat({text(std::string(60, 'a'), false), continuation(std::string(40, 'b'), true)}), small)
                .events,
            (Events{message(std::string(60, 'a') + std::string(40, 'b'))}));
  expectError(concat({text(std::string(60, 'a'), false), continuation(std::string(41, 'b'), true)}),
              close_code::MessageTooBig, small);
  expectError(concat({text(std::string(50, 'a'), false), continuation(std::string(50, 'b'), false),
                      continuation("c", true)}),
              close_code::MessageTooBig, small);

  // Reported at the second header, before its payload.
  const std::string first = text(std::string(60, 'a'), false);
  const std::string second = continuation(std::string(41, 'b'), true);
  ReadOutcome r = readEveryWay(first + second.substr(0, 6), small);
  EXPECT_EQ(r.errorCode(), close_code::MessageTooBig) << r;
}

TEST(MessageReaderTest, LimitAppliesPerMessage) {
  const ReaderConfig small{.maxMessageBytes = 100};
  ReadOutcome r = readEveryWay(concat({text(std::string(80, 'a')), text(std::string(80, 'b'), false),
                                       continuation(std::string(20, 'c'), true), binary(std::string(100, 'd'))}),
                               small);
  EXPECT_EQ(r.events, (Events{message(std::string(80, 'a')), message(std::string(80, 'b') + std::string(20, 'c')),
                              binaryMessage(std::string(100, 'd'))}));
  EXPECT_FALSE(r.ended);
}

TEST(MessageReaderTest, ControlFramesDoNotCountTowardsTheLimit) {
  const ReaderConfig small{.maxMessageBytes = 10};
  ReadOutcome r =
      readEveryWay(concat({text("12345", false), ping(std::string(100, 'p')), continuation("67890", true)}), small);
  EXPECT_EQ(r.events, (Events{pingEvent(std::string(100, 'p')), message("1234567890")})) << r;
}

TEST(MessageReaderTest, SetMaxMessageBytesChangesTheLimit) {
  MessageReader reader(Role::Server, 10);
  EXPECT_EQ(reader.maxMessageBytes(), 10u);
  reader.setMaxMessageBytes(20);
  EXPECT_EQ(reader.maxMessageBytes(), 20u);
  test::Recorder rec;
  std::string bytes = text(std::string(20, 'x'));
  EXPECT_TRUE(reader.feed(bytes.data(), bytes.size(), rec));
  EXPECT_EQ(rec.events, (Events{message(std::string(20, 'x'))}));
}

TEST(MessageReaderTest, ReadsNothingAfterAnError) {
  ReadOutcome r = readEveryWay(concat({text("one"), text("\xFF"), text("two"), closeFrame(1000)}));
  ASSERT_EQ(r.events.size(), 2u) << r;
  EXPECT_EQ(r.events[0], message("one"));
  EXPECT_EQ(r.events[1].kind, Event::Error);
  EXPECT_EQ(r.events[1].code, close_code::InvalidPayload);
  EXPECT_TRUE(r.ended);

  MessageReader reader;
  test::Recorder rec;
  std::string bad = Frame(0x1, "x").unmasked().bytes();
  EXPECT_FALSE(reader.feed(bad.data(), bad.size(), rec));
  EXPECT_TRUE(reader.done());
  std::string good = text("fine");
  EXPECT_FALSE(reader.feed(good.data(), good.size(), rec));
  EXPECT_EQ(rec.events.size(), 1u);
}

TEST(MessageReaderTest, InMessageTracksFragmentedMessages) {
  MessageReader reader;
  test::Recorder rec;
  std::string first = text("a", false);
  ASSERT_TRUE(reader.feed(first.data(), first.size(), rec));
  EXPECT_TRUE(reader.inMessage());
  std::string p = ping("");
  ASSERT_TRUE(reader.feed(p.data(), p.size(), rec));
  EXPECT_TRUE(reader.inMessage());
  std::string last = continuation("b", true);
  ASSERT_TRUE(reader.feed(last.data(), last.size(), rec));
  EXPECT_FALSE(reader.inMessage());
  std::string again = text("c");
  ASSERT_TRUE(reader.feed(again.data(), again.size(), rec));
  EXPECT_EQ(rec.events, (Events{pingEvent(""), message("ab"), message("c")}));
}

// The buffers of a message that arrives in pieces exist only while it does.
TEST(MessageReaderTest, HoldsNoBufferBetweenMessages) {
  MessageReader reader(Role::Server, 1 << 20);
  test::Recorder rec;
  std::string whole = text("hello") + binary(std::string(3000, 'b')) + ping("p") + pong("");
  ASSERT_TRUE(reader.feed(whole.data(), whole.size(), rec));
  EXPECT_EQ(reader.heldBytes(), 0u) << "frames whole in the input are delivered from it";

  std::string first = text(std::string(100000, 'a'), false);
  ASSERT_TRUE(reader.feed(first.data(), first.size(), rec));
  EXPECT_GE(reader.heldBytes(), 100000u);
  std::string last = continuation("z", true);
  ASSERT_TRUE(reader.feed(last.data(), last.size(), rec));
  EXPECT_TRUE(rec.events.back() == message(std::string(100000, 'a') + "z"));
  EXPECT_EQ(reader.heldBytes(), 0u);

  // A frame cut in two is gathered, then released at its end.
  std::string split = binary(std::string(500, 'q'));
  ASSERT_TRUE(reader.feed(split.data(), 300, rec));
  EXPECT_GT(reader.heldBytes(), 0u);
  ASSERT_TRUE(reader.feed(split.data() + 300, split.size() - 300, rec));
  EXPECT_TRUE(rec.events.back() == message(std::string(500, 'q'), Opcode::Binary));
  EXPECT_EQ(reader.heldBytes(), 0u);

  std::string pingSplit = ping("twelve bytes");
  ASSERT_TRUE(reader.feed(pingSplit.data(), 8, rec));
  ASSERT_TRUE(reader.feed(pingSplit.data() + 8, pingSplit.size() - 8, rec));
  EXPECT_EQ(rec.events.back(), pingEvent("twelve bytes"));
  EXPECT_EQ(reader.heldBytes(), 0u);
}

// A control frame cut in pieces inside a fragmented message: both buffers
// live at once, each payload comes out intact, and both go at the end.
TEST(MessageReaderTest, SplitControlFrameInsideASplitMessage) {
  MessageReader reader;
  test::Recorder rec;
  std::string bytes = concat({text("frag", false), ping("in the middle"), continuation("ment", true)});
  for (std::size_t i = 0; i < bytes.size(); ++i) ASSERT_TRUE(reader.feed(bytes.data() + i, 1, rec));
  EXPECT_EQ(rec.events, (Events{pingEvent("in the middle"), message("fragment")}));
  EXPECT_EQ(reader.heldBytes(), 0u);
  std::string bye = closeFrame(1000, "bye");
  bool more = true;
  for (std::size_t i = 0; i < bye.size() && more; ++i) more = reader.feed(bye.data() + i, 1, rec);
  EXPECT_FALSE(more);
  EXPECT_EQ(rec.events.back(), closeEvent(1000, "bye"));
}

// A handler that stops the reader from inside a callback.
class StoppingHandler : public test::Recorder {
 public:
  explicit StoppingHandler(MessageReader& reader) : reader_(reader) {}
  void onMessage(std::string_view payload, Opcode opcode) override {
    Recorder::onMessage(payload, opcode);
    reader_.stop();
  }
  void onPing(std::string_view payload) override {
    Recorder::onPing(payload);
    reader_.stop();
  }

 private:
  MessageReader& reader_;
};

TEST(MessageReaderTest, StopFromAHandlerEndsTheStream) {
  for (const std::string& first : {text("one"), ping("one")}) {
    MessageReader reader;
    StoppingHandler handler(reader);
    std::string bytes = first + text("two");
    EXPECT_FALSE(reader.feed(bytes.data(), bytes.size(), handler));
    EXPECT_TRUE(reader.done());
    ASSERT_EQ(handler.events.size(), 1u);
    EXPECT_EQ(handler.events[0].payload, "one");
    EXPECT_FALSE(reader.feed(bytes.data(), bytes.size(), handler));
    EXPECT_EQ(handler.events.size(), 1u);
  }
}

TEST(MessageReaderTest, EmptyFramesWithinTheBudgetAreRead) {
  // Pings, pongs and empty non-final fragments count; the final empty
  // fragment and data-carrying frames do not.
  ReadOutcome r = readEveryWay(concat({ping("a"), pong(""), text("", false), continuation("x", false),
                                       continuation("", true), text("")}),
                                {.maxEmptyFrames = 3});
  EXPECT_EQ(r.events, (Events{pingEvent("a"), pongEvent(""), message("x"), message("")})) << r;
  EXPECT_FALSE(r.ended);
}

TEST(MessageReaderTest, OneEmptyFrameOverTheBudgetFailsWith1008) {
  expectError(concat({ping(""), pong(""), ping("")}), 1008, {.maxEmptyFrames = 2});
  expectError(concat({text("", false), continuation("", false), continuation("", false)}), 1008,
              {.maxEmptyFrames = 2});
}

TEST(MessageReaderTest, ResetFrameBudgetStartsANewPeriod) {
  MessageReader reader;
  reader.setMaxEmptyFrames(2);
  test::Recorder rec;
  std::string two = concat({ping(""), ping("")});
  for (int period = 0; period < 5; ++period) {
    std::string copy = two;
    ASSERT_TRUE(reader.feed(copy.data(), copy.size(), rec)) << "period " << period;
    reader.resetFrameBudget();
  }
  EXPECT_EQ(rec.events.size(), 10u);
  std::string three = concat({ping(""), ping(""), ping("")});
  EXPECT_FALSE(reader.feed(three.data(), three.size(), rec));
  ASSERT_FALSE(rec.events.empty());
  EXPECT_EQ(rec.events.back().kind, Event::Error);
  EXPECT_EQ(rec.events.back().code, 1008);
}

}  // namespace
}  // namespace herald::ws
