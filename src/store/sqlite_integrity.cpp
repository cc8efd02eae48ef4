// The start-up check and the quarantine of a damaged database (see
// sqlite_integrity.hpp). The WAL layout and its checksum are those of
// SQLite's file format documentation (https://sqlite.org/fileformat2.html,
// "The Write-Ahead Log").

#include "sqlite_integrity.hpp"

#include <time.h>  // gmtime_r

#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "sqlite_db.hpp"

namespace herald::store::detail {

namespace {

constexpr std::size_t kWalHeaderBytes = 32;
constexpr std::size_t kFrameHeaderBytes = 24;
constexpr std::uint32_t kWalMagic = 0x377f0682;  // | 1: checksums over big-endian words
constexpr std::uint32_t kWalVersion = 3007000;
// quick_check stops after this many findings (a badly damaged file has
// thousands); the first kReportedLines make the one-line problem.
constexpr std::size_t kCheckLimit = 10;
constexpr std::size_t kReportedLines = 3;

std::uint32_t bigEndian32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::uint32_t littleEndian32(const unsigned char* p) {
  return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | std::uint32_t{p[0]};
}

// The WAL's running checksum: two 32-bit sums over pairs of words.
struct WalChecksum {
  bool bigEndianWords = false;
  std::uint32_t s0 = 0, s1 = 0;

  void add(const unsigned char* p, std::size_t n) {  // n: a multiple of 8
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      const std::uint32_t x0 = bigEndianWords ? bigEndian32(p + i) : littleEndian32(p + i);
      const std::uint32_t x1 = bigEndianWords ? bigEndian32(p + i + 4) : littleEndian32(p + i + 4);
      s0 += x0 + s1;
      s1 += x1 + s0;
    }
  }
  bool matches(const unsigned char* stored) const { return s0 == bigEndian32(stored) && s1 == bigEndian32(stored + 4); }
};

bool present(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

std::filesystem::path withSuffix(const std::filesystem::path& p, const char* suffix) {
  return std::filesystem::path(p.string() + suffix);
}

// quick_check's findings in one line, or nothing when it says "ok".
std::optional<std::string> quickCheck(const std::filesystem::path& path, bool hasWal) {
  try {
    Connection db(path);
    // Closing the last connection checkpoints the -wal into the database
    // and deletes it: a -wal that was there stays as it was. One that this
    // check creates (empty) is deleted again, with its -shm.
    if (hasWal && sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr) != SQLITE_OK) {
      db.fail("cannot turn off the checkpoint on close");
    }
    db.exec("PRAGMA query_only=1");
    // Preparing reads the schema: a file that is not a database fails here.
    const std::string sql = "PRAGMA quick_check(" + std::to_string(kCheckLimit) + ")";
    Statement check(db, sql.c_str());
    std::vector<std::string> lines;
    while (check.step()) {
      const std::string row = check.text(0);
      std::size_t start = 0;
      while (start <= row.size()) {
        std::size_t end = row.find('\n', start);
        if (end == std::string::npos) end = row.size();
        std::string line = row.substr(start, end - start);
        if (!line.empty() && line.rfind("*** in database", 0) != 0) lines.push_back(std::move(line));
        start = end + 1;
      }
    }
    if (lines.size() == 1 && lines[0] == "ok") return std::nullopt;
    std::string problem = "PRAGMA quick_check: ";
    for (std::size_t i = 0; i < lines.size() && i < kReportedLines; ++i) {
      if (i) problem += "; ";
      problem += lines[i];
    }
    if (lines.size() >= kCheckLimit) {
      problem += "; and more";
    } else if (lines.size() > kReportedLines) {
      problem += "; and " + std::to_string(lines.size() - kReportedLines) + " more";
    }
    if (lines.empty()) problem += "no answer";
    return problem;
  } catch (const SqliteError& e) {
    if (!e.corruption()) throw;
    return std::string("SQLite: ") + sqlite3_errstr(e.code());
  }
}

std::string utcStamp(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

}  // namespace

std::optional<std::string> walDamage(const std::filesystem::path& wal) {
  std::ifstream in(wal, std::ios::binary);
  if (!in) return std::nullopt;
  std::array<unsigned char, kWalHeaderBytes> header{};
  in.read(reinterpret_cast<char*>(header.data()), header.size());
  const auto got = static_cast<std::size_t>(in.gcount());
  if (got == 0) return std::nullopt;
  if (got < header.size()) return "the -wal file (" + std::to_string(got) + " bytes) is shorter than a WAL header";
  const std::uint32_t magic = bigEndian32(header.data());
  const std::uint32_t pageSize = bigEndian32(header.data() + 8);
  if ((magic & ~std::uint32_t{1}) != kWalMagic) return "the -wal file is not a WAL (no WAL magic number)";
  if (bigEndian32(header.data() + 4) != kWalVersion) return "the -wal file has an unknown WAL version";
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) != 0) {
    return "the -wal file's header gives an impossible page size (" + std::to_string(pageSize) + ")";
  }
  WalChecksum sum{.bigEndianWords = (magic & 1) != 0};
  sum.add(header.data(), 24);
  if (!sum.matches(header.data() + 24)) return "the -wal file's header fails its checksum";

  // Frames of this generation carry the header's salts; SQLite replays them
  // up to the first that fails the running checksum.
  std::vector<unsigned char> frame(kFrameHeaderBytes + pageSize);
  std::uint64_t index = 0, firstBad = 0, committedAfter = 0;
  bool bad = false;
  while (in.read(reinterpret_cast<char*>(frame.data()), static_cast<std::streamsize>(frame.size()))) {
    ++index;
    const bool ours = std::equal(frame.begin() + 8, frame.begin() + 16, header.begin() + 16);
    if (!bad) {
      if (!ours) break;  // an older generation's frames: SQLite stops here too
      sum.add(frame.data(), 8);
      sum.add(frame.data() + kFrameHeaderBytes, pageSize);
      if (!sum.matches(frame.data() + 16)) {
        bad = true;
        firstBad = index;
      }
    } else if (ours && bigEndian32(frame.data() + 4) != 0) {
      ++committedAfter;
    }
  }
  if (bad && committedAfter > 0) {
    return "frame " + std::to_string(firstBad) + " of the -wal file fails its checksum, and " +
           std::to_string(committedAfter) + " committed transaction(s) after it would be dropped";
  }
  return std::nullopt;
}

