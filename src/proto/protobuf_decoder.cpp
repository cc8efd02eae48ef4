// ProtobufCommandDecoder: varint-delimited Commands parsed by protobuf's
// lite runtime into messages on an arena, then read into the format-neutral
// Command (command.hpp) with the JSON decoder's limits and rules.

#include "herald/proto/protobuf_decoder.hpp"

#include <google/protobuf/arena.h>
#include <simdjson.h>

#include "client.pb.h"

namespace herald::proto {

using google::protobuf::Arena;

namespace {

using Why = const char*;  // nullptr: fine; otherwise the reason of the refusal

// The varint at `data[pos]`, advancing `pos`; false when it is longer than
// ten bytes, overflows 64 bits or is cut off by the end of the frame.
bool readVarint(std::string_view data, std::size_t& pos, std::uint64_t& value) {
  value = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (pos >= data.size()) return false;
    const auto byte = static_cast<unsigned char>(data[pos++]);
    if (shift == 63 && byte > 1) return false;
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

bool isUtf8(const std::string& s) { return simdjson::validate_utf8(s.data(), s.size()); }

// protobuf keeps a field whose wire type does not match its number's as an
// unknown field, where a stricter decoder (Centrifugo's) refuses it. So each
// Command is first walked here against the wire types client.proto gives
// the fields Herald reads (the others are skipped, as unknown fields are).
struct MessageRules;
struct FieldRule {
  std::uint64_t number;
  std::uint8_t type;                        // 0 varint, 2 length-delimited
  const MessageRules* nested = nullptr;     // a message field's own rules
};
struct MessageRules {
  std::initializer_list<FieldRule> fields;
};

constexpr std::uint8_t kVarint = 0, kBytes = 2;
const MessageRules kStrings{{{1, kBytes}, {2, kBytes}}};
const MessageRules kPosition{{{1, kVarint}, {2, kBytes}}};
const MessageRules kSubscribe{{{1, kBytes}, {2, kBytes}, {3, kVarint}, {6, kBytes}, {7, kVarint}, {8, kBytes},
                               {9, kVarint}, {10, kVarint}, {11, kVarint}}};
const MessageRules kSubsEntry{{{1, kBytes}, {2, kBytes, &kSubscribe}}};
const MessageRules kConnect{{{1, kBytes}, {2, kBytes}, {3, kBytes, &kSubsEntry}, {4, kBytes}, {5, kBytes}}};
const MessageRules kHistory{{{1, kBytes}, {7, kVarint}, {8, kBytes, &kPosition}, {9, kVarint}}};
const MessageRules kCommand{{{1, kVarint}, {4, kBytes, &kConnect}, {5, kBytes, &kSubscribe}, {6, kBytes, &kStrings},
                             {7, kBytes, &kStrings}, {8, kBytes, &kStrings}, {9, kBytes, &kStrings},
                             {10, kBytes, &kHistory}, {11, kBytes, &kStrings}, {12, kBytes, &kStrings},
                             {13, kBytes, &kStrings}, {14, kBytes, &kStrings}, {15, kBytes, &kStrings}}};

// Whether every field of `bytes` that `rules` names has its wire type, down
// through the nested messages; false as well when the fields cannot be
// walked (protobuf would refuse those anyway).
bool wellTyped(std::string_view bytes, const MessageRules& rules) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::uint64_t tag = 0, value = 0;
    if (!readVarint(bytes, pos, tag)) return false;
    const auto type = static_cast<std::uint8_t>(tag & 7);
    const FieldRule* rule = nullptr;
    for (const FieldRule& f : rules.fields)
      if (f.number == tag >> 3) rule = &f;
    if (rule && rule->type != type) return false;
    switch (type) {
      case 0:
        if (!readVarint(bytes, pos, value)) return false;
        break;
      case 1:
        if (bytes.size() - pos < 8) return false;
        pos += 8;
        break;
      case 2:
        if (!readVarint(bytes, pos, value) || value > bytes.size() - pos) return false;
        if (rule && rule->nested && !wellTyped(bytes.substr(pos, value), *rule->nested)) return false;
        pos += value;
        break;
      case 5:
        if (bytes.size() - pos < 4) return false;
        pos += 4;
        break;
      default:
        return false;  // groups (3, 4) are not in client.proto; 6 and 7 are not wire types
    }
  }
  return true;
}

}  // namespace

struct ProtobufCommandDecoder::Impl {
  explicit Impl(const DecodeLimits& l) : limits(l) {}

  DecodeLimits limits;
  Arena arena;  // this frame's Commands; reset by the next decode()

  Why text(const std::string& s, std::string_view& out, std::size_t max, Why tooLong) const {
    if (s.size() > max) return tooLong;
    if (!isUtf8(s)) return "string field is not UTF-8";
    out = s;
    return nullptr;
  }
  Why channel(const std::string& s, std::string_view& out) const {
    if (Why why = text(s, out, limits.maxChannelBytes, "channel name too long")) return why;
    return out.empty() ? "channel required" : nullptr;
  }
  Why plain(const std::string& s, std::string_view& out) const {
    return text(s, out, limits.maxStringBytes, "string field too long");
  }

  Why read(const wire::Command& m, Command& out) const;
};

