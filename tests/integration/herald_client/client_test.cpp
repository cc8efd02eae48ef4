// herald::client::Client against the real `herald serve`: connect,
// publications from the HTTP API and from another client, presence and
// history, recovery across a SIGKILL and restart, pings, reconnect backoff,
// refusals and a terminal disconnect code. The tests of the protocol run
// once per format (HeraldClientTest.X/Json, HeraldClientTest.X/Protobuf).
// What only Protobuf carries is in client_protobuf_test.cpp, `herald sub`
// and `herald pub` in cli_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "client_test_support.hpp"

namespace herald::client {
namespace {

// The tests of the protocol, once with each format.
class HeraldClientTest : public HeraldServerTest, public ::testing::WithParamInterface<Protocol> {
 protected:
  Options options(Recorder& r) {
    Options o = r.options(server_->wsUrl());
    o.protocol = GetParam();
    return o;
  }
};

INSTANTIATE_TEST_SUITE_P(, HeraldClientTest, ::testing::Values(Protocol::Json, Protocol::Protobuf), protocolName);

TEST(BackoffDelayTest, StaysWithinFloorWindowAndCap) {
  for (unsigned attempt = 0; attempt < 40; ++attempt) {
    for (double r : {0.0, 0.5, 0.999}) {
      auto d = backoffDelay(attempt, 500ms, 20s, r);
      EXPECT_GE(d, 500ms);
      EXPECT_LE(d, 20s);
      auto window = std::min<std::int64_t>(20000, 500LL << std::min(attempt, 20u));
      EXPECT_LE(d.count(), 500 + window);
    }
  }
  EXPECT_EQ(backoffDelay(0, 500ms, 20s, 0.0), 500ms);
  EXPECT_EQ(backoffDelay(30, 500ms, 20s, 0.999), 20s);
}

TEST_P(HeraldClientTest, ConnectsAndReportsItsClientId) {
  Recorder rec;
  Client c(options(rec));
  c.connect();
  ASSERT_TRUE(rec.waitFor([&] { return rec.connected == 1; })) << server_->log();
  EXPECT_EQ(c.state(), State::Connected);
  EXPECT_FALSE(rec.clientId.empty());
  c.disconnect();
  ASSERT_TRUE(rec.waitFor([&] { return rec.disconnected.size() == 1; }));
  EXPECT_EQ(rec.disconnected[0].code, 0u);
  EXPECT_EQ(c.state(), State::Disconnected);
}

TEST_P(HeraldClientTest, ReceivesPublicationsFromTheApiAndFromAnotherClient) {
  Recorder a, b;
  Client ca(options(a));
  Client cb(options(b));
  auto sub = ca.subscribe("chat:one", a.handlers());
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(ca.subscribe("chat:one", {}), nullptr) << "one subscription per channel";
  ca.connect();
  cb.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.subscribed.size() == 1; })) << server_->log();
  ASSERT_TRUE(b.waitFor([&] { return b.connected == 1; }));

  StreamPosition p1 = apiPublish("chat:one", R"({"from":"api"})");
  EXPECT_EQ(p1.offset, 1u);
  EXPECT_FALSE(p1.epoch.empty());
  auto r = cb.publish("chat:one", R"({"from":"client"})").get();
  ASSERT_TRUE(r.ok()) << r.error->message;

  ASSERT_TRUE(a.waitFor([&] { return a.pubs.size() == 2; }));
  EXPECT_EQ(a.pubs[0].offset, 1u);
  EXPECT_EQ(a.pubs[0].data, R"({"from":"api"})");
  EXPECT_FALSE(a.pubs[0].info);
  EXPECT_EQ(a.pubs[1].offset, 2u);
  EXPECT_EQ(a.pubs[1].data, R"({"from":"client"})");
  ASSERT_TRUE(a.pubs[1].info);
  EXPECT_EQ(a.pubs[1].info->client, b.clientId);
  EXPECT_EQ(sub->state(), SubscriptionState::Subscribed);
  ASSERT_TRUE(sub->position());
  EXPECT_EQ(sub->position()->offset, 2u);
  EXPECT_EQ(sub->position()->epoch, p1.epoch);

  // Bad data never reaches the server (which would close the connection):
  // JSON carries JSON values, Protobuf one byte or more.
  auto bad = cb.publish("chat:one", GetParam() == Protocol::Json ? "{not json" : "").get();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error->code, 107u);
  EXPECT_EQ(cb.state(), State::Connected);
}

