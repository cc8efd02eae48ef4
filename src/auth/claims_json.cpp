// buildClaimsJson and appendJsonString, see claims.hpp.

#include <simdjson.h>

#include <cstdint>
#include <stdexcept>

#include "herald/auth/claims.hpp"

namespace herald::auth {

namespace {

// The length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629: no
// overlong forms, no surrogates, nothing past U+10FFFF).
std::size_t utf8Length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const std::size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                                                                   : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (len <= 1 || i + len > s.size()) return len == 1 ? 1 : 0;
  std::uint32_t cp = c & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (b & 0x3F);
  }
  static constexpr std::uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void appendKey(std::string& out, std::string_view key) {
  if (out.size() > 1) out.push_back(',');
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

void appendString(std::string& out, std::string_view key, std::string_view value) {
  appendKey(out, key);
  appendJsonString(out, value);
}

void appendNumber(std::string& out, std::string_view key, std::int64_t value) {
  appendKey(out, key);
  out += std::to_string(value);
}

}  // namespace

void appendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8Length(s, i);
      if (len == 0) throw std::invalid_argument("token claim is not valid UTF-8");
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

std::string buildClaimsJson(const ClaimsSpec& spec) {
  std::string out = "{";
  appendString(out, "sub", spec.sub);
  if (spec.exp) appendNumber(out, "exp", *spec.exp);
  if (spec.iat) appendNumber(out, "iat", *spec.iat);
  if (spec.nbf) appendNumber(out, "nbf", *spec.nbf);
  if (spec.expireAt) appendNumber(out, "expire_at", *spec.expireAt);
  if (!spec.info.empty()) {
    const simdjson::padded_string text(spec.info);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(text).get(root)) throw std::invalid_argument("token `info` is not valid JSON");
    appendKey(out, "info");
    out.append(spec.info);
  }
  if (!spec.channels.empty()) {
    appendKey(out, "channels");
    out.push_back('[');
    for (std::size_t i = 0; i < spec.channels.size(); ++i) {
      if (i) out.push_back(',');
      appendJsonString(out, spec.channels[i]);
    }
    out.push_back(']');
  }
  if (!spec.channel.empty()) appendString(out, "channel", spec.channel);
  if (!spec.aud.empty()) appendString(out, "aud", spec.aud);
  if (!spec.iss.empty()) appendString(out, "iss", spec.iss);
  if (!spec.jti.empty()) appendString(out, "jti", spec.jti);
  out.push_back('}');
  return out;
}

}  // namespace herald::auth
