#pragma once
// The parts of SqliteHistory behind its header: the queued request, the
// writer's connection (schema and every statement that changes the
// database) and a reader's connection (what load() runs).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/broker/history_store.hpp"
#include "sqlite_db.hpp"

namespace herald::store::detail {

// The schema's version, kept in PRAGMA user_version.
inline constexpr int kSchemaVersion = 1;

struct SqliteRequest {
  enum class Kind { Append, Remove, Create, Trim };
  Kind kind = Kind::Append;
  std::string channel{};
  std::string epoch{};  // Append: the caller's; Create: the new one
  std::vector<broker::StoredPublication> publications{};
  broker::HistoryLimits limits{};
  std::function<void(broker::StoreResult)> done{};
  broker::StoreResult result{};
  std::uint64_t seq = 0;  // 0: the writer's own (periodic trimming)
};

// Tags as netstrings ("3:key,5:value,"): readable in the sqlite3 CLI and
// unambiguous whatever bytes a tag holds.
std::string encodeTags(const std::vector<std::pair<std::string, std::string>>& tags);
// Throws SqliteError on text that encodeTags did not write.
std::vector<std::pair<std::string, std::string>> decodeTags(std::string_view text);

class SqliteWriter {
 public:
  // Opens the database, sets WAL and the synchronous level, creates the
  // schema when missing. Throws SqliteError naming the path.
  SqliteWriter(const std::filesystem::path& path, bool syncEveryCommit);

  // Applies `batch` in one transaction, a SAVEPOINT per request, filling each
  // request's result, and commits. `nowMs` is the clock for Trim requests.
  // Returns how long COMMIT took, or nothing when no transaction could be
  // committed (then every result is an error).
  std::optional<std::chrono::microseconds> applyBatch(std::vector<std::unique_ptr<SqliteRequest>>& batch,
                                                      std::int64_t nowMs);
  // The first SQLITE_CORRUPT / SQLITE_NOTADB error applyBatch met since the
  // last call, if any.
  std::optional<std::string> takeCorruption() { return std::exchange(corruption_, std::nullopt); }
  // The last SQLite error applyBatch met since the last call (disk full, I/O
  // error, damage...), if any: some request of the batch was not stored.
  std::optional<std::string> takeFailure() { return std::exchange(failure_, std::nullopt); }

 private:
  // Remembers `e` when it says the file is damaged; returns it.
  const SqliteError& seen(const SqliteError& e);
  broker::StoreResult apply(SqliteRequest& r, std::int64_t nowMs);
  broker::StoreResult append(SqliteRequest& r);
  void remove(const std::string& channel);
  void create(const std::string& channel, const std::string& epoch);
  void trimDue(std::int64_t nowMs);
  // Drops the channel's oldest publications while expired at nowMs, then
  // records when its new oldest one expires.
  void trimExpiredFront(const std::string& channel, std::int64_t ttlMs, std::int64_t nowMs);
  std::optional<std::int64_t> expiryOf(const std::string& channel, std::int64_t ttlMs);

  Connection db_;
  bool ready_;  // the pragmas are set and the schema exists: statements can be prepared
  Statement begin_, commit_, rollback_, savepoint_, release_, rollbackTo_;
  Statement selectChannel_, insertChannel_, updateChannel_, setExpiry_, dueChannels_;
  Statement insertPub_, deleteAll_, deleteUpTo_, firstUnexpired_, oldestTime_;
  std::optional<std::string> corruption_;
  std::optional<std::string> failure_;
};

class SqliteReader {
 public:
  explicit SqliteReader(const std::filesystem::path& path);
  // The channel as a load() returns it, read in one transaction (one WAL
  // snapshot), or nothing when the database does not know the channel.
  std::optional<broker::ChannelStream> read(std::string_view channel, const broker::HistoryLimits& limits,
                                            std::int64_t nowMs);

 private:
  Connection db_;
  Statement begin_, commit_, selectChannel_, selectPubs_;
};

}  // namespace herald::store::detail
