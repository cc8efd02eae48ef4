// SqliteHistory: the request queue, the writer thread's loop, and load()
// over a pool of read connections. The SQL itself is in
// sqlite_history_writer.cpp.

#include "herald/store/sqlite_history.hpp"

#include <future>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "history_rules.hpp"
#include "sqlite_history_detail.hpp"
#include "sqlite_integrity.hpp"

namespace herald::store {

using broker::ChannelStream;
using broker::HistoryLimits;
using broker::StoredPublication;
using broker::StoreResult;
using detail::SqliteRequest;

namespace {

std::int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::filesystem::path prepareDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw std::runtime_error("history store: cannot create data directory " + dir.string() + ": " + ec.message());
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    throw std::runtime_error("history store: data directory " + dir.string() + " is not a directory");
  }
  return dir;
}

}  // namespace

SqliteHistory::SqliteHistory(const std::filesystem::path& dataDir) : SqliteHistory(dataDir, Options{}) {}

SqliteHistory::SqliteHistory(const std::filesystem::path& dataDir, Options options)
    : path_(prepareDirectory(dataDir) / options.fileName), options_(std::move(options)) {
  if (sqlite3_threadsafe() == 0) {
    throw std::runtime_error("history store: this SQLite library was built without thread support");
  }
  if (!options_.clock) options_.clock = systemNowMs;
  // Before anything opens the file for writing: see "Damage" in the header.
  if (std::optional<std::string> problem = detail::findDamage(path_)) {
    damage_ = Damage{std::move(*problem), detail::quarantine(path_, std::chrono::system_clock::now())};
  }
  writer_ = std::make_unique<detail::SqliteWriter>(path_, options_.syncEveryCommit);
  // One reader now, so an unreadable database fails here and not at the
  // first load().
  readers_.push_back(std::make_unique<detail::SqliteReader>(path_));
  thread_ = std::thread([this] { run(); });
}

SqliteHistory::~SqliteHistory() {
  flush();
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::uint64_t SqliteHistory::enqueue(std::unique_ptr<SqliteRequest> request) {
  std::uint64_t seq = 0;
  {
    std::lock_guard lock(mutex_);
    seq = ++enqueued_;
    request->seq = seq;
    if (request->kind != SqliteRequest::Kind::Trim) ++pending_[request->channel];
    queue_.push_back(std::move(request));
  }
  wake_.notify_one();
  return seq;
}

StoreResult SqliteHistory::enqueueAndWait(std::unique_ptr<SqliteRequest> request) {
  std::promise<StoreResult> promise;
  std::future<StoreResult> future = promise.get_future();
  request->done = [&promise](StoreResult r) { promise.set_value(std::move(r)); };
  enqueue(std::move(request));
  return future.get();
}

void SqliteHistory::append(std::string channel, std::string epoch, std::vector<StoredPublication> publications,
                           HistoryLimits limits, std::function<void(StoreResult)> done) {
  auto r = std::make_unique<SqliteRequest>();
  r->kind = SqliteRequest::Kind::Append;
  r->channel = std::move(channel);
  r->epoch = std::move(epoch);
  r->publications = std::move(publications);
  r->limits = limits;
  r->done = std::move(done);
  enqueue(std::move(r));
}

void SqliteHistory::removeHistory(std::string channel, std::function<void(StoreResult)> done) {
  auto r = std::make_unique<SqliteRequest>();
  r->kind = SqliteRequest::Kind::Remove;
  r->channel = std::move(channel);
  r->done = std::move(done);
  enqueue(std::move(r));
}

void SqliteHistory::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = enqueued_;
  committed_.wait(lock, [&] { return completed_ >= target; });
}

void SqliteHistory::trimExpired() {
  auto r = std::make_unique<SqliteRequest>();
  r->kind = SqliteRequest::Kind::Trim;
  const StoreResult result = enqueueAndWait(std::move(r));
  if (!result.ok) throw std::runtime_error(result.error);
}

void SqliteHistory::setCommitObserver(std::function<void(std::chrono::microseconds, std::size_t)> observer) {
  std::lock_guard lock(observerMutex_);
  observer_ = std::move(observer);
}

std::optional<std::string> SqliteHistory::corruptionSeen() const {
  std::lock_guard lock(corruptionMutex_);
  return corruption_;
}

std::string SqliteHistory::lastWriteFailure() const {
  std::lock_guard lock(failureMutex_);
  return lastFailure_;
}

void SqliteHistory::noteCorruption(const std::string& error) {
  {
    std::lock_guard lock(corruptionMutex_);
    if (corruption_) return;
    corruption_ = error;
  }
  if (options_.onCorruption) options_.onCorruption(error);
}

