// What SqliteHistory adds to the HistoryStore contract (that part is in
// history_store_contract_test.cpp): durability across a restart and a
// SIGKILL, group commit, expiry trimming, readable construction errors, and
// writes that fail (counted, with the error).
// A damaged database is sqlite_integrity_test.cpp's.

#include "herald/store/sqlite_history.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <random>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

namespace herald::store {
namespace {

using broker::ChannelStream;
using broker::HistoryLimits;
using broker::StoredPublication;
using broker::StoreResult;
using namespace std::chrono_literals;

constexpr std::int64_t kT0 = 1'700'000'000'000;
const HistoryLimits kKeepAll{1'000'000, std::chrono::hours(24 * 365 * 100)};

SqliteHistory::Options noPeriodicTrim() {
  SqliteHistory::Options o;
  o.trimInterval = 0ms;
  return o;
}

StoredPublication pub(std::uint64_t offset, std::int64_t timeMs = kT0) {
  StoredPublication p;
  p.offset = offset;
  p.timeMs = timeMs;
  p.data = R"({"n":)" + std::to_string(offset) + "}";
  return p;
}

StoreResult appendAndWait(SqliteHistory& store, const std::string& channel, const std::string& epoch,
                          std::vector<StoredPublication> pubs, HistoryLimits limits = kKeepAll) {
  std::promise<StoreResult> promise;
  auto future = promise.get_future();
  store.append(channel, epoch, std::move(pubs), limits, [&promise](StoreResult r) { promise.set_value(r); });
  return future.get();
}

// One integer from the database, read behind the store's back.
std::int64_t queryInt(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  std::int64_t v = -1;
  if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(h);
  return v;
}

TEST(SqliteHistoryTest, DataSurvivesReopeningTheDirectory) {
  test::TempDir dir;
  std::string epoch;
  StoredPublication withInfo = pub(2, kT0 + 1);
  withInfo.hasInfo = true;
  withInfo.info = {"bob", "c9", "", R"({"role":"admin"})"};
  withInfo.tags = {{"a", "b"}};
  {
    SqliteHistory store(dir.path() / "data", noPeriodicTrim());
    epoch = store.load("news", kKeepAll, kT0).epoch;
    store.load("empty", kKeepAll, kT0);
    ASSERT_TRUE(appendAndWait(store, "news", epoch, {pub(1), withInfo, pub(3, kT0 + 2)}).ok);
    ASSERT_TRUE(appendAndWait(store, "gone", store.load("gone", kKeepAll, kT0).epoch, {pub(1)}).ok);
    std::promise<void> removed;
    store.removeHistory("gone", [&](StoreResult r) {
      EXPECT_TRUE(r.ok);
      removed.set_value();
    });
    removed.get_future().get();
  }
  SqliteHistory store(dir.path() / "data", noPeriodicTrim());
  const ChannelStream s = store.load("news", kKeepAll, kT0 + 10);
  EXPECT_EQ(s.epoch, epoch);
  EXPECT_EQ(s.top, 3u);
  ASSERT_EQ(s.publications.size(), 3u);
  EXPECT_EQ(s.publications[1].info.chanInfo, R"({"role":"admin"})");
  EXPECT_EQ(s.publications[1].tags, withInfo.tags);
  EXPECT_EQ(s.publications[2].data, R"({"n":3})");
  EXPECT_EQ(store.load("empty", kKeepAll, kT0).top, 0u);
  const ChannelStream gone = store.load("gone", kKeepAll, kT0);
  EXPECT_EQ(gone.top, 1u);
  EXPECT_TRUE(gone.publications.empty());
  EXPECT_TRUE(appendAndWait(store, "news", epoch, {pub(4)}).ok);  // continues after the restart
}

TEST(SqliteHistoryTest, LoadSeesTheChannelsQueuedAppends) {
  test::TempDir dir;
  SqliteHistory store(dir.path(), noPeriodicTrim());
  const std::string epoch = store.load("news", kKeepAll, kT0).epoch;
  for (std::uint64_t i = 1; i <= 20; ++i) store.append("news", epoch, {pub(i)}, kKeepAll, nullptr);
  EXPECT_EQ(store.load("news", kKeepAll, kT0).top, 20u);  // no flush() in between
}

// A file size limit (RLIMIT_FSIZE, this process only, for the length of
// the test) makes the disk "full" for real: SQLite's writes past it fail.
TEST(SqliteHistoryTest, FailedWritesAreRefusedCountedAndKeepTheirError) {
  test::TempDir dir;
  SqliteHistory store(dir.path(), noPeriodicTrim());
  const std::string epoch = store.load("news", kKeepAll, kT0).epoch;
  ASSERT_TRUE(appendAndWait(store, "news", epoch, {pub(1)}).ok);
  EXPECT_EQ(store.failedBatchCount(), 0u);
  EXPECT_EQ(store.lastWriteFailure(), "");

  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto previousHandler = signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of being killed
  rlimit small = saved;
  small.rlim_cur = 512 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  StoredPublication big = pub(2);
  big.data = "\"" + std::string(2 * 1024 * 1024, 'x') + "\"";
  StoreResult refused = appendAndWait(store, "news", epoch, {big});
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, previousHandler);

  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.error.find("not stored"), std::string::npos) << refused.error;
  EXPECT_EQ(store.failedBatchCount(), 1u);
  EXPECT_FALSE(store.lastWriteFailure().empty());
  EXPECT_FALSE(store.corruptionSeen()) << "a full disk is not damage";
  // The disk has room again: the same offset is written, nothing was lost.
  ASSERT_TRUE(appendAndWait(store, "news", epoch, {pub(2)}).ok);
  EXPECT_EQ(store.load("news", kKeepAll, kT0).top, 2u);
  EXPECT_EQ(store.failedBatchCount(), 1u);
}

