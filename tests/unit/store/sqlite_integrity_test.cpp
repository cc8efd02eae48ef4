// SqliteHistory over a damaged database (src/store/sqlite_integrity.*):
// a file of garbage, a truncated file, a b-tree page of the publications
// table overwritten, a -wal of garbage or with a bad frame, each found at
// start-up, moved aside with its bytes intact, and replaced by a new
// database whose channels have new epochs; a sound database, with or
// without a live -wal, left exactly as it was; damage met while running
// reported once. Every damage is deterministic (fixed seeds and offsets).

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "herald/store/sqlite_history.hpp"
#include "sqlite_integrity.hpp"
#include "temp_dir.hpp"

namespace herald::store {
namespace {

namespace fs = std::filesystem;
using broker::ChannelStream;
using broker::HistoryLimits;
using broker::StoredPublication;
using broker::StoreResult;
using namespace std::chrono_literals;

constexpr std::int64_t kT0 = 1'700'000'000'000;
const HistoryLimits kKeepAll{1'000'000, std::chrono::hours(24 * 365 * 100)};
const std::vector<std::string> kChannels{"a", "b"};
constexpr std::uint64_t kPerChannel = 150;  // ~250 bytes each: a publications b-tree two levels deep

SqliteHistory::Options noPeriodicTrim() {
  SqliteHistory::Options o;
  o.trimInterval = 0ms;
  return o;
}

StoredPublication pub(std::uint64_t offset) {
  StoredPublication p;
  p.offset = offset;
  p.timeMs = kT0 + static_cast<std::int64_t>(offset);
  p.data = R"({"n":)" + std::to_string(offset) + R"(,"pad":")" + std::string(200, 'p') + R"("})";
  return p;
}

StoreResult appendAndWait(SqliteHistory& store, const std::string& channel, const std::string& epoch,
                          std::vector<StoredPublication> pubs) {
  std::promise<StoreResult> promise;
  auto future = promise.get_future();
  store.append(channel, epoch, std::move(pubs), kKeepAll, [&promise](StoreResult r) { promise.set_value(r); });
  return future.get();
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

void overwrite(const fs::path& p, std::uint64_t offset, const std::string& bytes) {
  std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write into " + p.string());
}

std::string garbage(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

fs::path dbOf(const test::TempDir& dir) { return dir.path() / "history.db"; }
fs::path walOf(const test::TempDir& dir) { return dir.path() / "history.db-wal"; }

// Channels "a" and "b" with kPerChannel publications each, committed and
// checkpointed (the store is closed): their epochs.
std::map<std::string, std::string> makeHistory(const test::TempDir& dir) {
  std::map<std::string, std::string> epochs;
  SqliteHistory store(dir.path(), noPeriodicTrim());
  for (const std::string& ch : kChannels) {
    epochs[ch] = store.load(ch, kKeepAll, kT0).epoch;
    std::vector<StoredPublication> pubs;
    for (std::uint64_t i = 1; i <= kPerChannel; ++i) pubs.push_back(pub(i));
    EXPECT_TRUE(appendAndWait(store, ch, epochs[ch], std::move(pubs)).ok);
  }
  return epochs;
}

// Appends `count` publications to "a", one commit each, in a child process
// that then ends without closing the store: they are committed in the -wal
// only, as after a crash.
void appendInChildAndVanish(const test::TempDir& dir, const std::string& epoch, std::uint64_t count) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      SqliteHistory store(dir.path(), noPeriodicTrim());
      for (std::uint64_t i = 1; i <= count; ++i) {
        if (!appendAndWait(store, "a", epoch, {pub(kPerChannel + i)}).ok) _exit(3);
      }
      _exit(0);  // inside the store's scope: no destructor, no checkpoint, the -wal stays
    } catch (...) {
      _exit(2);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_TRUE(fs::exists(walOf(dir)));
  ASSERT_GT(fs::file_size(walOf(dir)), 0u);
}

std::vector<fs::path> damagedFiles(const test::TempDir& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().filename().string().find(".damaged-") != std::string::npos) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One value from the database, read behind the store's back on a
// connection of its own ("" when there is none or SQLite fails).
std::string queryText(const fs::path& db, const char* sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  std::string v;
  if (sqlite3_prepare_v2(h, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    if (p) v = p;
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return v;
}

std::uint64_t queryInt(const fs::path& db, const char* sql) { return std::stoull("0" + queryText(db, sql)); }

std::uint32_t bigEndian32(const std::string& bytes, std::size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// The byte offset of a leaf page of the publications b-tree, reached from
// its root through interior pages (the right-most one: channel "b"'s
// newest publications). Throws when the tree is not at least two levels deep.
std::uint64_t publicationsLeafOffset(const fs::path& db) {
  const std::uint64_t pageSize = queryInt(db, "PRAGMA page_size");
  auto page = static_cast<std::uint32_t>(queryInt(db, "SELECT rootpage FROM sqlite_schema WHERE name = 'publications'"));
  const std::string bytes = readFile(db);
  int depth = 0;
  for (;;) {
    const std::uint64_t at = (page - 1) * pageSize + (page == 1 ? 100 : 0);
    const unsigned char type = static_cast<unsigned char>(bytes.at(at));
    if (type == 0x0a || type == 0x0d) break;  // a leaf
    if (type != 0x02 && type != 0x05) throw std::runtime_error("page " + std::to_string(page) + " is no b-tree page");
    page = bigEndian32(bytes, at + 8);  // the right-most child
    ++depth;
  }
  if (depth == 0) throw std::runtime_error("the publications b-tree is a single page");
  return (page - 1) * pageSize;
}

// "history.db.damaged-yyyymmddThhmmssZ". (Checked by hand: g++ 12 warns
// inside <regex> under the sanitizer build's -O1.)
bool isDamagedName(const std::string& name) {
  const std::string prefix = "history.db.damaged-";
  if (name.size() != prefix.size() + 16 || name.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string stamp = name.substr(prefix.size());
  for (std::size_t i = 0; i < stamp.size(); ++i) {
    const bool digit = stamp[i] >= '0' && stamp[i] <= '9';
    if (i == 8 ? stamp[i] != 'T' : i == 15 ? stamp[i] != 'Z' : !digit) return false;
  }
  return true;
}

// After a damaged start: the files are under the names reported, and no
// others.
void expectMovedAside(const test::TempDir& dir, const SqliteHistory& store) {
  ASSERT_TRUE(store.damage().has_value());
  const SqliteHistory::Damage& d = *store.damage();
  EXPECT_FALSE(d.problem.empty());
  ASSERT_FALSE(d.movedTo.empty());
  EXPECT_EQ(d.movedTo[0].parent_path(), dir.path());
  EXPECT_TRUE(isDamagedName(d.movedTo[0].filename().string())) << d.movedTo[0];
  for (const fs::path& p : d.movedTo) EXPECT_TRUE(fs::exists(p)) << p;
  EXPECT_EQ(damagedFiles(dir), [&] {
    auto v = d.movedTo;
    std::sort(v.begin(), v.end());
    return v;
  }());
}

void expectNewEpochs(SqliteHistory& store, const std::map<std::string, std::string>& oldEpochs) {
  for (const auto& [ch, epoch] : oldEpochs) {
    const ChannelStream s = store.load(ch, kKeepAll, kT0);
    EXPECT_NE(s.epoch, epoch) << ch;
    EXPECT_EQ(s.top, 0u) << ch;
    EXPECT_TRUE(s.publications.empty()) << ch;
    EXPECT_TRUE(appendAndWait(store, ch, s.epoch, {pub(1)}).ok) << ch;
  }
}

// Opens the store over the damaged files in `dir`, and checks everything a
// damaged start promises: every damaged byte kept under the name reported,
// new epochs, and a new database that is sound. Returns the damage reported.
SqliteHistory::Damage openDamaged(const test::TempDir& dir, const std::map<std::string, std::string>& epochs) {
  std::map<std::string, std::string> dbBytes;  // what was there, by file name
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const fs::path p = dir.path() / (std::string("history.db") + suffix);
    if (fs::exists(p)) dbBytes[suffix] = readFile(p);
  }
  SqliteHistory::Damage damage;
  std::map<std::string, std::string> newEpochs;
  {
    SqliteHistory store(dir.path(), noPeriodicTrim());
    expectMovedAside(dir, store);
    if (!store.damage()) return {};
    damage = *store.damage();
    // Every byte kept: the database and its -wal (the -shm is SQLite's
    // index of the -wal, rebuilt from it; it is moved along, not compared).
    for (const fs::path& moved : damage.movedTo) {
      const std::string name = moved.filename().string();
      const std::string suffix = name.ends_with("-wal") ? "-wal" : name.ends_with("-shm") ? "-shm" : "";
      if (suffix == "-shm") continue;
      EXPECT_TRUE(dbBytes.count(suffix) && readFile(moved) == dbBytes[suffix]) << name << " changed";
    }
    expectNewEpochs(store, epochs);
    for (const auto& [ch, old] : epochs) newEpochs[ch] = store.load(ch, kKeepAll, kT0).epoch;
  }
  // The new database is sound and keeps its own epochs.
  SqliteHistory again(dir.path(), noPeriodicTrim());
  EXPECT_FALSE(again.damage().has_value()) << again.damage()->problem;
  for (const auto& [ch, epoch] : newEpochs) EXPECT_EQ(again.load(ch, kKeepAll, kT0).epoch, epoch);
  return damage;
}

TEST(SqliteIntegrityTest, GarbageFileIsMovedAsideAndChannelsGetNewEpochs) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  writeFile(dbOf(dir), garbage(3 * 4096, 1));
  const SqliteHistory::Damage d = openDamaged(dir, epochs);
  EXPECT_NE(d.problem.find("not a database"), std::string::npos) << d.problem;
  EXPECT_EQ(d.movedTo.size(), 1u);
}

TEST(SqliteIntegrityTest, TruncatedFileIsMovedAside) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  fs::resize_file(dbOf(dir), fs::file_size(dbOf(dir)) / 2);
  const SqliteHistory::Damage d = openDamaged(dir, epochs);
  EXPECT_NE(d.problem.find("malformed"), std::string::npos) << d.problem;
}

TEST(SqliteIntegrityTest, OverwrittenPublicationsPageIsFound) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  overwrite(dbOf(dir), publicationsLeafOffset(dbOf(dir)), std::string(64, '\xab'));
  const SqliteHistory::Damage d = openDamaged(dir, epochs);
  EXPECT_NE(d.problem.find("malformed"), std::string::npos) << d.problem;
}

TEST(SqliteIntegrityTest, OverwrittenRootPageIsReportedWithQuickChecksFindings) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  const std::uint64_t pageSize = queryInt(dbOf(dir), "PRAGMA page_size");
  const std::uint64_t root = queryInt(dbOf(dir), "SELECT rootpage FROM sqlite_schema WHERE name = 'publications'");
  overwrite(dbOf(dir), (root - 1) * pageSize, std::string(64, '\xab'));
  const SqliteHistory::Damage d = openDamaged(dir, epochs);
  EXPECT_EQ(d.problem.rfind("PRAGMA quick_check: Page " + std::to_string(root), 0), 0u) << d.problem;
  EXPECT_EQ(d.problem.find('\n'), std::string::npos) << d.problem;
}

// What SQLite does by itself with a -wal of garbage: nothing loud. It
// replays no frame of it, so the transactions committed in it are gone, and
// it deletes the file when its last connection closes. Hence the store's
// own reading of the -wal before SQLite opens it.
TEST(SqliteIntegrityTest, SqliteAloneSilentlyDropsAGarbageWal) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  appendInChildAndVanish(dir, epochs.at("a"), 5);
  writeFile(walOf(dir), garbage(fs::file_size(walOf(dir)), 2));
  fs::remove(dir.path() / "history.db-shm");
  EXPECT_EQ(queryText(dbOf(dir), "PRAGMA quick_check"), "ok");
  EXPECT_EQ(queryInt(dbOf(dir), "SELECT top FROM channels WHERE name = 'a'"), kPerChannel);  // not + 5
  EXPECT_FALSE(fs::exists(walOf(dir)));
}

TEST(SqliteIntegrityTest, GarbageWalIsMovedAsideWithItsDatabase) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  appendInChildAndVanish(dir, epochs.at("a"), 5);
  writeFile(walOf(dir), garbage(fs::file_size(walOf(dir)), 3));
  EXPECT_TRUE(detail::walDamage(walOf(dir)).has_value());
  const SqliteHistory::Damage d = openDamaged(dir, epochs);
  EXPECT_NE(d.problem.find("-wal"), std::string::npos) << d.problem;
  ASSERT_GE(d.movedTo.size(), 2u);
  EXPECT_EQ(d.movedTo[1], fs::path(d.movedTo[0].string() + "-wal"));
}

