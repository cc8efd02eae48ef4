// Connection and Subscriber on a real net::Loop against a real redis-server.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "herald/redis/connection.hpp"
#include "redis_server.hpp"

namespace herald::redis {
namespace {

using namespace std::chrono_literals;
using test::LoopRunner;
using test::RedisServer;

class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(test::redisServerBinary().empty()) << test::kMissingRedisServer;
    std::string error;
    ASSERT_TRUE(server_.start(error)) << error;
  }

  Options options() const {
    Options o;
    o.port = server_.port();
    o.reconnectMin = 20ms;
    o.reconnectMax = 200ms;
    o.tick = 10ms;
    return o;
  }

  // Runs one command to completion.
  Reply run(Connection& c, std::initializer_list<std::string_view> args) {
    std::optional<Reply> reply;
    c.command(args, [&](Reply r) { reply = std::move(r); });
    EXPECT_TRUE(runner_.runUntil([&] { return reply.has_value(); })) << "no reply";
    return reply.value_or(Reply::error("no reply"));
  }

  RedisServer server_;
  LoopRunner runner_;
};

TEST(RedisOptionsTest, HostMustBeNumeric) {
  net::Loop loop;
  Options o;
  o.host = "localhost";
  EXPECT_THROW(Connection(loop, o), std::invalid_argument);
  o.host = "::1";
  EXPECT_NO_THROW(Connection(loop, o));
  std::string error;
  auto resolved = resolveHost("localhost", error);
  ASSERT_TRUE(resolved.has_value()) << error;
  EXPECT_TRUE(*resolved == "127.0.0.1" || *resolved == "::1") << *resolved;
}

