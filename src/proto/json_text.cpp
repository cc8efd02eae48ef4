#include "json_text.hpp"

namespace herald::proto::detail {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Skips the digits at s[i..); whether there was at least one.
bool digits(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  while (i < s.size() && isDigit(s[i])) ++i;
  return i > start;
}

// Reads four hex digits; stops at the first byte that is not one, so it never
// reads past the closing quote.
bool hex4(const std::uint8_t* p, std::uint32_t& out) {
  out = 0;
  for (int i = 0; i < 4; ++i) {
    const std::uint8_t c = p[i];
    std::uint32_t d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return false;
    out = (out << 4) | d;
  }
  return true;
}

std::uint8_t* putUtf8(std::uint8_t* dst, std::uint32_t cp) {
  if (cp < 0x80) {
    *dst++ = static_cast<std::uint8_t>(cp);
  } else if (cp < 0x800) {
    *dst++ = static_cast<std::uint8_t>(0xC0 | (cp >> 6));
    *dst++ = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *dst++ = static_cast<std::uint8_t>(0xE0 | (cp >> 12));
    *dst++ = static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    *dst++ = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
  } else {
    *dst++ = static_cast<std::uint8_t>(0xF0 | (cp >> 18));
    *dst++ = static_cast<std::uint8_t>(0x80 | ((cp >> 12) & 0x3F));
    *dst++ = static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    *dst++ = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
  }
  return dst;
}

}  // namespace

std::string_view trimJsonSpace(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool isJsonNumber(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits(s, i)) {
    return false;
  }
  if (i < s.size() && s[i] == '.' && !digits(s, ++i)) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits(s, i)) return false;
  }
  return i == s.size();
}

std::uint8_t* unescapeLenient(const std::uint8_t* src, std::uint8_t* dst) {
  for (;;) {
    const std::uint8_t c = *src;
    if (c == '"') return dst;
    if (c < 0x20) return nullptr;  // control characters must be escaped
    if (c != '\\') {
      *dst++ = c;
      ++src;
      continue;
    }
    switch (src[1]) {
      case '"': *dst++ = '"'; break;
      case '\\': *dst++ = '\\'; break;
      case '/': *dst++ = '/'; break;
      case 'b': *dst++ = '\b'; break;
      case 'f': *dst++ = '\f'; break;
      case 'n': *dst++ = '\n'; break;
      case 'r': *dst++ = '\r'; break;
      case 't': *dst++ = '\t'; break;
      case 'u': {
        std::uint32_t cp, low;
        if (!hex4(src + 2, cp)) return nullptr;
        src += 6;
        if (cp >= 0xD800 && cp < 0xDC00 && src[0] == '\\' && src[1] == 'u' && hex4(src + 2, low) &&
            low >= 0xDC00 && low < 0xE000) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          src += 6;
        } else if (cp >= 0xD800 && cp < 0xE000) {
          cp = 0xFFFD;  // a lone surrogate
        }
        dst = putUtf8(dst, cp);
        continue;
      }
      default:
        return nullptr;
    }
    src += 2;
  }
}

}  // namespace herald::proto::detail