// Which request is set decides the method; exactly one may be.
Why ProtobufCommandDecoder::Impl::read(const wire::Command& m, Command& out) const {
  out.id = m.id();
  const int methods = m.has_connect() + m.has_subscribe() + m.has_unsubscribe() + m.has_publish() +
                      m.has_presence() + m.has_presence_stats() + m.has_history() + m.has_ping() + m.has_send() +
                      m.has_rpc() + m.has_refresh() + m.has_sub_refresh();
  if (methods > 1) return "more than one method in a command";
  if (methods == 0) {
    if (out.id != 0) return "command without a method";
    out.body.emplace<PongCommand>();
    return nullptr;
  }
  if (out.id == 0 && !m.has_send()) return "command id required";

  if (m.has_connect()) {
    const wire::ConnectRequest& r = m.connect();
    auto& c = out.body.emplace<ConnectCommand>();
    if (Why why = text(r.token(), c.token, limits.maxStringBytes, "token too long")) return why;
    c.data = r.data();
    if (Why why = plain(r.name(), c.name)) return why;
    if (Why why = plain(r.version(), c.version)) return why;
    if (static_cast<std::size_t>(r.subs_size()) > limits.maxConnectSubs) return "too many subscriptions in connect";
    for (const wire::SubscribeRequestEntry& entry : r.subs()) {
      const wire::SubscribeRequest& sub = entry.value();
      ConnectSub& s = c.subs.emplace_back();
      if (Why why = text(entry.key(), s.channel, limits.maxChannelBytes, "channel name too long")) return why;
      s.recover = sub.recover();
      s.offset = sub.offset();
      if (Why why = plain(sub.epoch(), s.epoch)) return why;
    }
    return nullptr;
  }
  if (m.has_subscribe()) {
    const wire::SubscribeRequest& r = m.subscribe();
    auto& c = out.body.emplace<SubscribeCommand>();
    if (Why why = channel(r.channel(), c.channel)) return why;
    if (Why why = text(r.token(), c.token, limits.maxStringBytes, "token too long")) return why;
    c.recover = r.recover();
    if (Why why = plain(r.epoch(), c.epoch)) return why;
    c.offset = r.offset();
    c.data = r.data();
    c.positioned = r.positioned();
    c.recoverable = r.recoverable();
    c.joinLeave = r.join_leave();
    c.flag = r.flag();
    if (Why why = plain(r.delta(), c.delta)) return why;
    return nullptr;
  }
  if (m.has_unsubscribe()) return channel(m.unsubscribe().channel(), out.body.emplace<UnsubscribeCommand>().channel);
  if (m.has_publish()) {
    auto& c = out.body.emplace<PublishCommand>();
    c.data = m.publish().data();
    return channel(m.publish().channel(), c.channel);
  }
  if (m.has_presence()) return channel(m.presence().channel(), out.body.emplace<PresenceCommand>().channel);
  if (m.has_presence_stats())
    return channel(m.presence_stats().channel(), out.body.emplace<PresenceStatsCommand>().channel);
  if (m.has_history()) {
    const wire::HistoryRequest& r = m.history();
    auto& c = out.body.emplace<HistoryCommand>();
    c.limit = r.limit();
    c.reverse = r.reverse();
    if (r.has_since()) {
      c.hasSince = true;
      c.since.offset = r.since().offset();
      if (Why why = plain(r.since().epoch(), c.since.epoch)) return why;
    }
    return channel(r.channel(), c.channel);
  }
  if (m.has_ping()) {
    out.body.emplace<PingCommand>();
    return nullptr;
  }
  if (m.has_send()) {
    out.body.emplace<SendCommand>().data = m.send().data();
    return nullptr;
  }
  if (m.has_rpc()) {
    auto& c = out.body.emplace<RpcCommand>();
    c.data = m.rpc().data();
    return plain(m.rpc().method(), c.method);
  }
  if (m.has_refresh())
    return text(m.refresh().token(), out.body.emplace<RefreshCommand>().token, limits.maxStringBytes, "token too long");
  const wire::SubRefreshRequest& r = m.sub_refresh();
  auto& c = out.body.emplace<SubRefreshCommand>();
  if (Why why = text(r.token(), c.token, limits.maxStringBytes, "token too long")) return why;
  return channel(r.channel(), c.channel);
}

ProtobufCommandDecoder::ProtobufCommandDecoder(DecodeLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
ProtobufCommandDecoder::~ProtobufCommandDecoder() = default;
ProtobufCommandDecoder::ProtobufCommandDecoder(ProtobufCommandDecoder&&) noexcept = default;
ProtobufCommandDecoder& ProtobufCommandDecoder::operator=(ProtobufCommandDecoder&&) noexcept = default;

const DecodeLimits& ProtobufCommandDecoder::limits() const { return impl_->limits; }

DecodeResult ProtobufCommandDecoder::decode(std::string_view frame, std::vector<Command>& out) {
  out.clear();
  impl_->arena.Reset();
  DecodeResult result;
  auto fail = [&](Why reason, std::size_t index) {
    result.kind = DecodeResult::Error;
    result.disconnect = DisconnectCode::BadRequest;
    result.reason = reason;
    result.index = index;
    result.count = out.size();
    return result;
  };
  if (frame.empty()) return fail("empty frame", 0);
  std::size_t pos = 0;
  for (std::size_t index = 0; pos < frame.size(); ++index) {
    if (index >= impl_->limits.maxCommandsPerFrame) return fail("too many commands in one frame", index);
    std::uint64_t length = 0;
    if (!readVarint(frame, pos, length)) return fail("a command's length is not a varint", index);
    if (length > frame.size() - pos) return fail("a command's length runs past the frame", index);
    const std::string_view bytes = frame.substr(pos, length);
    if (!wellTyped(bytes, kCommand)) return fail("malformed protobuf command (a field of the wrong wire type?)", index);
    auto* message = Arena::CreateMessage<wire::Command>(&impl_->arena);
    if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return fail("malformed protobuf command", index);
    pos += length;
    Command& cmd = out.emplace_back();
    if (Why why = impl_->read(*message, cmd)) {
      out.pop_back();
      return fail(why, index);
    }
  }
  result.count = out.size();
  return result;
}

}  // namespace herald::proto