TEST(SqliteIntegrityTest, WalFrameDamagedBeforeLaterCommitsIsFound) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  appendInChildAndVanish(dir, epochs.at("a"), 5);
  // A byte of the first frame's page: its checksum, and every later one's, fail.
  overwrite(walOf(dir), 32 + 24 + 100, "\xab");
  const std::optional<std::string> problem = detail::walDamage(walOf(dir));
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->rfind("frame 1 of the -wal file fails its checksum", 0), 0u) << *problem;
  openDamaged(dir, epochs);
}

TEST(SqliteIntegrityTest, TornLastWalTransactionIsNoDamage) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  appendInChildAndVanish(dir, epochs.at("a"), 5);
  // Half of the last frame, as a crash in the middle of a commit leaves it:
  // the last transaction was never acknowledged, SQLite drops it.
  fs::resize_file(walOf(dir), fs::file_size(walOf(dir)) - 2000);
  EXPECT_FALSE(detail::walDamage(walOf(dir)).has_value());
  SqliteHistory store(dir.path(), noPeriodicTrim());
  EXPECT_FALSE(store.damage().has_value());
  const ChannelStream a = store.load("a", kKeepAll, kT0);
  EXPECT_EQ(a.epoch, epochs.at("a"));
  EXPECT_EQ(a.top, kPerChannel + 4);
  EXPECT_TRUE(damagedFiles(dir).empty());
}

