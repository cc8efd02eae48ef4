// The Protobuf format of the client codec (codec.hpp).
//
// Commands are built with the classes protoc generates from
// src/proto/client.proto (lite runtime) and written after their varint
// length, one Command per frame; the pong is the empty Command, the frame
// 0x00.
//
// A server frame is one or more Replies, each after its varint length.
// decodeMessage() walks a Reply's fields by hand, as bytes: that gives the
// result or push sub-message as the exact bytes it came in (the body the
// client decodes later, once it knows what to expect) and checks the wire
// type of every field it reads. The bodies are then parsed by the generated
// classes; ParseFromArray returns false on bytes it cannot read, which
// becomes the client's BadReply error like an unreadable JSON body. A body
// is first walked against the wire types client.proto gives the fields we
// read, as the server does with commands: protobuf would keep a field of
// the wrong wire type as an unknown one and leave ours at its default,
// where the JSON decoder refuses a field of the wrong type. Text
// fields are `bytes` in client.proto (see there), so their UTF-8 is checked
// here: a name or reason that is not UTF-8 makes its message unreadable, as
// it would in JSON. `data`, `conn_info` and `chan_info` are bytes and are
// handed over unchanged.
#include <simdjson.h>

#include <climits>
#include <initializer_list>

#include "client.pb.h"
#include "codec.hpp"
#include "herald/proto/codec.hpp"
#include "herald/proto/protobuf_encoder.hpp"

