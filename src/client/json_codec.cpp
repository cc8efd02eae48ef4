// The JSON format of the client codec (codec.hpp): commands written with
// herald_proto's JSON primitives, replies and pushes read with simdjson.
#include <simdjson.h>

#include "codec.hpp"
#include "herald/client/http_api.hpp"
#include "herald/proto/json_writer.hpp"

namespace herald::client::detail {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

using proto::appendJsonString;
using proto::appendRawJson;
using proto::appendUint;

// One parser per thread: the client decodes on its loop thread, and the
// elements below live only until the next parse on the same thread.
simdjson::dom::parser& parser() {
  thread_local simdjson::dom::parser p;
  return p;
}

bool parseObject(std::string_view text, object& out) {
  element root;
  if (parser().parse(text.data(), text.size()).get(root)) return false;
  return !root.get(out);
}

// Field readers: an absent (or null) field leaves the default; a field of
// the wrong type makes the whole body unreadable.
struct Fields {
  object obj;
  bool ok = true;

  bool find(std::string_view key, element& e) {
    if (obj[key].get(e)) return false;
    return !e.is_null();
  }
  void str(std::string_view key, std::string& out) {
    element e;
    if (!find(key, e)) return;
    std::string_view v;
    if (e.get(v)) ok = false;
    else out.assign(v);
  }
  template <class U>
  void uint(std::string_view key, U& out) {
    element e;
    if (!find(key, e)) return;
    std::uint64_t v = 0;
    if (e.get(v)) ok = false;
    else out = static_cast<U>(v);
  }
  void boolean(std::string_view key, bool& out) {
    element e;
    if (!find(key, e)) return;
    if (e.get(out)) ok = false;
  }
  void raw(std::string_view key, std::string& out) {
    element e;
    if (find(key, e)) out = simdjson::to_string(e);
  }
};

bool readClientInfo(element e, ClientInfo& out) {
  Fields f;
  if (e.get(f.obj)) return false;
  f.str("user", out.user);
  f.str("client", out.client);
  f.raw("conn_info", out.connInfo);
  f.raw("chan_info", out.chanInfo);
  return f.ok;
}

bool readPublication(element e, std::string_view channel, Publication& out) {
  Fields f;
  if (e.get(f.obj)) return false;
  out.channel.assign(channel);
  f.uint("offset", out.offset);
  f.raw("data", out.data);
  element info;
  if (f.find("info", info)) {
    out.info.emplace();
    if (!readClientInfo(info, *out.info)) return false;
  }
  element tags;
  if (f.find("tags", tags)) {
    object t;
    if (tags.get(t)) return false;
    for (auto [k, v] : t) {
      std::string_view sv;
      if (v.get(sv)) return false;
      out.tags.emplace_back(std::string(k), std::string(sv));
    }
  }
  return f.ok;
}

bool readPublications(Fields& f, std::string_view channel, std::vector<Publication>& out) {
  element e;
  if (!f.find("publications", e)) return true;
  array arr;
  if (e.get(arr)) return false;
  for (element p : arr) {
    Publication pub;
    if (!readPublication(p, channel, pub)) return false;
    out.push_back(std::move(pub));
  }
  return true;
}

void beginCommand(std::string& out, std::uint32_t id, std::string_view method) {
  out += "{\"id\":";
  appendUint(out, id);
  out += ",\"";
  out += method;
  out += "\":{";
}

void channelOnly(std::string& out, std::uint32_t id, std::string_view method, std::string_view channel) {
  beginCommand(out, id, method);
  out += "\"channel\":";
  appendJsonString(out, channel);
  out += "}}";
}

class JsonCodec final : public Codec {
 public:
  Protocol protocol() const override { return Protocol::Json; }
  ws::Opcode opcode() const override { return ws::Opcode::Text; }
  std::string_view subprotocol() const override { return {}; }
  std::optional<std::string> dataProblem(std::string_view data) const override {
    auto problem = jsonError(data);
    if (problem) return "data is not valid JSON: " + *problem;
    return std::nullopt;
  }