TEST(SqliteIntegrityTest, SoundDatabaseWithLiveWalIsLeftExactlyAsItWas) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  appendInChildAndVanish(dir, epochs.at("a"), 5);
  const std::string db = readFile(dbOf(dir)), wal = readFile(walOf(dir));
  EXPECT_FALSE(detail::findDamage(dbOf(dir)).has_value());
  EXPECT_TRUE(readFile(dbOf(dir)) == db) << "the check changed the database";
  EXPECT_TRUE(readFile(walOf(dir)) == wal) << "the check changed or checkpointed the -wal";
  SqliteHistory store(dir.path(), noPeriodicTrim());
  EXPECT_FALSE(store.damage().has_value());
  for (const auto& [ch, epoch] : epochs) {
    const ChannelStream s = store.load(ch, kKeepAll, kT0);
    EXPECT_EQ(s.epoch, epoch);
    const std::uint64_t top = ch == "a" ? kPerChannel + 5 : kPerChannel;
    EXPECT_EQ(s.top, top);
    ASSERT_EQ(s.publications.size(), top);
    EXPECT_EQ(s.publications.back().data, pub(top).data);
  }
  EXPECT_TRUE(damagedFiles(dir).empty());
}

TEST(SqliteIntegrityTest, SoundDatabaseKeepsEpochsAndPublications) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  SqliteHistory store(dir.path(), noPeriodicTrim());
  EXPECT_FALSE(store.damage().has_value());
  for (const auto& [ch, epoch] : epochs) {
    const ChannelStream s = store.load(ch, kKeepAll, kT0);
    EXPECT_EQ(s.epoch, epoch);
    EXPECT_EQ(s.top, kPerChannel);
    ASSERT_EQ(s.publications.size(), kPerChannel);
    for (std::uint64_t i = 0; i < kPerChannel; ++i) EXPECT_EQ(s.publications[i].data, pub(i + 1).data);
  }
  EXPECT_TRUE(damagedFiles(dir).empty());
}

