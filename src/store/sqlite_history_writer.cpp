// SqliteHistory's writing connection: the schema, and every change a batch
// makes, in one transaction per batch.
//
// Durability choice: journal_mode=WAL with synchronous=FULL fsyncs the WAL
// at every COMMIT. Our promise, "acknowledged == survives kill -9 of the
// server", would already hold with NORMAL: under WAL a committed transaction
// is in the WAL file (the OS page cache) when COMMIT returns, and the kernel
// keeps it when the process dies. NORMAL loses the last commits only when
// the machine loses power. FULL costs one fsync per commit, and group commit
// shares that fsync among every request that queued meanwhile, so we keep
// the stronger promise by default (Options::syncEveryCommit).

#include <algorithm>
#include <limits>
#include <utility>

#include "history_rules.hpp"
#include "sqlite_history_detail.hpp"

namespace herald::store::detail {

using broker::StoredPublication;
using broker::StoreResult;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS channels (
  name         TEXT PRIMARY KEY,
  epoch        TEXT NOT NULL,
  top          INTEGER NOT NULL,            -- last durable offset, 0: none yet
  size         INTEGER NOT NULL DEFAULT 0,  -- the limits given with the last append
  ttl_ms       INTEGER NOT NULL DEFAULT 0,
  expire_at_ms INTEGER                      -- when the oldest kept publication expires; NULL: none kept
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS channels_expiry ON channels (expire_at_ms) WHERE expire_at_ms IS NOT NULL;
CREATE TABLE IF NOT EXISTS publications (
  channel   TEXT NOT NULL,
  offset    INTEGER NOT NULL,
  time_ms   INTEGER NOT NULL,
  data      TEXT NOT NULL,
  user      TEXT,                           -- NULL: no publisher info
  client    TEXT,
  conn_info TEXT,
  chan_info TEXT,
  tags      TEXT,                           -- netstrings "3:key,5:value,", NULL: none
  PRIMARY KEY (channel, offset)
) WITHOUT ROWID;
)sql";

bool initialise(Connection& db, bool syncEveryCommit) {
  const std::string mode = db.queryText("PRAGMA journal_mode=WAL");
  if (mode != "wal") {
    throw SqliteError("history store " + db.path() + ": cannot switch to WAL (journal_mode is \"" + mode + "\")");
  }
  db.exec(syncEveryCommit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  const std::string version = db.queryText("PRAGMA user_version");
  if (std::stoi(version.empty() ? "0" : version) > kSchemaVersion) {
    throw SqliteError("history store " + db.path() + ": schema version " + version +
                      " is newer than this Herald's (" + std::to_string(kSchemaVersion) + ")");
  }
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(kSchema);
    db.exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
    db.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return true;
}

std::int64_t clampToInt64(std::uint64_t v) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max()));
}

std::int64_t ttlMsOf(const broker::HistoryLimits& limits) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(limits.ttl).count();
}

}  // namespace

