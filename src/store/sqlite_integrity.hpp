#pragma once
// SqliteHistory's start-up check of its database file, and what becomes of
// a damaged one: it is renamed aside, never deleted or repaired, so the
// operator keeps every byte (docs/storage.md, "A damaged database").
//
// The -wal file is read here, byte by byte, before SQLite opens anything:
// SQLite itself silently ignores a WAL whose header or frames fail their
// checksums -- dropping the committed transactions in it -- and deletes the
// file when its last connection closes. The database file is then checked
// with PRAGMA quick_check (every b-tree page, record and freelist, without
// comparing indexes to their tables), on a connection that neither writes
// nor checkpoints, so a sound database leaves the check unchanged.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace herald::store::detail {

// What is wrong with the database at `path` or its -wal, in one line, or
// nothing when both are sound (or neither exists). Throws SqliteError when
// the check cannot run for a reason that is not damage (permissions, a lock
// held past the busy timeout, I/O errors): those stay start-up errors, and
// the file stays where it is.
std::optional<std::string> findDamage(const std::filesystem::path& path);

// The problem of the WAL file `wal`, or nothing when SQLite would replay
// every transaction committed in it. Empty, absent or unreadable: nothing
// (an unreadable one fails SQLite's open instead). A frame that fails its
// checksum is damage only when a committed transaction of the same WAL
// generation follows it; a bad last transaction is what a crash in the
// middle of a commit leaves, and SQLite rightly drops it.
std::optional<std::string> walDamage(const std::filesystem::path& wal);

// Renames `path`, then `path`-wal and `path`-shm (those that exist), to
// <path>.damaged-<yyyymmddThhmmssZ of `now`, UTC> plus the same suffixes,
// in the same directory, so that `sqlite3 <new name>` still finds its WAL.
// When a name is taken, "-2", "-3", ... is added before the suffixes;
// nothing is ever overwritten. Returns the new names, the database's first.
// Throws std::runtime_error naming the file when a rename fails.
std::vector<std::filesystem::path> quarantine(const std::filesystem::path& path,
                                              std::chrono::system_clock::time_point now);

}  // namespace herald::store::detail
