#pragma once
// Encoding replies and pushes of the Protobuf Centrifugo client protocol
// (src/proto/client.proto).
//
// The same calls as the JSON encoder (reply_encoder.hpp), over the same
// views (reply.hpp), in namespace herald::proto::pb. Each function appends
// exactly one message to `out`, preceded by its length as a varint, so
// messages appended one after another make a frame. `data`, `connInfo` and
// `chanInfo` are copied as bytes, whatever they hold. As in Centrifugo, a
// reply always carries its result message, even an empty one.
//
//   reply:  Reply{id, <method>: Result}      or   Reply{id, error: Error}
//   push:   Reply{push: Push{channel, <type>: ...}}
//   server ping: the empty Reply (on the wire, the one byte 0x00)

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "herald/proto/codes.hpp"
#include "herald/proto/reply.hpp"

namespace herald::proto::pb {

void encodeErrorReply(std::string& out, std::uint32_t id, const ReplyError& error);
void encodeErrorReply(std::string& out, std::uint32_t id, ErrorCode code);
void encodeConnectReply(std::string& out, std::uint32_t id, const ConnectResult& result);
void encodeSubscribeReply(std::string& out, std::uint32_t id, const SubscribeResult& result);
void encodeUnsubscribeReply(std::string& out, std::uint32_t id);
void encodePublishReply(std::string& out, std::uint32_t id);
void encodePresenceReply(std::string& out, std::uint32_t id, std::span<const ClientInfo> clients);
void encodePresenceStatsReply(std::string& out, std::uint32_t id, const PresenceStatsResult& result);
void encodeHistoryReply(std::string& out, std::uint32_t id, const HistoryResult& result);
void encodePingReply(std::string& out, std::uint32_t id);
void encodeRpcReply(std::string& out, std::uint32_t id, std::string_view data);
void encodeRefreshReply(std::string& out, std::uint32_t id, const RefreshResult& result);
void encodeSubRefreshReply(std::string& out, std::uint32_t id, const SubRefreshResult& result);

void encodePublicationPush(std::string& out, std::string_view channel, const Publication& pub);
void encodeJoinPush(std::string& out, std::string_view channel, const ClientInfo& info);
void encodeLeavePush(std::string& out, std::string_view channel, const ClientInfo& info);
void encodeUnsubscribePush(std::string& out, std::string_view channel, const UnsubscribePush& push);
void encodeSubscribePush(std::string& out, std::string_view channel, const SubscribePush& push);
void encodeMessagePush(std::string& out, std::string_view data);
void encodeConnectPush(std::string& out, const ConnectResult& push);
void encodeDisconnectPush(std::string& out, const DisconnectPush& push);
void encodeRefreshPush(std::string& out, const RefreshPush& push);

void encodeServerPing(std::string& out);

// Appends `value` as a base-128 varint (the length prefix of a message).
void appendVarint(std::string& out, std::uint64_t value);

}  // namespace herald::proto::pb
