// Herald's WebSocket client against Herald's server and against servers that
// answer what no correct server would.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "canned_server.hpp"
#include "herald/engine/blocking_client.hpp"
#include "herald/ws/handshake.hpp"
#include "test_server.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using test::CannedServer;
using test::TestServer;

void configureEcho(App& app) {
  app.ws("/echo", {.message = [](WebSocket& ws, std::string_view m, ws::Opcode op) {
                     if (m == "close me") ws.close(4002, "as you wish");
                     else ws.send(m, op);
                   },
                   .maxMessageBytes = 20 * 1024 * 1024,
                   .subprotocols = {"v2", "v1"}});
}

std::string url(std::uint16_t port, const std::string& path = "/echo") {
  return "ws://127.0.0.1:" + std::to_string(port) + path;
}

std::string connectError(const std::string& target, ClientOptions options = {}) {
  BlockingClient c;
  try {
    c.connect(target, std::move(options), {}, 3s);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(ClientTest, EchoesMessagesOfEverySize) {
  TestServer server({.threads = 1}, configureEcho);
  BlockingClient c;
  c.connect(url(server.port()), {}, {.maxMessageBytes = 20 * 1024 * 1024});
  for (std::size_t n : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 16u * 1024 * 1024}) {
    std::string text(n, 'a');
    for (std::size_t i = 0; i < n; i += 7) text[i] = static_cast<char>('a' + i % 26);
    ASSERT_TRUE(c.send(text));
    auto m = c.receive(10s);
    ASSERT_TRUE(m) << n;
    EXPECT_EQ(m->payload, text) << n;
    EXPECT_EQ(m->opcode, ws::Opcode::Text);
  }
  std::string binary("\x00\x01\x02\xff", 4);
  c.send(binary, ws::Opcode::Binary);
  auto m = c.receive(5s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, binary);
  EXPECT_EQ(m->opcode, ws::Opcode::Binary);
}

TEST(ClientTest, PingIsAnsweredByPong) {
  TestServer server({.threads = 1}, configureEcho);
  BlockingClient c;
  c.connect(url(server.port()));
  c.ping("are you there");
  EXPECT_EQ(c.receivePong(3s), "are you there");
}

TEST(ClientTest, SubprotocolIsNegotiated) {
  TestServer server({.threads = 1}, configureEcho);
  BlockingClient c;
  c.connect(url(server.port()), {.subprotocols = {"v1", "v2"}});
  EXPECT_EQ(c.subprotocol(), "v2");
}

TEST(ClientTest, ClientCloseCompletesTheHandshake) {
  TestServer server({.threads = 1}, configureEcho);
  BlockingClient c;
  c.connect(url(server.port()));
  auto status = c.close(4001, "bye");
  EXPECT_EQ(status.code, 4001);
  EXPECT_FALSE(c.isOpen());
}

TEST(ClientTest, ServerCloseReachesTheClientWithCodeAndReason) {
  TestServer server({.threads = 1}, configureEcho);
  BlockingClient c;
  c.connect(url(server.port()));
  c.send("close me");
  auto status = c.waitClosed(3s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 4002);
  EXPECT_EQ(status->reason, "as you wish");
}

TEST(ClientTest, MessageOverTheClientLimitIsClosedWith1009) {
  TestServer server({.threads = 1}, configureEcho);
  BlockingClient c;
  c.connect(url(server.port()), {}, {.maxMessageBytes = 1000});
  c.send(std::string(1001, 'x'));
  auto status = c.waitClosed(3s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 1009);
}

TEST(ClientTest, RefusedConnectionIsAReadableError) {
  TestServer server({.threads = 1}, configureEcho);
  std::uint16_t port = server.port();
  server.stop();
  EXPECT_NE(connectError(url(port)).find("Connection refused"), std::string::npos);
}

TEST(ClientTest, RefusedUpgradeNamesTheStatus) {
  TestServer server({.threads = 1}, configureEcho);
  EXPECT_NE(connectError(url(server.port(), "/nowhere")).find("HTTP 404"), std::string::npos);
}

TEST(ClientTest, InvalidUrlsAreRefused) {
  EXPECT_NE(connectError("http://127.0.0.1/").find("ws:// or wss://"), std::string::npos);
  EXPECT_NE(connectError("ws://127.0.0.1:99999/").find("port"), std::string::npos);
  EXPECT_NE(connectError("ws:///path").find("no host"), std::string::npos);
}

TEST(ClientTest, RedirectIsRefusedNamingItsTarget) {
  CannedServer server("HTTP/1.1 301 Moved Permanently\r\nLocation: ws://elsewhere.example/\r\nContent-Length: 0\r\n\r\n");
  std::string error = connectError(url(server.port()));
  EXPECT_NE(error.find("redirect"), std::string::npos) << error;
  EXPECT_NE(error.find("ws://elsewhere.example/"), std::string::npos) << error;
}

TEST(ClientTest, WrongAcceptKeyIsRefused) {
  CannedServer server(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  EXPECT_NE(connectError(url(server.port())).find("Sec-WebSocket-Accept"), std::string::npos);
}

// A server that answers correctly, whatever the key, then says `tail`.
std::string acceptingAnswer(const std::string& request, const std::string& extra) {
  auto pos = request.find("Sec-WebSocket-Key: ");
  std::string key = request.substr(pos + 19, 24);
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " + ws::acceptKeyFor(key) + "\r\n" + extra + "\r\n";
}

TEST(ClientTest, UpgradeRequestIsWellFormed) {
  CannedServer server("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  connectError(url(server.port(), "/echo?x=1"), {.subprotocols = {"a", "b"}, .origin = "http://me.example"});
  std::string req = server.request();
  EXPECT_EQ(req.rfind("GET /echo?x=1 HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"), std::string::npos);
  EXPECT_NE(req.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(req.find("Sec-WebSocket-Protocol: a, b\r\n"), std::string::npos);
  EXPECT_NE(req.find("Origin: http://me.example\r\n"), std::string::npos);
  auto pos = req.find("Sec-WebSocket-Key: ");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_TRUE(ws::isValidClientKey(req.substr(pos + 19, 24)));
}

TEST(ClientTest, FramesAreMaskedWithFreshKeys) {
  CannedServer server([](const std::string& req) { return acceptingAnswer(req, ""); });
  BlockingClient c;
  c.connect(url(server.port()));
  c.send("same");
  c.send("same");
  std::string wire;
  for (int i = 0; i < 100 && wire.size() < 20; ++i) {
    std::this_thread::sleep_for(10ms);
    wire = server.received();
  }
  ASSERT_EQ(wire.size(), 20u);  // two frames: 2 header + 4 key + 4 payload
  std::string keys[2];
  for (int f = 0; f < 2; ++f) {
    const char* frame = wire.data() + 10 * f;
    EXPECT_EQ(static_cast<unsigned char>(frame[0]), 0x81);
    EXPECT_EQ(static_cast<unsigned char>(frame[1]), 0x80 | 4) << "mask bit and length";
    keys[f] = std::string(frame + 2, 4);
    std::string payload(frame + 6, 4);
    for (int i = 0; i < 4; ++i) payload[i] = static_cast<char>(payload[i] ^ keys[f][i]);
    EXPECT_EQ(payload, "same");
  }
  EXPECT_NE(keys[0], keys[1]);
}

TEST(ClientTest, MaskedFrameFromTheServerIsAProtocolError) {
  CannedServer server([](const std::string& req) {
    return acceptingAnswer(req, "") + std::string("\x81\x82\x01\x02\x03\x04\x69\x6b", 8);
  });
  BlockingClient c;
  c.connect(url(server.port()));
  auto status = c.waitClosed(3s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 1002);
}

TEST(ClientTest, SubprotocolWeDidNotOfferIsRefused) {
  CannedServer server([](const std::string& req) { return acceptingAnswer(req, "Sec-WebSocket-Protocol: v9\r\n"); });
  EXPECT_NE(connectError(url(server.port()), {.subprotocols = {"v1"}}).find("did not offer"), std::string::npos);
}

TEST(ClientTest, ExtensionWeDidNotOfferIsRefused) {
  CannedServer server(
      [](const std::string& req) { return acceptingAnswer(req, "Sec-WebSocket-Extensions: x-unknown\r\n"); });
  EXPECT_NE(connectError(url(server.port())).find("extension"), std::string::npos);
}

TEST(ClientTest, FramesFollowingThe101InTheSameSegmentAreRead) {
  CannedServer server([](const std::string& req) { return acceptingAnswer(req, "") + std::string("\x81\x02hi", 4); });
  BlockingClient c;
  c.connect(url(server.port()));
  auto m = c.receive(3s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "hi");
}

}  // namespace
}  // namespace herald
