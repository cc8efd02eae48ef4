#pragma once
// What the server sends: the results of replies and the bodies of pushes.
//
// These are views: the encoder reads them while it writes and keeps nothing,
// so strings, `data` payloads and lists may live anywhere the caller likes
// (a publication's data in a history buffer, a presence list in the broker).
// `data`, `connInfo` and `chanInfo` are raw JSON, written unchanged; an empty
// one is left out. As in Centrifugo's encoder, fields at their zero value are
// left out, except where a field's comment says otherwise.

#include <cstdint>
#include <span>
#include <string_view>

namespace herald::proto {

// Who published, joined or left. `user` and `client` are always written.
struct ClientInfo {
  std::string_view user{};
  std::string_view client{};
  std::string_view connInfo{};  // raw JSON
  std::string_view chanInfo{};  // raw JSON
};

struct Tag {
  std::string_view key{};
  std::string_view value{};
};

struct Publication {
  std::string_view data{};              // raw JSON
  const ClientInfo* info = nullptr;   // null: left out
  std::uint64_t offset = 0;
  std::span<const Tag> tags{};
  // A subscription with fossil delta: `data` is a delta against the
  // previous publication it received (fossil_delta.hpp).
  bool delta = false;
  // JSON only: `data` goes out as a JSON string of its bytes, as a delta
  // subscription's publications do (full or delta); Protobuf ignores it.
  bool dataAsText = false;
};

// {"code":C,"message":"...","temporary":true}
struct ReplyError {
  std::uint32_t code = 0;
  std::string_view message{};
  bool temporary = false;
};

struct SubscribeResult {
  bool expires = false;
  std::uint32_t ttl = 0;
  bool recoverable = false;
  std::string_view epoch{};
  std::span<const Publication> publications{};
  bool recovered = false;
  std::uint64_t offset = 0;
  bool positioned = false;
  std::string_view data{};  // raw JSON
  bool wasRecovering = false;
  bool delta = false;  // fossil delta negotiated: publications come as Publication::delta says
};

// One entry of a connect result's `subs`: a server-side subscription.
struct ChannelSubscribeResult {
  std::string_view channel{};
  SubscribeResult result;
};

// The connect reply's result; also the body of a `connect` push.
struct ConnectResult {
  std::string_view client{};
  std::string_view version{};
  bool expires = false;
  std::uint32_t ttl = 0;
  std::string_view data{};  // raw JSON
  std::span<const ChannelSubscribeResult> subs{};
  std::uint32_t ping = 0;  // seconds between server pings
  bool pong = false;       // the client must answer pings with `{}`
  std::string_view session{};
  std::string_view node{};
};

struct RefreshResult {
  std::string_view client{};
  std::string_view version{};
  bool expires = false;
  std::uint32_t ttl = 0;
};

struct SubRefreshResult {
  bool expires = false;
  std::uint32_t ttl = 0;
};

// Both fields are always written.
struct PresenceStatsResult {
  std::uint32_t numClients = 0;
  std::uint32_t numUsers = 0;
};

// All three fields are always written (publications as [] when empty).
struct HistoryResult {
  std::span<const Publication> publications{};
  std::string_view epoch{};
  std::uint64_t offset = 0;
};

struct UnsubscribePush {
  std::uint32_t code = 0;  // see UnsubscribeCode
  std::string_view reason{};
};

// A server-side subscription the server made for the client.
struct SubscribePush {
  bool recoverable = false;
  std::string_view epoch{};
  std::uint64_t offset = 0;
  bool positioned = false;
  std::string_view data{};  // raw JSON
};

struct DisconnectPush {
  std::uint32_t code = 0;  // see DisconnectCode
  std::string_view reason{};
  bool reconnect = false;
};

struct RefreshPush {
  bool expires = false;
  std::uint32_t ttl = 0;
};

}  // namespace herald::proto
