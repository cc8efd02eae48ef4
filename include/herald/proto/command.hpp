#pragma once
// Commands a client sends, as CommandDecoder hands them out.
//
// JSON shape (Centrifugo client protocol, client.proto field names):
//   {"id":1,"subscribe":{"channel":"chat","recover":true,"offset":7,"epoch":"x"}}
// A command has an `id` (a uint32 the reply echoes; 0 or absent only for
// `send`) and exactly one method object. The empty object `{}` is a client's
// pong to a server ping.
//
// Every string_view points into the CommandDecoder that produced it and is
// valid until that decoder's next decode() (or its destruction). `data`
// fields hold the raw JSON text of the value exactly as the client sent it
// (checked to be valid JSON), or are empty when absent or null. Strings are
// unescaped and valid UTF-8.

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

namespace herald::proto {

// Where a client was in a channel's stream: recover after `offset` in `epoch`.
struct StreamPosition {
  std::uint64_t offset = 0;
  std::string_view epoch{};
};

// {} : the answer to a server ping `{}`.
struct PongCommand {};

// One entry of `connect.subs`: a server-side subscription the client had.
struct ConnectSub {
  std::string_view channel{};
  bool recover = false;
  std::string_view epoch{};
  std::uint64_t offset = 0;
};

struct ConnectCommand {
  std::string_view token{};
  std::string_view data{};
  std::vector<ConnectSub> subs{};  // channel -> position, in the order sent
  std::string_view name{};
  std::string_view version{};
};

struct SubscribeCommand {
  std::string_view channel{};
  std::string_view token{};
  bool recover = false;
  std::string_view epoch{};
  std::uint64_t offset = 0;
  std::string_view data{};
  bool positioned = false;
  bool recoverable = false;
  bool joinLeave = false;
  std::string_view delta{};  // the delta type asked for: "fossil", or empty
  // Subscription features (Centrifugo's `flag`), bit by bit; bits this
  // server does not know are ignored.
  std::int64_t flag = 0;
};

// SubscribeCommand::flag bits.
inline constexpr std::int64_t kSubscribeFlagChannelCompaction = 1;  // numeric channel ids in pushes (not served)
inline constexpr std::int64_t kSubscribeFlagRejectUnrecovered = 2;  // an unrecoverable recovery is error 112, not recovered: false

struct UnsubscribeCommand {
  std::string_view channel{};
};

struct PublishCommand {
  std::string_view channel{};
  std::string_view data{};
};

struct PresenceCommand {
  std::string_view channel{};
};

struct PresenceStatsCommand {
  std::string_view channel{};
};

struct HistoryCommand {
  std::string_view channel{};
  std::int32_t limit = 0;
  bool hasSince = false;  // `since` was present
  StreamPosition since{};
  bool reverse = false;
};

struct PingCommand {};

// Asynchronous message to the server; never answered, may have id 0.
struct SendCommand {
  std::string_view data{};
};

struct RpcCommand {
  std::string_view data{};
  std::string_view method{};
};

struct RefreshCommand {
  std::string_view token{};
};

struct SubRefreshCommand {
  std::string_view channel{};
  std::string_view token{};
};

using CommandBody = std::variant<PongCommand, ConnectCommand, SubscribeCommand, UnsubscribeCommand,
                                 PublishCommand, PresenceCommand, PresenceStatsCommand, HistoryCommand,
                                 PingCommand, SendCommand, RpcCommand, RefreshCommand, SubRefreshCommand>;

struct Command {
  std::uint32_t id = 0;
  CommandBody body;
};

// The method's key in JSON ("connect", "presence_stats", ...); "" for a pong.
std::string_view methodName(const CommandBody& body);

}  // namespace herald::proto