TEST_P(HeraldClientTest, RefusedSubscriptionEndsWithTheServersCode) {
  Recorder a;
  Client c(options(a));
  auto sub = c.subscribe("closed:x", a.handlers());
  c.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.unsubscribed.size() == 1; }));
  EXPECT_EQ(a.unsubscribed[0].code, 103u);
  EXPECT_EQ(sub->state(), SubscriptionState::Unsubscribed);
  EXPECT_NE(c.subscribe("closed:x", {}), nullptr) << "a refused channel can be tried again";
}

TEST_P(HeraldClientTest, PresenceHistoryAndJoin) {
  Recorder a, b;
  Client ca(options(a));
  Client cb(options(b));
  ca.subscribe("chat:room", a.handlers(), {.joinLeave = true});
  ca.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.subscribed.size() == 1; })) << server_->log();
  for (int i = 1; i <= 3; ++i) apiPublish("chat:room", "{\"n\":" + std::to_string(i) + "}");

  auto pres = ca.presence("chat:room").get();
  ASSERT_TRUE(pres.ok()) << pres.error->message;
  ASSERT_EQ(pres.value.clients.size(), 1u);
  EXPECT_EQ(pres.value.clients[0].client, a.clientId);

  cb.subscribe("chat:room", b.handlers());
  cb.connect();
  // A subscriber sees its own join too; wait for b's.
  ASSERT_TRUE(a.waitFor([&] {
    return b.connected == 1 && std::any_of(a.joins.begin(), a.joins.end(), [&](const ClientInfo& i) {
             std::lock_guard lock(b.m);
             return i.client == b.clientId;
           });
  }));
  auto stats = ca.presenceStats("chat:room").get();
  ASSERT_TRUE(stats.ok()) << stats.error->message;
  EXPECT_EQ(stats.value.numClients, 2u);

  auto all = ca.history("chat:room", {.limit = -1}).get();
  ASSERT_TRUE(all.ok()) << all.error->message;
  ASSERT_EQ(all.value.publications.size(), 3u);
  EXPECT_EQ(all.value.publications[0].data, R"({"n":1})");
  EXPECT_EQ(all.value.publications[2].offset, 3u);
  EXPECT_EQ(all.value.offset, 3u);

  auto top = ca.history("chat:room", {.limit = 0}).get();
  ASSERT_TRUE(top.ok());
  EXPECT_TRUE(top.value.publications.empty());
  EXPECT_EQ(top.value.epoch, all.value.epoch);

  auto since = ca.history("chat:room", {.limit = 10, .since = StreamPosition{1, all.value.epoch}}).get();
  ASSERT_TRUE(since.ok()) << since.error->message;
  ASSERT_EQ(since.value.publications.size(), 2u);
  EXPECT_EQ(since.value.publications[0].offset, 2u);

  auto refused = ca.presence("closed:x").get();
  ASSERT_FALSE(refused.ok());
  EXPECT_GE(refused.error->code, 100u);
}

TEST_P(HeraldClientTest, SinceRecoversWhatCameAfterAPosition) {
  StreamPosition p;
  for (int i = 1; i <= 5; ++i) p = apiPublish("chat:since", "{\"n\":" + std::to_string(i) + "}");
  Recorder a;
  Client c(options(a));
  c.subscribe("chat:since", a.handlers(), {.since = StreamPosition{2, p.epoch}});
  c.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.pubs.size() == 3; }));
  EXPECT_EQ(a.pubs[0].offset, 3u);
  EXPECT_EQ(a.pubs[2].offset, 5u);
  EXPECT_TRUE(a.subscribed[0].recovered);
  EXPECT_TRUE(a.gaps.empty());
}

