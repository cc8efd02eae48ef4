#pragma once
// The client's side of the protocol codec, sans-I/O: encode commands, decode
// the server's replies and pushes. The mirror image of herald_proto's
// command decoder and reply encoder.
//
// Decoding is in two steps. decodeMessage() reads one line of a frame into
// what it is (ping, reply, push) with the result or push body kept as raw
// JSON; the client then decodes that body by what it expects (it knows a
// reply's method from the command it sent). Every decoder returns false, or
// an error, on input it cannot read; nothing throws.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/client/subscription.hpp"
#include "herald/client/types.hpp"

namespace herald::client::detail {

// --- commands (client -> server) -----------------------------------------
void encodeConnect(std::string& out, std::uint32_t id, std::string_view token, std::string_view name,
                   std::string_view version);
struct SubscribeFields {
  std::string_view channel;
  std::string_view token;
  bool recover = false;
  std::string_view epoch;
  std::uint64_t offset = 0;
  bool recoverable = false;
  bool joinLeave = false;
};
void encodeSubscribe(std::string& out, std::uint32_t id, const SubscribeFields& f);
void encodeUnsubscribe(std::string& out, std::uint32_t id, std::string_view channel);
// `data` is raw JSON the caller checked.
void encodePublish(std::string& out, std::uint32_t id, std::string_view channel, std::string_view data);
void encodePresence(std::string& out, std::uint32_t id, std::string_view channel);
void encodePresenceStats(std::string& out, std::uint32_t id, std::string_view channel);
void encodeHistory(std::string& out, std::uint32_t id, std::string_view channel, const HistoryOptions& o);
void encodeRefresh(std::string& out, std::uint32_t id, std::string_view token);
// The answer to a server ping.
inline void encodePong(std::string& out) { out += "{}"; }

// --- one server message --------------------------------------------------
struct ServerMessage {
  enum class Kind : std::uint8_t { Ping, Reply, Push };
  Kind kind = Kind::Ping;
  // Reply
  std::uint32_t id = 0;
  std::optional<Error> error;
  // Push: the channel (may be empty) and which push it is
  std::string channel;
  // Reply: the method key ("connect", "subscribe", ...); Push: the push key
  // ("pub", "join", "leave", "unsubscribe", "subscribe", "message",
  // "disconnect", "connect", "refresh").
  std::string key;
  std::string body;  // raw JSON object of the result or push, "{}" when absent
};

// Splits a frame into its '\n'-separated lines (empty lines skipped).
std::vector<std::string_view> splitFrame(std::string_view frame);

// Decodes one line; on failure returns nullopt and says why in `error`.
std::optional<ServerMessage> decodeMessage(std::string_view line, std::string& error);

// --- bodies ----------------------------------------------------------------
struct ConnectResultData {
  std::string client;
  std::string version;
  std::string data;
  bool expires = false;
  std::uint32_t ttl = 0;
  std::uint32_t ping = 0;
  bool pong = false;
};
struct SubscribeResultData {
  bool expires = false;
  std::uint32_t ttl = 0;
  bool recoverable = false;
  std::string epoch;
  std::vector<Publication> publications;
  bool recovered = false;
  std::uint64_t offset = 0;
  bool positioned = false;
  bool wasRecovering = false;
};
struct RefreshResultData {
  bool expires = false;
  std::uint32_t ttl = 0;
};
struct UnsubscribePushData {
  std::uint32_t code = 0;
  std::string reason;
};
struct DisconnectPushData {
  std::uint32_t code = 0;
  std::string reason;
  bool reconnect = false;
};

bool decodeConnectResult(std::string_view body, ConnectResultData& out);
bool decodeSubscribeResult(std::string_view body, std::string_view channel, SubscribeResultData& out);
bool decodeRefreshResult(std::string_view body, RefreshResultData& out);
bool decodePresenceResult(std::string_view body, PresenceResult& out);
bool decodePresenceStatsResult(std::string_view body, PresenceStatsResult& out);
bool decodeHistoryResult(std::string_view body, std::string_view channel, HistoryResult& out);
bool decodePublication(std::string_view body, std::string_view channel, Publication& out);
// join and leave pushes: {"info":{...}}
bool decodeJoinLeave(std::string_view body, ClientInfo& out);
bool decodeUnsubscribePush(std::string_view body, UnsubscribePushData& out);
bool decodeDisconnectPush(std::string_view body, DisconnectPushData& out);
// message push: the raw JSON of its "data"
bool decodeMessageData(std::string_view body, std::string& out);

}  // namespace herald::client::detail