TEST_F(RedisTest, RepliesOfEveryType) {
  Connection c(runner_.loop(), options());
  c.start();
  // Issued while still connecting: queued and sent on connect.
  EXPECT_EQ(c.state(), State::Connecting);
  Reply set = run(c, {"SET", "k", std::string_view("a\0b\r\n", 5)});
  EXPECT_TRUE(set.isStatus()) << set.describe();
  EXPECT_EQ(set.str(), "OK");
  EXPECT_EQ(c.state(), State::Connected);

  Reply get = run(c, {"GET", "k"});
  ASSERT_TRUE(get.isString()) << get.describe();
  EXPECT_EQ(get.str(), std::string("a\0b\r\n", 5));
  EXPECT_TRUE(run(c, {"GET", "missing"}).isNil());
  Reply incr = run(c, {"INCRBY", "n", "41"});
  ASSERT_TRUE(incr.isInteger());
  EXPECT_EQ(incr.integer(), 41);
  run(c, {"RPUSH", "list", "x", "y"});
  Reply range = run(c, {"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(range.isArray()) << range.describe();
  ASSERT_EQ(range.size(), 2u);
  EXPECT_EQ(range[0].str(), "x");
  EXPECT_EQ(range[1].str(), "y");
  Reply wrong = run(c, {"INCR", "list"});
  EXPECT_TRUE(wrong.isError());
  EXPECT_FALSE(wrong.isTransportError());
  EXPECT_TRUE(wrong.str().starts_with("WRONGTYPE")) << wrong.str();
  EXPECT_EQ(c.stats().serverErrors, 1u);
}

TEST_F(RedisTest, PipelinedCommandsAnswerInOrder) {
  Connection c(runner_.loop(), options());
  c.start();
  constexpr int kCount = 5000;
  std::vector<std::int64_t> seen;
  for (int i = 0; i < kCount; ++i) c.command({"INCR", "counter"}, [&](Reply r) { seen.push_back(r.integer()); });
  EXPECT_EQ(c.pending(), static_cast<std::size_t>(kCount));
  ASSERT_TRUE(runner_.runUntil([&] { return seen.size() == kCount; }));
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(seen[i], i + 1) << "at " << i;
  EXPECT_EQ(c.pending(), 0u);
  EXPECT_EQ(c.stats().commands, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(c.stats().replies, static_cast<std::uint64_t>(kCount));

  // Large replies, read across many edge-triggered reads.
  std::string big(3 << 20, 'z');
  ASSERT_TRUE(run(c, {"SET", "big", big}).isStatus());
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 4; ++i) c.command({"GET", "big"}, [&](Reply r) { sizes.push_back(r.str().size()); });
  ASSERT_TRUE(runner_.runUntil([&] { return sizes.size() == 4; }));
  for (auto s : sizes) EXPECT_EQ(s, big.size());
}

TEST_F(RedisTest, NoServerMeansTransportErrors) {
  Options o = options();
  server_.kill();  // nothing listens on the port any more
  Connection c(runner_.loop(), o);
  std::vector<State> states;
  c.onStateChange([&](State s, const std::string&) { states.push_back(s); });
  c.start();
  std::optional<Reply> queued;
  c.command({"PING"}, [&](Reply r) { queued = std::move(r); });
  ASSERT_TRUE(runner_.runUntil([&] { return queued.has_value(); }));
  EXPECT_TRUE(queued->isTransportError()) << queued->describe();
  ASSERT_TRUE(runner_.runUntil([&] { return c.state() == State::Disconnected && !states.empty(); }));
  EXPECT_EQ(states.front(), State::Disconnected);
  EXPECT_FALSE(c.lastError().empty());
  Reply later = run(c, {"PING"});
  EXPECT_TRUE(later.isTransportError());
  EXPECT_TRUE(later.str().starts_with("not connected")) << later.str();
  // Retries keep failing without reporting the outage again.
  runner_.runFor(150ms);
  EXPECT_EQ(states.size(), 1u);
}

TEST_F(RedisTest, CommandTimeoutDropsTheConnectionAndReconnects) {
  Options o = options();
  o.commandTimeout = 200ms;
  Connection c(runner_.loop(), o);
  int reconnected = 0;
  c.onReconnected([&] { ++reconnected; });
  c.start();
  ASSERT_TRUE(run(c, {"PING"}).isStatus());
  std::optional<Reply> blocked, behind;
  c.command({"BLPOP", "nothing", "5"}, [&](Reply r) { blocked = std::move(r); });
  c.command({"PING"}, [&](Reply r) { behind = std::move(r); });
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(runner_.runUntil([&] { return blocked && behind; }));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_TRUE(blocked->isTransportError());
  EXPECT_EQ(blocked->str(), "command timed out");
  EXPECT_TRUE(behind->isTransportError());
  ASSERT_TRUE(runner_.runUntil([&] { return reconnected == 1; }));
  EXPECT_EQ(c.state(), State::Connected);
  EXPECT_TRUE(run(c, {"PING"}).isStatus());
}

TEST_F(RedisTest, SubscriberDeliversAfterConfirmation) {
  Connection c(runner_.loop(), options());
  Subscriber s(runner_.loop(), options());
  c.start();
  s.start();
  std::vector<std::pair<std::string, std::string>> news, patterned;
  std::optional<Reply> confirmed, patternConfirmed;
  ASSERT_TRUE(s.subscribe(
      "news", [&](std::string_view ch, std::string_view m) { news.emplace_back(ch, m); },
      [&](Reply r) { confirmed = std::move(r); }));
  EXPECT_FALSE(s.subscribe("news", [](std::string_view, std::string_view) {}));
  ASSERT_TRUE(runner_.runUntil([&] { return confirmed.has_value(); }));
  ASSERT_TRUE(confirmed->isArray()) << confirmed->describe();
  EXPECT_EQ((*confirmed)[0].str(), "subscribe");
  EXPECT_EQ((*confirmed)[1].str(), "news");

  Reply receivers = run(c, {"PUBLISH", "news", std::string_view("hello\0world", 11)});
  EXPECT_EQ(receivers.integer(), 1);
  ASSERT_TRUE(runner_.runUntil([&] { return news.size() == 1; }));
  EXPECT_EQ(news[0].first, "news");
  EXPECT_EQ(news[0].second, std::string("hello\0world", 11));

  ASSERT_TRUE(s.psubscribe(
      "ne*", [&](std::string_view ch, std::string_view m) { patterned.emplace_back(ch, m); },
      [&](Reply r) { patternConfirmed = std::move(r); }));
  ASSERT_TRUE(runner_.runUntil([&] { return patternConfirmed.has_value(); }));
  EXPECT_EQ(s.confirmedCount(), 2u);
  EXPECT_EQ(run(c, {"PUBLISH", "news", "two"}).integer(), 2);
  EXPECT_EQ(run(c, {"PUBLISH", "nest", "three"}).integer(), 1);
  ASSERT_TRUE(runner_.runUntil([&] { return news.size() == 2 && patterned.size() == 2; }));
  EXPECT_EQ(patterned[0], (std::pair<std::string, std::string>("news", "two")));
  EXPECT_EQ(patterned[1], (std::pair<std::string, std::string>("nest", "three")));

  EXPECT_TRUE(s.unsubscribe("news"));
  EXPECT_FALSE(s.unsubscribe("news"));
  EXPECT_FALSE(s.isSubscribed("news"));
  // Redis has processed the UNSUBSCRIBE once the channel has no receivers.
  std::int64_t receiversLeft = -1;
  for (int i = 0; i < 100 && receiversLeft != 0; ++i) {
    Reply r = run(c, {"PUBSUB", "NUMSUB", "news"});
    receiversLeft = r.isArray() && r.size() == 2 ? r[1].integer() : -1;
    if (receiversLeft != 0) runner_.runFor(10ms);
  }
  ASSERT_EQ(receiversLeft, 0);
  run(c, {"PUBLISH", "news", "four"});
  ASSERT_TRUE(runner_.runUntil([&] { return patterned.size() == 3; }));
  EXPECT_EQ(news.size(), 2u);
  EXPECT_EQ(s.stats().messages, 5u);
}

TEST_F(RedisTest, ReconnectsAfterRedisRestartsAndResubscribes) {
  Options o = options();
  o.commandTimeout = 10s;
  Connection c(runner_.loop(), o);
  Subscriber s(runner_.loop(), o);
  std::vector<std::string> commandStates, subscriberStates;
  c.onStateChange([&](State st, const std::string&) { commandStates.emplace_back(stateName(st)); });
  s.onStateChange([&](State st, const std::string&) { subscriberStates.emplace_back(stateName(st)); });
  int commandReconnects = 0, subscriberReconnects = 0;
  c.onReconnected([&] { ++commandReconnects; });
  s.onReconnected([&] {
    ++subscriberReconnects;
    EXPECT_EQ(s.confirmedCount(), 2u);  // every subscription is back before the owner resyncs
  });
  std::vector<std::string> got;
  int confirmations = 0;
  c.start();
  s.start();
  s.subscribe(
      "a", [&](std::string_view, std::string_view m) { got.emplace_back(m); }, [&](Reply) { ++confirmations; });
  s.subscribe(
      "b", [&](std::string_view, std::string_view m) { got.emplace_back(m); }, [&](Reply) { ++confirmations; });
  ASSERT_TRUE(runner_.runUntil([&] { return s.confirmedCount() == 2 && c.state() == State::Connected; }));
  run(c, {"PUBLISH", "a", "before"});
  ASSERT_TRUE(runner_.runUntil([&] { return got.size() == 1; }));

  std::optional<Reply> pending;
  c.command({"BLPOP", "nothing", "30"}, [&](Reply r) { pending = std::move(r); });
  runner_.runFor(50ms);
  server_.kill();
  ASSERT_TRUE(runner_.runUntil([&] { return pending.has_value(); }));
  EXPECT_TRUE(pending->isTransportError());
  EXPECT_TRUE(pending->str().starts_with("connection lost")) << pending->str();
  ASSERT_TRUE(runner_.runUntil(
      [&] { return c.state() == State::Disconnected && s.state() == State::Disconnected; }));
  EXPECT_EQ(s.confirmedCount(), 0u);
  Reply down = run(c, {"PING"});
  EXPECT_TRUE(down.isTransportError());
  runner_.runFor(100ms);  // a few failed retries

  std::string error;
  ASSERT_TRUE(server_.start(error)) << error;
  ASSERT_TRUE(runner_.runUntil([&] { return commandReconnects == 1 && subscriberReconnects == 1; }, 5s));
  EXPECT_EQ(c.state(), State::Connected);
  EXPECT_EQ(run(c, {"PUBLISH", "b", "after"}).integer(), 1);
  ASSERT_TRUE(runner_.runUntil([&] { return got.size() == 2; }));
  EXPECT_EQ(got[1], "after");
  EXPECT_EQ(confirmations, 2);  // confirmation callbacks run once, not again on resubscribe
  EXPECT_EQ(commandStates, (std::vector<std::string>{"connected", "disconnected", "connected"}));
  EXPECT_EQ(subscriberStates, (std::vector<std::string>{"connected", "disconnected", "connected"}));
  EXPECT_EQ(c.stats().connects, 2u);
}

TEST_F(RedisTest, DestroyingInsideItsOwnCallbackIsSafe) {
  auto c = std::make_unique<Connection>(runner_.loop(), options());
  c->start();
  int calls = 0;
  c->command({"PING"}, [&](Reply) {
    ++calls;
    c.reset();
  });
  c->command({"PING"}, [&](Reply) { ++calls; });  // never called: destroyed first
  ASSERT_TRUE(runner_.runUntil([&] { return c == nullptr; }));
  runner_.runFor(50ms);
  EXPECT_EQ(calls, 1);
}

TEST_F(RedisTest, StopFailsPendingAndStartConnectsAgain) {
  Connection c(runner_.loop(), options());
  c.start();
  ASSERT_TRUE(run(c, {"PING"}).isStatus());
  std::optional<Reply> pending;
  c.command({"BLPOP", "nothing", "5"}, [&](Reply r) { pending = std::move(r); });
  runner_.runFor(30ms);
  c.stop();
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->str(), "connection closed");
  EXPECT_EQ(c.state(), State::Stopped);
  c.start();
  EXPECT_TRUE(run(c, {"PING"}).isStatus());
}

}  // namespace
}  // namespace herald::redis
