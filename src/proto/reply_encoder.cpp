#include "herald/proto/reply_encoder.hpp"

#include "herald/proto/json_writer.hpp"

namespace herald::proto {

namespace {

// Writes one JSON object, putting commas between members. Members at their
// zero value are skipped unless `always` is set.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  void close() { out_.push_back('}'); }

  std::string& key(std::string_view name) {
    out_.append(first_ ? "\"" : ",\"");
    first_ = false;
    out_.append(name);
    out_.append("\":");
    return out_;
  }
  void string(std::string_view name, std::string_view value, bool always = false) {
    if (value.empty() && !always) return;
    appendJsonString(key(name), value);
  }
  void raw(std::string_view name, std::string_view json) {
    if (json.empty()) return;
    appendRawJson(key(name), json);
  }
  void flag(std::string_view name, bool value) {
    if (value) key(name).append("true");
  }
  void number(std::string_view name, std::uint64_t value, bool always = false) {
    if (value == 0 && !always) return;
    appendUint(key(name), value);
  }

 private:
  std::string& out_;
  bool first_ = true;
};

void writeClientInfo(std::string& out, const ClientInfo& info) {
  ObjectWriter o(out);
  o.string("user", info.user, true);
  o.string("client", info.client, true);
  o.raw("conn_info", info.connInfo);
  o.raw("chan_info", info.chanInfo);
  o.close();
}

void writePublication(std::string& out, const Publication& pub) {
  ObjectWriter o(out);
  if (pub.dataAsText) o.string("data", pub.data, true);
  else o.raw("data", pub.data);
  if (pub.info) writeClientInfo(o.key("info"), *pub.info);
  o.number("offset", pub.offset);
  if (!pub.tags.empty()) {
    // Tag keys are arbitrary strings, so they are escaped; ObjectWriter::key()
    // is for our own ASCII names.
    std::string& s = o.key("tags");
    s.push_back('{');
    for (std::size_t i = 0; i < pub.tags.size(); ++i) {
      if (i) s.push_back(',');
      appendJsonString(s, pub.tags[i].key);
      s.push_back(':');
      appendJsonString(s, pub.tags[i].value);
    }
    s.push_back('}');
  }
  o.flag("delta", pub.delta);
  o.close();
}

void writePublications(std::string& out, std::span<const Publication> pubs) {
  out.push_back('[');
  for (std::size_t i = 0; i < pubs.size(); ++i) {
    if (i) out.push_back(',');
    writePublication(out, pubs[i]);
  }
  out.push_back(']');
}

void writeSubscribeResult(std::string& out, const SubscribeResult& r) {
  ObjectWriter o(out);
  o.flag("expires", r.expires);
  o.number("ttl", r.ttl);
  o.flag("recoverable", r.recoverable);
  o.string("epoch", r.epoch);
  if (!r.publications.empty()) writePublications(o.key("publications"), r.publications);
  o.flag("recovered", r.recovered);
  o.number("offset", r.offset);
  o.flag("positioned", r.positioned);
  o.raw("data", r.data);
  o.flag("was_recovering", r.wasRecovering);
  o.flag("delta", r.delta);
  o.close();
}

void writeSubs(std::string& out, std::span<const ChannelSubscribeResult> subs) {
  out.push_back('{');
  for (std::size_t i = 0; i < subs.size(); ++i) {
    if (i) out.push_back(',');
    appendJsonString(out, subs[i].channel);
    out.push_back(':');
    writeSubscribeResult(out, subs[i].result);
  }
  out.push_back('}');
}

// {"id":N,"<method>":<body>}; `body` writes the result object.
template <typename Body>
void writeReply(std::string& out, std::uint32_t id, std::string_view method, Body&& body) {
  ObjectWriter o(out);
  o.number("id", id);
  body(o.key(method));
  o.close();
}

void writeEmptyReply(std::string& out, std::uint32_t id, std::string_view method) {
  writeReply(out, id, method, [](std::string& s) { s.append("{}"); });
}

// {"push":{"channel":"c","<type>":<body>}}
template <typename Body>
void writePush(std::string& out, std::string_view channel, std::string_view type, Body&& body) {
  out.append("{\"push\":");
  ObjectWriter o(out);
  o.string("channel", channel);
  body(o.key(type));
  o.close();
  out.push_back('}');
}

}  // namespace

void encodeErrorReply(std::string& out, std::uint32_t id, const ReplyError& error) {
  ObjectWriter o(out);
  o.number("id", id);
  ObjectWriter e(o.key("error"));
  e.number("code", error.code);
  e.string("message", error.message);
  e.flag("temporary", error.temporary);
  e.close();
  o.close();
}

void encodeErrorReply(std::string& out, std::uint32_t id, ErrorCode code) {
  const ErrorInfo& info = errorInfo(code);
  encodeErrorReply(out, id, ReplyError{static_cast<std::uint32_t>(code), info.message, info.temporary});
}

void encodeConnectReply(std::string& out, std::uint32_t id, const ConnectResult& r) {
  writeReply(out, id, "connect", [&](std::string& s) {
    ObjectWriter o(s);
    o.string("client", r.client);
    o.string("version", r.version);
    o.flag("expires", r.expires);
    o.number("ttl", r.ttl);
    o.raw("data", r.data);
    if (!r.subs.empty()) writeSubs(o.key("subs"), r.subs);
    o.number("ping", r.ping);
    o.flag("pong", r.pong);
    o.string("session", r.session);
    o.string("node", r.node);
    o.close();
  });
}

