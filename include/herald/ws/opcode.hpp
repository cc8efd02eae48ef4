#pragma once
// Frame opcodes and close status codes of RFC 6455 (sections 5.2 and 7.4).

#include <cstdint>
#include <string_view>

namespace herald::ws {

enum class Opcode : std::uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

constexpr bool isControl(Opcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

constexpr bool isKnownOpcode(std::uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// Close status codes (RFC 6455 section 7.4.1, IANA registry).
namespace close_code {
inline constexpr std::uint16_t Normal = 1000;           // purpose fulfilled
inline constexpr std::uint16_t GoingAway = 1001;        // server shutting down or page left
inline constexpr std::uint16_t ProtocolError = 1002;    // peer broke the framing rules
inline constexpr std::uint16_t UnsupportedData = 1003;  // a data type we cannot accept
inline constexpr std::uint16_t NoStatus = 1005;         // reserved: close frame had no code
inline constexpr std::uint16_t Abnormal = 1006;         // reserved: connection dropped without close
inline constexpr std::uint16_t InvalidPayload = 1007;   // text that is not UTF-8
inline constexpr std::uint16_t PolicyViolation = 1008;  // generic policy refusal
inline constexpr std::uint16_t MessageTooBig = 1009;    // message over the configured limit
inline constexpr std::uint16_t MandatoryExtension = 1010;  // client wanted an extension we lack
inline constexpr std::uint16_t InternalError = 1011;    // server hit an unexpected condition
inline constexpr std::uint16_t ServiceRestart = 1012;   // server restarting
inline constexpr std::uint16_t TryAgainLater = 1013;    // temporary overload
inline constexpr std::uint16_t BadGateway = 1014;       // upstream failure
}  // namespace close_code

// Whether a peer may put `code` in a close frame it sends (RFC 6455 7.4).
// 1004-1006 and 1015 are reserved for local use; 1016-2999 are unassigned.
constexpr bool isValidWireCloseCode(std::uint16_t code) {
  if (code >= 1000 && code <= 1014) return code != 1004 && code != 1005 && code != 1006;
  return code >= 3000 && code <= 4999;
}

std::string_view closeCodeName(std::uint16_t code);

}  // namespace herald::ws