namespace herald::client::detail {

namespace wire = herald::proto::wire;

namespace {

constexpr std::uint8_t kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5;

// The varint at `data[pos]`, advancing `pos`; false when it is longer than
// ten bytes, overflows 64 bits or is cut off by the end of `data`.
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

// One field of a message: its number, wire type, and value (a varint) or
// payload (length-delimited).
struct Field {
  std::uint64_t number = 0;
  std::uint8_t type = 0;
  std::uint64_t varint = 0;
  std::string_view bytes{};
};

// Reads the field at `pos` of `msg`, advancing `pos`. nullptr when it is
// read; otherwise why the bytes are not a field.
const char* nextField(std::string_view msg, std::size_t& pos, Field& f) {
  std::uint64_t tag = 0;
  if (!readVarint(msg, pos, tag)) return "a field tag is not a varint";
  f.number = tag >> 3;
  f.type = static_cast<std::uint8_t>(tag & 7);
  if (f.number == 0) return "a field numbered 0";
  switch (f.type) {
    case kVarint:
      if (!readVarint(msg, pos, f.varint)) return "a varint field is cut off";
      return nullptr;
    case kFixed64:
      if (msg.size() - pos < 8) return "a fixed64 field is cut off";
      pos += 8;
      return nullptr;
    case kBytes: {
      std::uint64_t length = 0;
      if (!readVarint(msg, pos, length)) return "a field's length is not a varint";
      if (length > msg.size() - pos) return "a field's length runs past its message";
      f.bytes = msg.substr(pos, static_cast<std::size_t>(length));
      pos += static_cast<std::size_t>(length);
      return nullptr;
    }
    case kFixed32:
      if (msg.size() - pos < 4) return "a fixed32 field is cut off";
      pos += 4;
      return nullptr;
    default:
      return "a field of an unknown wire type (groups are not in the protocol)";
  }
}

// The wire types of the fields a message's decoder reads (others are
// skipped, as unknown fields are), and the rules of the messages inside.
struct MessageRules;
struct FieldRule {
  std::uint64_t number;
  std::uint8_t type;
  const MessageRules* nested = nullptr;
};
struct MessageRules {
  std::initializer_list<FieldRule> fields;
};

const MessageRules kClientInfo{{{1, kBytes}, {2, kBytes}, {3, kBytes}, {4, kBytes}}};
const MessageRules kTagEntry{{{1, kBytes}, {2, kBytes}}};
const MessageRules kPublication{{{4, kBytes}, {5, kBytes, &kClientInfo}, {6, kVarint}, {7, kBytes, &kTagEntry}}};
const MessageRules kSubscribeResult{{{1, kVarint}, {2, kVarint}, {3, kVarint}, {6, kBytes}, {7, kBytes, &kPublication},
                                     {8, kVarint}, {9, kVarint}, {10, kVarint}, {11, kBytes}, {12, kVarint}}};
const MessageRules kSubscribeResultEntry{{{1, kBytes}, {2, kBytes, &kSubscribeResult}}};
const MessageRules kConnectResult{{{1, kBytes}, {2, kBytes}, {3, kVarint}, {4, kVarint}, {5, kBytes},
                                   {6, kBytes, &kSubscribeResultEntry}, {7, kVarint}, {8, kVarint}, {9, kBytes},
                                   {10, kBytes}}};
const MessageRules kRefreshResult{{{1, kBytes}, {2, kBytes}, {3, kVarint}, {4, kVarint}}};
const MessageRules kClientInfoEntry{{{1, kBytes}, {2, kBytes, &kClientInfo}}};
const MessageRules kPresenceResult{{{1, kBytes, &kClientInfoEntry}}};
const MessageRules kPresenceStatsResult{{{1, kVarint}, {2, kVarint}}};
const MessageRules kHistoryResult{{{1, kBytes, &kPublication}, {2, kBytes}, {3, kVarint}}};
const MessageRules kJoinLeave{{{1, kBytes, &kClientInfo}}};
const MessageRules kUnsubscribe{{{2, kVarint}, {3, kBytes}}};
const MessageRules kDisconnect{{{1, kVarint}, {2, kBytes}, {3, kVarint}}};
const MessageRules kMessage{{{1, kBytes}}};
const MessageRules kError{{{1, kVarint}, {2, kBytes}, {3, kVarint}}};

// Whether every field of `bytes` that `rules` names has its wire type, down
// through the nested messages; false as well when the bytes are not fields.
bool wellTyped(std::string_view bytes, const MessageRules& rules) {
  Field f;
  for (std::size_t pos = 0; pos < bytes.size();) {
    if (nextField(bytes, pos, f)) return false;
    for (const FieldRule& rule : rules.fields) {
      if (rule.number != f.number) continue;
      if (rule.type != f.type) return false;
      if (rule.nested && !wellTyped(f.bytes, *rule.nested)) return false;
    }
  }
  return true;
}

// The name of each result field of a Reply (5..15) and each body field of
// a Push (4..12), as the JSON format spells its keys.
std::string_view resultKey(std::uint64_t number) {
  static constexpr std::string_view kNames[] = {"connect", "subscribe", "unsubscribe", "publish",
                                                "presence", "presence_stats", "history", "ping",
                                                "rpc", "refresh", "sub_refresh"};
  return number >= 5 && number <= 15 ? kNames[number - 5] : std::string_view{};
}
std::string_view pushKey(std::uint64_t number) {
  static constexpr std::string_view kNames[] = {"pub", "join", "leave", "unsubscribe", "message",
                                                "subscribe", "connect", "disconnect", "refresh"};
  return number >= 4 && number <= 12 ? kNames[number - 4] : std::string_view{};
}

bool isUtf8(const std::string& s) { return simdjson::validate_utf8(s.data(), s.size()); }

// Copies a text field, refusing bytes that are not UTF-8.
bool text(const std::string& in, std::string& out) {
  if (!isUtf8(in)) return false;
  out = in;
  return true;
}

template <class Message>
bool parse(std::string_view bytes, const MessageRules& rules, Message& m) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) || !wellTyped(bytes, rules)) return false;
  return m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

bool readClientInfo(const wire::ClientInfo& w, ClientInfo& out) {
  if (!text(w.user(), out.user) || !text(w.client(), out.client)) return false;
  out.connInfo = w.conn_info();
  out.chanInfo = w.chan_info();
  return true;
}

bool readPublication(const wire::Publication& w, std::string_view channel, Publication& out) {
  out.channel.assign(channel);
  out.offset = w.offset();
  out.data = w.data();
  if (w.has_info()) {
    out.info.emplace();
    if (!readClientInfo(w.info(), *out.info)) return false;
  }
  out.tags.reserve(static_cast<std::size_t>(w.tags_size()));
  for (const wire::TagEntry& t : w.tags()) {
    if (!isUtf8(t.key()) || !isUtf8(t.value())) return false;
    out.tags.emplace_back(t.key(), t.value());
  }
  return true;
}