TEST(SqliteHistoryTest, GroupCommitSharesCommitsAmongAppends) {
  test::TempDir dir;
  SqliteHistory store(dir.path(), noPeriodicTrim());
  std::atomic<std::size_t> observedRequests{0}, observedCommits{0};
  store.setCommitObserver([&](std::chrono::microseconds took, std::size_t batch) {
    EXPECT_GE(took.count(), 0);
    observedRequests += batch;
    ++observedCommits;
  });
  constexpr int kThreads = 4, kPerThread = 250;
  std::vector<std::string> epochs;
  for (int t = 0; t < kThreads; ++t) epochs.push_back(store.load("c" + std::to_string(t), kKeepAll, kT0).epoch);
  const std::uint64_t before = store.commitCount();
  const std::size_t requestsBefore = observedRequests;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 1; i <= kPerThread; ++i) {
        store.append("c" + std::to_string(t), epochs[t], {pub(static_cast<std::uint64_t>(i))}, kKeepAll,
                     [&](StoreResult r) { ok += r.ok ? 1 : 0; });
      }
    });
  }
  for (auto& th : threads) th.join();
  store.flush();
  const std::uint64_t commits = store.commitCount() - before;
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_GE(commits, 1u);
  EXPECT_LT(commits, static_cast<std::uint64_t>(kThreads * kPerThread / 4)) << "appends were not batched";
  EXPECT_EQ(observedRequests - requestsBefore, static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(observedCommits.load(), store.commitCount());
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(store.load("c" + std::to_string(t), kKeepAll, kT0).top, 250u);
}

TEST(SqliteHistoryTest, TrimExpiredDropsExpiredPublicationsAtTheClock) {
  test::TempDir dir;
  std::atomic<std::int64_t> now{kT0};
  SqliteHistory::Options o = noPeriodicTrim();
  o.clock = [&] { return now.load(); };
  SqliteHistory store(dir.path(), o);
  const HistoryLimits tenSeconds{100, 10s};
  const std::string a = store.load("a", tenSeconds, kT0).epoch;
  const std::string b = store.load("b", tenSeconds, kT0).epoch;
  ASSERT_TRUE(appendAndWait(store, "a", a, {pub(1, kT0), pub(2, kT0 + 5000)}, tenSeconds).ok);
  ASSERT_TRUE(appendAndWait(store, "b", b, {pub(1, kT0 + 9000)}, tenSeconds).ok);
  const auto count = [&](const char* ch) {
    const std::string sql = std::string("SELECT count(*) FROM publications WHERE channel = '") + ch + "'";
    return queryInt(store.databasePath(), sql);
  };
  now = kT0 + 12000;
  store.trimExpired();
  EXPECT_EQ(count("a"), 1);
  EXPECT_EQ(count("b"), 1);
  now = kT0 + 60000;
  store.trimExpired();
  EXPECT_EQ(count("a"), 0);
  EXPECT_EQ(count("b"), 0);
  EXPECT_EQ(store.load("a", tenSeconds, now).top, 2u);  // the top stays
}

