// The Protobuf reply encoder over the classes protoc generates from
// client.proto (lite runtime). Each call builds one Reply on a small
// thread-local arena, serializes it after its varint length, and lets the
// arena go: nothing is kept between calls.

#include "herald/proto/protobuf_encoder.hpp"

#include <google/protobuf/arena.h>

#include "client.pb.h"

namespace herald::proto::pb {

namespace wire = herald::proto::wire;
using google::protobuf::Arena;

namespace {

// The arena of the calling thread, reset after every message: its first
// block is reused, so a reply allocates nothing once the block is warm.
Arena& scratchArena() {
  thread_local Arena arena;
  return arena;
}

void append(std::string& out, const wire::Reply& reply) {
  const std::size_t size = reply.ByteSizeLong();
  appendVarint(out, size);
  const std::size_t at = out.size();
  out.resize(at + size);
  reply.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(out.data() + at));
}

// Builds a Reply with `fill`, appends it, and clears the arena.
template <typename Fill>
void emit(std::string& out, Fill&& fill) {
  Arena& arena = scratchArena();
  {
    auto* reply = Arena::CreateMessage<wire::Reply>(&arena);
    fill(*reply);
    append(out, *reply);
  }
  arena.Reset();
}

void setBytes(std::string* field, std::string_view bytes) { field->assign(bytes.data(), bytes.size()); }

void fillClientInfo(wire::ClientInfo& w, const ClientInfo& info) {
  setBytes(w.mutable_user(), info.user);
  setBytes(w.mutable_client(), info.client);
  if (!info.connInfo.empty()) setBytes(w.mutable_conn_info(), info.connInfo);
  if (!info.chanInfo.empty()) setBytes(w.mutable_chan_info(), info.chanInfo);
}

void fillPublication(wire::Publication& w, const Publication& p) {
  if (!p.data.empty()) setBytes(w.mutable_data(), p.data);
  if (p.info) fillClientInfo(*w.mutable_info(), *p.info);
  w.set_offset(p.offset);
  for (const Tag& t : p.tags) {
    wire::TagEntry& e = *w.add_tags();
    setBytes(e.mutable_key(), t.key);
    setBytes(e.mutable_value(), t.value);
  }
  w.set_delta(p.delta);
}

void fillSubscribeResult(wire::SubscribeResult& w, const SubscribeResult& r) {
  w.set_expires(r.expires);
  w.set_ttl(r.ttl);
  w.set_recoverable(r.recoverable);
  setBytes(w.mutable_epoch(), r.epoch);
  for (const Publication& p : r.publications) fillPublication(*w.add_publications(), p);
  w.set_recovered(r.recovered);
  w.set_offset(r.offset);
  w.set_positioned(r.positioned);
  if (!r.data.empty()) setBytes(w.mutable_data(), r.data);
  w.set_was_recovering(r.wasRecovering);
  w.set_delta(r.delta);
}

template <typename Connect>
void fillConnect(Connect& w, const ConnectResult& r) {
  setBytes(w.mutable_client(), r.client);
  setBytes(w.mutable_version(), r.version);
  w.set_expires(r.expires);
  w.set_ttl(r.ttl);
  if (!r.data.empty()) setBytes(w.mutable_data(), r.data);
  for (const ChannelSubscribeResult& s : r.subs) {
    wire::SubscribeResultEntry& e = *w.add_subs();
    setBytes(e.mutable_key(), s.channel);
    fillSubscribeResult(*e.mutable_value(), s.result);
  }
  w.set_ping(r.ping);
  w.set_pong(r.pong);
  setBytes(w.mutable_session(), r.session);
  setBytes(w.mutable_node(), r.node);
}

wire::Push& push(wire::Reply& reply, std::string_view channel) {
  wire::Push& p = *reply.mutable_push();
  setBytes(p.mutable_channel(), channel);
  return p;
}

}  // namespace

void appendVarint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void encodeErrorReply(std::string& out, std::uint32_t id, const ReplyError& error) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    wire::Error& e = *r.mutable_error();
    e.set_code(error.code);
    setBytes(e.mutable_message(), error.message);
    e.set_temporary(error.temporary);
  });
}

void encodeErrorReply(std::string& out, std::uint32_t id, ErrorCode code) {
  const ErrorInfo& info = errorInfo(code);
  encodeErrorReply(out, id, ReplyError{static_cast<std::uint32_t>(code), info.message, info.temporary});
}

void encodeConnectReply(std::string& out, std::uint32_t id, const ConnectResult& result) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    fillConnect(*r.mutable_connect(), result);
  });
}

void encodeSubscribeReply(std::string& out, std::uint32_t id, const SubscribeResult& result) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    fillSubscribeResult(*r.mutable_subscribe(), result);
  });
}

void encodeUnsubscribeReply(std::string& out, std::uint32_t id) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    r.mutable_unsubscribe();
  });
}

