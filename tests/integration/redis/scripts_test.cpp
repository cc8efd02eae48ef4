// The Lua scripts of the multi-node design against a real redis-server:
// offsets assigned by Redis, epochs, history reads and trimming, presence
// and node expiry; and the pure helpers (envelope, epochs, sharding).

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "herald/redis/connection.hpp"
#include "herald/redis/keys.hpp"
#include "herald/redis/operations.hpp"
#include "herald/redis/scripts.hpp"
#include "redis_server.hpp"

namespace herald::redis {
namespace {

using namespace std::chrono_literals;
using test::LoopRunner;
using test::RedisServer;

class ScriptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(test::redisServerBinary().empty()) << test::kMissingRedisServer;
    std::string error;
    ASSERT_TRUE(server_.start(error)) << error;
    Options o;
    o.port = server_.port();
    o.tick = 10ms;
    conn_ = std::make_unique<Connection>(runner_.loop(), o);
    conn_->start();
  }

  Options options() const {
    Options o;
    o.port = server_.port();
    o.tick = 10ms;
    return o;
  }

  template <typename Result, typename Call>
  Result await(Call call) {
    std::optional<Result> result;
    call([&](Result r) { result = std::move(r); });
    EXPECT_TRUE(runner_.runUntil([&] { return result.has_value(); })) << "no answer";
    return result.value_or(Result{});
  }

  PublishResult publish(std::string_view channel, std::string_view payload, const StreamLimits& limits) {
    return await<PublishResult>([&](auto done) { publishToStream(*conn_, channel, payload, limits, done); });
  }

  StreamResult read(std::string_view channel, StreamQuery query, const StreamLimits& limits) {
    return await<StreamResult>([&](auto done) { readStream(*conn_, channel, query, limits, done); });
  }

  Reply run(std::initializer_list<std::string_view> args) {
    std::optional<Reply> reply;
    conn_->command(args, [&](Reply r) { reply = std::move(r); });
    EXPECT_TRUE(runner_.runUntil([&] { return reply.has_value(); }));
    return reply.value_or(Reply::error("no reply"));
  }

  static std::vector<std::uint64_t> offsets(const StreamResult& r) {
    std::vector<std::uint64_t> out;
    for (auto& e : r.entries) out.push_back(e.offset);
    return out;
  }

  RedisServer server_;
  LoopRunner runner_;
  std::unique_ptr<Connection> conn_;
  StreamLimits limits_{100, 60s, 600s};
};

TEST_F(ScriptsTest, PublishFromTwoConnectionsGivesConsecutiveOffsetsAndOneEpoch) {
  Connection other(runner_.loop(), options());
  other.start();
  Subscriber sub(runner_.loop(), options());
  sub.start();
  std::vector<Envelope> seen;
  std::vector<std::string> seenStorage;
  bool confirmed = false;
  sub.subscribe(
      pubsubChannel("race"),
      [&](std::string_view, std::string_view message) {
        seenStorage.emplace_back(message);
        auto e = decodeEnvelope(seenStorage.back());
        ASSERT_TRUE(e.has_value()) << message;
        seen.push_back(*e);
      },
      [&](Reply) { confirmed = true; });
  ASSERT_TRUE(runner_.runUntil([&] { return confirmed; }));
  seenStorage.reserve(1000);

  constexpr int kEach = 300;
  std::map<std::uint64_t, std::string> payloadOf;
  std::set<std::string> epochs;
  std::vector<std::uint64_t> fromFirst, fromSecond;
  int answers = 0;
  for (int i = 0; i < kEach; ++i) {
    for (int which = 0; which < 2; ++which) {
      Connection& c = which == 0 ? *conn_ : other;
      std::string payload = "{\"from\":" + std::to_string(which) + ",\"i\":" + std::to_string(i) + "}";
      publishToStream(c, "race", payload, limits_, [&, payload, which](PublishResult r) {
        ++answers;
        ASSERT_TRUE(r.ok()) << r.error;
        EXPECT_TRUE(payloadOf.emplace(r.offset, payload).second) << "offset twice: " << r.offset;
        epochs.insert(r.epoch);
        (which == 0 ? fromFirst : fromSecond).push_back(r.offset);
      });
    }
  }
  ASSERT_TRUE(runner_.runUntil([&] { return answers == 2 * kEach && seen.size() == 2 * kEach; }, 10s))
      << answers << " answers, " << seen.size() << " messages";
  ASSERT_EQ(payloadOf.size(), 2u * kEach);
  EXPECT_EQ(payloadOf.begin()->first, 1u);
  EXPECT_EQ(payloadOf.rbegin()->first, 2u * kEach);  // 1..600, no gap
  EXPECT_EQ(epochs.size(), 1u);
  EXPECT_TRUE(std::is_sorted(fromFirst.begin(), fromFirst.end()));
  EXPECT_TRUE(std::is_sorted(fromSecond.begin(), fromSecond.end()));
  // The pub/sub stream agrees with the replies, in offset order.
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].kind, kind::Publication);
    ASSERT_EQ(seen[i].offset, i + 1);
    EXPECT_EQ(seen[i].epoch, *epochs.begin());
    EXPECT_EQ(seen[i].payload, payloadOf[i + 1]);
  }
  // And so does the stream.
  StreamResult all = read("race", {}, limits_);
  ASSERT_TRUE(all.ok()) << all.error;
  EXPECT_EQ(all.top, 2u * kEach);
  EXPECT_EQ(all.epoch, *epochs.begin());
  ASSERT_EQ(all.entries.size(), 100u);  // the last `size`
  for (auto& e : all.entries) EXPECT_EQ(e.payload, payloadOf[e.offset]);
  EXPECT_EQ(all.entries.front().offset, 2u * kEach - 99);
}

