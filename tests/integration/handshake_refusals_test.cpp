// Handshake refusals over a real socket: the status, and a readable body.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "raw_client.hpp"
#include "test_server.hpp"

namespace herald {
namespace {

using test::RawClient;
using test::TestServer;

constexpr const char* kGoodHeaders =
    "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

class HandshakeRefusalsTest : public ::testing::Test {
 protected:
  TestServer server{{.threads = 1, .handshakeTimeout = std::chrono::seconds(1)}, [](App& app) {
                      app.ws("/chat", {.subprotocols = {"chat.v2", "chat.v1"},
                                       .allowOrigin = [](std::string_view o, std::string_view) { return o == "http://good.example"; }});
                    }};

  std::string exchange(const std::string& request) {
    RawClient c(server.port());
    c.sendBytes(request);
    return c.readHttpResponse();
  }
};

std::string statusLine(const std::string& response) { return response.substr(0, response.find("\r\n")); }
std::string body(const std::string& response) { return response.substr(response.find("\r\n\r\n") + 4); }

TEST_F(HandshakeRefusalsTest, ValidHandshakeGets101WithAcceptKey) {
  std::string r = exchange(RawClient::request("/chat", kGoodHeaders));
  EXPECT_EQ(statusLine(r), "HTTP/1.1 101 Switching Protocols");
  EXPECT_NE(r.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos);
}

TEST_F(HandshakeRefusalsTest, SubprotocolIsSelectedByServerPreference) {
  std::string r = exchange(RawClient::request("/chat", std::string(kGoodHeaders) + "Sec-WebSocket-Protocol: chat.v1, chat.v2\r\n"));
  EXPECT_NE(r.find("Sec-WebSocket-Protocol: chat.v2\r\n"), std::string::npos) << r;
}

TEST_F(HandshakeRefusalsTest, MissingKeyGets400WithBody) {
  std::string r = exchange(RawClient::request(
      "/chat", "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"));
  EXPECT_EQ(statusLine(r), "HTTP/1.1 400 Bad Request");
  EXPECT_NE(body(r).find("Sec-WebSocket-Key"), std::string::npos) << r;
}

TEST_F(HandshakeRefusalsTest, MissingVersionGets426NamingVersion13) {
  std::string r = exchange(RawClient::request(
      "/chat", "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
  EXPECT_EQ(statusLine(r), "HTTP/1.1 426 Upgrade Required");
  EXPECT_NE(r.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_FALSE(body(r).empty());
}

TEST_F(HandshakeRefusalsTest, MissingUpgradeGets426) {
  std::string r = exchange(RawClient::request("/chat", "Host: x\r\n"));
  EXPECT_EQ(statusLine(r), "HTTP/1.1 426 Upgrade Required");
  EXPECT_NE(body(r).find("Upgrade: websocket"), std::string::npos) << r;
}

TEST_F(HandshakeRefusalsTest, UnknownPathGets404) {
  std::string r = exchange(RawClient::request("/nowhere", kGoodHeaders));
  EXPECT_EQ(statusLine(r), "HTTP/1.1 404 Not Found");
}

TEST_F(HandshakeRefusalsTest, PostGets405) {
  std::string r = exchange(std::string("POST /chat HTTP/1.1\r\n") + kGoodHeaders + "\r\n");
  EXPECT_EQ(statusLine(r), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_NE(r.find("Allow: GET\r\n"), std::string::npos);
}

TEST_F(HandshakeRefusalsTest, ForeignOriginGets403) {
  std::string r = exchange(RawClient::request("/chat", std::string(kGoodHeaders) + "Origin: http://evil.example\r\n"));
  EXPECT_EQ(statusLine(r), "HTTP/1.1 403 Forbidden");
}

TEST_F(HandshakeRefusalsTest, Http2VersionGets505) {
  std::string r = exchange(std::string("GET /chat HTTP/2.0\r\n") + kGoodHeaders + "\r\n");
  EXPECT_EQ(statusLine(r), "HTTP/1.1 505 HTTP Version Not Supported");
}

TEST_F(HandshakeRefusalsTest, HeadOver8KiBGets431) {
  std::string r = exchange(RawClient::request("/chat", std::string(kGoodHeaders) + "X-Filler: " + std::string(9000, 'f') + "\r\n"));
  EXPECT_EQ(statusLine(r), "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST_F(HandshakeRefusalsTest, EndlessHeadIsRefusedWith431BeforeItEnds) {
  RawClient c(server.port());
  c.sendBytes("GET /chat HTTP/1.1\r\nX-Filler: " + std::string(9000, 'f'));
  std::string r = c.readHttpResponse();
  EXPECT_EQ(statusLine(r), "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST_F(HandshakeRefusalsTest, GarbageGets400) {
  std::string r = exchange("\x16\x03\x01\x02 not http at all\r\n\r\n");
  EXPECT_EQ(statusLine(r), "HTTP/1.1 400 Bad Request");
}

TEST_F(HandshakeRefusalsTest, SilentConnectionIsClosedAtTheDeadline) {
  RawClient c(server.port());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.waitForEof(std::chrono::seconds(5)));
  auto waited = std::chrono::steady_clock::now() - start;
  // The deadline is 1 s; timers tick once a second.
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_LE(waited, std::chrono::milliseconds(3000));
}

TEST_F(HandshakeRefusalsTest, BytesAfterTheHeadArePartOfTheWebSocketStream) {
  TestServer echo({.threads = 1}, [](App& app) {
    app.ws("/", {.message = [](WebSocket& ws, std::string_view m, ws::Opcode op) { ws.send(m, op); }});
  });
  RawClient c(echo.port());
  // The handshake and a first frame in one write.
  std::string frame("\x81\x82\x00\x00\x00\x00hi", 8);
  c.sendBytes(RawClient::request("/", kGoodHeaders) + frame);
  std::string head = c.readHttpResponse();
  ASSERT_EQ(statusLine(head), "HTTP/1.1 101 Switching Protocols");
  auto f = c.readFrame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, "hi");
}

}  // namespace
}  // namespace herald
