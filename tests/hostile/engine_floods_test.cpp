// The raw engine (herald::App, no messaging server) against hostile peers:
// control-frame floods, pings from a peer that never reads, per-address
// connection limits. Each case also checks that a well-behaved bystander on
// the same loop keeps getting its echoes quickly.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "raw_client.hpp"
#include "test_server.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

// An echo endpoint on one loop (so attacker and bystander share it).
// `controlRate` is WsBehavior::maxControlFramesPerSecond.
void echoApp(App& app, std::uint16_t controlRate, std::atomic<std::size_t>* maxQueued = nullptr) {
  app.ws("/", {.message = [](WebSocket& ws, std::string_view msg, ws::Opcode op) { ws.send(msg, op); },
               .ping =
                   [maxQueued](WebSocket& ws, std::string_view) {
                     if (!maxQueued) return;
                     std::size_t q = ws.bufferedAmount();
                     std::size_t seen = maxQueued->load();
                     while (q > seen && !maxQueued->compare_exchange_weak(seen, q)) {
                     }
                   },
               .maxControlFramesPerSecond = controlRate});
}

// The slowest of `n` echo round trips through `c`.
std::chrono::milliseconds slowestEcho(RawClient& c, int n) {
  std::chrono::milliseconds worst{0};
  for (int i = 0; i < n; ++i) {
    auto start = std::chrono::steady_clock::now();
    c.sendText("probe");
    auto f = c.readFrame(5s);
    if (!f || f->payload != "probe") return std::chrono::milliseconds::max();
    worst = std::max(worst, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start));
    std::this_thread::sleep_for(20ms);
  }
  return worst;
}

TEST(EngineFloodTest, PongFloodIsClosedWith1008WhileOthersAreServed) {
  TestServer server({.threads = 1}, [](App& app) { echoApp(app, 100); });
  RawClient bystander(server.port());
  bystander.upgrade();
  RawClient attacker(server.port());
  attacker.upgrade();
  std::atomic<bool> done{false};
  std::thread flood([&] {
    std::string burst;
    for (int i = 0; i < 64; ++i) burst += std::string("\x8a\x80\x00\x00\x00\x00", 6);
    while (!done) {
      try {
        attacker.sendBytes(burst);
      } catch (...) {
        return;  // the server closed the connection
      }
    }
  });
  EXPECT_LT(slowestEcho(bystander, 20).count(), 1000);
  EXPECT_EQ(attacker.readCloseCode(5s), 1008);
  done = true;
  flood.join();
  bool counted = false;
  for (auto& [reason, n] : server.app().refusals())
    if (reason == "close_1008_frame_flood") counted = n >= 1;
  EXPECT_TRUE(counted);
}

TEST(EngineFloodTest, PingsFromAPeerThatNeverReadsKeepOnePong) {
  // No frame-rate limit here, so only the coalescing bounds the queue: a
  // peer that never reads gets one pong, for its latest ping, once it reads.
  std::atomic<std::size_t> maxQueued{0};
  TestServer server({.threads = 1}, [&](App& app) { echoApp(app, 0, &maxQueued); });
  RawClient attacker(server.port());
  int small = 4096;
  ASSERT_EQ(setsockopt(attacker.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  attacker.upgrade();
  // 125-byte pings: 64 MiB of pongs if each were kept.
  std::string ping = std::string("\x89\xfd\x00\x00\x00\x00", 6) + std::string(125, 'p');
  std::string burst;
  for (int i = 0; i < 256; ++i) burst += ping;
  for (int i = 0; i < 2048; ++i) attacker.sendBytes(burst);
  RawClient bystander(server.port());
  bystander.upgrade();
  EXPECT_LT(slowestEcho(bystander, 5).count(), 1000);
  // What was queued when a ping came: the pongs the kernel could not take
  // before the backlog began (its socket buffers), never more.
  EXPECT_LT(maxQueued.load(), 8u * 1024 * 1024);
}

TEST(EngineFloodTest, ConnectionsPastThePerAddressLimitGet503) {
  TestServer server({.threads = 2, .maxConnectionsPerAddress = 3}, [](App& app) { echoApp(app, 100); });
  {
    RawClient a(server.port()), b(server.port()), c(server.port());
    a.upgrade();
    b.upgrade();
    c.upgrade();
    RawClient d(server.port());
    d.sendBytes(RawClient::request("/", ""));
    std::string response = d.readHttpResponse();
    EXPECT_EQ(response.rfind("HTTP/1.1 503", 0), 0u) << response;
    EXPECT_NE(response.find("too many connections from this address"), std::string::npos) << response;
  }
  // All closed: the address is counted down again (the server sees the
  // EOFs a moment later).
  for (int attempt = 0;; ++attempt) {
    RawClient e(server.port());
    try {
      e.upgrade();
      break;
    } catch (const std::exception& refused) {
      ASSERT_LT(attempt, 100) << refused.what();
    }
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace
}  // namespace herald::test