std::optional<std::string> findDamage(const std::filesystem::path& path) {
  const std::filesystem::path wal = withSuffix(path, "-wal");
  if (!present(path)) {
    std::error_code ec;
    if (present(wal) && std::filesystem::file_size(wal, ec) > 0 && !ec) {
      return "a -wal file without its database (SQLite would replay it into a new, empty one)";
    }
    return std::nullopt;
  }
  if (auto problem = walDamage(wal)) return problem;
  return quickCheck(path, present(wal));
}

std::vector<std::filesystem::path> quarantine(const std::filesystem::path& path,
                                              std::chrono::system_clock::time_point now) {
  static constexpr const char* kSuffixes[] = {"", "-wal", "-shm"};
  const std::string base = path.string() + ".damaged-" + utcStamp(now);
  std::string target = base;
  for (int n = 2;; ++n) {
    bool taken = false;
    for (const char* s : kSuffixes) taken = taken || present(target + s);
    if (!taken) break;
    target = base + "-" + std::to_string(n);
  }
  // The database first: should we stop half-way, a -wal left behind without
  // its database is found and moved by the next start's check, never
  // replayed into a new database.
  std::vector<std::filesystem::path> moved;
  for (const char* s : kSuffixes) {
    const std::filesystem::path from = withSuffix(path, s);
    if (!present(from)) continue;
    const std::filesystem::path to = target + s;
    std::error_code ec;
    std::filesystem::rename(from, to, ec);
    if (ec) {
      throw std::runtime_error("history store: cannot move the damaged " + from.string() + " aside to " + to.string() +
                               ": " + ec.message());
    }
    moved.push_back(to);
  }
  return moved;
}

}  // namespace herald::store::detail
