#pragma once
// Serializing frames (RFC 6455 section 5.2). A server sends unmasked frames;
// a client masks every frame with a fresh key.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/ws/mask.hpp"
#include "herald/ws/opcode.hpp"

namespace herald::ws {

inline constexpr std::size_t kMaxFrameHeaderBytes = 14;
inline constexpr std::size_t kMaxControlPayload = 125;
// Room for a close reason: a control payload is at most 125 bytes, 2 of them the code.
inline constexpr std::size_t kMaxCloseReason = kMaxControlPayload - 2;

struct FrameOptions {
  bool fin = true;
  bool rsv1 = false;              // set on the first frame of a compressed message
  const MaskKey* mask = nullptr;  // clients pass a key; servers leave it null
};

// Writes a frame header for a payload of `len` bytes into `out`
// (at least kMaxFrameHeaderBytes long); returns how many bytes it wrote.
std::size_t encodeFrameHeader(char* out, Opcode op, std::uint64_t len, const FrameOptions& opts = {});

// Appends a whole frame (header then payload, masked if opts.mask) to `out`.
void appendFrame(std::string& out, Opcode op, std::string_view payload, const FrameOptions& opts = {});

// The payload of a close frame: the code in network order, then the reason cut
// to kMaxCloseReason bytes at a character boundary. Code 1005 ("no status")
// gives an empty payload, as the RFC requires.
std::string closePayload(std::uint16_t code, std::string_view reason);

// `reason` shortened to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view truncateUtf8(std::string_view reason, std::size_t max);

}  // namespace herald::ws
