// Accept survives running out of file descriptors: the echo example runs
// with a tiny RLIMIT_NOFILE, more clients connect than it can hold, and the
// extra ones get HTTP 503 instead of a server that spins or dies.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <cstring>
#include <thread>

#include "raw_client.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;

struct ChildServer {
  pid_t pid = -1;
  std::uint16_t port = 0;

  ChildServer(const char* path, rlim_t maxFiles) {
    int out[2];
    if (pipe(out) != 0) return;
    pid = fork();
    if (pid == 0) {
      rlimit lim{maxFiles, maxFiles};
      setrlimit(RLIMIT_NOFILE, &lim);
      dup2(out[1], 1);
      close(out[0]);
      execl(path, path, "--port", "0", "--threads", "1", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::FILE* f = fdopen(out[0], "r");
    char line[256] = {};
    if (f && std::fgets(line, sizeof line, f)) {
      if (const char* colon = std::strrchr(line, ':')) port = static_cast<std::uint16_t>(std::atoi(colon + 1));
    }
    if (f) std::fclose(f);
  }
  ~ChildServer() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  // CPU seconds (user + system) the child has used so far.
  double cpuSeconds() const {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::size_t after = s.rfind(')');
    std::istringstream fields(s.substr(after + 2));
    std::string skip;
    for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
    long utime = 0, stime = 0;
    fields >> utime >> stime;
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
};

TEST(FdExhaustionTest, ExtraConnectionsGet503AndTheServerRecovers) {
  ChildServer server(HERALD_ECHO_SERVER_PATH, 32);
  ASSERT_GT(server.port, 0) << "echo_server did not start";
  std::vector<std::unique_ptr<test::RawClient>> held;
  int upgraded = 0, refused = 0;
  for (int i = 0; i < 40; ++i) {
    auto c = std::make_unique<test::RawClient>(server.port);
    c->sendBytes(test::RawClient::request(
        "/", "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"));
    std::string r = c->readHttpResponse(2s);
    if (r.rfind("HTTP/1.1 101", 0) == 0) {
      ++upgraded;
      held.push_back(std::move(c));
    } else if (r.rfind("HTTP/1.1 503", 0) == 0) {
      ++refused;
    }
  }
  EXPECT_GT(upgraded, 10);
  EXPECT_GT(refused, 0);
  EXPECT_EQ(upgraded + refused, 40);

  // At its limit, with clients knocking, the server must not spin.
  double before = server.cpuSeconds();
  for (int i = 0; i < 20; ++i) {
    test::RawClient knock(server.port);
    knock.readHttpResponse(200ms);
  }
  std::this_thread::sleep_for(500ms);
  EXPECT_LT(server.cpuSeconds() - before, 0.5);

  // Held connections still work, and freed descriptors are usable again.
  held[0]->sendText("still alive");
  auto f = held[0]->readFrame(2s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, "still alive");
  held.resize(held.size() - 3);
  std::this_thread::sleep_for(200ms);
  test::RawClient fresh(server.port);
  fresh.upgrade();
  fresh.sendText("fresh");
  auto g = fresh.readFrame(2s);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->payload, "fresh");
}

}  // namespace
}  // namespace herald