TEST(SqliteHistoryTest, WriterTrimsPeriodically) {
  test::TempDir dir;
  std::atomic<std::int64_t> now{kT0};
  SqliteHistory::Options o;
  o.trimInterval = 10ms;
  o.clock = [&] { return now.load(); };
  SqliteHistory store(dir.path(), o);
  const HistoryLimits tenSeconds{100, 10s};
  const std::string epoch = store.load("a", tenSeconds, kT0).epoch;
  ASSERT_TRUE(appendAndWait(store, "a", epoch, {pub(1, kT0), pub(2, kT0)}, tenSeconds).ok);
  now = kT0 + 10000;
  const std::string sql = "SELECT count(*) FROM publications";
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (queryInt(store.databasePath(), sql) != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(queryInt(store.databasePath(), sql), 0);
}

TEST(SqliteHistoryTest, UnusableDirectoryIsAReadableError) {
  test::TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  const std::filesystem::path bad = dir.path() / "file" / "data";
  try {
    SqliteHistory store(bad);
    FAIL() << "constructed over a file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
  }
}

// The child: appends to "crash" as fast as the store takes it (at most 64
// requests in flight) and writes each acknowledged offset to `fd`.
[[noreturn]] void appendUntilKilled(const std::filesystem::path& dir, int fd) {
  try {
    SqliteHistory store(dir, noPeriodicTrim());
    const ChannelStream s = store.load("crash", kKeepAll, kT0);
    std::counting_semaphore<64> window(64);
    std::uint64_t next = s.top + 1;
    for (std::uint64_t i = 0;; ++i) {
      window.acquire();
      std::vector<StoredPublication> pubs;
      for (std::uint64_t n = 1 + i % 3; n > 0; --n) pubs.push_back(pub(next++));
      const std::uint64_t last = next - 1;
      store.append("crash", s.epoch, std::move(pubs), kKeepAll, [&window, fd, last](StoreResult r) {
        if (!r.ok) _exit(3);
        if (write(fd, &last, sizeof last) != static_cast<ssize_t>(sizeof last)) _exit(4);
        window.release();
      });
    }
  } catch (...) {
    _exit(2);
  }
}

TEST(SqliteHistoryTest, AcknowledgedPublicationsSurviveKill9) {
  test::TempDir dir;
  std::mt19937 rng(std::random_device{}());
  std::uint64_t lastAcked = 0;
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      appendUntilKilled(dir.path(), fds[1]);
    }
    close(fds[1]);
    const std::size_t killAfter = std::uniform_int_distribution<std::size_t>(20, 300)(rng);
    std::size_t acks = 0;
    bool killed = false;
    std::uint64_t value = 0;
    std::size_t have = 0;  // bytes of `value` read so far
    for (;;) {
      const ssize_t n = read(fds[0], reinterpret_cast<char*>(&value) + have, sizeof value - have);
      if (n <= 0) break;  // EOF: the child is gone
      have += static_cast<std::size_t>(n);
      if (have < sizeof value) continue;
      have = 0;
      EXPECT_GT(value, lastAcked) << "acknowledged out of order";
      lastAcked = value;
      if (++acks == killAfter && !killed) {
        // Kill at a random moment of the writer's cycle, not just after an ack.
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
        kill(pid, SIGKILL);
        killed = true;
      }
    }
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child ended on its own: " << status;
    ASSERT_GE(acks, killAfter);

    // Consistent on disk: publications 1..top, no gap, top at least the last ack.
    const std::filesystem::path db = dir.path() / "history.db";
    const std::int64_t top = queryInt(db, "SELECT top FROM channels WHERE name = 'crash'");
    EXPECT_GE(top, static_cast<std::int64_t>(lastAcked));
    EXPECT_EQ(queryInt(db, "SELECT count(*) FROM publications WHERE channel = 'crash'"), top);
    EXPECT_EQ(queryInt(db, "SELECT min(offset) FROM publications WHERE channel = 'crash'"), 1);
    EXPECT_EQ(queryInt(db, "SELECT max(offset) FROM publications WHERE channel = 'crash'"), top);
    // And through the store.
    SqliteHistory store(dir.path(), noPeriodicTrim());
    const ChannelStream s = store.load("crash", kKeepAll, kT0);
    EXPECT_EQ(s.top, static_cast<std::uint64_t>(top));
    ASSERT_EQ(s.publications.size(), s.top);
    for (std::uint64_t i = 0; i < s.top; ++i) ASSERT_EQ(s.publications[i].offset, i + 1);
    lastAcked = s.top;  // the next child continues from here
  }
}

}  // namespace
}  // namespace herald::store