  void encodeConnect(std::string& out, std::uint32_t id, std::string_view token, std::string_view name,
                     std::string_view version) const override;
  void encodeSubscribe(std::string& out, std::uint32_t id, const SubscribeFields& f) const override;
  void encodeUnsubscribe(std::string& out, std::uint32_t id, std::string_view channel) const override;
  void encodePublish(std::string& out, std::uint32_t id, std::string_view channel,
                     std::string_view data) const override;
  void encodePresence(std::string& out, std::uint32_t id, std::string_view channel) const override;
  void encodePresenceStats(std::string& out, std::uint32_t id, std::string_view channel) const override;
  void encodeHistory(std::string& out, std::uint32_t id, std::string_view channel,
                     const HistoryOptions& o) const override;
  void encodeRefresh(std::string& out, std::uint32_t id, std::string_view token) const override;
  // The server's ping is {}, and so is the answer.
  void encodePong(std::string& out) const override { out += "{}"; }

  // A frame is '\n'-separated lines; blank lines are skipped.
  std::vector<std::string_view> splitFrame(std::string_view frame, std::string& error) const override;
  std::optional<ServerMessage> decodeMessage(std::string_view line, std::string& error) const override;

  bool decodeConnectResult(std::string_view body, ConnectResultData& out) const override;
  bool decodeSubscribeResult(std::string_view body, std::string_view channel,
                             SubscribeResultData& out) const override;
  bool decodeRefreshResult(std::string_view body, RefreshResultData& out) const override;
  bool decodePresenceResult(std::string_view body, PresenceResult& out) const override;
  bool decodePresenceStatsResult(std::string_view body, PresenceStatsResult& out) const override;
  bool decodeHistoryResult(std::string_view body, std::string_view channel, HistoryResult& out) const override;
  bool decodePublication(std::string_view body, std::string_view channel, Publication& out) const override;
  bool decodeJoinLeave(std::string_view body, ClientInfo& out) const override;
  bool decodeUnsubscribePush(std::string_view body, UnsubscribePushData& out) const override;
  bool decodeDisconnectPush(std::string_view body, DisconnectPushData& out) const override;
  bool decodeMessageData(std::string_view body, std::string& out) const override;
};

}  // namespace

// --- commands --------------------------------------------------------------

void JsonCodec::encodeConnect(std::string& out, std::uint32_t id, std::string_view token, std::string_view name,
                   std::string_view version) const {
  beginCommand(out, id, "connect");
  bool comma = false;
  auto field = [&](std::string_view key, std::string_view value) {
    if (value.empty()) return;
    if (comma) out += ',';
    comma = true;
    out += '"';
    out += key;
    out += "\":";
    appendJsonString(out, value);
  };
  field("token", token);
  field("name", name);
  field("version", version);
  out += "}}";
}

void JsonCodec::encodeSubscribe(std::string& out, std::uint32_t id, const SubscribeFields& f) const {
  beginCommand(out, id, "subscribe");
  out += "\"channel\":";
  appendJsonString(out, f.channel);
  if (!f.token.empty()) {
    out += ",\"token\":";
    appendJsonString(out, f.token);
  }
  if (f.recover) {
    out += ",\"recover\":true";
    if (!f.epoch.empty()) {
      out += ",\"epoch\":";
      appendJsonString(out, f.epoch);
    }
    out += ",\"offset\":";
    appendUint(out, f.offset);
  }
  if (f.recoverable) out += ",\"recoverable\":true";
  if (f.joinLeave) out += ",\"join_leave\":true";
  out += "}}";
}

void JsonCodec::encodeUnsubscribe(std::string& out, std::uint32_t id, std::string_view channel) const {
  channelOnly(out, id, "unsubscribe", channel);
}

void JsonCodec::encodePublish(std::string& out, std::uint32_t id, std::string_view channel, std::string_view data) const {
  beginCommand(out, id, "publish");
  out += "\"channel\":";
  appendJsonString(out, channel);
  out += ",\"data\":";
  appendRawJson(out, data);
  out += "}}";
}

