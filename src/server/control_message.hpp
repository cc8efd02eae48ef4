#pragma once
// Server API commands that act on clients wherever they are connected
// (disconnect, unsubscribe, subscribe, refresh), as they travel to every
// node through the broker's control channel. The text is Herald's own:
// "herald-control/1 <op>" and then each field as "<length>:<bytes>", so any
// user id or reason passes unchanged.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::server {

struct ControlMessage {
  enum class Op : std::uint8_t { Disconnect, Unsubscribe, Subscribe, Refresh };
  Op op = Op::Disconnect;
  std::string user{};
  std::string client{};   // empty: every connection of the user
  std::string channel{};  // unsubscribe, subscribe
  std::uint32_t code = 0;      // disconnect
  std::string reason{};        // disconnect
  std::int64_t expireAt = 0;   // refresh
  bool expired = false;        // refresh
};

std::string encodeControl(const ControlMessage& message);
// nullopt when `text` is not a control message of this version.
std::optional<ControlMessage> decodeControl(std::string_view text);

}  // namespace herald::server
