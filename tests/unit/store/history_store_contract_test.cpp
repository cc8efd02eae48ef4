// The HistoryStore contract (include/herald/broker/history_store.hpp), one
// suite run against every adapter: MemoryHistory and SqliteHistory (Redis
// joins the type list when it exists). A test here says only what the
// contract says; what one adapter adds is tested in its own file.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "herald/store/memory_history.hpp"
#include "herald/store/sqlite_history.hpp"
#include "temp_dir.hpp"

namespace herald::store {
namespace {

using broker::ChannelStream;
using broker::HistoryLimits;
using broker::HistoryStore;
using broker::StoredPublication;
using broker::StoreResult;
using namespace std::chrono_literals;

// A time well after the epoch, so nothing here looks expired to a real clock.
constexpr std::int64_t kT0 = 1'700'000'000'000;
const HistoryLimits kKeepAll{1'000'000, std::chrono::hours(24 * 365)};

// How each adapter is made for a test. SqliteHistory's periodic trimming
// runs on the real clock, so it is off here: TTL tests inject time.
template <class Store>
struct Maker;

template <>
struct Maker<MemoryHistory> {
  std::unique_ptr<MemoryHistory> make() { return std::make_unique<MemoryHistory>(); }
};

template <>
struct Maker<SqliteHistory> {
  test::TempDir dir;
  std::unique_ptr<SqliteHistory> make() {
    SqliteHistory::Options options;
    options.trimInterval = 0ms;
    return std::make_unique<SqliteHistory>(dir.path(), options);
  }
};

StoredPublication pub(std::uint64_t offset, std::int64_t timeMs = kT0) {
  StoredPublication p;
  p.offset = offset;
  p.timeMs = timeMs;
  p.data = R"({"n":)" + std::to_string(offset) + "}";
  return p;
}

template <class Store>
class HistoryStoreContractTest : public ::testing::Test {
 protected:
  HistoryStoreContractTest() : store_(maker_.make()) {}

  // Appends and waits for `done`; returns its result.
  StoreResult append(const std::string& channel, const std::string& epoch, std::vector<StoredPublication> pubs,
                     HistoryLimits limits = kKeepAll) {
    std::promise<StoreResult> promise;
    auto future = promise.get_future();
    store_->append(channel, epoch, std::move(pubs), limits, [&promise](StoreResult r) { promise.set_value(r); });
    return future.get();
  }
  StoreResult remove(const std::string& channel) {
    std::promise<StoreResult> promise;
    auto future = promise.get_future();
    store_->removeHistory(channel, [&promise](StoreResult r) { promise.set_value(r); });
    return future.get();
  }
  ChannelStream load(const std::string& channel, HistoryLimits limits = kKeepAll, std::int64_t nowMs = kT0) {
    return store_->load(channel, limits, nowMs);
  }
  static std::vector<std::uint64_t> offsets(const ChannelStream& s) {
    std::vector<std::uint64_t> out;
    for (const StoredPublication& p : s.publications) out.push_back(p.offset);
    return out;
  }

  Maker<Store> maker_;
  std::unique_ptr<HistoryStore> store_;
};

using Adapters = ::testing::Types<MemoryHistory, SqliteHistory>;
class AdapterNames {
 public:
  template <class T>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<T, MemoryHistory>) return "Memory";
    return "Sqlite";
  }
};
TYPED_TEST_SUITE(HistoryStoreContractTest, Adapters, AdapterNames);

TYPED_TEST(HistoryStoreContractTest, NewChannelGetsAnEpochAndTopZero) {
  const ChannelStream a = this->load("news");
  EXPECT_EQ(a.epoch.size(), 8u);
  EXPECT_EQ(a.top, 0u);
  EXPECT_TRUE(a.publications.empty());
  const ChannelStream b = this->load("sport");
  EXPECT_NE(a.epoch, b.epoch);
  EXPECT_EQ(this->load("news").epoch, a.epoch);  // known now: same epoch
}

TYPED_TEST(HistoryStoreContractTest, AppendsContinueOffsetsAndLoadReturnsThemOldestFirst) {
  const std::string epoch = this->load("news").epoch;
  ASSERT_TRUE(this->append("news", epoch, {pub(1)}).ok);
  ASSERT_TRUE(this->append("news", epoch, {pub(2), pub(3)}).ok);
  const ChannelStream s = this->load("news");
  EXPECT_EQ(s.epoch, epoch);
  EXPECT_EQ(s.top, 3u);
  EXPECT_EQ(this->offsets(s), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(s.publications[1].data, R"({"n":2})");
}

TYPED_TEST(HistoryStoreContractTest, PublicationFieldsRoundTrip) {
  const std::string epoch = this->load("chat").epoch;
  StoredPublication full = pub(1, kT0 + 5);
  full.data = R"({"text":"hé \"quoted\"","n":[1,2]})";
  full.hasInfo = true;
  full.info = {"alice", "c1", R"({"name":"Alice"})", ""};
  full.tags = {{"kind", "msg"}, {"", "1:2,"}, {"with,comma", ""}};
  StoredPublication bare = pub(2, kT0 + 6);
  bare.hasInfo = true;  // info present, every field empty
  ASSERT_TRUE(this->append("chat", epoch, {full, bare, pub(3, kT0 + 7)}).ok);
  const ChannelStream s = this->load("chat", kKeepAll, kT0 + 10);
  ASSERT_EQ(s.publications.size(), 3u);
  const StoredPublication& p = s.publications[0];
  EXPECT_EQ(p.timeMs, kT0 + 5);
  EXPECT_EQ(p.data, full.data);
  EXPECT_TRUE(p.hasInfo);
  EXPECT_EQ(p.info.user, "alice");
  EXPECT_EQ(p.info.client, "c1");
  EXPECT_EQ(p.info.connInfo, R"({"name":"Alice"})");
  EXPECT_EQ(p.info.chanInfo, "");
  EXPECT_EQ(p.tags, full.tags);
  EXPECT_TRUE(s.publications[1].hasInfo);
  EXPECT_EQ(s.publications[1].info.user, "");
  EXPECT_FALSE(s.publications[2].hasInfo);
  EXPECT_TRUE(s.publications[2].tags.empty());
}