void JsonCodec::encodePresence(std::string& out, std::uint32_t id, std::string_view channel) const {
  channelOnly(out, id, "presence", channel);
}

void JsonCodec::encodePresenceStats(std::string& out, std::uint32_t id, std::string_view channel) const {
  channelOnly(out, id, "presence_stats", channel);
}

void JsonCodec::encodeHistory(std::string& out, std::uint32_t id, std::string_view channel, const HistoryOptions& o) const {
  beginCommand(out, id, "history");
  out += "\"channel\":";
  appendJsonString(out, channel);
  if (o.limit != 0) {
    out += ",\"limit\":";
    proto::appendInt(out, o.limit);
  }
  if (o.since) {
    out += ",\"since\":{\"offset\":";
    appendUint(out, o.since->offset);
    out += ",\"epoch\":";
    appendJsonString(out, o.since->epoch);
    out += '}';
  }
  if (o.reverse) out += ",\"reverse\":true";
  out += "}}";
}

void JsonCodec::encodeRefresh(std::string& out, std::uint32_t id, std::string_view token) const {
  beginCommand(out, id, "refresh");
  out += "\"token\":";
  appendJsonString(out, token);
  out += "}}";
}

// --- messages --------------------------------------------------------------

std::vector<std::string_view> JsonCodec::splitFrame(std::string_view frame, std::string& error) const {
  error.clear();
  std::vector<std::string_view> lines;
  while (!frame.empty()) {
    std::size_t nl = frame.find('\n');
    std::string_view line = frame.substr(0, nl);
    if (!line.empty() && line.find_first_not_of(" \t\r") != std::string_view::npos) lines.push_back(line);
    if (nl == std::string_view::npos) break;
    frame.remove_prefix(nl + 1);
  }
  return lines;
}

std::optional<ServerMessage> JsonCodec::decodeMessage(std::string_view line, std::string& error) const {
  element root;
  if (auto err = parser().parse(line.data(), line.size()).get(root)) {
    error = std::string("malformed JSON from the server: ") + simdjson::error_message(err);
    return std::nullopt;
  }
  Fields f;
  if (root.get(f.obj)) {
    error = "a server message must be a JSON object";
    return std::nullopt;
  }
  ServerMessage m;
  f.uint("id", m.id);
  if (!f.ok) {
    error = "a reply id must be an unsigned integer";
    return std::nullopt;
  }
  element push;
  if (m.id == 0 && f.find("push", push)) {
    Fields p;
    if (push.get(p.obj)) {
      error = "a push must be an object";
      return std::nullopt;
    }
    m.kind = ServerMessage::Kind::Push;
    p.str("channel", m.channel);
    for (auto [key, value] : p.obj) {
      if (key == "channel" || value.is_null()) continue;
      if (!value.is_object()) continue;  // a field newer servers add
      m.key.assign(key);
      m.body = simdjson::to_string(value);
      break;
    }
    if (!p.ok || m.key.empty()) {
      error = "a push without a known body";
      return std::nullopt;
    }
    return m;
  }
  if (m.id == 0) {
    if (f.obj.size() == 0) return m;  // {}: the server's ping
    error = "a message with neither an id nor a push";
    return std::nullopt;
  }
  m.kind = ServerMessage::Kind::Reply;
  element err;
  if (f.find("error", err)) {
    Fields e;
    if (err.get(e.obj)) {
      error = "a reply error must be an object";
      return std::nullopt;
    }
    Error out;
    e.uint("code", out.code);
    e.str("message", out.message);
    e.boolean("temporary", out.temporary);
    if (!e.ok) {
      error = "a reply error with fields of the wrong type";
      return std::nullopt;
    }
    m.error = std::move(out);
    return m;
  }
  for (auto [key, value] : f.obj) {
    if (key == "id" || value.is_null() || !value.is_object()) continue;
    m.key.assign(key);
    m.body = simdjson::to_string(value);
    break;
  }
  if (m.body.empty()) m.body = "{}";
  return m;
}