TEST_P(HeraldClientTest, SinceWithoutEpochRecoversInTheCurrentEpoch) {
  for (int i = 1; i <= 4; ++i) apiPublish("chat:noepoch", "{\"n\":" + std::to_string(i) + "}");
  Recorder a;
  Client c(options(a));
  auto sub = c.subscribe("chat:noepoch", a.handlers(), {.since = StreamPosition{1, ""}});
  c.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.pubs.size() == 3; }));
  apiPublish("chat:noepoch", R"({"n":5})");
  ASSERT_TRUE(a.waitFor([&] { return a.pubs.size() == 4; }));
  std::lock_guard lock(a.m);
  for (std::size_t i = 0; i < a.pubs.size(); ++i) EXPECT_EQ(a.pubs[i].offset, i + 2);
  ASSERT_EQ(a.subscribed.size(), 1u);
  EXPECT_TRUE(a.subscribed[0].recovered);
  EXPECT_TRUE(a.gaps.empty());
}

TEST_P(HeraldClientTest, RecoversAcrossServerKillExactlyOnceInOrder) {
  Recorder a;
  Options o = options(a);
  Client c(o);
  auto sub = c.subscribe("chat:durable", a.handlers());
  c.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.subscribed.size() == 1; })) << server_->log();
  for (int i = 1; i <= 3; ++i) apiPublish("chat:durable", "{\"n\":" + std::to_string(i) + "}");
  ASSERT_TRUE(a.waitFor([&] { return a.pubs.size() == 3; }));

  server_->kill();
  ASSERT_TRUE(a.waitFor([&] { return !a.connecting.empty() && a.connecting.back().code != 0; }));
  server_->restart();
  // Published while the client is still away (it waits out its backoff).
  for (int i = 4; i <= 6; ++i) apiPublish("chat:durable", "{\"n\":" + std::to_string(i) + "}");
  ASSERT_TRUE(a.waitFor([&] { return a.pubs.size() >= 6; }, 30s)) << server_->log();
  ASSERT_TRUE(a.waitFor([&] { return a.subscribed.size() == 2; }));
  apiPublish("chat:durable", R"({"n":7})");
  ASSERT_TRUE(a.waitFor([&] { return a.pubs.size() >= 7; }));
  std::this_thread::sleep_for(300ms);  // room for a duplicate to show up

  std::lock_guard lock(a.m);
  ASSERT_EQ(a.pubs.size(), 7u);
  for (std::size_t i = 0; i < a.pubs.size(); ++i) {
    EXPECT_EQ(a.pubs[i].offset, i + 1);
    EXPECT_EQ(a.pubs[i].data, "{\"n\":" + std::to_string(i + 1) + "}");
  }
  EXPECT_TRUE(a.subscribed[1].wasRecovering);
  EXPECT_TRUE(a.subscribed[1].recovered);
  EXPECT_EQ(a.subscribed[1].epoch, a.subscribed[0].epoch) << "durable history keeps its epoch";
  EXPECT_TRUE(a.gaps.empty());
  EXPECT_EQ(a.connected, 2);
}

// The backoff does not depend on the format: JSON only.
TEST_F(HeraldServerTest, ReconnectBackoffDoesNotHammer) {
  std::uint16_t port = server_->port();
  server_->kill();  // nothing listens on the port now
  Recorder a;
  Client c(a.options("ws://127.0.0.1:" + std::to_string(port) + "/connection/websocket"));
  c.connect();
  std::this_thread::sleep_for(3s);
  // Attempts at 0, then after 0.5-1 s, 0.5-1.5 s, 0.5-2.5 s, ...: three or
  // four in three seconds; seven only if every draw were zero.
  std::size_t attempts = a.connectFailures();
  EXPECT_GE(attempts, 2u);
  EXPECT_LE(attempts, 6u);
  EXPECT_EQ(c.state(), State::Connecting);

  // It comes back once the server does.
  server_->restart();
  ASSERT_TRUE(a.waitFor([&] { return a.connected == 1; }, 30s)) << server_->log();
}