template <class Publications>
bool readPublications(const Publications& in, std::string_view channel, std::vector<Publication>& out) {
  out.reserve(out.size() + static_cast<std::size_t>(in.size()));
  for (const wire::Publication& w : in) {
    Publication p;
    if (!readPublication(w, channel, p)) return false;
    out.push_back(std::move(p));
  }
  return true;
}

// Appends `command` after its varint length: one whole frame.
void append(std::string& out, const wire::Command& command) {
  const std::size_t size = command.ByteSizeLong();
  proto::pb::appendVarint(out, size);
  const std::size_t at = out.size();
  out.resize(at + size);
  command.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(out.data() + at));
}

void setBytes(std::string* field, std::string_view bytes) { field->assign(bytes.data(), bytes.size()); }

class ProtobufCodec final : public Codec {
 public:
  Protocol protocol() const override { return Protocol::Protobuf; }
  ws::Opcode opcode() const override { return ws::Opcode::Binary; }
  std::string_view subprotocol() const override { return proto::kProtobufSubprotocol; }
  std::optional<std::string> dataProblem(std::string_view data) const override {
    if (data.empty()) return std::string("data is empty: publish one byte or more");
    return std::nullopt;
  }

  void encodeConnect(std::string& out, std::uint32_t id, std::string_view token, std::string_view name,
                     std::string_view version) const override {
    wire::Command c;
    c.set_id(id);
    wire::ConnectRequest& r = *c.mutable_connect();
    setBytes(r.mutable_token(), token);
    setBytes(r.mutable_name(), name);
    setBytes(r.mutable_version(), version);
    append(out, c);
  }

  void encodeSubscribe(std::string& out, std::uint32_t id, const SubscribeFields& f) const override {
    wire::Command c;
    c.set_id(id);
    wire::SubscribeRequest& r = *c.mutable_subscribe();
    setBytes(r.mutable_channel(), f.channel);
    setBytes(r.mutable_token(), f.token);
    if (f.recover) {
      r.set_recover(true);
      setBytes(r.mutable_epoch(), f.epoch);
      r.set_offset(f.offset);
    }
    r.set_recoverable(f.recoverable);
    r.set_join_leave(f.joinLeave);
    append(out, c);
  }

  void encodeUnsubscribe(std::string& out, std::uint32_t id, std::string_view channel) const override {
    wire::Command c;
    c.set_id(id);
    setBytes(c.mutable_unsubscribe()->mutable_channel(), channel);
    append(out, c);
  }

  void encodePublish(std::string& out, std::uint32_t id, std::string_view channel,
                     std::string_view data) const override {
    wire::Command c;
    c.set_id(id);
    setBytes(c.mutable_publish()->mutable_channel(), channel);
    setBytes(c.mutable_publish()->mutable_data(), data);
    append(out, c);
  }

  void encodePresence(std::string& out, std::uint32_t id, std::string_view channel) const override {
    wire::Command c;
    c.set_id(id);
    setBytes(c.mutable_presence()->mutable_channel(), channel);
    append(out, c);
  }

  void encodePresenceStats(std::string& out, std::uint32_t id, std::string_view channel) const override {
    wire::Command c;
    c.set_id(id);
    setBytes(c.mutable_presence_stats()->mutable_channel(), channel);
    append(out, c);
  }

  void encodeHistory(std::string& out, std::uint32_t id, std::string_view channel,
                     const HistoryOptions& o) const override {
    wire::Command c;
    c.set_id(id);
    wire::HistoryRequest& r = *c.mutable_history();
    setBytes(r.mutable_channel(), channel);
    r.set_limit(o.limit);
    if (o.since) {
      wire::StreamPosition& s = *r.mutable_since();
      s.set_offset(o.since->offset);
      setBytes(s.mutable_epoch(), o.since->epoch);
    }
    r.set_reverse(o.reverse);
    append(out, c);
  }

  void encodeRefresh(std::string& out, std::uint32_t id, std::string_view token) const override {
    wire::Command c;
    c.set_id(id);
    setBytes(c.mutable_refresh()->mutable_token(), token);
    append(out, c);
  }

