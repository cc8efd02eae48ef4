// permessage-deflate over real sockets: negotiated echo and broadcast, and
// the bad input a compressed stream allows (bombs, corrupt data).

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "herald/engine/blocking_client.hpp"
#include "raw_client.hpp"
#include "test_server.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using test::RawClient;
using test::TestServer;

constexpr const char* kDeflateOffer =
    "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";

std::size_t residentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<std::size_t>(resident) * 4096;
}

// Raw deflate of `data` with a sync flush, minus the 00 00 FF FF tail (RFC 7692 7.2.1).
std::string deflateRaw(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out - 4);
  deflateEnd(&z);
  return out;
}

void configureEcho(App& app) {
  app.ws("/", {.open = [](WebSocket& ws) { ws.subscribe("all"); },
               .message = [](WebSocket& ws, std::string_view m, ws::Opcode op) {
                 if (m.substr(0, 4) == "pub:") ws.publish("all", m.substr(4), op);
                 else ws.send(m, op);
               },
               .maxMessageBytes = 64 * 1024,
               .compression = true});
}

TEST(CompressionTest, NegotiatedEchoRoundTripsLargeAndSmallMessages) {
  TestServer server({.threads = 1}, configureEcho);
  BlockingClient c;
  c.connect("ws://127.0.0.1:" + std::to_string(server.port()) + "/", {.compression = true});
  std::string big(60000, 'a');
  for (std::size_t i = 0; i < big.size(); i += 13) big[i] = static_cast<char>('a' + i % 26);
  for (const std::string& m : {std::string(), std::string("tiny"), std::string(200, 'x'), big}) {
    c.send(m);
    auto got = c.receive(3s);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->payload, m);
  }
}

TEST(CompressionTest, ServerCompressesWhatItSendsAboveTheMinimum) {
  TestServer server({.threads = 1}, configureEcho);
  RawClient raw(server.port());
  raw.sendBytes(RawClient::request("/", kDeflateOffer));
  std::string head = raw.readHttpResponse();
  ASSERT_NE(head.find("Sec-WebSocket-Extensions: permessage-deflate"), std::string::npos) << head;
  std::string text(1000, 'z');
  raw.sendText(text);  // uncompressed from us: allowed
  auto f = raw.readFrame();
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->rsv1) << "1000 bytes are over the 64-byte minimum";
  EXPECT_LT(f->payload.size(), 100u);
  raw.sendText("short");
  auto g = raw.readFrame();
  ASSERT_TRUE(g);
  EXPECT_FALSE(g->rsv1);
  EXPECT_EQ(g->payload, "short");
}

TEST(CompressionTest, DecompressionBombIsClosedWith1009AndMemoryStaysBounded) {
  TestServer server({.threads = 1}, configureEcho);
  RawClient raw(server.port());
  raw.sendBytes(RawClient::request("/", kDeflateOffer));
  raw.readHttpResponse();
  // About 1 KiB on the wire that inflates to 1 MiB, 16 times the limit.
  std::string bomb = deflateRaw(std::string(1u << 20, '\0'));
  ASSERT_LT(bomb.size(), 2048u);
  std::size_t before = residentBytes();
  for (int i = 0; i < 3; ++i) {
    RawClient r(server.port());
    r.sendBytes(RawClient::request("/", kDeflateOffer));
    r.readHttpResponse();
    r.sendFrame(0xC2, bomb);  // FIN + RSV1 + binary
    EXPECT_EQ(r.readCloseCode(), 1009);
  }
  EXPECT_LT(residentBytes(), before + 8 * 1024 * 1024);
}

TEST(CompressionTest, CorruptDeflateStreamIsClosedWith1007) {
  TestServer server({.threads = 1}, configureEcho);
  RawClient raw(server.port());
  raw.sendBytes(RawClient::request("/", kDeflateOffer));
  raw.readHttpResponse();
  raw.sendFrame(0xC1, std::string("\xFF\xFF\xFF\xFF garbage", 12));
  EXPECT_EQ(raw.readCloseCode(), 1007);
}

TEST(CompressionTest, Rsv1WithoutNegotiationIsClosedWith1002) {
  TestServer server({.threads = 1}, configureEcho);
  RawClient raw(server.port());
  raw.upgrade();  // no extension offered
  raw.sendFrame(0xC1, deflateRaw("hello"));
  EXPECT_EQ(raw.readCloseCode(), 1002);
}

TEST(CompressionTest, PublicationReachesCompressedAndPlainSubscribers) {
  for (bool noContextTakeover : {false, true}) {
    TestServer server({.threads = 2}, [&](App& app) {
      app.ws("/", {.open = [](WebSocket& ws) { ws.subscribe("all"); },
                   .message = [](WebSocket& ws, std::string_view m, ws::Opcode op) { ws.publish("all", m, op); },
                   .compression = true,
                   .deflate = {.serverNoContextTakeover = noContextTakeover}});
    });
    std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/";
    BlockingClient sender, zipped, plain;
    sender.connect(url);
    zipped.connect(url, {.compression = true});
    plain.connect(url);
    std::this_thread::sleep_for(100ms);
    std::string message(5000, 'q');
    for (int i = 0; i < 3; ++i) {
      sender.send(message + std::to_string(i));
      for (BlockingClient* c : {&zipped, &plain}) {
        auto got = c->receive(3s);
        ASSERT_TRUE(got) << "noContextTakeover " << noContextTakeover;
        EXPECT_EQ(got->payload, message + std::to_string(i));
      }
    }
  }
}

std::string inflateRaw(std::string data) {
  data.append("\x00\x00\xff\xff", 4);
  z_stream z{};
  inflateInit2(&z, -15);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

TEST(CompressionTest, PublicationIsDeflatedOnceForSubscribersWithoutContextTakeover) {
  TestServer server({.threads = 1}, [](App& app) {
    app.ws("/", {.open = [](WebSocket& ws) { ws.subscribe("all"); },
                 .compression = true,
                 .deflate = {.serverNoContextTakeover = true}});
  });
  RawClient a(server.port()), b(server.port());
  for (RawClient* c : {&a, &b}) {
    c->sendBytes(RawClient::request("/", kDeflateOffer));
    ASSERT_NE(c->readHttpResponse().find("server_no_context_takeover"), std::string::npos);
  }
  std::this_thread::sleep_for(100ms);
  std::string message = "tick " + std::string(300, 'x');
  for (int i = 0; i < 2; ++i) {
    server.app().publish("all", message);
    auto fa = a.readFrame(), fb = b.readFrame();
    ASSERT_TRUE(fa && fb);
    EXPECT_TRUE(fa->rsv1);
    // One compression for both, which each can inflate on its own.
    EXPECT_EQ(fa->payload, fb->payload);
    EXPECT_EQ(inflateRaw(fa->payload), message);
  }
}

}  // namespace
}  // namespace herald