TEST(SqliteIntegrityTest, WalWithoutItsDatabaseIsMovedAside) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  appendInChildAndVanish(dir, epochs.at("a"), 3);
  const std::string wal = readFile(walOf(dir));
  fs::remove(dbOf(dir));
  SqliteHistory store(dir.path(), noPeriodicTrim());
  ASSERT_TRUE(store.damage().has_value());
  EXPECT_NE(store.damage()->problem.find("without its database"), std::string::npos) << store.damage()->problem;
  const fs::path movedWal = store.damage()->movedTo.at(0);
  EXPECT_TRUE(movedWal.filename().string().ends_with("-wal")) << movedWal;
  EXPECT_TRUE(readFile(movedWal) == wal);
  expectNewEpochs(store, epochs);
}

TEST(SqliteIntegrityTest, QuarantineNeverOverwritesAnEarlierOne) {
  test::TempDir dir;
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);  // 2023-11-14T22:13:20Z
  writeFile(dbOf(dir), "first");
  writeFile(walOf(dir), "first wal");
  const auto first = detail::quarantine(dbOf(dir), now);
  writeFile(dbOf(dir), "second");
  const auto second = detail::quarantine(dbOf(dir), now);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0], dir.path() / "history.db.damaged-20231114T221320Z");
  EXPECT_EQ(first[1], dir.path() / "history.db.damaged-20231114T221320Z-wal");
  EXPECT_EQ(second[0], dir.path() / "history.db.damaged-20231114T221320Z-2");
  EXPECT_EQ(readFile(first[0]), "first");
  EXPECT_EQ(readFile(first[1]), "first wal");
  EXPECT_EQ(readFile(second[0]), "second");
  EXPECT_FALSE(fs::exists(dbOf(dir)));
}