TEST_F(ScriptsTest, HistoryAfterAnOffsetWithLimitAndReverse) {
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(publish("h", "m" + std::to_string(i), limits_).ok());
  using V = std::vector<std::uint64_t>;
  StreamResult r = read("h", {3, 4, false}, limits_);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.top, 10u);
  EXPECT_EQ(offsets(r), (V{4, 5, 6, 7}));
  EXPECT_EQ(r.entries[0].payload, "m4");
  EXPECT_GT(r.entries[0].timeMs, 0);
  EXPECT_EQ(offsets(read("h", {0, -1, false}, limits_)), (V{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(offsets(read("h", {0, 3, true}, limits_)), (V{10, 9, 8}));
  EXPECT_EQ(offsets(read("h", {7, -1, true}, limits_)), (V{10, 9, 8}));
  StreamResult position = read("h", {0, 0, false}, limits_);
  EXPECT_TRUE(position.entries.empty());
  EXPECT_EQ(position.top, 10u);
  EXPECT_EQ(position.epoch, r.epoch);
  EXPECT_TRUE(read("h", {10, -1, false}, limits_).entries.empty());
  EXPECT_TRUE(read("h", {12, -1, false}, limits_).entries.empty());
}

TEST_F(ScriptsTest, TrimsBySize) {
  StreamLimits small{5, 60s, 600s};
  for (int i = 1; i <= 300; ++i) publishToStream(*conn_, "t", "x" + std::to_string(i), small, [](PublishResult) {});
  PublishResult last = publish("t", "x301", small);
  ASSERT_TRUE(last.ok()) << last.error;
  EXPECT_EQ(last.offset, 301u);
  StreamResult r = read("t", {}, small);
  EXPECT_EQ(offsets(r), (std::vector<std::uint64_t>{297, 298, 299, 300, 301}));
  EXPECT_EQ(r.entries.back().payload, "x301");
  // MAXLEN ~ trims whole stream nodes (100 entries by default): bounded, not exact.
  Reply length = run({"XLEN", streamKey("t")});
  EXPECT_LE(length.integer(), 5 + 100);
  // Recovery from an offset trimmed away: the entries start later than asked.
  EXPECT_EQ(read("t", {200, -1, false}, small).entries.front().offset, 297u);
}

TEST_F(ScriptsTest, TrimsByTtl) {
  StreamLimits shortLived{100, 300ms, 10s};
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(publish("ttl", "old", shortLived).ok());
  std::this_thread::sleep_for(350ms);
  ASSERT_TRUE(publish("ttl", "new", shortLived).ok());
  StreamResult r = read("ttl", {}, shortLived);
  EXPECT_EQ(offsets(r), (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(r.top, 4u);
  Reply ttl = run({"PTTL", streamKey("ttl")});
  EXPECT_GT(ttl.integer(), 0);
  EXPECT_LE(ttl.integer(), 300);
  Reply metaTtl = run({"PTTL", metaKey("ttl")});
  EXPECT_GT(metaTtl.integer(), 300);
  // Without history (size 0) only the position moves.
  StreamLimits none{0, 0ms, 0ms};
  PublishResult p = publish("bare", "x", none);
  EXPECT_EQ(p.offset, 1u);
  EXPECT_EQ(run({"EXISTS", streamKey("bare")}).integer(), 0);
  EXPECT_EQ(run({"PTTL", metaKey("bare")}).integer(), -1);  // metaTtl 0: kept
}

TEST_F(ScriptsTest, EpochIsKeptAndRenewedWhenTheMetaIsLost) {
  StreamResult first = read("e", {}, limits_);  // a read creates the channel
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(first.top, 0u);
  EXPECT_EQ(first.epoch.size(), 8u);
  PublishResult a = publish("e", "one", limits_);
  PublishResult b = publish("e", "two", limits_);
  EXPECT_EQ(a.epoch, first.epoch);
  EXPECT_EQ(b.epoch, first.epoch);
  EXPECT_EQ(a.offset, 1u);
  EXPECT_EQ(b.offset, 2u);
  EXPECT_EQ(read("e", {}, limits_).epoch, first.epoch);

  run({"DEL", metaKey("e")});
  PublishResult c = publish("e", "three", limits_);
  ASSERT_TRUE(c.ok()) << c.error;
  EXPECT_NE(c.epoch, first.epoch);
  EXPECT_EQ(c.offset, 1u);
  StreamResult after = read("e", {}, limits_);
  EXPECT_EQ(after.epoch, c.epoch);
  ASSERT_EQ(after.entries.size(), 1u);  // the old life's stream is gone
  EXPECT_EQ(after.entries[0].payload, "three");
}

TEST_F(ScriptsTest, NoScriptFallsBackToEvalAndScriptsLoad) {
  run({"SCRIPT", "FLUSH"});
  PublishResult p = publish("ns", "x", limits_);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.offset, 1u);
  run({"SCRIPT", "FLUSH"});
  std::optional<std::string> loaded;
  loadScripts(*conn_, [&](std::string error) { loaded = std::move(error); });
  ASSERT_TRUE(runner_.runUntil([&] { return loaded.has_value(); }));
  EXPECT_EQ(*loaded, "");
  for (const Script* s : allScripts()) {
    Reply exists = run({"SCRIPT", "EXISTS", s->sha1});
    ASSERT_TRUE(exists.isArray());
    EXPECT_EQ(exists[0].integer(), 1) << s->name;
  }
}

TEST_F(ScriptsTest, PublishWhileDisconnectedIsATemporaryError) {
  ASSERT_TRUE(publish("d", "x", limits_).ok());
  server_.kill();
  ASSERT_TRUE(runner_.runUntil([&] { return conn_->state() == State::Disconnected; }));
  PublishResult r = publish("d", "y", limits_);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.temporary);
}

TEST_F(ScriptsTest, PresenceDropsACrashedNodesClientAfterItsTtl) {
  auto status = [&](auto call) { return await<OperationStatus>(call); };
  EXPECT_TRUE(status([&](auto d) { presenceAdd(*conn_, "room", "alive", "{\"user\":\"a\"}", 5s, d); }).ok());
  EXPECT_TRUE(status([&](auto d) { presenceAdd(*conn_, "room", "crashed", "{\"user\":\"c\"}", 300ms, d); }).ok());
  EXPECT_TRUE(status([&](auto d) { presenceAdd(*conn_, "room", "leaving", "{\"user\":\"l\"}", 5s, d); }).ok());
  EntriesResult all = await<EntriesResult>([&](auto d) { presenceGet(*conn_, "room", d); });
  ASSERT_TRUE(all.ok()) << all.error;
  EXPECT_EQ(all.entries.size(), 3u);
  EXPECT_TRUE(status([&](auto d) { presenceRemove(*conn_, "room", "leaving", d); }).ok());
  std::this_thread::sleep_for(350ms);
  // "alive" is refreshed by its node; "crashed" is not.
  EXPECT_TRUE(status([&](auto d) { presenceAdd(*conn_, "room", "alive", "{\"user\":\"a\"}", 5s, d); }).ok());
  EntriesResult left = await<EntriesResult>([&](auto d) { presenceGet(*conn_, "room", d); });
  ASSERT_EQ(left.entries.size(), 1u);
  EXPECT_EQ(left.entries[0].first, "alive");
  EXPECT_EQ(left.entries[0].second, "{\"user\":\"a\"}");
  EXPECT_EQ(run({"ZCARD", presenceExpiryKey("room")}).integer(), 1);
  // The keys themselves expire when every node is gone.
  Reply ttl = run({"PTTL", presenceKey("room")});
  EXPECT_GT(ttl.integer(), 0);
  EXPECT_LE(ttl.integer(), 5000);
}

TEST_F(ScriptsTest, NodeRegistryForgetsSilentNodes) {
  auto status = [&](auto call) { return await<OperationStatus>(call); };
  EXPECT_TRUE(status([&](auto d) { announceNode(*conn_, "node-1", "{\"clients\":3}", 5s, d); }).ok());
  EXPECT_TRUE(status([&](auto d) { announceNode(*conn_, "node-2", "{\"clients\":4}", 300ms, d); }).ok());
  EXPECT_EQ(await<EntriesResult>([&](auto d) { listNodes(*conn_, d); }).entries.size(), 2u);
  std::this_thread::sleep_for(350ms);
  EntriesResult nodes = await<EntriesResult>([&](auto d) { listNodes(*conn_, d); });
  ASSERT_EQ(nodes.entries.size(), 1u);
  EXPECT_EQ(nodes.entries[0].first, "node-1");
  EXPECT_TRUE(status([&](auto d) { removeNode(*conn_, "node-1", d); }).ok());
  EXPECT_TRUE(await<EntriesResult>([&](auto d) { listNodes(*conn_, d); }).entries.empty());
}

// --- pure helpers (no Redis) ---

TEST(RedisKeysTest, KeysShareTheChannelsHashTag) {
  EXPECT_EQ(streamKey("chat:lobby"), "herald:stream:{chat:lobby}");
  EXPECT_EQ(metaKey("chat:lobby"), "herald:meta:{chat:lobby}");
  EXPECT_EQ(pubsubChannel("chat:lobby"), "herald:channel:{chat:lobby}");
  EXPECT_EQ(presenceKey("x"), "herald:presence:{x}");
  EXPECT_EQ(presenceExpiryKey("x"), "herald:presence-exp:{x}");
}

TEST(RedisKeysTest, EnvelopeRoundTripsAndRejectsGarbage) {
  std::string payload("{\"a\": 1}\n with spaces \0 and nul", 31);
  std::string m = encodeEnvelope(kind::Join, 0, "", 1234, payload);
  auto e = decodeEnvelope(m);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, kind::Join);
  EXPECT_EQ(e->offset, 0u);
  EXPECT_EQ(e->epoch, "-");
  EXPECT_EQ(e->timeMs, 1234);
  EXPECT_EQ(e->payload, payload);
  auto p = decodeEnvelope("p 42 AbCdEfGh 1700000000000 ");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 42u);
  EXPECT_EQ(p->payload, "");
  for (std::string_view bad : {"", "p", "p 1 e 2", "pp 1 e 2 x", "p x e 2 y", "p 1  2 y", "p -1 e 2 y", "p 1 e t y"})
    EXPECT_FALSE(decodeEnvelope(bad).has_value()) << bad;
}

TEST(RedisKeysTest, EpochsAreEightAlphanumerics) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string e = newEpoch();
    ASSERT_EQ(e.size(), 8u);
    for (char c : e) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << e;
    seen.insert(e);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(RedisKeysTest, ShardingIsStableBalancedAndConsistent) {
  constexpr int kChannels = 20000;
  std::vector<unsigned> counts(4, 0);
  int moved = 0;
  for (int i = 0; i < kChannels; ++i) {
    std::string ch = "chat:" + std::to_string(i);
    unsigned three = shardFor(ch, 3), four = shardFor(ch, 4);
    EXPECT_EQ(shardFor(ch, 3), three);
    ASSERT_LT(three, 3u);
    ++counts[four];
    // Growing from 3 to 4 instances moves channels only to the new one.
    if (three != four) {
      EXPECT_EQ(four, 3u);
      ++moved;
    }
  }
  for (unsigned c : counts) EXPECT_NEAR(c, kChannels / 4, kChannels / 20);
  EXPECT_NEAR(moved, kChannels / 4, kChannels / 20);
  EXPECT_EQ(shardFor("anything", 1), 0u);
}

}  // namespace
}  // namespace herald::redis
