// The value syntaxes of the configuration: durations, byte sizes, TOML
// strings, and the typo suggestions of its error messages.

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>

#include "config/options.hpp"

namespace herald::server {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// Reads the digits at the front of `s` into `out`; false when there are none
// or they overflow.
bool takeNumber(std::string_view& s, std::uint64_t& out) {
  std::size_t i = 0;
  out = 0;
  for (; i < s.size() && isDigit(s[i]); ++i) {
    const auto digit = static_cast<std::uint64_t>(s[i] - '0');
    if (out > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    out = out * 10 + digit;
  }
  s.remove_prefix(i);
  return i > 0;
}

bool mulAdd(std::uint64_t& total, std::uint64_t n, std::uint64_t unit) {
  if (n != 0 && unit > std::numeric_limits<std::uint64_t>::max() / n) return false;
  const std::uint64_t v = n * unit;
  if (total > std::numeric_limits<std::uint64_t>::max() - v) return false;
  total += v;
  return true;
}

}  // namespace

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  using Ms = std::chrono::milliseconds;
  if (text.empty()) return std::nullopt;
  std::uint64_t n = 0;
  std::string_view s = text;
  if (std::all_of(s.begin(), s.end(), isDigit)) {  // bare seconds
    std::uint64_t total = 0;
    if (!takeNumber(s, n) || !mulAdd(total, n, 1000)) return std::nullopt;
    if (total > static_cast<std::uint64_t>(std::numeric_limits<Ms::rep>::max())) return std::nullopt;
    return Ms(static_cast<Ms::rep>(total));
  }
  std::uint64_t total = 0;
  while (!s.empty()) {
    if (!takeNumber(s, n)) return std::nullopt;
    std::uint64_t unit = 0;
    if (s.starts_with("ms")) {
      unit = 1, s.remove_prefix(2);
    } else if (s.starts_with("s")) {
      unit = 1000, s.remove_prefix(1);
    } else if (s.starts_with("m")) {
      unit = 60'000, s.remove_prefix(1);
    } else if (s.starts_with("h")) {
      unit = 3'600'000, s.remove_prefix(1);
    } else if (s.starts_with("d")) {
      unit = 86'400'000, s.remove_prefix(1);
    } else {
      return std::nullopt;  // a number without a unit inside a combination, or an unknown unit
    }
    if (!mulAdd(total, n, unit)) return std::nullopt;
  }
  if (total > static_cast<std::uint64_t>(std::numeric_limits<Ms::rep>::max())) return std::nullopt;
  return Ms(static_cast<Ms::rep>(total));
}

std::optional<std::uint64_t> parseByteSize(std::string_view text) {
  std::string_view s = text;
  std::uint64_t n = 0;
  if (!takeNumber(s, n)) return std::nullopt;
  if (s.starts_with(' ')) s.remove_prefix(1);
  struct Unit {
    std::string_view name;
    std::uint64_t factor;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"b", 1},
      {"kb", 1000},
      {"mb", 1000 * 1000},
      {"gb", 1000 * 1000 * 1000},
      {"kib", std::uint64_t{1} << 10},
      {"mib", std::uint64_t{1} << 20},
      {"gib", std::uint64_t{1} << 30},
  };
  if (s.empty() && text.back() == ' ') return std::nullopt;
  for (const Unit& u : kUnits) {
    if (equalsIgnoreCase(s, u.name)) {
      std::uint64_t total = 0;
      if (!mulAdd(total, n, u.factor)) return std::nullopt;
      return total;
    }
  }
  return std::nullopt;
}

std::optional<std::pair<std::string, std::uint16_t>> splitHostPort(std::string_view address) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // a bare IPv6 address needs brackets
  }
  std::uint64_t n = 0;
  if (port.empty() || port.size() > 5 || !takeNumber(port, n) || !port.empty() || n == 0 || n > 65535)
    return std::nullopt;
  return std::pair{std::string(host), static_cast<std::uint16_t>(n)};
}

namespace detail {

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  // Close enough: two edits, or a third one in a long word.
  const std::size_t limit = word.size() >= 10 ? 3 : 2;
  std::string best;
  std::size_t bestDistance = limit + 1;
  for (const std::string& c : candidates) {
    const std::size_t d = editDistance(word, c);
    if (d < bestDistance) bestDistance = d, best = c;
  }
  return best;
}

std::string formatSeconds(std::chrono::seconds s) {
  const auto n = s.count();
  if (n != 0 && n % 86'400 == 0) return std::to_string(n / 86'400) + "d";
  if (n != 0 && n % 3'600 == 0) return std::to_string(n / 3'600) + "h";
  if (n != 0 && n % 60 == 0) return std::to_string(n / 60) + "m";
  return std::to_string(n) + "s";
}

std::string formatBytes(std::uint64_t n) {
  if (n != 0 && n % (std::uint64_t{1} << 30) == 0) return std::to_string(n >> 30) + "GiB";
  if (n != 0 && n % (std::uint64_t{1} << 20) == 0) return std::to_string(n >> 20) + "MiB";
  if (n != 0 && n % (std::uint64_t{1} << 10) == 0) return std::to_string(n >> 10) + "KiB";
  return std::to_string(n);
}

std::string tomlQuote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace detail

}  // namespace herald::server
