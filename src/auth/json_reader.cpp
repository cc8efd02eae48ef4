// The header and claims readers over simdjson, see json_reader.hpp.
//
// Each text is copied once into a padded buffer and parsed twice: the DOM
// pass rejects anything that is not exactly one valid JSON value (On-Demand
// would skip an unknown claim's value without checking its numbers or
// literals), and the On-Demand pass reads the claims, keeping `info`,
// `meta`, `data`, `override` and each `subs` entry as the raw text they were
// signed as. Tokens are verified once per connect or subscribe, so the
// second pass is not on any hot path.

#include "json_reader.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "herald/auth/base64.hpp"

namespace herald::auth::detail {

namespace od = simdjson::ondemand;

namespace {

std::string_view trimJsonSpace(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The whole-text check of the DOM pass.
std::string validate(const simdjson::padded_string& text) {
  simdjson::dom::parser dom;
  if (dom.allocate(text.size(), kMaxJsonDepth) != simdjson::SUCCESS) return "JSON too large";
  simdjson::dom::element root;
  const auto error = dom.parse(text).get(root);
  if (error == simdjson::DEPTH_ERROR) return "JSON nested too deeply";
  if (error) return std::string("invalid JSON: ") + simdjson::error_message(error);
  if (root.type() != simdjson::dom::element_type::OBJECT) return "not a JSON object";
  return {};
}

bool isNull(od::value& v) {
  bool null = false;
  return !v.is_null().get(null) && null;
}

std::string expected(std::string_view claim, std::string_view what) {
  return "claim `" + std::string(claim) + "` is not " + std::string(what);
}

bool readString(od::value& v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  out.assign(s);
  return true;
}

// The JSON text of `v`, whatever its type (the text was validated whole).
bool readRaw(od::value& v, std::string& out) {
  od::json_type type;
  if (v.type().get(type)) return false;
  std::string_view raw;
  if (type == od::json_type::object) {
    od::object o;
    if (v.get_object().get(o) || o.raw_json().get(raw)) return false;
  } else if (type == od::json_type::array) {
    od::array a;
    if (v.get_array().get(a) || a.raw_json().get(raw)) return false;
  } else {
    raw = v.raw_json_token();
  }
  out.assign(trimJsonSpace(raw));
  return true;
}

// A NumericDate (RFC 7519 section 2): an integer, or a decimal truncated to
// whole seconds; refused when it does not fit in int64.
bool readNumericDate(od::value& v, std::optional<std::int64_t>& out) {
  od::json_type type;
  if (v.type().get(type) || type != od::json_type::number) return false;
  const std::string_view token = trimJsonSpace(v.raw_json_token());
  std::int64_t whole = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), whole);
  if (ec == std::errc() && end == token.data() + token.size()) {
    out = whole;
    return true;
  }
  double d = 0;
  auto [dend, dec] = std::from_chars(token.data(), token.data() + token.size(), d);
  if (dec != std::errc() || dend != token.data() + token.size() || !std::isfinite(d)) return false;
  d = std::trunc(d);
  if (d < -9.2e18 || d > 9.2e18) return false;
  out = static_cast<std::int64_t>(d);
  return true;
}

bool readStringArray(od::value& v, std::vector<std::string>& out) {
  od::array arr;
  if (v.get_array().get(arr)) return false;
  for (auto item : arr) {
    od::value e;
    if (std::move(item).get(e)) return false;
    std::string s;
    if (!readString(e, s)) return false;
    out.push_back(std::move(s));
  }
  return true;
}

// The claims both token kinds know, plus the Centrifugo ones; a bit each,
// to refuse a claim given twice.
enum Known : std::uint32_t {
  kSub = 1u << 0, kExp = 1u << 1, kIat = 1u << 2, kNbf = 1u << 3, kJti = 1u << 4,
  kIss = 1u << 5, kAud = 1u << 6, kInfo = 1u << 7, kB64Info = 1u << 8, kMeta = 1u << 9,
  kChannels = 1u << 10, kSubs = 1u << 11, kExpireAt = 1u << 12, kChannel = 1u << 13,
  kClient = 1u << 14, kData = 1u << 15, kB64Data = 1u << 16, kOverride = 1u << 17,
};

std::uint32_t knownBit(std::string_view key) {
  static constexpr std::pair<std::string_view, Known> kNames[] = {
      {"sub", kSub},         {"exp", kExp},           {"iat", kIat},       {"nbf", kNbf},
      {"jti", kJti},         {"iss", kIss},           {"aud", kAud},       {"info", kInfo},
      {"b64info", kB64Info}, {"meta", kMeta},         {"channels", kChannels},
      {"subs", kSubs},       {"expire_at", kExpireAt}, {"channel", kChannel},
      {"client", kClient},   {"data", kData},         {"b64data", kB64Data},
      {"override", kOverride},
  };
  for (const auto& [name, bit] : kNames)
    if (name == key) return bit;
  return 0;
}

// One `subs` entry's options: {"info": .., "b64info": "..", "data": .., ...}.
std::string readSubOptions(std::string_view raw, SubClaim& sub) {
  const simdjson::padded_string text(raw);
  od::parser parser;
  od::document doc;
  od::object obj;
  if (parser.iterate(text).get(doc) || doc.get_object().get(obj))
    return "`subs` entry of `" + sub.channel + "` is not an object";
  std::uint32_t seen = 0;
  std::string b64info, b64data;
  for (auto f : obj) {
    od::field field;
    std::string_view key;
    if (std::move(f).get(field) || field.unescaped_key().get(key)) return "invalid JSON in `subs`";
    std::string name(key);
    od::value v = field.value();
    const std::uint32_t bit = knownBit(name);
    if (bit == 0) continue;
    if (seen & bit) return "`subs." + sub.channel + "." + name + "` given twice";
    seen |= bit;
    if (isNull(v)) continue;
    bool ok = true;
    if (bit == kInfo) ok = readRaw(v, sub.info);
    else if (bit == kData) ok = readRaw(v, sub.data);
    else if (bit == kB64Info) ok = readString(v, b64info);
    else if (bit == kB64Data) ok = readString(v, b64data);
    if (!ok) return "`subs." + sub.channel + "." + name + "` has the wrong type";
  }
  if (!b64info.empty()) {
    auto bytes = base64Decode(b64info);
    if (!bytes) return "`subs." + sub.channel + ".b64info` is not valid base64";
    sub.info = std::move(*bytes);
  }
  if (!b64data.empty()) {
    auto bytes = base64Decode(b64data);
    if (!bytes) return "`subs." + sub.channel + ".b64data` is not valid base64";
    sub.data = std::move(*bytes);
  }
  return {};
}

std::string readSubs(od::value& v, std::vector<SubClaim>& out) {
  od::object obj;
  if (v.get_object().get(obj)) return expected("subs", "an object");
  for (auto f : obj) {
    od::field field;
    std::string_view key;
    if (std::move(f).get(field) || field.unescaped_key().get(key)) return "invalid JSON in `subs`";
    SubClaim sub;
    sub.channel.assign(key);
    od::value options = field.value();
    od::json_type type;
    if (options.type().get(type) || type != od::json_type::object)
      return "`subs` entry of `" + sub.channel + "` is not an object";
    if (!readRaw(options, sub.options)) return "invalid JSON in `subs`";
    if (std::string why = readSubOptions(sub.options, sub); !why.empty()) return why;
    out.push_back(std::move(sub));
  }
  std::vector<std::string_view> names;
  names.reserve(out.size());
  for (const SubClaim& s : out) names.push_back(s.channel);
  std::sort(names.begin(), names.end());
  if (auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end())
    return "channel `" + std::string(*dup) + "` given twice in `subs`";
  return {};
}

}  // namespace