std::string encodeTags(const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string out;
  for (const auto& [k, v] : tags) {
    for (const std::string* s : {&k, &v}) {
      out += std::to_string(s->size());
      out += ':';
      out += *s;
      out += ',';
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> decodeTags(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> tags;
  // Only encodeTags writes this column: other bytes in it are damage.
  const auto corrupt = [] { return SqliteError("history store: corrupt tags", SQLITE_CORRUPT); };
  auto next = [&text, &corrupt]() {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 10) throw corrupt();
    std::size_t n = 0;
    for (char c : text.substr(0, colon)) {
      if (c < '0' || c > '9') throw corrupt();
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (text.size() < colon + 1 + n + 1 || text[colon + 1 + n] != ',') throw corrupt();
    std::string s(text.substr(colon + 1, n));
    text.remove_prefix(colon + 1 + n + 1);
    return s;
  };
  while (!text.empty()) {
    std::string k = next();
    if (text.empty()) throw corrupt();
    std::string v = next();
    tags.emplace_back(std::move(k), std::move(v));
  }
  return tags;
}

SqliteWriter::SqliteWriter(const std::filesystem::path& path, bool syncEveryCommit)
    : db_(path),
      ready_(initialise(db_, syncEveryCommit)),
      // IMMEDIATE: take the write lock at BEGIN, so nothing after it can
      // meet SQLITE_BUSY half-way (only this connection ever writes anyway).
      begin_(db_, "BEGIN IMMEDIATE"),
      commit_(db_, "COMMIT"),
      rollback_(db_, "ROLLBACK"),
      savepoint_(db_, "SAVEPOINT request"),
      release_(db_, "RELEASE request"),
      rollbackTo_(db_, "ROLLBACK TO request"),
      selectChannel_(db_, "SELECT epoch, top FROM channels WHERE name = ?1"),
      insertChannel_(db_, "INSERT OR IGNORE INTO channels (name, epoch, top) VALUES (?1, ?2, 0)"),
      updateChannel_(db_,
                     "UPDATE channels SET top = ?2, size = ?3, ttl_ms = ?4, expire_at_ms = ?5 WHERE name = ?1"),
      setExpiry_(db_, "UPDATE channels SET expire_at_ms = ?2 WHERE name = ?1"),
      dueChannels_(db_, "SELECT name, ttl_ms FROM channels WHERE expire_at_ms IS NOT NULL AND expire_at_ms <= ?1"),
      insertPub_(db_,
                 "INSERT INTO publications (channel, offset, time_ms, data, user, client, conn_info, chan_info, tags)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
      deleteAll_(db_, "DELETE FROM publications WHERE channel = ?1"),
      deleteUpTo_(db_, "DELETE FROM publications WHERE channel = ?1 AND offset <= ?2"),
      firstUnexpired_(db_,
                      "SELECT offset FROM publications WHERE channel = ?1 AND time_ms > ?2 ORDER BY offset LIMIT 1"),
      oldestTime_(db_, "SELECT time_ms FROM publications WHERE channel = ?1 ORDER BY offset LIMIT 1") {}

std::optional<std::chrono::microseconds> SqliteWriter::applyBatch(std::vector<std::unique_ptr<SqliteRequest>>& batch,
                                                                  std::int64_t nowMs) {
  auto failAll = [&batch](const std::string& why) {
    for (auto& r : batch) r->result = StoreResult{false, why};
  };
  try {
    begin_.run();
  } catch (const SqliteError& e) {
    failAll(seen(e).what());
    return std::nullopt;
  }
  for (auto& r : batch) {
    try {
      savepoint_.run();
      r->result = apply(*r, nowMs);
      // A refused request changed nothing, but rolling back costs nothing
      // and keeps that true whatever apply() did before refusing.
      if (!r->result.ok) rollbackTo_.run();
      release_.run();
    } catch (const SqliteError& e) {
      seen(e);
      if (db_.autocommit()) {
        // SQLite rolled the whole transaction back (disk full, I/O error):
        // the requests applied before this one are gone with it.
        failAll(std::string("not stored, the batch's transaction failed: ") + e.what());
        return std::nullopt;
      }
      r->result = StoreResult{false, e.what()};
      try {
        rollbackTo_.run();
        release_.run();
      } catch (const SqliteError& e2) {
        seen(e2);
        sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        failAll(std::string("not stored, the batch's transaction failed: ") + e2.what());
        return std::nullopt;
      }
    }
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    commit_.run();
  } catch (const SqliteError& e) {
    seen(e);
    if (!db_.autocommit()) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    failAll(std::string("not stored, commit failed: ") + e.what());
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

const SqliteError& SqliteWriter::seen(const SqliteError& e) {
  if (e.corruption() && !corruption_) corruption_ = e.what();
  failure_ = e.what();
  return e;
}

StoreResult SqliteWriter::apply(SqliteRequest& r, std::int64_t nowMs) {
  switch (r.kind) {
    case SqliteRequest::Kind::Append:
      return append(r);
    case SqliteRequest::Kind::Remove:
      remove(r.channel);
      return {};
    case SqliteRequest::Kind::Create:
      create(r.channel, r.epoch);
      return {};
    case SqliteRequest::Kind::Trim:
      trimDue(nowMs);
      return {};
  }
  return {false, "history store: unknown request"};
}

StoreResult SqliteWriter::append(SqliteRequest& r) {
  const std::string& ch = r.channel;
  std::string epoch;
  std::uint64_t top = 0;
  {
    ResetOnExit guard(selectChannel_);
    selectChannel_.bind(1, ch);
    if (!selectChannel_.step()) {
      return {false, "history: channel \"" + ch + "\" is unknown to the store (append before load)"};
    }
    epoch = selectChannel_.text(0);
    top = static_cast<std::uint64_t>(selectChannel_.int64(1));
  }
  if (r.epoch != epoch) {
    return {false, "history: epoch \"" + r.epoch + "\" of channel \"" + ch + "\" is not the store's \"" + epoch + "\""};
  }
  std::uint64_t expected = top + 1;
  for (const StoredPublication& p : r.publications) {
    if (p.offset != expected) {
      return {false, "history: offset " + std::to_string(p.offset) + " of channel \"" + ch +
                         "\" does not continue its top offset " + std::to_string(top)};
    }
    ++expected;
  }
  if (r.publications.empty()) return {};

  std::int64_t nowMs = r.publications.front().timeMs;
  std::string tags;
  for (const StoredPublication& p : r.publications) {
    nowMs = std::max(nowMs, p.timeMs);
    ResetOnExit guard(insertPub_);
    insertPub_.bind(1, ch).bind(2, clampToInt64(p.offset)).bind(3, p.timeMs).bindBlob(4, p.data);
    if (p.hasInfo) {
      insertPub_.bind(5, p.info.user).bind(6, p.info.client);
      if (!p.info.connInfo.empty()) insertPub_.bind(7, p.info.connInfo);
      if (!p.info.chanInfo.empty()) insertPub_.bind(8, p.info.chanInfo);
    }
    if (!p.tags.empty()) {
      tags = encodeTags(p.tags);
      insertPub_.bind(9, tags);
    }
    insertPub_.run();
  }
  top = expected - 1;

  // Size, then TTL at the newest appended publication's time, both from the
  // oldest end, so what is kept always ends at top without a hole.
  const std::int64_t ttlMs = ttlMsOf(r.limits);
  const std::uint64_t size = r.limits.size;
  if (size == 0 || ttlMs <= 0) {
    deleteAll_.bind(1, ch).run();
  } else {
    if (top > size) deleteUpTo_.bind(1, ch).bind(2, clampToInt64(top - size)).run();
    trimExpiredFront(ch, ttlMs, nowMs);
  }
  const std::optional<std::int64_t> expiry = (size == 0 || ttlMs <= 0) ? std::nullopt : expiryOf(ch, ttlMs);
  ResetOnExit guard(updateChannel_);
  updateChannel_.bind(1, ch).bind(2, clampToInt64(top)).bind(3, clampToInt64(size)).bind(4, ttlMs);
  if (expiry) updateChannel_.bind(5, *expiry);
  updateChannel_.run();
  return {};
}

void SqliteWriter::remove(const std::string& channel) {
  deleteAll_.bind(1, channel).run();
  setExpiry_.bind(1, channel).bindNull(2).run();
}

void SqliteWriter::create(const std::string& channel, const std::string& epoch) {
  insertChannel_.bind(1, channel).bind(2, epoch).run();
}

void SqliteWriter::trimDue(std::int64_t nowMs) {
  // Collected first: the loop below changes the rows this query walks.
  std::vector<std::pair<std::string, std::int64_t>> due;
  {
    ResetOnExit guard(dueChannels_);
    dueChannels_.bind(1, nowMs);
    while (dueChannels_.step()) due.emplace_back(dueChannels_.text(0), dueChannels_.int64(1));
  }
  for (const auto& [channel, ttlMs] : due) {
    if (ttlMs <= 0) {
      remove(channel);
      continue;
    }
    trimExpiredFront(channel, ttlMs, nowMs);
    const std::optional<std::int64_t> expiry = expiryOf(channel, ttlMs);
    ResetOnExit guard(setExpiry_);
    setExpiry_.bind(1, channel);
    if (expiry) setExpiry_.bind(2, *expiry);
    setExpiry_.run();
  }
}

void SqliteWriter::trimExpiredFront(const std::string& channel, std::int64_t ttlMs, std::int64_t nowMs) {
  // Expired: nowMs - time_ms >= ttlMs (history_rules.hpp), so the first one
  // kept is the oldest with time_ms > nowMs - ttlMs.
  std::optional<std::int64_t> firstKept;
  {
    ResetOnExit guard(firstUnexpired_);
    firstUnexpired_.bind(1, channel).bind(2, nowMs - ttlMs);
    if (firstUnexpired_.step()) firstKept = firstUnexpired_.int64(0);
  }
  if (!firstKept) {
    deleteAll_.bind(1, channel).run();
  } else if (*firstKept > 1) {
    deleteUpTo_.bind(1, channel).bind(2, *firstKept - 1).run();
  }
}

std::optional<std::int64_t> SqliteWriter::expiryOf(const std::string& channel, std::int64_t ttlMs) {
  ResetOnExit guard(oldestTime_);
  oldestTime_.bind(1, channel);
  if (!oldestTime_.step()) return std::nullopt;
  return oldestTime_.int64(0) + ttlMs;
}

SqliteReader::SqliteReader(const std::filesystem::path& path)
    : db_(path),
      begin_(db_, "BEGIN"),
      commit_(db_, "COMMIT"),
      selectChannel_(db_, "SELECT epoch, top FROM channels WHERE name = ?1"),
      selectPubs_(db_,
                  "SELECT offset, time_ms, data, user, client, conn_info, chan_info, tags FROM publications"
                  " WHERE channel = ?1 ORDER BY offset DESC LIMIT ?2") {
  db_.exec("PRAGMA query_only=1");
}

std::optional<broker::ChannelStream> SqliteReader::read(std::string_view channel, const broker::HistoryLimits& limits,
                                                        std::int64_t nowMs) {
  // A read transaction: the channel row and its publications come from the
  // same snapshot of the WAL, whatever the writer commits meanwhile.
  begin_.run();
  try {
    std::optional<broker::ChannelStream> out;
    {
      ResetOnExit guard(selectChannel_);
      selectChannel_.bind(1, channel);
      if (selectChannel_.step()) {
        out.emplace();
        out->epoch = selectChannel_.text(0);
        out->top = static_cast<std::uint64_t>(selectChannel_.int64(1));
      }
    }
    if (out && out->top > 0 && limits.size > 0 && limits.ttl.count() > 0) {
      ResetOnExit guard(selectPubs_);
      selectPubs_.bind(1, channel).bind(2, clampToInt64(limits.size));
      auto& pubs = out->publications;
      while (selectPubs_.step()) {
        StoredPublication& p = pubs.emplace_back();
        p.offset = static_cast<std::uint64_t>(selectPubs_.int64(0));
        p.timeMs = selectPubs_.int64(1);
        p.data = selectPubs_.text(2);
        p.hasInfo = !selectPubs_.isNull(3);
        if (p.hasInfo) {
          p.info.user = selectPubs_.text(3);
          p.info.client = selectPubs_.text(4);
          p.info.connInfo = selectPubs_.text(5);
          p.info.chanInfo = selectPubs_.text(6);
        }
        if (!selectPubs_.isNull(7)) p.tags = decodeTags(selectPubs_.text(7));
      }
      std::reverse(pubs.begin(), pubs.end());
      const std::size_t first = firstReturned(pubs, out->top, limits, nowMs);
      pubs.erase(pubs.begin(), pubs.begin() + static_cast<std::ptrdiff_t>(first));
    }
    commit_.run();
    return out;
  } catch (...) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace herald::store::detail
