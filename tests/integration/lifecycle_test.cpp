// Connection lifecycle over real sockets: slow consumers, idle pings,
// graceful shutdown, the close callback, and send results.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "raw_client.hpp"
#include "test_server.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using test::RawClient;
using test::TestServer;

struct CloseLog {
  std::mutex mutex;
  std::vector<std::pair<std::uint16_t, std::string>> closes;
  void add(std::uint16_t code, std::string_view reason) {
    std::lock_guard lock(mutex);
    closes.emplace_back(code, std::string(reason));
  }
  std::optional<std::pair<std::uint16_t, std::string>> waitFirst(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mutex);
        if (!closes.empty()) return closes.front();
      }
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }
};

// Resident set size of this process in bytes, from /proc.
std::size_t residentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<std::size_t>(resident) * 4096;
}

TEST(LifecycleTest, ClientThatNeverReadsIsClosedAtItsQueueLimit) {
  CloseLog log;
  std::atomic<std::size_t> maxQueued{0};
  std::atomic<int> dropped{0};
  constexpr std::size_t kLimit = 256 * 1024;
  TestServer server({.threads = 1}, [&](App& app) {
    app.ws("/", {.message =
                     [&](WebSocket& ws, std::string_view, ws::Opcode) {
                       // Answer one request with 64 MiB in 64 KiB messages.
                       std::string chunk(64 * 1024, 'x');
                       for (int i = 0; i < 1024; ++i) {
                         if (ws.send(chunk, ws::Opcode::Binary) == SendResult::Dropped) {
                           ++dropped;
                           break;
                         }
                         maxQueued = std::max<std::size_t>(maxQueued, ws.bufferedAmount());
                       }
                     },
                 .close = [&](WebSocket&, std::uint16_t code, std::string_view reason) { log.add(code, reason); },
                 .maxBackpressureBytes = kLimit});
  });
  std::size_t before = residentBytes();
  RawClient c(server.port());
  c.upgrade();
  // A tiny receive buffer, and never read from it.
  int small = 4096;
  setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  c.sendText("flood me");
  auto close = log.waitFirst(5s);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->first, 1008);
  EXPECT_EQ(dropped.load(), 1);
  EXPECT_LE(maxQueued.load(), kLimit);
  // 64 MiB were asked for; what the server held stayed near the queue limit.
  EXPECT_LT(residentBytes(), before + 16 * 1024 * 1024);
  EXPECT_TRUE(c.waitForEof(5s));
}

TEST(LifecycleTest, SendReportsBufferedWhileThePeerIsBehind) {
  std::atomic<int> sent{0}, buffered{0};
  std::atomic<bool> drained{false};
  TestServer server({.threads = 1}, [&](App& app) {
    app.ws("/", {.message =
                     [&](WebSocket& ws, std::string_view msg, ws::Opcode) {
                       // The first ones go out with "Sent" until the socket
                       // backs up; later sends report the backlog. 32 MiB:
                       // far more than the client's 64 KiB receive buffer
                       // (set below; autotuning would let it grow to
                       // tcp_rmem's maximum, 32 MiB on some machines) and
                       // the server's send buffer (tcp_wmem's maximum,
                       // 4 MiB by default) can absorb.
                       std::string chunk(256 * 1024, 'y');
                       int n = msg == "more" ? 1 : 128;
                       for (int i = 0; i < n; ++i) {
                         SendResult r = ws.send(chunk, ws::Opcode::Binary);
                         (r == SendResult::Sent ? sent : buffered)++;
                       }
                     },
                 .drain = [&](WebSocket&) { drained = true; },
                 .maxBackpressureBytes = 64 * 1024 * 1024});
  });
  RawClient c(server.port());
  // A fixed receive buffer turns off the kernel's autotuning, so what the
  // client side can absorb no longer depends on net.ipv4.tcp_rmem.
  int small = 64 * 1024;
  ASSERT_EQ(setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  c.upgrade();
  c.sendText("go");
  std::this_thread::sleep_for(300ms);  // let the server's socket buffer fill
  c.sendText("more");
  std::size_t got = 0;
  while (got < 129) {
    auto f = c.readFrame(5s);
    ASSERT_TRUE(f);
    ++got;
  }
  EXPECT_GT(sent.load(), 0);
  EXPECT_GE(buffered.load(), 1);  // "more" was answered behind a backlog
  for (int i = 0; i < 100 && !drained; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(drained.load());
}

TEST(LifecycleTest, IdleConnectionIsPingedThenClosed) {
  CloseLog log;
  TestServer server({.threads = 1}, [&](App& app) {
    app.ws("/", {.close = [&](WebSocket&, std::uint16_t code, std::string_view reason) { log.add(code, reason); },
                 .idleTimeout = std::chrono::seconds(2)});
  });
  RawClient c(server.port());
  c.upgrade();
  auto ping = c.readFrame(4s);
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->opcode, 0x9);
  // Not answering the ping: the server gives up at the idle timeout.
  EXPECT_EQ(c.readCloseCode(4s), 1001);
  auto close = log.waitFirst(2s);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->first, 1001);
}

