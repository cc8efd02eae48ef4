#pragma once
// SqliteHistory: the HistoryStore contract (herald/broker/history_store.hpp)
// in one SQLite database file, the embedded default. docs/storage.md has the
// schema and how to look inside with the sqlite3 CLI.
//
// Durability: a request's `done` runs only after the transaction holding it
// is committed with journal_mode=WAL and synchronous=FULL, so an acknowledged
// publication survives kill -9 of the server and, on a disk that honours
// fsync, power loss too (Options::syncEveryCommit = false relaxes the second
// promise, never the first). A crash at any moment leaves each channel's top
// offset and its publications agreeing: both change in the same transaction.
//
// Threads: one writer thread owns the writing connection. append(),
// removeHistory() and the creation of unknown channels are queued (a mutex
// and a condition variable); the writer takes everything queued, applies it
// in ONE transaction (a SAVEPOINT per request, so a refused request leaves
// the rest of its batch intact), commits, then runs every `done` in request
// order on the writer thread. That is the group commit: the fsync of one
// commit is shared by every request that arrived while the previous commit
// was being written.
//
// load() may be called from several threads at once: each call borrows a
// read connection from a small pool (WAL readers never block the writer).
// load() first waits until the writer has committed every request already
// queued for that channel, so it always sees the caller's own appends. A
// channel the database does not know is created through the writer queue
// (its row is inserted and committed by the writer, the one thread that
// writes), then read back. So do not call flush(), trimExpired() or the
// load() of a channel that may be new from inside a `done` callback: it runs
// on the writer thread, which would wait on itself. `done` must not throw.
//
// Trimming: after each append its channel is trimmed to the limits given
// with it (size, then TTL at the newest appended publication's timeMs,
// dropping from the oldest end). The limits are remembered in the channel's
// row, and the writer also drops expired publications every
// Options::trimInterval using them and Options::clock. load() applies its
// own limits at its nowMs to what it returns.
//
// Damage: before opening an existing database the constructor checks it
// (its -wal's checksums, then PRAGMA quick_check; docs/storage.md has what
// it costs). A damaged file is never used, repaired or deleted: it and its
// -wal and -shm are renamed to history.db.damaged-<UTC time> beside it, and
// a new, empty database takes its place, so every channel gets a new epoch
// and subscribers recovering an old position are told it is gone, rather
// than shown a history with holes. damage() says what was found and where
// the files went; the caller decides how loudly to say it (this library
// never logs). A failure of the check that is not damage (permissions, a
// lock, an I/O error) is a constructor error and moves nothing. Damage met
// later, while running (SQLITE_CORRUPT or SQLITE_NOTADB in a load or a
// batch), fails that load or batch as any store error does, and is reported
// once through Options::onCorruption; the file stays in use.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "herald/broker/history_store.hpp"

namespace herald::store {

namespace detail {
class SqliteWriter;
class SqliteReader;
struct SqliteRequest;
}  // namespace detail

class SqliteHistory final : public broker::HistoryStore {
 public:
  struct Options {
    // synchronous=FULL (true) or NORMAL (false) under WAL; see the file
    // comment and docs/storage.md.
    bool syncEveryCommit = true;
    // How often the writer drops expired publications; zero: never (tests).
    std::chrono::milliseconds trimInterval{5000};
    // Unix milliseconds, for the periodic trimming only.
    std::function<std::int64_t()> clock{};
    // The database file's name inside the data directory.
    std::string fileName = "history.db";
    // Called once, with the error, the first time a load or the writer meets
    // SQLITE_CORRUPT or SQLITE_NOTADB (or a tags column encodeTags did not
    // write): the file was damaged under the running store. Runs on that
    // load's thread or on the writer thread, before the failure is
    // reported; must not throw.
    std::function<void(const std::string&)> onCorruption{};
  };

  // What the constructor's check found in an existing database.
  struct Damage {
    std::string problem;  // one line: quick_check's first findings, SQLite's error, or the -wal's problem
    // The damaged files as renamed, the database's first (then its -wal and
    // -shm, when they existed); only a -wal when it had no database.
    std::vector<std::filesystem::path> movedTo;
  };