TYPED_TEST(HistoryStoreContractTest, KeepsAtMostSizePublications) {
  const std::string epoch = this->load("news").epoch;
  const HistoryLimits three{3, 1h};
  for (std::uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(this->append("news", epoch, {pub(i)}, three).ok);
  // Trimmed when stored: even a load asking for more gets only three.
  EXPECT_EQ(this->offsets(this->load("news", kKeepAll)), (std::vector<std::uint64_t>{3, 4, 5}));
  // And a load asking for fewer gets the newest ones.
  EXPECT_EQ(this->offsets(this->load("news", {2, 1h})), (std::vector<std::uint64_t>{4, 5}));
  EXPECT_EQ(this->load("news").top, 5u);
}

TYPED_TEST(HistoryStoreContractTest, SizeOrTtlZeroKeepsOnlyTheTop) {
  const std::string epoch = this->load("a").epoch;
  ASSERT_TRUE(this->append("a", epoch, {pub(1), pub(2)}, {0, 1h}).ok);
  ASSERT_TRUE(this->append("a", epoch, {pub(3)}, {10, 0s}).ok);
  const ChannelStream s = this->load("a");
  EXPECT_EQ(s.top, 3u);
  EXPECT_EQ(s.epoch, epoch);
  EXPECT_TRUE(s.publications.empty());
}

TYPED_TEST(HistoryStoreContractTest, LoadLeavesOutExpiredPublications) {
  const std::string epoch = this->load("news").epoch;
  const HistoryLimits tenSeconds{100, 10s};
  ASSERT_TRUE(this->append("news", epoch, {pub(1, kT0), pub(2, kT0 + 4000), pub(3, kT0 + 8000)}, tenSeconds).ok);
  EXPECT_EQ(this->offsets(this->load("news", tenSeconds, kT0 + 9999)), (std::vector<std::uint64_t>{1, 2, 3}));
  // Lives exactly ttl: gone at timeMs + ttl.
  EXPECT_EQ(this->offsets(this->load("news", tenSeconds, kT0 + 10000)), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(this->offsets(this->load("news", tenSeconds, kT0 + 17999)), (std::vector<std::uint64_t>{3}));
  const ChannelStream late = this->load("news", tenSeconds, kT0 + 60000);
  EXPECT_TRUE(late.publications.empty());
  EXPECT_EQ(late.top, 3u);
  EXPECT_EQ(late.epoch, epoch);
}

TYPED_TEST(HistoryStoreContractTest, AppendTrimsByTtlAtThePublicationsTime) {
  const std::string epoch = this->load("news").epoch;
  const HistoryLimits tenSeconds{100, 10s};
  ASSERT_TRUE(this->append("news", epoch, {pub(1, kT0), pub(2, kT0 + 1000)}, tenSeconds).ok);
  ASSERT_TRUE(this->append("news", epoch, {pub(3, kT0 + 10500)}, tenSeconds).ok);
  // At kT0 + 10500 offset 1 had expired, so the append dropped it: even a
  // load whose clock says it would still be alive does not get it back.
  EXPECT_EQ(this->offsets(this->load("news", tenSeconds, kT0 + 2000)), (std::vector<std::uint64_t>{2, 3}));
}

TYPED_TEST(HistoryStoreContractTest, RemoveHistoryKeepsTopAndEpoch) {
  const std::string epoch = this->load("news").epoch;
  ASSERT_TRUE(this->append("news", epoch, {pub(1), pub(2)}).ok);
  ASSERT_TRUE(this->remove("news").ok);
  ChannelStream s = this->load("news");
  EXPECT_EQ(s.epoch, epoch);
  EXPECT_EQ(s.top, 2u);
  EXPECT_TRUE(s.publications.empty());
  ASSERT_TRUE(this->append("news", epoch, {pub(3)}).ok);
  s = this->load("news");
  EXPECT_EQ(s.top, 3u);
  EXPECT_EQ(this->offsets(s), (std::vector<std::uint64_t>{3}));
}

TYPED_TEST(HistoryStoreContractTest, RefusesOffsetsThatDoNotContinueTheTop) {
  const std::string epoch = this->load("news").epoch;
  ASSERT_TRUE(this->append("news", epoch, {pub(1)}).ok);
  for (auto bad : {std::vector<std::uint64_t>{3}, {1}, {2, 4}, {0}}) {
    std::vector<StoredPublication> pubs;
    for (std::uint64_t o : bad) pubs.push_back(pub(o));
    const StoreResult r = this->append("news", epoch, pubs);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("offset"), std::string::npos) << r.error;
  }
  const ChannelStream s = this->load("news");
  EXPECT_EQ(s.top, 1u);  // nothing of the refused appends, not even {2} of {2, 4}
  EXPECT_EQ(this->offsets(s), (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(this->append("news", epoch, {pub(2)}).ok);
}

TYPED_TEST(HistoryStoreContractTest, RefusesAWrongEpochOrAnUnknownChannel) {
  const std::string epoch = this->load("news").epoch;
  const StoreResult wrong = this->append("news", "notmine!", {pub(1)});
  EXPECT_FALSE(wrong.ok);
  EXPECT_NE(wrong.error.find("epoch"), std::string::npos) << wrong.error;
  const StoreResult unknown = this->append("never-loaded", epoch, {pub(1)});
  EXPECT_FALSE(unknown.ok);
  EXPECT_NE(unknown.error.find("never-loaded"), std::string::npos) << unknown.error;
  const ChannelStream s = this->load("news");
  EXPECT_EQ(s.top, 0u);
  EXPECT_TRUE(s.publications.empty());
}

TYPED_TEST(HistoryStoreContractTest, DoneRunsExactlyOnceInCallOrder) {
  const std::string epoch = this->load("news").epoch;
  std::mutex mutex;
  std::vector<int> calls;
  auto record = [&](int id) {
    return [&, id](StoreResult) {
      std::lock_guard lock(mutex);
      calls.push_back(id);
    };
  };
  this->store_->append("news", epoch, {pub(1)}, kKeepAll, record(1));
  this->store_->append("news", epoch, {pub(5)}, kKeepAll, record(2));  // refused, still reported
  this->store_->append("news", epoch, {pub(2)}, kKeepAll, record(3));
  this->store_->removeHistory("news", record(4));
  this->store_->append("news", epoch, {pub(3)}, kKeepAll, record(5));
  this->store_->flush();
  std::lock_guard lock(mutex);
  EXPECT_EQ(calls, (std::vector<int>{1, 2, 3, 4, 5}));
}

TYPED_TEST(HistoryStoreContractTest, ConcurrentChannelsEndConsistent) {
  // Four owner threads, each with its own channels (the broker never calls
  // for one channel from two threads at once), appending in small batches.
  constexpr int kThreads = 4, kChannelsPerThread = 5, kRounds = 60;
  std::atomic<int> failures{0}, dones{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> names, epochs;
      for (int c = 0; c < kChannelsPerThread; ++c) {
        names.push_back("t" + std::to_string(t) + ".c" + std::to_string(c));
        epochs.push_back(this->store_->load(names.back(), kKeepAll, kT0).epoch);
      }
      std::vector<std::uint64_t> top(kChannelsPerThread, 0);
      for (int round = 0; round < kRounds; ++round) {
        for (int c = 0; c < kChannelsPerThread; ++c) {
          std::vector<StoredPublication> pubs;
          const int n = 1 + (round + c) % 3;
          for (int i = 0; i < n; ++i) pubs.push_back(pub(++top[c]));
          this->store_->append(names[c], epochs[c], std::move(pubs), {50, 1h}, [&](StoreResult r) {
            if (!r.ok) ++failures;
            ++dones;
          });
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  this->store_->flush();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(dones.load(), kThreads * kChannelsPerThread * kRounds);
  for (int t = 0; t < kThreads; ++t) {
    for (int c = 0; c < kChannelsPerThread; ++c) {
      const ChannelStream s = this->load("t" + std::to_string(t) + ".c" + std::to_string(c));
      std::uint64_t expectedTop = 0;
      for (int round = 0; round < kRounds; ++round) expectedTop += 1 + (round + c) % 3;
      EXPECT_EQ(s.top, expectedTop);
      ASSERT_EQ(s.publications.size(), 50u);
      for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(s.publications[i].offset, expectedTop - 49 + i);
    }
  }
}

TYPED_TEST(HistoryStoreContractTest, ConcurrentLoadsOfOneNewChannelAgreeOnItsEpoch) {
  // The broker loads a channel from its owner loop only, but a store must
  // not hand out two epochs for one channel even when called that way.
  std::vector<std::string> epochs(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < epochs.size(); ++i) {
    threads.emplace_back([&, i] { epochs[i] = this->store_->load("shared", kKeepAll, kT0).epoch; });
  }
  for (auto& th : threads) th.join();
  for (const std::string& e : epochs) EXPECT_EQ(e, epochs[0]);
}

}  // namespace
}  // namespace herald::store