void encodeSubscribeReply(std::string& out, std::uint32_t id, const SubscribeResult& r) {
  writeReply(out, id, "subscribe", [&](std::string& s) { writeSubscribeResult(s, r); });
}

void encodeUnsubscribeReply(std::string& out, std::uint32_t id) { writeEmptyReply(out, id, "unsubscribe"); }
void encodePublishReply(std::string& out, std::uint32_t id) { writeEmptyReply(out, id, "publish"); }
void encodePingReply(std::string& out, std::uint32_t id) { writeEmptyReply(out, id, "ping"); }

void encodePresenceReply(std::string& out, std::uint32_t id, std::span<const ClientInfo> clients) {
  writeReply(out, id, "presence", [&](std::string& s) {
    s.append("{\"presence\":{");
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (i) s.push_back(',');
      appendJsonString(s, clients[i].client);
      s.push_back(':');
      writeClientInfo(s, clients[i]);
    }
    s.append("}}");
  });
}

void encodePresenceStatsReply(std::string& out, std::uint32_t id, const PresenceStatsResult& r) {
  writeReply(out, id, "presence_stats", [&](std::string& s) {
    ObjectWriter o(s);
    o.number("num_clients", r.numClients, true);
    o.number("num_users", r.numUsers, true);
    o.close();
  });
}

void encodeHistoryReply(std::string& out, std::uint32_t id, const HistoryResult& r) {
  writeReply(out, id, "history", [&](std::string& s) {
    ObjectWriter o(s);
    writePublications(o.key("publications"), r.publications);
    o.string("epoch", r.epoch, true);
    o.number("offset", r.offset, true);
    o.close();
  });
}

void encodeRpcReply(std::string& out, std::uint32_t id, std::string_view data) {
  writeReply(out, id, "rpc", [&](std::string& s) {
    ObjectWriter o(s);
    o.raw("data", data);
    o.close();
  });
}

void encodeRefreshReply(std::string& out, std::uint32_t id, const RefreshResult& r) {
  writeReply(out, id, "refresh", [&](std::string& s) {
    ObjectWriter o(s);
    o.string("client", r.client);
    o.string("version", r.version);
    o.flag("expires", r.expires);
    o.number("ttl", r.ttl);
    o.close();
  });
}

void encodeSubRefreshReply(std::string& out, std::uint32_t id, const SubRefreshResult& r) {
  writeReply(out, id, "sub_refresh", [&](std::string& s) {
    ObjectWriter o(s);
    o.flag("expires", r.expires);
    o.number("ttl", r.ttl);
    o.close();
  });
}

void encodePublication(std::string& out, const Publication& pub) { writePublication(out, pub); }

void encodePublicationPush(std::string& out, std::string_view channel, const Publication& pub) {
  writePush(out, channel, "pub", [&](std::string& s) { writePublication(s, pub); });
}

void encodeJoinPush(std::string& out, std::string_view channel, const ClientInfo& info) {
  writePush(out, channel, "join", [&](std::string& s) {
    s.append("{\"info\":");
    writeClientInfo(s, info);
    s.push_back('}');
  });
}

void encodeLeavePush(std::string& out, std::string_view channel, const ClientInfo& info) {
  writePush(out, channel, "leave", [&](std::string& s) {
    s.append("{\"info\":");
    writeClientInfo(s, info);
    s.push_back('}');
  });
}

void encodeUnsubscribePush(std::string& out, std::string_view channel, const UnsubscribePush& p) {
  writePush(out, channel, "unsubscribe", [&](std::string& s) {
    ObjectWriter o(s);
    o.number("code", p.code);
    o.string("reason", p.reason);
    o.close();
  });
}

void encodeSubscribePush(std::string& out, std::string_view channel, const SubscribePush& p) {
  writePush(out, channel, "subscribe", [&](std::string& s) {
    ObjectWriter o(s);
    o.flag("recoverable", p.recoverable);
    o.string("epoch", p.epoch);
    o.number("offset", p.offset);
    o.flag("positioned", p.positioned);
    o.raw("data", p.data);
    o.close();
  });
}

void encodeMessagePush(std::string& out, std::string_view data) {
  writePush(out, {}, "message", [&](std::string& s) {
    ObjectWriter o(s);
    o.raw("data", data);
    o.close();
  });
}

void encodeConnectPush(std::string& out, const ConnectResult& r) {
  writePush(out, {}, "connect", [&](std::string& s) {
    ObjectWriter o(s);
    o.string("client", r.client);
    o.string("version", r.version);
    o.raw("data", r.data);
    if (!r.subs.empty()) writeSubs(o.key("subs"), r.subs);
    o.flag("expires", r.expires);
    o.number("ttl", r.ttl);
    o.number("ping", r.ping);
    o.flag("pong", r.pong);
    o.string("session", r.session);
    o.string("node", r.node);
    o.close();
  });
}

void encodeDisconnectPush(std::string& out, const DisconnectPush& p) {
  writePush(out, {}, "disconnect", [&](std::string& s) {
    ObjectWriter o(s);
    o.number("code", p.code);
    o.string("reason", p.reason);
    o.flag("reconnect", p.reconnect);
    o.close();
  });
}

void encodeRefreshPush(std::string& out, const RefreshPush& p) {
  writePush(out, {}, "refresh", [&](std::string& s) {
    ObjectWriter o(s);
    o.flag("expires", p.expires);
    o.number("ttl", p.ttl);
    o.close();
  });
}

void encodeServerPing(std::string& out) { out.append("{}"); }

}  // namespace herald::proto