  // The empty Command: its length, 0, and nothing else.
  void encodePong(std::string& out) const override { out.push_back('\0'); }

  std::vector<std::string_view> splitFrame(std::string_view frame, std::string& error) const override {
    error.clear();
    std::vector<std::string_view> messages;
    std::size_t pos = 0;
    while (pos < frame.size()) {
      std::uint64_t length = 0;
      if (!readVarint(frame, pos, length)) {
        error = "malformed Protobuf frame: a message's length is not a varint (message " +
                std::to_string(messages.size() + 1) + ")";
        break;
      }
      if (length > frame.size() - pos) {
        error = "malformed Protobuf frame: a message's length runs past the frame (message " +
                std::to_string(messages.size() + 1) + ")";
        break;
      }
      messages.push_back(frame.substr(pos, static_cast<std::size_t>(length)));
      pos += static_cast<std::size_t>(length);
    }
    return messages;
  }

  std::optional<ServerMessage> decodeMessage(std::string_view message, std::string& error) const override {
    ServerMessage m;
    std::string errorBytes, pushBytes;
    bool hasError = false, hasPush = false;
    std::uint64_t result = 0;  // the number of the result field, 0: none
    Field f;
    for (std::size_t pos = 0; pos < message.size();) {
      if (const char* why = nextField(message, pos, f)) {
        error = std::string("malformed Protobuf reply: ") + why;
        return std::nullopt;
      }
      const bool known = f.number == 1 || f.number == 2 || f.number == 4 || !resultKey(f.number).empty();
      if (!known) continue;  // a field newer servers add
      if (f.type != (f.number == 1 ? kVarint : kBytes)) {
        error = "malformed Protobuf reply: field " + std::to_string(f.number) + " has the wrong wire type";
        return std::nullopt;
      }
      // A message field that comes twice is merged, as protobuf merges it:
      // by reading the two payloads one after the other.
      if (f.number == 1) {
        m.id = static_cast<std::uint32_t>(f.varint);
      } else if (f.number == 2) {
        hasError = true;
        errorBytes.append(f.bytes);
      } else if (f.number == 4) {
        hasPush = true;
        pushBytes.append(f.bytes);
      } else if (result == 0 || result == f.number) {  // the first result wins, as in JSON
        result = f.number;
        m.body.append(f.bytes);
      }
    }

    if (m.id == 0 && hasPush) return decodePush(pushBytes, m, error);
    if (m.id == 0) {
      if (!hasError && result == 0) return m;  // the empty Reply: the server's ping
      error = "a message with neither an id nor a push";
      return std::nullopt;
    }
    m.kind = ServerMessage::Kind::Reply;
    if (hasError) {
      wire::Error w;
      Error e;
      if (!parse(errorBytes, kError, w) || !text(w.message(), e.message)) {
        error = "malformed Protobuf reply: an unreadable error";
        return std::nullopt;
      }
      e.code = w.code();
      e.temporary = w.temporary();
      m.error = std::move(e);
      m.body.clear();
      return m;
    }
    m.key.assign(resultKey(result));
    return m;
  }

  bool decodeConnectResult(std::string_view body, ConnectResultData& out) const override {
    wire::ConnectResult w;
    if (!parse(body, kConnectResult, w) || !text(w.client(), out.client) || !text(w.version(), out.version)) return false;
    out.data = w.data();
    out.expires = w.expires();
    out.ttl = w.ttl();
    out.ping = w.ping();
    out.pong = w.pong();
    return true;
  }

  bool decodeSubscribeResult(std::string_view body, std::string_view channel,
                             SubscribeResultData& out) const override {
    wire::SubscribeResult w;
    if (!parse(body, kSubscribeResult, w) || !text(w.epoch(), out.epoch)) return false;
    out.expires = w.expires();
    out.ttl = w.ttl();
    out.recoverable = w.recoverable();
    out.recovered = w.recovered();
    out.offset = w.offset();
    out.positioned = w.positioned();
    out.wasRecovering = w.was_recovering();
    return readPublications(w.publications(), channel, out.publications);
  }

