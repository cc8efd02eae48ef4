#include "herald/proto/json_writer.hpp"

#include <charconv>
#include <cstring>

namespace herald::proto {

namespace {

// Bytes that may be copied into a JSON string as they are.
constexpr bool isPlain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

// Whether any of the eight bytes of `w` is < 0x20, >= 0x80, '"' or '\\'.
constexpr bool wordNeedsWork(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  const std::uint64_t control = (w - kOnes * 0x20) & ~w;        // byte < 0x20 (or >= 0x80)
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  const std::uint64_t zeroQuote = (quote - kOnes) & ~quote;
  const std::uint64_t zeroBackslash = (backslash - kOnes) & ~backslash;
  return ((control | zeroQuote | zeroBackslash | w) & kHigh) != 0;
}

// Length of the well-formed UTF-8 sequence at s[0..n) (Unicode 15, table
// 3-7), or 0 when it is not one.
std::size_t utf8Sequence(const unsigned char* s, std::size_t n) {
  const unsigned char c = s[0];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlongs
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // no overlongs
    if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (std::size_t i = 2; i < len; ++i)
    if ((s[i] & 0xC0) != 0x80) return 0;
  return len;
}

void appendEscape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"': out.append("\\\""); return;
    case '\\': out.append("\\\\"); return;
    case '\b': out.append("\\b"); return;
    case '\f': out.append("\\f"); return;
    case '\n': out.append("\\n"); return;
    case '\r': out.append("\\r"); return;
    case '\t': out.append("\\t"); return;
    default: {
      const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.append(u, sizeof u);
    }
  }
}

}  // namespace

void appendJsonString(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  std::size_t i = 0;
  while (i < n) {
    // Skip plain ASCII eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (wordNeedsWork(w)) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = p[i];
    if (isPlain(c)) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (std::size_t len = utf8Sequence(p + i, n - i)) {
        i += len;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    if (c >= 0x80)
      out.append("\\ufffd");
    else
      appendEscape(out, c);
    run = ++i;
  }
  out.append(s.data() + run, n - run);
  out.push_back('"');
}

void appendRawJson(std::string& out, std::string_view raw) {
  for (;;) {
    const void* nl = std::memchr(raw.data(), '\n', raw.size());
    if (!nl) break;
    const auto cut = static_cast<std::size_t>(static_cast<const char*>(nl) - raw.data());
    out.append(raw.data(), cut);
    raw.remove_prefix(cut + 1);
  }
  out.append(raw);
}

void appendUint(std::string& out, std::uint64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void appendInt(std::string& out, std::int64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

}  // namespace herald::proto