// --- bodies ----------------------------------------------------------------

bool JsonCodec::decodeConnectResult(std::string_view body, ConnectResultData& out) const {
  Fields f;
  if (!parseObject(body, f.obj)) return false;
  f.str("client", out.client);
  f.str("version", out.version);
  f.raw("data", out.data);
  f.boolean("expires", out.expires);
  f.uint("ttl", out.ttl);
  f.uint("ping", out.ping);
  f.boolean("pong", out.pong);
  return f.ok;
}

bool JsonCodec::decodeSubscribeResult(std::string_view body, std::string_view channel, SubscribeResultData& out) const {
  Fields f;
  if (!parseObject(body, f.obj)) return false;
  f.boolean("expires", out.expires);
  f.uint("ttl", out.ttl);
  f.boolean("recoverable", out.recoverable);
  f.str("epoch", out.epoch);
  f.boolean("recovered", out.recovered);
  f.uint("offset", out.offset);
  f.boolean("positioned", out.positioned);
  f.boolean("was_recovering", out.wasRecovering);
  return readPublications(f, channel, out.publications) && f.ok;
}

bool JsonCodec::decodeRefreshResult(std::string_view body, RefreshResultData& out) const {
  Fields f;
  if (!parseObject(body, f.obj)) return false;
  f.boolean("expires", out.expires);
  f.uint("ttl", out.ttl);
  return f.ok;
}

bool JsonCodec::decodePresenceResult(std::string_view body, PresenceResult& out) const {
  Fields f;
  if (!parseObject(body, f.obj)) return false;
  element e;
  if (!f.find("presence", e)) return true;
  object map;
  if (e.get(map)) return false;
  for (auto [key, value] : map) {
    ClientInfo info;
    if (!readClientInfo(value, info)) return false;
    if (info.client.empty()) info.client.assign(key);
    out.clients.push_back(std::move(info));
  }
  return true;
}

bool JsonCodec::decodePresenceStatsResult(std::string_view body, PresenceStatsResult& out) const {
  Fields f;
  if (!parseObject(body, f.obj)) return false;
  f.uint("num_clients", out.numClients);
  f.uint("num_users", out.numUsers);
  return f.ok;
}

bool JsonCodec::decodeHistoryResult(std::string_view body, std::string_view channel, HistoryResult& out) const {
  Fields f;
  if (!parseObject(body, f.obj)) return false;
  f.str("epoch", out.epoch);
  f.uint("offset", out.offset);
  return readPublications(f, channel, out.publications) && f.ok;
}

bool JsonCodec::decodePublication(std::string_view body, std::string_view channel, Publication& out) const {
  element root;
  if (parser().parse(body.data(), body.size()).get(root)) return false;
  return readPublication(root, channel, out);
}

bool JsonCodec::decodeJoinLeave(std::string_view body, ClientInfo& out) const {
  Fields f;
  if (!parseObject(body, f.obj)) return false;
  element info;
  if (!f.find("info", info)) return false;
  return readClientInfo(info, out);
}

bool JsonCodec::decodeUnsubscribePush(std::string_view body, UnsubscribePushData& out) const {
  Fields f;
  if (!parseObject(body, f.obj)) return false;
  f.uint("code", out.code);
  f.str("reason", out.reason);
  return f.ok;
}

bool JsonCodec::decodeDisconnectPush(std::string_view body, DisconnectPushData& out) const {
  Fields f;
  if (!parseObject(body, f.obj)) return false;
  f.uint("code", out.code);
  f.str("reason", out.reason);
  f.boolean("reconnect", out.reconnect);
  return f.ok;
}

bool JsonCodec::decodeMessageData(std::string_view body, std::string& out) const {
  Fields f;
  if (!parseObject(body, f.obj)) return false;
  f.raw("data", out);
  return true;
}

const Codec& jsonCodec() {
  static const JsonCodec codec;
  return codec;
}

}  // namespace herald::client::detail