TEST(SqliteIntegrityTest, NewerSchemaIsAReadableErrorAndMovesNothing) {
  test::TempDir dir;
  makeHistory(dir);
  queryText(dbOf(dir), "PRAGMA user_version = 99");
  const std::string bytes = readFile(dbOf(dir));
  try {
    SqliteHistory store(dir.path(), noPeriodicTrim());
    FAIL() << "opened a database of a newer schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dbOf(dir).string()), std::string::npos) << e.what();
  }
  EXPECT_TRUE(damagedFiles(dir).empty());
  EXPECT_TRUE(readFile(dbOf(dir)) == bytes);
}

// Reports of Options::onCorruption, from any thread.
struct CorruptionReports {
  std::mutex m;
  std::vector<std::string> seen;

  SqliteHistory::Options options() {
    SqliteHistory::Options o = noPeriodicTrim();
    o.onCorruption = [this](const std::string& error) {
      std::lock_guard lock(m);
      seen.push_back(error);
    };
    return o;
  }
  std::size_t count() {
    std::lock_guard lock(m);
    return seen.size();
  }
};

// Damages, under the running store, the page that channel "b"'s next
// append and its load both need (the store has read no publication yet).
void damageUnderTheStore(const test::TempDir& dir) {
  overwrite(dbOf(dir), publicationsLeafOffset(dbOf(dir)), std::string(64, '\xab'));
}

TEST(SqliteIntegrityTest, CorruptionMetByALoadIsReportedOnce) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  CorruptionReports reports;
  SqliteHistory store(dir.path(), reports.options());
  ASSERT_FALSE(store.damage().has_value());
  EXPECT_FALSE(store.corruptionSeen().has_value());
  damageUnderTheStore(dir);
  EXPECT_THROW(store.load("b", kKeepAll, kT0), std::runtime_error);
  EXPECT_EQ(reports.count(), 1u);
  EXPECT_THROW(store.load("b", kKeepAll, kT0), std::runtime_error);
  EXPECT_FALSE(appendAndWait(store, "b", epochs.at("b"), {pub(kPerChannel + 1)}).ok);
  ASSERT_EQ(reports.count(), 1u);
  EXPECT_NE(reports.seen[0].find(dbOf(dir).string()), std::string::npos) << reports.seen[0];
  EXPECT_NE(reports.seen[0].find("malformed"), std::string::npos) << reports.seen[0];
  EXPECT_EQ(store.corruptionSeen(), reports.seen[0]);
  EXPECT_TRUE(damagedFiles(dir).empty());  // in use: never moved under the running store
}

TEST(SqliteIntegrityTest, CorruptionMetByTheWriterIsReportedBeforeTheFailure) {
  test::TempDir dir;
  const auto epochs = makeHistory(dir);
  CorruptionReports reports;
  SqliteHistory store(dir.path(), reports.options());
  damageUnderTheStore(dir);
  std::promise<std::pair<StoreResult, std::size_t>> done;
  store.append("b", epochs.at("b"), {pub(kPerChannel + 1)}, kKeepAll,
               [&](StoreResult r) { done.set_value({r, reports.count()}); });
  const auto [result, reportsBefore] = done.get_future().get();
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("malformed"), std::string::npos) << result.error;
  EXPECT_EQ(reportsBefore, 1u);
  EXPECT_THROW(store.load("b", kKeepAll, kT0), std::runtime_error);
  ASSERT_EQ(reports.count(), 1u);
  EXPECT_NE(reports.seen[0].find(dbOf(dir).string()), std::string::npos) << reports.seen[0];
}

}  // namespace
}  // namespace herald::store
