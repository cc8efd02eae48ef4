// Each protocol violation a client can commit, over a real socket, with the
// exact close code it must receive (RFC 6455 section 7.4.1).

#include <gtest/gtest.h>

#include "raw_client.hpp"
#include "test_server.hpp"

namespace herald {
namespace {

using test::RawClient;
using test::TestServer;

class ProtocolErrorsTest : public ::testing::Test {
 protected:
  TestServer server{{.threads = 1}, [](App& app) {
                      app.ws("/", {.message = [](WebSocket& ws, std::string_view m, ws::Opcode op) { ws.send(m, op); },
                                   .maxMessageBytes = 1024});
                    }};

  std::unique_ptr<RawClient> connect() {
    auto c = std::make_unique<RawClient>(server.port());
    c->upgrade();
    return c;
  }
};

TEST_F(ProtocolErrorsTest, EchoesAValidMessage) {
  auto c = connect();
  c->sendText("hello");
  auto f = c->readFrame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 0x1);
  EXPECT_EQ(f->payload, "hello");
}

TEST_F(ProtocolErrorsTest, UnmaskedClientFrameGets1002) {
  auto c = connect();
  c->sendFrame(0x81, "hello", false);
  EXPECT_EQ(c->readCloseCode(), 1002);
  EXPECT_TRUE(c->waitForEof());
}

TEST_F(ProtocolErrorsTest, ReservedBitsWithoutExtensionGet1002) {
  for (std::uint8_t rsv : {0x40, 0x20, 0x10}) {
    auto c = connect();
    c->sendFrame(static_cast<std::uint8_t>(0x81 | rsv), "x");
    EXPECT_EQ(c->readCloseCode(), 1002) << "rsv " << int(rsv);
  }
}

TEST_F(ProtocolErrorsTest, UnknownOpcodeGets1002) {
  for (std::uint8_t op : {0x3, 0x7, 0xB, 0xF}) {
    auto c = connect();
    c->sendFrame(static_cast<std::uint8_t>(0x80 | op), "x");
    EXPECT_EQ(c->readCloseCode(), 1002) << "opcode " << int(op);
  }
}

TEST_F(ProtocolErrorsTest, OversizedControlFrameGets1002) {
  auto c = connect();
  c->sendFrame(0x89, std::string(126, 'p'));
  EXPECT_EQ(c->readCloseCode(), 1002);
}

TEST_F(ProtocolErrorsTest, FragmentedControlFrameGets1002) {
  auto c = connect();
  c->sendFrame(0x09, "ping");  // FIN clear on a ping
  EXPECT_EQ(c->readCloseCode(), 1002);
}

TEST_F(ProtocolErrorsTest, ContinuationWithNothingToContinueGets1002) {
  auto c = connect();
  c->sendFrame(0x80, "tail");
  EXPECT_EQ(c->readCloseCode(), 1002);
}

TEST_F(ProtocolErrorsTest, NewDataFrameInsideFragmentedMessageGets1002) {
  auto c = connect();
  c->sendFrame(0x01, "first half");
  c->sendFrame(0x81, "a new message");
  EXPECT_EQ(c->readCloseCode(), 1002);
}

TEST_F(ProtocolErrorsTest, InvalidUtf8TextGets1007) {
  auto c = connect();
  c->sendText("caf\xC3");
  EXPECT_EQ(c->readCloseCode(), 1007);
}

TEST_F(ProtocolErrorsTest, InvalidUtf8SplitAcrossFragmentsGets1007) {
  auto c = connect();
  // U+20AC is E2 82 AC; a second byte outside 80..BF breaks it across frames.
  c->sendFrame(0x01, "price \xE2");
  c->sendFrame(0x80, "\x28\xAC");
  EXPECT_EQ(c->readCloseCode(), 1007);
}

TEST_F(ProtocolErrorsTest, ValidUtf8SplitAcrossFragmentsIsEchoedWhole) {
  auto c = connect();
  c->sendFrame(0x01, "price \xE2");
  c->sendFrame(0x89, "interleaved");
  c->sendFrame(0x80, "\x82\xAC");
  auto pong = c->readFrame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 0xA);
  EXPECT_EQ(pong->payload, "interleaved");
  auto f = c->readFrame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, "price \xE2\x82\xAC");
}

TEST_F(ProtocolErrorsTest, CloseWithInvalidCodeGets1002) {
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    auto c = connect();
    c->sendClose(code);
    EXPECT_EQ(c->readCloseCode(), 1002) << "code " << code;
  }
}

TEST_F(ProtocolErrorsTest, CloseWithOneBytePayloadGets1002) {
  auto c = connect();
  c->sendFrame(0x88, "\x03");
  EXPECT_EQ(c->readCloseCode(), 1002);
}

TEST_F(ProtocolErrorsTest, CloseWithInvalidUtf8ReasonGets1007) {
  auto c = connect();
  c->sendFrame(0x88, std::string("\x03\xE8", 2) + "bad \xFF reason");
  EXPECT_EQ(c->readCloseCode(), 1007);
}

TEST_F(ProtocolErrorsTest, ValidCloseIsEchoedWithItsCode) {
  auto c = connect();
  c->sendClose(4321, "done");
  EXPECT_EQ(c->readCloseCode(), 4321);
  EXPECT_TRUE(c->waitForEof());
}

TEST_F(ProtocolErrorsTest, MessageOverLimitGets1009BeforeItsPayload) {
  auto c = connect();
  // Announce a 1 GiB frame and send none of it: the header alone is refused.
  std::string header = "\x82\xFF";
  for (int i = 7; i >= 0; --i) header.push_back(static_cast<char>((std::uint64_t{1} << 30) >> (8 * i)));
  header.append("\x01\x02\x03\x04");
  c->sendBytes(header);
  EXPECT_EQ(c->readCloseCode(), 1009);
}

TEST_F(ProtocolErrorsTest, FragmentsAddingUpOverLimitGet1009) {
  auto c = connect();
  c->sendFrame(0x02, std::string(600, 'a'));
  c->sendFrame(0x80, std::string(600, 'b'));
  EXPECT_EQ(c->readCloseCode(), 1009);
}

TEST_F(ProtocolErrorsTest, PingIsAnsweredWithSamePayload) {
  auto c = connect();
  c->sendFrame(0x89, "are you there");
  auto f = c->readFrame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 0xA);
  EXPECT_EQ(f->payload, "are you there");
}

TEST_F(ProtocolErrorsTest, FrameSentOneByteAtATimeIsEchoed) {
  auto c = connect();
  std::string frame = "\x81\x85";
  frame.append("\x01\x02\x03\x04");
  std::string text = "hello";
  for (std::size_t i = 0; i < text.size(); ++i) frame.push_back(static_cast<char>(text[i] ^ (i % 4 + 1)));
  for (char ch : frame) c->sendBytes(std::string_view(&ch, 1));
  auto f = c->readFrame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, "hello");
}

}  // namespace
}  // namespace herald