void encodePublishReply(std::string& out, std::uint32_t id) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    r.mutable_publish();
  });
}

void encodePresenceReply(std::string& out, std::uint32_t id, std::span<const ClientInfo> clients) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    wire::PresenceResult& presence = *r.mutable_presence();
    for (const ClientInfo& c : clients) {
      wire::ClientInfoEntry& e = *presence.add_presence();
      setBytes(e.mutable_key(), c.client);
      fillClientInfo(*e.mutable_value(), c);
    }
  });
}

void encodePresenceStatsReply(std::string& out, std::uint32_t id, const PresenceStatsResult& result) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    wire::PresenceStatsResult& s = *r.mutable_presence_stats();
    s.set_num_clients(result.numClients);
    s.set_num_users(result.numUsers);
  });
}

void encodeHistoryReply(std::string& out, std::uint32_t id, const HistoryResult& result) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    wire::HistoryResult& h = *r.mutable_history();
    for (const Publication& p : result.publications) fillPublication(*h.add_publications(), p);
    setBytes(h.mutable_epoch(), result.epoch);
    h.set_offset(result.offset);
  });
}

void encodePingReply(std::string& out, std::uint32_t id) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    r.mutable_ping();
  });
}

void encodeRpcReply(std::string& out, std::uint32_t id, std::string_view data) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    wire::RPCResult& rpc = *r.mutable_rpc();
    if (!data.empty()) setBytes(rpc.mutable_data(), data);
  });
}

void encodeRefreshReply(std::string& out, std::uint32_t id, const RefreshResult& result) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    wire::RefreshResult& w = *r.mutable_refresh();
    setBytes(w.mutable_client(), result.client);
    setBytes(w.mutable_version(), result.version);
    w.set_expires(result.expires);
    w.set_ttl(result.ttl);
  });
}

void encodeSubRefreshReply(std::string& out, std::uint32_t id, const SubRefreshResult& result) {
  emit(out, [&](wire::Reply& r) {
    r.set_id(id);
    wire::SubRefreshResult& w = *r.mutable_sub_refresh();
    w.set_expires(result.expires);
    w.set_ttl(result.ttl);
  });
}

void encodePublicationPush(std::string& out, std::string_view channel, const Publication& pub) {
  emit(out, [&](wire::Reply& r) { fillPublication(*push(r, channel).mutable_pub(), pub); });
}

void encodeJoinPush(std::string& out, std::string_view channel, const ClientInfo& info) {
  emit(out, [&](wire::Reply& r) { fillClientInfo(*push(r, channel).mutable_join()->mutable_info(), info); });
}

void encodeLeavePush(std::string& out, std::string_view channel, const ClientInfo& info) {
  emit(out, [&](wire::Reply& r) { fillClientInfo(*push(r, channel).mutable_leave()->mutable_info(), info); });
}

void encodeUnsubscribePush(std::string& out, std::string_view channel, const UnsubscribePush& p) {
  emit(out, [&](wire::Reply& r) {
    wire::Unsubscribe& u = *push(r, channel).mutable_unsubscribe();
    u.set_code(p.code);
    setBytes(u.mutable_reason(), p.reason);
  });
}

void encodeSubscribePush(std::string& out, std::string_view channel, const SubscribePush& p) {
  emit(out, [&](wire::Reply& r) {
    wire::Subscribe& s = *push(r, channel).mutable_subscribe();
    s.set_recoverable(p.recoverable);
    setBytes(s.mutable_epoch(), p.epoch);
    s.set_offset(p.offset);
    s.set_positioned(p.positioned);
    if (!p.data.empty()) setBytes(s.mutable_data(), p.data);
  });
}

void encodeMessagePush(std::string& out, std::string_view data) {
  emit(out, [&](wire::Reply& r) {
    wire::Message& m = *push(r, {}).mutable_message();
    if (!data.empty()) setBytes(m.mutable_data(), data);
  });
}

void encodeConnectPush(std::string& out, const ConnectResult& result) {
  emit(out, [&](wire::Reply& r) { fillConnect(*push(r, {}).mutable_connect(), result); });
}

void encodeDisconnectPush(std::string& out, const DisconnectPush& p) {
  emit(out, [&](wire::Reply& r) {
    wire::Disconnect& d = *push(r, {}).mutable_disconnect();
    d.set_code(p.code);
    setBytes(d.mutable_reason(), p.reason);
    d.set_reconnect(p.reconnect);
  });
}

void encodeRefreshPush(std::string& out, const RefreshPush& p) {
  emit(out, [&](wire::Reply& r) {
    wire::Refresh& f = *push(r, {}).mutable_refresh();
    f.set_expires(p.expires);
    f.set_ttl(p.ttl);
  });
}

void encodeServerPing(std::string& out) { out.push_back('\0'); }

}  // namespace herald::proto::pb
