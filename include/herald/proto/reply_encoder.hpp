#pragma once
// Encoding replies and pushes of the JSON Centrifugo client protocol.
//
// Each function appends exactly one message (one JSON object, no newline) to
// `out`; use FrameBuilder (json_writer.hpp) to put several into one frame.
// Nothing is allocated beyond the growth of `out`, so a buffer reused across
// messages stops allocating once it is large enough. Keys come in the order of
// client.proto's field numbers, as Centrifugo writes them.
//
//   reply:  {"id":N,"<method>":{...result...}}   or   {"id":N,"error":{...}}
//   push:   {"push":{"channel":"c","<type>":{...}}}
//   server ping: {}

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "herald/proto/codes.hpp"
#include "herald/proto/reply.hpp"

namespace herald::proto {

// Replies. `id` is the command's; an id of 0 is left out.
void encodeErrorReply(std::string& out, std::uint32_t id, const ReplyError& error);
// The table's message and temporary flag for `code`.
void encodeErrorReply(std::string& out, std::uint32_t id, ErrorCode code);
void encodeConnectReply(std::string& out, std::uint32_t id, const ConnectResult& result);
void encodeSubscribeReply(std::string& out, std::uint32_t id, const SubscribeResult& result);
void encodeUnsubscribeReply(std::string& out, std::uint32_t id);
void encodePublishReply(std::string& out, std::uint32_t id);
// Presence is keyed by client id: {"presence":{"<client>":{"user":..,"client":..}}}.
void encodePresenceReply(std::string& out, std::uint32_t id, std::span<const ClientInfo> clients);
void encodePresenceStatsReply(std::string& out, std::uint32_t id, const PresenceStatsResult& result);
void encodeHistoryReply(std::string& out, std::uint32_t id, const HistoryResult& result);
void encodePingReply(std::string& out, std::uint32_t id);
void encodeRpcReply(std::string& out, std::uint32_t id, std::string_view data);
void encodeRefreshReply(std::string& out, std::uint32_t id, const RefreshResult& result);
void encodeSubRefreshReply(std::string& out, std::uint32_t id, const SubRefreshResult& result);

// Pushes. A channel-less push (message, connect, disconnect, refresh) has no
// "channel" key.
void encodePublicationPush(std::string& out, std::string_view channel, const Publication& pub);
void encodeJoinPush(std::string& out, std::string_view channel, const ClientInfo& info);
void encodeLeavePush(std::string& out, std::string_view channel, const ClientInfo& info);
void encodeUnsubscribePush(std::string& out, std::string_view channel, const UnsubscribePush& push);
void encodeSubscribePush(std::string& out, std::string_view channel, const SubscribePush& push);
void encodeMessagePush(std::string& out, std::string_view data);
void encodeConnectPush(std::string& out, const ConnectResult& push);
void encodeDisconnectPush(std::string& out, const DisconnectPush& push);
void encodeRefreshPush(std::string& out, const RefreshPush& push);

// The server's ping, `{}`; a client that was told `pong: true` answers `{}`.
void encodeServerPing(std::string& out);

// A publication object alone, {"data":..,"offset":..}: the piece of a push a
// broker may encode once and share.
void encodePublication(std::string& out, const Publication& pub);

}  // namespace herald::proto
