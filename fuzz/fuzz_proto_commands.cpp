// libFuzzer target: CommandDecoder on arbitrary frames.
//
// Frames are whole WebSocket messages, so the input is not cut into chunks;
// the cut that matters here is the '\n' between commands, and the checks
// compare the frame's decode with each line decoded on its own.
//
// Checks: decoding never crashes or leaks (ASan/UBSan); the result is
// consistent (count == commands handed out; on Error, count == index of the
// bad line); every `data` of an accepted command is valid JSON by the strict
// RFC 8259 validator below (independent of simdjson) and holds no newline;
// every decoded string is valid UTF-8; re-encoding a publish as a push writes
// its data byte for byte and yields valid JSON; decoding a line alone gives
// the same command as decoding it inside the frame; and a second decode of the
// same frame by the same (reused) decoder gives the same result.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_support.hpp"
#include "herald/proto/command_decoder.hpp"
#include "herald/proto/reply_encoder.hpp"

namespace {

using namespace herald::proto;

// A strict JSON validator (RFC 8259), written for this check only.
class Json {
 public:
  static bool valid(std::string_view s) {
    Json j(s);
    j.ws();
    if (!j.value(0)) return false;
    j.ws();
    return j.i_ == s.size();
  }

 private:
  explicit Json(std::string_view s) : s_(s) {}
  bool more() const { return i_ < s_.size(); }
  char peek() const { return more() ? s_[i_] : '\0'; }
  void ws() {
    while (more() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool digits() {
    std::size_t start = i_;
    while (more() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > start;
  }
  bool number() {
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (!digits()) {
      return false;
    }
    if (peek() == '.') {
      ++i_;
      if (!digits()) return false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!digits()) return false;
    }
    return true;
  }
  bool string() {
    ++i_;  // opening quote
    while (more()) {
      auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        char e = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
        if (e == 'u') {
          for (std::size_t k = 2; k < 6; ++k) {
            char h = i_ + k < s_.size() ? s_[i_ + k] : '\0';
            if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) return false;
          }
          i_ += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos || e == '\0') return false;
        i_ += 2;
        continue;
      }
      ++i_;
    }
    return false;
  }
  bool value(int depth) {
    if (depth > 1000) return false;
    switch (peek()) {
      case '{': {
        ++i_;
        ws();
        if (peek() == '}') return ++i_, true;
        for (;;) {
          ws();
          if (peek() != '"' || !string()) return false;
          ws();
          if (peek() != ':') return false;
          ++i_;
          ws();
          if (!value(depth + 1)) return false;
          ws();
          if (peek() == '}') return ++i_, true;
          if (peek() != ',') return false;
          ++i_;
        }
      }
      case '[': {
        ++i_;
        ws();
        if (peek() == ']') return ++i_, true;
        for (;;) {
          ws();
          if (!value(depth + 1)) return false;
          ws();
          if (peek() == ']') return ++i_, true;
          if (peek() != ',') return false;
          ++i_;
        }
      }
      case '"': return string();
      case 't': return lit("true");
      case 'f': return lit("false");
      case 'n': return lit("null");
      default: return number();
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

bool validUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    std::uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static const std::uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// Every string and data field of a command, in a fixed order.
void fields(const Command& c, std::vector<std::string_view>& strings, std::vector<std::string_view>& data) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (requires { m.channel; }) strings.push_back(m.channel);
        if constexpr (requires { m.token; }) strings.push_back(m.token);
        if constexpr (requires { m.epoch; }) strings.push_back(m.epoch);
        if constexpr (requires { m.data; }) data.push_back(m.data);
        if constexpr (std::is_same_v<T, RpcCommand>) strings.push_back(m.method);
        if constexpr (std::is_same_v<T, HistoryCommand>) strings.push_back(m.since.epoch);
        if constexpr (std::is_same_v<T, ConnectCommand>) {
          strings.push_back(m.name);
          strings.push_back(m.version);
          for (const ConnectSub& s : m.subs) {
            strings.push_back(s.channel);
            strings.push_back(s.epoch);
          }
        }
      },
      c.body);
}

CommandDecoder& decoder() {
  static CommandDecoder d;
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(bytes), size);
  std::vector<Command> out;
  const DecodeResult r = decoder().decode(frame, out);
  HERALD_FUZZ_CHECK(r.count == out.size(), "count %zu, %zu commands", r.count, out.size());
  if (r.kind == DecodeResult::Error) {
    HERALD_FUZZ_CHECK(r.count == r.index, "error at line %zu after %zu commands", r.index, r.count);
    HERALD_FUZZ_CHECK(r.reason && *r.reason, "error without a reason");
    HERALD_FUZZ_CHECK(r.disconnect == DisconnectCode::BadRequest, "disconnect %u", unsigned(r.disconnect));
  }

  std::string encoded;
  std::vector<std::string_view> strings, data;
  for (const Command& c : out) {
    strings.clear();
    data.clear();
    fields(c, strings, data);
    for (std::string_view s : strings) HERALD_FUZZ_CHECK(validUtf8(s), "decoded string is not UTF-8");
    for (std::string_view d : data) {
      if (d.empty()) continue;
      HERALD_FUZZ_CHECK(Json::valid(d), "data is not valid JSON: %.*s", int(d.size()), d.data());
      HERALD_FUZZ_CHECK(d.find('\n') == std::string_view::npos, "data holds a newline");
    }
    if (const auto* p = std::get_if<PublishCommand>(&c.body)) {
      encoded.clear();
      encodePublicationPush(encoded, p->channel, Publication{p->data, nullptr, 0, {}});
      HERALD_FUZZ_CHECK(Json::valid(encoded), "push is not valid JSON: %s", encoded.c_str());
      if (!p->data.empty()) {
        const std::string tail = std::string(p->data) + "}}}";
        HERALD_FUZZ_CHECK(encoded.size() >= tail.size() && encoded.compare(encoded.size() - tail.size(), tail.size(),
                                                                             tail) == 0,
                          "data changed when encoded: %s", encoded.c_str());
      }
    }
  }

  // Each line decoded alone gives the same command (id, method, fields).
  std::vector<Command> alone;
  std::vector<std::string> expected;
  for (const Command& c : out) {
    strings.clear();
    data.clear();
    fields(c, strings, data);
    std::string flat = std::to_string(c.id) + ":" + std::string(methodName(c.body));
    for (auto s : strings) flat.append("|").append(s);
    for (auto d : data) flat.append("|").append(d);
    expected.push_back(std::move(flat));
  }
  std::size_t pos = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::size_t end = frame.find('\n', pos);
    if (end == std::string_view::npos) end = frame.size();
    CommandDecoder single;
    const DecodeResult one = single.decode(frame.substr(pos, end - pos), alone);
    HERALD_FUZZ_CHECK(one.kind == DecodeResult::Ok && alone.size() == 1, "line %zu alone: %s", i, one.reason);
    strings.clear();
    data.clear();
    fields(alone[0], strings, data);
    std::string flat = std::to_string(alone[0].id) + ":" + std::string(methodName(alone[0].body));
    for (auto s : strings) flat.append("|").append(s);
    for (auto d : data) flat.append("|").append(d);
    HERALD_FUZZ_CHECK(flat == expected[i], "line %zu differs alone: %s vs %s", i, flat.c_str(), expected[i].c_str());
    pos = end + 1;
  }

  // The reused decoder gives the same answer again.
  const DecodeResult again = decoder().decode(frame, out);
  HERALD_FUZZ_CHECK(again.kind == r.kind && again.count == r.count && again.index == r.index,
                    "second decode differs");
  return 0;
}