ChannelStream SqliteHistory::load(std::string_view channel, const HistoryLimits& limits, std::int64_t nowMs) {
  {
    // Read the caller's own writes: wait for the requests of this channel
    // that are queued or being committed. The broker does not append to a
    // channel while its load() runs, so this wait ends.
    std::unique_lock lock(mutex_);
    committed_.wait(lock, [&] { return pending_.find(channel) == pending_.end(); });
  }
  try {
    return readOrCreate(channel, limits, nowMs);
  } catch (const detail::SqliteError& e) {
    // Met by a reader. The writer's own damage is noted by run().
    if (e.corruption()) noteCorruption(e.what());
    throw;
  }
}

ChannelStream SqliteHistory::readOrCreate(std::string_view channel, const HistoryLimits& limits, std::int64_t nowMs) {
  std::unique_ptr<detail::SqliteReader> reader = borrowReader();
  // On an exception the reader is dropped with it, not reused.
  std::optional<ChannelStream> stream = reader->read(channel, limits, nowMs);
  if (!stream) {
    // Unknown: the writer inserts the row (INSERT OR IGNORE, so a racing
    // creation keeps the first epoch) and commits it before we read it back.
    // Only the writer thread writes, so no SQLITE_BUSY juggling is needed.
    auto r = std::make_unique<SqliteRequest>();
    r->kind = SqliteRequest::Kind::Create;
    r->channel = std::string(channel);
    r->epoch = detail::randomEpoch();
    const StoreResult created = enqueueAndWait(std::move(r));
    if (!created.ok) throw std::runtime_error(created.error);
    stream = reader->read(channel, limits, nowMs);
    if (!stream) {
      throw std::runtime_error("history store " + path_.string() + ": channel \"" + std::string(channel) +
                               "\" missing right after its creation");
    }
  }
  giveBackReader(std::move(reader));
  return std::move(*stream);
}

std::unique_ptr<detail::SqliteReader> SqliteHistory::borrowReader() {
  {
    std::lock_guard lock(readersMutex_);
    if (!readers_.empty()) {
      auto reader = std::move(readers_.back());
      readers_.pop_back();
      return reader;
    }
  }
  return std::make_unique<detail::SqliteReader>(path_);
}

void SqliteHistory::giveBackReader(std::unique_ptr<detail::SqliteReader> reader) {
  std::lock_guard lock(readersMutex_);
  readers_.push_back(std::move(reader));
}

void SqliteHistory::run() {
  using Clock = std::chrono::steady_clock;
  const bool periodic = options_.trimInterval.count() > 0;
  Clock::time_point nextTrim = Clock::now() + options_.trimInterval;
  std::vector<std::unique_ptr<SqliteRequest>> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      auto ready = [this] { return stop_ || !queue_.empty(); };
      if (periodic) {
        wake_.wait_until(lock, nextTrim, ready);
      } else {
        wake_.wait(lock, ready);
      }
      if (stop_ && queue_.empty()) return;
      batch.swap(queue_);
    }
    if (periodic && Clock::now() >= nextTrim) {
      auto trim = std::make_unique<SqliteRequest>();
      trim->kind = SqliteRequest::Kind::Trim;  // seq 0: the writer's own
      batch.push_back(std::move(trim));
      nextTrim = Clock::now() + options_.trimInterval;
    }
    if (batch.empty()) continue;
    const std::optional<std::chrono::microseconds> took = writer_->applyBatch(batch, options_.clock());
    // Said before the failures it causes are reported.
    if (std::optional<std::string> corruption = writer_->takeCorruption()) noteCorruption(*corruption);
    if (std::optional<std::string> failure = writer_->takeFailure()) {
      {
        std::lock_guard lock(failureMutex_);
        lastFailure_ = std::move(*failure);
      }
      failedBatches_.fetch_add(1, std::memory_order_relaxed);
    }
    if (took) {
      commits_.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lock(observerMutex_);
      if (observer_) observer_(*took, batch.size());
    }
    finishBatch(batch);
    batch.clear();
  }
}

void SqliteHistory::finishBatch(std::vector<std::unique_ptr<SqliteRequest>>& batch) {
  std::uint64_t last = 0;
  {
    // Committed (or definitely not stored): loads of these channels may go.
    std::lock_guard lock(mutex_);
    for (const auto& r : batch) {
      if (r->seq == 0) continue;
      last = r->seq;
      if (r->kind == SqliteRequest::Kind::Trim) continue;
      const auto it = pending_.find(r->channel);
      if (it != pending_.end() && --it->second == 0) pending_.erase(it);
    }
  }
  committed_.notify_all();
  for (auto& r : batch) {
    if (r->done) r->done(std::move(r->result));
  }
  if (last != 0) {
    std::lock_guard lock(mutex_);
    completed_ = last;
  }
  committed_.notify_all();
}

}  // namespace herald::store