TEST_P(HeraldClientTest, TerminalDisconnectCodeStopsReconnecting) {
  // The API finds connections by user, so this one has a user (a token).
  auto minted = test::runCommand({HeraldProcess::binary(), "token", "--user", "alice", "--secret", "test-secret"}, 10s);
  ASSERT_EQ(minted.exitCode, 0) << minted.err;
  Recorder a;
  Options o = options(a);
  o.token = minted.out.substr(0, minted.out.find('\n'));
  Client c(o);
  c.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.connected == 1; }));

  // A code in 4000..4499: the client comes back.
  auto r = api().disconnect("alice", a.clientId, 4000, "come back");
  ASSERT_TRUE(r.ok()) << r.error->message;
  ASSERT_TRUE(a.waitFor([&] { return a.connected == 2; }, 15s)) << server_->log();
  {
    std::lock_guard lock(a.m);
    ASSERT_GE(a.connecting.size(), 2u);
    EXPECT_EQ(a.connecting.back().code, 4000u);
    EXPECT_TRUE(a.disconnected.empty());
  }

  r = api().disconnect("alice", a.clientId, 3503, "go away");
  ASSERT_TRUE(r.ok()) << r.error->message;
  ASSERT_TRUE(a.waitFor([&] { return a.disconnected.size() == 1; }));
  std::size_t connectingBefore;
  {
    std::lock_guard lock(a.m);
    EXPECT_EQ(a.disconnected[0].code, 3503u);
    EXPECT_FALSE(a.disconnected[0].reconnect);
    connectingBefore = a.connecting.size();
  }
  std::this_thread::sleep_for(2s);
  std::lock_guard lock(a.m);
  EXPECT_EQ(a.connected, 2);
  EXPECT_EQ(a.connecting.size(), connectingBefore);
  EXPECT_EQ(c.state(), State::Disconnected);
}

TEST_P(HeraldClientTest, AnswersPingsAndDetectsASilentServer) {
  Recorder a;
  Options o = options(a);
  // The server checks its sessions once a second (ClientProtocol::sweep) and
  // pings those whose last ping is 2 s old, so its pings come 2 to 3 s apart
  // (3 s when a sweep runs a millisecond early) plus scheduling delay. A
  // client that allowed only 1 s of delay gave up on a live server now and
  // then; 2 s covers the sweep period with a second to spare.
  o.maxServerPingDelay = 2s;
  o.timeout = 2s;
  Client c(o);
  c.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.connected == 1; }));
  // The server closes (3012) 1 to 2 s after a ping without a pong: in 5 s it
  // pings at least once, and an unanswered ping would show here.
  std::this_thread::sleep_for(5s);
  {
    std::lock_guard lock(a.m);
    EXPECT_EQ(a.connected, 1);
    EXPECT_EQ(a.connecting.size(), 1u) << "only the first connect; " << a.history();
  }
  server_->pause();
  // No ping for 2 + 2 s after the last one: the client takes the server for dead.
  ASSERT_TRUE(a.waitFor([&] { return a.connecting.size() == 2; }, 6s));
  {
    std::lock_guard lock(a.m);  // the client's thread keeps recording
    EXPECT_EQ(a.connecting.back().code, 3012u) << a.history();
  }
  server_->resume();
  ASSERT_TRUE(a.waitFor([&] { return a.connected == 2; }, 15s)) << server_->log();
}

TEST_P(HeraldClientTest, CommandsFailWhenDisconnected) {
  Recorder a;
  Client c(options(a));
  auto r = c.publish("chat:x", "{}").get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, error_code::ClientClosed);
}

}  // namespace
}  // namespace herald::client
