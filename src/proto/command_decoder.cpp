// CommandDecoder over simdjson's On-Demand API, used only through error codes.
//
// A frame is copied once into a padded buffer (simdjson reads up to
// SIMDJSON_PADDING bytes past a document); each line is then iterated in place,
// its capacity being the rest of that buffer. Unescaped strings go to a second
// buffer as large as the frame plus padding: a string never grows when
// unescaped, so the views handed out stay put while the frame is decoded.
// Keys, and strings that are only checked, are unescaped into a third one.
//
// On-Demand only checks what it is asked for, so every value of a line is
// either read with a typed getter or walked by validate(), which checks what
// On-Demand would skip: escapes in strings and keys, the grammar of numbers
// and literals, and nesting depth. UTF-8 and the structure (brackets, commas,
// colons) are checked by simdjson's stage 1 and iteration.

#include "herald/proto/command_decoder.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "raw_buffer.hpp"
#include "json_text.hpp"

namespace herald::proto {

namespace od = simdjson::ondemand;

namespace {

using Why = const char*;  // nullptr: fine; otherwise the reason of the refusal

constexpr Why kMalformed = "malformed JSON";

// Whether `v` is JSON null (then consumed). A null field counts as absent,
// as in Centrifugo's decoder; anything else is left for a typed getter.
bool isNull(od::value& v) {
  bool null = false;
  return !v.is_null().get(null) && null;
}

enum class Method {
  None, Connect, Subscribe, Unsubscribe, Publish, Presence, PresenceStats,
  History, Ping, Send, Rpc, Refresh, SubRefresh,
};

Method methodFromKey(std::string_view key) {
  static constexpr std::pair<std::string_view, Method> kMethods[] = {
      {"connect", Method::Connect},   {"subscribe", Method::Subscribe},
      {"unsubscribe", Method::Unsubscribe}, {"publish", Method::Publish},
      {"presence", Method::Presence}, {"presence_stats", Method::PresenceStats},
      {"history", Method::History},   {"ping", Method::Ping},
      {"send", Method::Send},         {"rpc", Method::Rpc},
      {"refresh", Method::Refresh},   {"sub_refresh", Method::SubRefresh},
  };
  for (const auto& [name, method] : kMethods)
    if (name == key) return method;
  return Method::None;
}

// The channel every channel-scoped command needs (Centrifugo disconnects
// with "bad request" when it is empty).
Why checkChannel(const CommandBody& body) {
  return std::visit(
      [](const auto& c) -> Why {
        if constexpr (requires { c.channel; })
          return c.channel.empty() ? "channel required" : nullptr;
        return nullptr;
      },
      body);
}

}  // namespace

struct CommandDecoder::Impl {
  explicit Impl(const DecodeLimits& l) : limits(l) {}

  DecodeLimits limits;
  od::parser parser;
  detail::RawBuffer input;    // the frame, padded
  detail::RawBuffer strings;  // unescaped strings of the frame, padded
  detail::RawBuffer scratch;  // the current key, or a string being checked
  std::uint8_t* stringsEnd = nullptr;
  std::uint8_t* scratchStart = nullptr;

  Why unescape(od::raw_json_string raw, std::uint8_t*& dst, std::string_view& out);

  Why decodeLine(const char* line, std::size_t len, std::size_t capacity, Command& out);

  // Field readers; a JSON null leaves the field as it was (absent).
  Why readString(od::value v, std::string_view& out, std::size_t max, Why tooLong);
  Why readKey(od::field& f, std::string_view& key);
  Why readData(od::value v, std::string_view& out);
  static Why readBool(od::value v, bool& out);
  static Why readUint64(od::value v, std::uint64_t& out);
  static Why readUint32(od::value v, std::uint32_t& out);
  static Why readInt32(od::value v, std::int32_t& out);
  static Why readInt64(od::value v, std::int64_t& out);
  Why validate(od::value v, std::size_t depth);

  Why readChannel(od::value v, std::string_view& out) {
    return readString(v, out, limits.maxChannelBytes, "channel name too long");
  }
  Why readText(od::value v, std::string_view& out) {
    return readString(v, out, limits.maxStringBytes, "string field too long");
  }