TEST(LifecycleTest, AnsweredPingsKeepTheConnectionOpen) {
  TestServer server({.threads = 1}, [&](App& app) { app.ws("/", {.idleTimeout = std::chrono::seconds(2)}); });
  RawClient c(server.port());
  c.upgrade();
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 4s) {
    auto f = c.readFrame(3s);
    ASSERT_TRUE(f) << "connection closed while answering pings";
    ASSERT_EQ(f->opcode, 0x9);
    c.sendFrame(0x8A, f->payload);
  }
}

TEST(LifecycleTest, StopClosesEveryClientWith1001AndReturns) {
  CloseLog log;
  auto server = std::make_unique<TestServer>(AppOptions{.threads = 2}, [&](App& app) {
    app.ws("/", {.close = [&](WebSocket&, std::uint16_t code, std::string_view reason) { log.add(code, reason); }});
  });
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<RawClient>(server->port()));
    clients.back()->upgrade();
  }
  std::thread stopper([&] { server->stop(); });
  for (auto& c : clients) {
    EXPECT_EQ(c->readCloseCode(3s), 1001);
    c->sendClose(1001);
  }
  stopper.join();  // returns once every client answered, well before 5 s
  std::lock_guard lock(log.mutex);
  EXPECT_EQ(log.closes.size(), 6u);
}

TEST(LifecycleTest, StopGivesUpOnSilentClientsAfterTheShutdownTimeout) {
  auto server = std::make_unique<TestServer>(AppOptions{.threads = 1, .shutdownTimeout = std::chrono::seconds(1)},
                                             [&](App& app) { app.ws("/", {}); });
  RawClient c(server->port());
  c.upgrade();
  auto start = std::chrono::steady_clock::now();
  server->stop();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 4s);
  EXPECT_EQ(c.readCloseCode(1s), 1001);
  EXPECT_TRUE(c.waitForEof(1s));
}

TEST(LifecycleTest, PeerDroppingTcpGivesClose1006) {
  CloseLog log;
  TestServer server({.threads = 1}, [&](App& app) {
    app.ws("/", {.close = [&](WebSocket&, std::uint16_t code, std::string_view reason) { log.add(code, reason); }});
  });
  {
    RawClient c(server.port());
    c.upgrade();
  }
  auto close = log.waitFirst(3s);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->first, 1006);
}

TEST(LifecycleTest, ServerCloseSendsCodeAndReasonAndCallsCloseOnce) {
  CloseLog log;
  TestServer server({.threads = 1}, [&](App& app) {
    app.ws("/", {.message = [](WebSocket& ws, std::string_view, ws::Opcode) { ws.close(4001, "bye now"); },
                 .close = [&](WebSocket&, std::uint16_t code, std::string_view reason) { log.add(code, reason); }});
  });
  RawClient c(server.port());
  c.upgrade();
  c.sendText("close please");
  auto f = c.readFrame();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->opcode, 0x8);
  EXPECT_EQ(f->payload, std::string("\x0F\xA1", 2) + "bye now");
  c.sendClose(4001);
  EXPECT_TRUE(c.waitForEof());
  std::this_thread::sleep_for(100ms);
  std::lock_guard lock(log.mutex);
  ASSERT_EQ(log.closes.size(), 1u);
  EXPECT_EQ(log.closes[0].first, 4001);
  EXPECT_EQ(log.closes[0].second, "bye now");
}

}  // namespace
}  // namespace herald