  bool decodeRefreshResult(std::string_view body, RefreshResultData& out) const override {
    wire::RefreshResult w;
    if (!parse(body, kRefreshResult, w)) return false;
    out.expires = w.expires();
    out.ttl = w.ttl();
    return true;
  }

  bool decodePresenceResult(std::string_view body, PresenceResult& out) const override {
    wire::PresenceResult w;
    if (!parse(body, kPresenceResult, w)) return false;
    out.clients.reserve(static_cast<std::size_t>(w.presence_size()));
    for (const wire::ClientInfoEntry& e : w.presence()) {
      ClientInfo info;
      if (!readClientInfo(e.value(), info)) return false;
      if (info.client.empty() && !text(e.key(), info.client)) return false;
      out.clients.push_back(std::move(info));
    }
    return true;
  }

  bool decodePresenceStatsResult(std::string_view body, PresenceStatsResult& out) const override {
    wire::PresenceStatsResult w;
    if (!parse(body, kPresenceStatsResult, w)) return false;
    out.numClients = w.num_clients();
    out.numUsers = w.num_users();
    return true;
  }

  bool decodeHistoryResult(std::string_view body, std::string_view channel, HistoryResult& out) const override {
    wire::HistoryResult w;
    if (!parse(body, kHistoryResult, w) || !text(w.epoch(), out.epoch)) return false;
    out.offset = w.offset();
    return readPublications(w.publications(), channel, out.publications);
  }

  bool decodePublication(std::string_view body, std::string_view channel, Publication& out) const override {
    wire::Publication w;
    return parse(body, kPublication, w) && readPublication(w, channel, out);
  }

  // Join and Leave are the same message on the wire: a ClientInfo at 1.
  bool decodeJoinLeave(std::string_view body, ClientInfo& out) const override {
    wire::Join w;
    return parse(body, kJoinLeave, w) && w.has_info() && readClientInfo(w.info(), out);
  }

  bool decodeUnsubscribePush(std::string_view body, UnsubscribePushData& out) const override {
    wire::Unsubscribe w;
    if (!parse(body, kUnsubscribe, w) || !text(w.reason(), out.reason)) return false;
    out.code = w.code();
    return true;
  }

  bool decodeDisconnectPush(std::string_view body, DisconnectPushData& out) const override {
    wire::Disconnect w;
    if (!parse(body, kDisconnect, w) || !text(w.reason(), out.reason)) return false;
    out.code = w.code();
    out.reconnect = w.reconnect();
    return true;
  }

  bool decodeMessageData(std::string_view body, std::string& out) const override {
    wire::Message w;
    if (!parse(body, kMessage, w)) return false;
    out = w.data();
    return true;
  }

 private:
  // A Push (`bytes`, the merged payloads of the Reply's field 4): its
  // channel and its first known body.
  static std::optional<ServerMessage> decodePush(std::string_view bytes, ServerMessage& m, std::string& error) {
    m.kind = ServerMessage::Kind::Push;
    std::string channel;
    std::uint64_t body = 0;
    Field f;
    for (std::size_t pos = 0; pos < bytes.size();) {
      if (const char* why = nextField(bytes, pos, f)) {
        error = std::string("malformed Protobuf push: ") + why;
        return std::nullopt;
      }
      if (f.number != 2 && pushKey(f.number).empty()) continue;  // a field newer servers add
      if (f.type != kBytes) {
        error = "malformed Protobuf push: field " + std::to_string(f.number) + " has the wrong wire type";
        return std::nullopt;
      }
      if (f.number == 2) {
        channel.assign(f.bytes);  // a scalar that comes twice: the last wins
      } else if (body == 0 || body == f.number) {
        body = f.number;
        m.body.append(f.bytes);
      }
    }
    if (body == 0) {
      error = "a push without a known body";
      return std::nullopt;
    }
    if (!text(channel, m.channel)) {
      error = "malformed Protobuf push: the channel is not UTF-8";
      return std::nullopt;
    }
    m.key.assign(pushKey(body));
    return std::move(m);
  }
};

}  // namespace

const Codec& protobufCodec() {
  static const ProtobufCodec codec;
  return codec;
}

}  // namespace herald::client::detail