  // Walks the fields of a method object: `onField(key, value)` returns
  // nullptr when it took the field, kUnknown to have it validated and skipped,
  // or a refusal.
  static constexpr const char* kUnknown = "unknown field";
  template <typename F>
  Why forEachField(od::value v, F&& onField);

  Why decodeConnect(od::value v, ConnectCommand& c);
  Why decodeSubscribe(od::value v, SubscribeCommand& c);
  Why decodeHistory(od::value v, HistoryCommand& c);
  Why decodeMethod(Method m, od::value v, CommandBody& body);
};

// simdjson's unescaper refuses a \u escape of a lone surrogate, which JSON's
// grammar allows (and JavaScript's JSON.stringify writes for a broken
// surrogate pair); Centrifugo takes it as U+FFFD, and so do we.
Why CommandDecoder::Impl::unescape(od::raw_json_string raw, std::uint8_t*& dst, std::string_view& out) {
  if (!parser.unescape(raw, dst).get(out)) return nullptr;
  std::uint8_t* end = detail::unescapeLenient(reinterpret_cast<const std::uint8_t*>(raw.raw()), dst);
  if (!end) return "invalid escape in a string";
  out = std::string_view(reinterpret_cast<const char*>(dst), static_cast<std::size_t>(end - dst));
  dst = end;
  return nullptr;
}

Why CommandDecoder::Impl::readKey(od::field& f, std::string_view& key) {
  std::uint8_t* dst = scratchStart;
  return unescape(f.key(), dst, key);
}

Why CommandDecoder::Impl::readString(od::value v, std::string_view& out, std::size_t max, Why tooLong) {
  if (isNull(v)) return nullptr;
  od::raw_json_string raw;
  if (v.get_raw_json_string().get(raw)) return "expected a string";
  std::uint8_t* dst = stringsEnd;
  std::string_view s;
  if (Why why = unescape(raw, dst, s)) return why;
  if (s.size() > max) return tooLong;
  stringsEnd = dst;
  out = s;
  return nullptr;
}

Why CommandDecoder::Impl::readBool(od::value v, bool& out) {
  if (isNull(v)) return nullptr;
  return v.get_bool().get(out) ? "expected true or false" : nullptr;
}

Why CommandDecoder::Impl::readUint64(od::value v, std::uint64_t& out) {
  if (isNull(v)) return nullptr;
  return v.get_uint64().get(out) ? "expected an unsigned integer" : nullptr;
}

Why CommandDecoder::Impl::readUint32(od::value v, std::uint32_t& out) {
  std::uint64_t wide = out;
  if (Why why = readUint64(v, wide)) return why;
  if (wide > 0xFFFFFFFFu) return "number out of range";
  out = static_cast<std::uint32_t>(wide);
  return nullptr;
}

Why CommandDecoder::Impl::readInt32(od::value v, std::int32_t& out) {
  if (isNull(v)) return nullptr;
  std::int64_t wide = 0;
  if (v.get_int64().get(wide)) return "expected an integer";
  if (wide < INT32_MIN || wide > INT32_MAX) return "number out of range";
  out = static_cast<std::int32_t>(wide);
  return nullptr;
}

Why CommandDecoder::Impl::readInt64(od::value v, std::int64_t& out) {
  if (isNull(v)) return nullptr;
  return v.get_int64().get(out) ? "expected an integer" : nullptr;
}

// Checks a value On-Demand would otherwise skip. Scalars are checked on their
// token and left for the enclosing iteration to step over.
Why CommandDecoder::Impl::validate(od::value v, std::size_t depth) {
  od::json_type type;
  if (v.type().get(type)) return kMalformed;
  switch (type) {
    case od::json_type::array: {
      if (depth >= limits.maxDepth) return "JSON nested too deeply";
      od::array array;
      if (v.get_array().get(array)) return kMalformed;
      for (auto element : array) {
        od::value item;
        if (std::move(element).get(item)) return kMalformed;
        if (Why why = validate(item, depth + 1)) return why;
      }
      return nullptr;
    }
    case od::json_type::object: {
      if (depth >= limits.maxDepth) return "JSON nested too deeply";
      od::object object;
      if (v.get_object().get(object)) return kMalformed;
      for (auto member : object) {
        od::field field;
        std::string_view key;
        if (std::move(member).get(field)) return kMalformed;
        if (Why why = readKey(field, key)) return why;
        if (Why why = validate(field.value(), depth + 1)) return why;
      }
      return nullptr;
    }
    case od::json_type::string: {
      od::raw_json_string raw;
      if (v.get_raw_json_string().get(raw)) return kMalformed;
      std::uint8_t* dst = scratchStart;  // unescaped only to be checked
      std::string_view ignored;
      return unescape(raw, dst, ignored);
    }
    case od::json_type::number:
      return detail::isJsonNumber(detail::trimJsonSpace(v.raw_json_token())) ? nullptr : kMalformed;
    case od::json_type::boolean: {
      std::string_view t = detail::trimJsonSpace(v.raw_json_token());
      return t == "true" || t == "false" ? nullptr : kMalformed;
    }
    case od::json_type::null:
      return detail::trimJsonSpace(v.raw_json_token()) == "null" ? nullptr : kMalformed;
  }
  return kMalformed;
}

// A `data` value is kept as its raw JSON text: the token's first byte to the
// end of its last one (found after the walk, as the next token's position).
Why CommandDecoder::Impl::readData(od::value v, std::string_view& out) {
  if (isNull(v)) return nullptr;
  od::json_type type;
  if (v.type().get(type)) return kMalformed;
  std::string_view token = v.raw_json_token();
  if (Why why = validate(v, 0)) return why;
  if (type != od::json_type::array && type != od::json_type::object) {
    out = detail::trimJsonSpace(token);
    return nullptr;
  }
  const char* end = nullptr;
  if (v.current_location().get(end)) return kMalformed;
  out = detail::trimJsonSpace(std::string_view(token.data(), static_cast<std::size_t>(end - token.data())));
  return nullptr;
}

template <typename F>
Why CommandDecoder::Impl::forEachField(od::value v, F&& onField) {
  od::object object;
  if (auto error = v.get_object().get(object))
    return error == simdjson::INCORRECT_TYPE ? "a method's value must be an object" : kMalformed;
  for (auto member : object) {
    od::field field;
    std::string_view key;
    if (std::move(member).get(field)) return kMalformed;
    if (Why why = readKey(field, key)) return why;
    Why why = onField(key, field.value());
    if (why == kUnknown) why = validate(field.value(), 1);
    if (why) return why;
  }
  return nullptr;
}

Why CommandDecoder::Impl::decodeConnect(od::value v, ConnectCommand& c) {
  return forEachField(v, [&](std::string_view key, od::value f) -> Why {
    if (key == "token") return readString(f, c.token, limits.maxStringBytes, "token too long");
    if (key == "data") return readData(f, c.data);
    if (key == "name") return readText(f, c.name);
    if (key == "version") return readText(f, c.version);
    if (key != "subs") return kUnknown;
    if (isNull(f)) return nullptr;
    return forEachField(f, [&](std::string_view channel, od::value sub) -> Why {
      if (channel.size() > limits.maxChannelBytes) return "channel name too long";
      if (c.subs.size() >= limits.maxConnectSubs) return "too many subscriptions in connect";
      // The key is in the scratch buffer; keep a copy with the strings.
      std::memcpy(stringsEnd, channel.data(), channel.size());
      ConnectSub& s = c.subs.emplace_back();
      s.channel = std::string_view(reinterpret_cast<const char*>(stringsEnd), channel.size());
      stringsEnd += channel.size();
      return forEachField(sub, [&](std::string_view k, od::value x) -> Why {
        if (k == "recover") return readBool(x, s.recover);
        if (k == "epoch") return readText(x, s.epoch);
        if (k == "offset") return readUint64(x, s.offset);
        return kUnknown;
      });
    });
  });
}

Why CommandDecoder::Impl::decodeSubscribe(od::value v, SubscribeCommand& c) {
  return forEachField(v, [&](std::string_view key, od::value f) -> Why {
    if (key == "channel") return readChannel(f, c.channel);
    if (key == "token") return readString(f, c.token, limits.maxStringBytes, "token too long");
    if (key == "recover") return readBool(f, c.recover);
    if (key == "epoch") return readText(f, c.epoch);
    if (key == "offset") return readUint64(f, c.offset);
    if (key == "data") return readData(f, c.data);
    if (key == "positioned") return readBool(f, c.positioned);
    if (key == "recoverable") return readBool(f, c.recoverable);
    if (key == "join_leave") return readBool(f, c.joinLeave);
    if (key == "flag") return readInt64(f, c.flag);
    if (key == "delta") return readText(f, c.delta);
    return kUnknown;
  });
}

Why CommandDecoder::Impl::decodeHistory(od::value v, HistoryCommand& c) {
  return forEachField(v, [&](std::string_view key, od::value f) -> Why {
    if (key == "channel") return readChannel(f, c.channel);
    if (key == "limit") return readInt32(f, c.limit);
    if (key == "reverse") return readBool(f, c.reverse);
    if (key != "since") return kUnknown;
    if (isNull(f)) return nullptr;
    c.hasSince = true;
    return forEachField(f, [&](std::string_view k, od::value x) -> Why {
      if (k == "offset") return readUint64(x, c.since.offset);
      if (k == "epoch") return readText(x, c.since.epoch);
      return kUnknown;
    });
  });
}

Why CommandDecoder::Impl::decodeMethod(Method m, od::value v, CommandBody& body) {
  auto channelOnly = [&](auto& c) {
    return forEachField(v, [&](std::string_view key, od::value f) -> Why {
      return key == "channel" ? readChannel(f, c.channel) : kUnknown;
    });
  };
  auto dataOnly = [&](auto& c) {
    return forEachField(v, [&](std::string_view key, od::value f) -> Why {
      return key == "data" ? readData(f, c.data) : kUnknown;
    });
  };
  switch (m) {
    case Method::Connect: return decodeConnect(v, body.emplace<ConnectCommand>());
    case Method::Subscribe: return decodeSubscribe(v, body.emplace<SubscribeCommand>());
    case Method::Unsubscribe: return channelOnly(body.emplace<UnsubscribeCommand>());
    case Method::Presence: return channelOnly(body.emplace<PresenceCommand>());
    case Method::PresenceStats: return channelOnly(body.emplace<PresenceStatsCommand>());
    case Method::History: return decodeHistory(v, body.emplace<HistoryCommand>());
    case Method::Send: return dataOnly(body.emplace<SendCommand>());
    case Method::Ping:
      body.emplace<PingCommand>();
      return forEachField(v, [](std::string_view, od::value) -> Why { return kUnknown; });
    case Method::Publish: {
      auto& c = body.emplace<PublishCommand>();
      return forEachField(v, [&](std::string_view key, od::value f) -> Why {
        if (key == "channel") return readChannel(f, c.channel);
        if (key == "data") return readData(f, c.data);
        return kUnknown;
      });
    }
    case Method::Rpc: {
      auto& c = body.emplace<RpcCommand>();
      return forEachField(v, [&](std::string_view key, od::value f) -> Why {
        if (key == "data") return readData(f, c.data);
        if (key == "method") return readText(f, c.method);
        return kUnknown;
      });
    }
    case Method::Refresh: {
      auto& c = body.emplace<RefreshCommand>();
      return forEachField(v, [&](std::string_view key, od::value f) -> Why {
        return key == "token" ? readString(f, c.token, limits.maxStringBytes, "token too long") : kUnknown;
      });
    }
    case Method::SubRefresh: {
      auto& c = body.emplace<SubRefreshCommand>();
      return forEachField(v, [&](std::string_view key, od::value f) -> Why {
        if (key == "channel") return readChannel(f, c.channel);
        if (key == "token") return readString(f, c.token, limits.maxStringBytes, "token too long");
        return kUnknown;
      });
    }
    case Method::None: break;
  }
  return "unknown method";
}

Why CommandDecoder::Impl::decodeLine(const char* line, std::size_t len, std::size_t capacity, Command& out) {
  od::document doc;
  if (parser.iterate(line, len, capacity).get(doc)) return kMalformed;
  od::object object;
  if (auto error = doc.get_object().get(object))
    return error == simdjson::INCORRECT_TYPE ? "a command must be a JSON object" : kMalformed;
  Method method = Method::None;
  bool unknownKey = false;
  for (auto member : object) {
    od::field field;
    std::string_view key;
    if (std::move(member).get(field)) return kMalformed;
    if (Why why = readKey(field, key)) return why;
    if (key == "id") {
      if (Why why = readUint32(field.value(), out.id)) return why;
      continue;
    }
    Method m = methodFromKey(key);
    if (m == Method::None) {
      unknownKey = true;
      if (Why why = validate(field.value(), 0)) return why;
      continue;
    }
    od::value v = field.value();
    if (isNull(v)) continue;
    if (method != Method::None) return "more than one method in a command";
    method = m;
    if (Why why = decodeMethod(m, v, out.body)) return why;
  }
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) return "trailing bytes after the command";

