// The RAII layer over SQLite (see sqlite_db.hpp).

#include "sqlite_db.hpp"

namespace herald::store::detail {

Connection::Connection(const std::filesystem::path& path) : path_(path.string()) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError("history store: cannot open database " + path_ + ": " + why, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Readers may meet the writer's checkpoint or WAL recovery; wait, not fail.
  sqlite3_busy_timeout(db_, 10000);
}

Connection::~Connection() {
  // Every Statement of this connection is destroyed first (members declared
  // after the Connection), so close_v2 has nothing left to defer.
  sqlite3_close_v2(db_);
}

void Connection::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
}

std::string Connection::queryText(const char* sql) {
  Statement s(*this, sql);
  std::string value;
  if (s.step()) value = s.text(0);
  s.reset();
  return value;
}

void Connection::fail(std::string_view what) const {
  throw SqliteError("history store " + path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_),
                    sqlite3_extended_errcode(db_));
}

Statement::Statement(Connection& db, const char* sql) : db_(db) {
  if (sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
    db.fail(std::string("cannot prepare \"") + sql + "\"");
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // A non-null pointer even for "", so that "" is stored as '' and not NULL.
  static const char kEmpty[] = "";
  const char* p = text.data() ? text.data() : kEmpty;
  if (sqlite3_bind_text64(stmt_, index, p, text.size(), SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bindBlob(int index, std::string_view bytes) {
  static const char kEmpty[] = "";
  const char* p = bytes.data() ? bytes.data() : kEmpty;
  if (sqlite3_bind_blob64(stmt_, index, p, bytes.size(), SQLITE_STATIC) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bindNull(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_.fail("bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The message must be read before reset() can replace it.
  std::string what = std::string("\"") + sqlite3_sql(stmt_) + "\"";
  std::string msg = sqlite3_errmsg(db_.get());
  reset();
  throw SqliteError("history store " + db_.path() + ": " + what + ": " + msg, rc);
}

void Statement::run() {
  ResetOnExit guard(*this);
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
  // For a BLOB too: sqlite3_column_text returns its bytes unchanged.
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace herald::store::detail