std::string readHeader(std::string_view json, JoseHeader& out) {
  const simdjson::padded_string text(json);
  if (std::string why = validate(text); !why.empty()) return "header: " + why;
  od::parser parser;
  od::document doc;
  od::object obj;
  if (parser.iterate(text).get(doc) || doc.get_object().get(obj)) return "header: not a JSON object";
  bool haveAlg = false;
  for (auto f : obj) {
    od::field field;
    std::string_view key;
    if (std::move(f).get(field) || field.unescaped_key().get(key)) return "header: invalid JSON";
    od::value v = field.value();
    if (key == "alg") {
      if (haveAlg) return "header: `alg` given twice";
      haveAlg = true;
      if (!readString(v, out.alg)) return "header: `alg` is not a string";
    } else if (key == "crit") {
      // RFC 7515 section 4.1.11: extensions a verifier does not understand
      // must make it refuse the token, and Herald understands none.
      return "header: `crit` extensions are not supported";
    }
  }
  if (!haveAlg) return "header: no `alg`";
  return {};
}

std::string readClaims(std::string_view json, Claims& out) {
  const simdjson::padded_string text(json);
  if (std::string why = validate(text); !why.empty()) return "claims: " + why;
  od::parser parser;
  od::document doc;
  od::object obj;
  if (parser.iterate(text).get(doc) || doc.get_object().get(obj)) return "claims: not a JSON object";
  std::uint32_t seen = 0;
  std::string b64info, b64data;
  for (auto f : obj) {
    od::field field;
    std::string_view key;
    if (std::move(f).get(field) || field.unescaped_key().get(key)) return "claims: invalid JSON";
    const std::uint32_t bit = knownBit(key);
    if (bit == 0) continue;  // unknown claims are ignored (validated above)
    const std::string name(key);
    if (seen & bit) return "claim `" + name + "` given twice";
    seen |= bit;
    od::value v = field.value();
    if (isNull(v)) continue;
    switch (bit) {
      case kSub:
        if (!readString(v, out.sub)) return expected(name, "a string");
        break;
      case kJti:
        if (!readString(v, out.jti)) return expected(name, "a string");
        break;
      case kIss:
        if (!readString(v, out.iss)) return expected(name, "a string");
        break;
      case kChannel:
        if (!readString(v, out.channel)) return expected(name, "a string");
        break;
      case kClient:
        if (!readString(v, out.client)) return expected(name, "a string");
        break;
      case kB64Info:
        if (!readString(v, b64info)) return expected(name, "a string");
        break;
      case kB64Data:
        if (!readString(v, b64data)) return expected(name, "a string");
        break;
      case kExp:
        if (!readNumericDate(v, out.exp)) return expected(name, "a numeric date");
        break;
      case kIat:
        if (!readNumericDate(v, out.iat)) return expected(name, "a numeric date");
        break;
      case kNbf:
        if (!readNumericDate(v, out.nbf)) return expected(name, "a numeric date");
        break;
      case kExpireAt:
        if (!readNumericDate(v, out.expireAt)) return expected(name, "a numeric date");
        break;
      case kAud: {
        // RFC 7519 section 4.1.3: one string, or an array of them.
        od::json_type type;
        if (v.type().get(type)) return expected(name, "a string or an array of strings");
        if (type == od::json_type::string) {
          std::string one;
          if (!readString(v, one)) return expected(name, "a string or an array of strings");
          out.aud.push_back(std::move(one));
        } else if (!readStringArray(v, out.aud)) {
          return expected(name, "a string or an array of strings");
        }
        break;
      }
      case kChannels:
        if (!readStringArray(v, out.channels)) return expected(name, "an array of strings");
        break;
      case kSubs:
        if (std::string why = readSubs(v, out.subs); !why.empty()) return why;
        break;
      case kInfo:
        if (!readRaw(v, out.info)) return "claims: invalid JSON";
        break;
      case kMeta:
        if (!readRaw(v, out.meta)) return "claims: invalid JSON";
        break;
      case kData:
        if (!readRaw(v, out.data)) return "claims: invalid JSON";
        break;
      case kOverride:
        if (!readRaw(v, out.overrides)) return "claims: invalid JSON";
        break;
    }
  }
  if (!b64info.empty()) {
    auto bytes = base64Decode(b64info);
    if (!bytes) return "claim `b64info` is not valid base64";
    out.info = std::move(*bytes);
  }
  if (!b64data.empty()) {
    auto bytes = base64Decode(b64data);
    if (!bytes) return "claim `b64data` is not valid base64";
    out.data = std::move(*bytes);
  }
  return {};
}

}  // namespace herald::auth::detail