  if (method == Method::None) {
    if (unknownKey) return "unknown method";
    if (out.id != 0) return "command without a method";
    out.body.emplace<PongCommand>();  // `{}`
    return nullptr;
  }
  if (out.id == 0 && method != Method::Send) return "command id required";
  return checkChannel(out.body);
}

CommandDecoder::CommandDecoder(DecodeLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
CommandDecoder::~CommandDecoder() = default;
CommandDecoder::CommandDecoder(CommandDecoder&&) noexcept = default;
CommandDecoder& CommandDecoder::operator=(CommandDecoder&&) noexcept = default;

const DecodeLimits& CommandDecoder::limits() const { return impl_->limits; }

DecodeResult CommandDecoder::decode(std::string_view frame, std::vector<Command>& out) {
  out.clear();
  DecodeResult result;
  auto fail = [&](Why reason, std::size_t index) {
    result.kind = DecodeResult::Error;
    result.disconnect = DisconnectCode::BadRequest;
    result.reason = reason;
    result.index = index;
    result.count = out.size();
    return result;
  };
  std::size_t len = frame.size();
  if (len > 0 && frame[len - 1] == '\n') --len;  // one trailing newline is allowed
  if (len == 0) return fail("empty frame", 0);

  const std::size_t capacity = len + simdjson::SIMDJSON_PADDING;
  char* buf = impl_->input.reserve(capacity);
  std::memcpy(buf, frame.data(), len);
  std::memset(buf + len, 0, simdjson::SIMDJSON_PADDING);
  impl_->stringsEnd = reinterpret_cast<std::uint8_t*>(impl_->strings.reserve(capacity));
  impl_->scratchStart = reinterpret_cast<std::uint8_t*>(impl_->scratch.reserve(capacity));

  std::size_t pos = 0;
  for (std::size_t index = 0;; ++index) {
    const void* nl = std::memchr(buf + pos, '\n', len - pos);
    const std::size_t end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - buf) : len;
    if (index >= impl_->limits.maxCommandsPerFrame) return fail("too many commands in one frame", index);
    if (end == pos) return fail("empty line between commands", index);
    Command& cmd = out.emplace_back();
    if (Why why = impl_->decodeLine(buf + pos, end - pos, capacity - pos, cmd)) {
      out.pop_back();
      return fail(why, index);
    }
    if (!nl) break;
    pos = end + 1;
  }
  result.count = out.size();
  return result;
}

std::string_view methodName(const CommandBody& body) {
  static constexpr std::string_view kNames[] = {
      "",         "connect", "subscribe", "unsubscribe", "publish", "presence",   "presence_stats",
      "history",  "ping",    "send",      "rpc",         "refresh", "sub_refresh",
  };
  static_assert(std::size(kNames) == std::variant_size_v<CommandBody>);
  return kNames[body.index()];
}

}  // namespace herald::proto
