#pragma once
// A thin RAII layer over the SQLite C API for the history store: a
// connection, a prepared statement, and one exception type. Every failure
// throws SqliteError with SQLite's message, the database path and SQLite's
// (extended) result code, so the callers decide once, per request or per
// load, what a failure means -- and can tell a damaged file (corruption())
// from a full disk or a busy lock.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace herald::store::detail {

class SqliteError : public std::runtime_error {
 public:
  // `code`: SQLite's extended result code, 0 for failures SQLite did not report.
  explicit SqliteError(const std::string& message, int code = 0) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }
  // SQLITE_CORRUPT or SQLITE_NOTADB, with any extended code: the file's
  // bytes are not a sound database, whatever the statement was.
  bool corruption() const { return isCorruption(code_); }
  static bool isCorruption(int code) { return (code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB; }

 private:
  int code_;
};

class Connection {
 public:
  // Opens (or creates) the database at `path`, without SQLite's own mutex:
  // a Connection is used by one thread at a time.
  explicit Connection(const std::filesystem::path& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }
  // Runs one or more statements that return no rows we need.
  void exec(const char* sql);
  // Runs a statement returning one text value (a PRAGMA), and returns it.
  std::string queryText(const char* sql);
  // "history store <path>: <what>: <SQLite's message>"
  [[noreturn]] void fail(std::string_view what) const;
  // True when SQLite rolled the open transaction back by itself (after
  // SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, ...), or none was open.
  bool autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Statement {
 public:
  Statement(Connection& db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1; text is not copied, so it must outlive
  // the statement's next reset().
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  // Bytes that need not be UTF-8 (a publication's data); text() reads them back.
  Statement& bindBlob(int index, std::string_view bytes);
  Statement& bindNull(int index);

  // True: a row is ready; false: done. Throws on error (after resetting).
  bool step();
  // Steps a statement that returns no rows, then resets it.
  void run();
  // Ready for new parameters (clears the bindings too).
  void reset();

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool isNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string text(int column) const;

 private:
  Connection& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when leaving a scope, whatever the way out.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& s) : s_(s) {}
  ~ResetOnExit() { s_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& s_;
};

}  // namespace herald::store::detail