  // Opens (creating when missing) `dataDir` and the database in it, after
  // checking an existing one (see Damage in the file comment), and starts
  // the writer. Throws std::runtime_error naming the path when the directory
  // or the database cannot be created, checked, opened or initialised, or a
  // damaged one cannot be moved aside.
  explicit SqliteHistory(const std::filesystem::path& dataDir);
  SqliteHistory(const std::filesystem::path& dataDir, Options options);
  // Flushes, then stops and joins the writer.
  ~SqliteHistory() override;
  SqliteHistory(const SqliteHistory&) = delete;
  SqliteHistory& operator=(const SqliteHistory&) = delete;

  broker::ChannelStream load(std::string_view channel, const broker::HistoryLimits& limits,
                             std::int64_t nowMs) override;
  void append(std::string channel, std::string epoch, std::vector<broker::StoredPublication> publications,
              broker::HistoryLimits limits, std::function<void(broker::StoreResult)> done) override;
  void removeHistory(std::string channel, std::function<void(broker::StoreResult)> done) override;
  void flush() override;

  // Runs an expiry pass now (as the periodic one does, at Options::clock)
  // and returns once it is committed.
  void trimExpired();

  // The database file.
  const std::filesystem::path& databasePath() const { return path_; }
  // What the start-up check found, when the database it found was damaged
  // (and moved aside; this store started a new one).
  const std::optional<Damage>& damage() const { return damage_; }
  // The error Options::onCorruption was called with, once it has been.
  std::optional<std::string> corruptionSeen() const;
  // Transactions the writer has committed so far (for metrics and tests).
  std::uint64_t commitCount() const { return commits_.load(std::memory_order_relaxed); }
  // Write batches (one transaction each) that met an SQLite error: disk
  // full, an I/O error, damage. What such a batch held was not stored, or
  // not all of it, and its callers were told so. With the last error seen.
  std::uint64_t failedBatchCount() const { return failedBatches_.load(std::memory_order_relaxed); }
  std::string lastWriteFailure() const;
  // Called on the writer thread after every commit with how long the commit
  // (COMMIT alone, the fsync) took and how many requests the batch held.
  // Replaces any earlier observer; an empty function removes it.
  void setCommitObserver(std::function<void(std::chrono::microseconds, std::size_t batchSize)> observer);

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  std::uint64_t enqueue(std::unique_ptr<detail::SqliteRequest> request);
  broker::StoreResult enqueueAndWait(std::unique_ptr<detail::SqliteRequest> request);
  void run();
  void finishBatch(std::vector<std::unique_ptr<detail::SqliteRequest>>& batch);
  std::unique_ptr<detail::SqliteReader> borrowReader();
  void giveBackReader(std::unique_ptr<detail::SqliteReader> reader);
  broker::ChannelStream readOrCreate(std::string_view channel, const broker::HistoryLimits& limits, std::int64_t nowMs);
  void noteCorruption(const std::string& error);

  std::filesystem::path path_;
  Options options_;
  std::optional<Damage> damage_;
  std::unique_ptr<detail::SqliteWriter> writer_;

  std::mutex mutex_;  // guards everything down to stop_
  std::condition_variable wake_;       // the writer waits for requests
  std::condition_variable committed_;  // flush() and load() wait for commits
  std::vector<std::unique_ptr<detail::SqliteRequest>> queue_;
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> pending_;  // queued, uncommitted
  std::uint64_t enqueued_ = 0;   // requests ever queued
  std::uint64_t completed_ = 0;  // requests whose `done` has run
  bool stop_ = false;

  std::mutex readersMutex_;
  std::vector<std::unique_ptr<detail::SqliteReader>> readers_;

  std::mutex observerMutex_;
  std::function<void(std::chrono::microseconds, std::size_t)> observer_;

  std::atomic<std::uint64_t> failedBatches_{0};
  mutable std::mutex failureMutex_;
  std::string lastFailure_;

  mutable std::mutex corruptionMutex_;
  std::optional<std::string> corruption_;

  std::atomic<std::uint64_t> commits_{0};
  std::thread thread_;
};

}  // namespace herald::store
