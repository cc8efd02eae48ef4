#pragma once
// XOR masking of frame payloads (RFC 6455 section 5.3).

#include <array>
#include <cstddef>
#include <cstdint>

namespace herald::ws {

using MaskKey = std::array<std::uint8_t, 4>;

// Masks (or unmasks: the operation is its own inverse) `len` bytes in place.
// `phase` is how many payload bytes of this frame came before `data`, modulo
// 4, so a payload can be unmasked piece by piece as it arrives. Works eight
// bytes at a time; returns the phase for the next piece.
std::size_t applyMask(char* data, std::size_t len, const MaskKey& key, std::size_t phase);

}  // namespace herald::ws

namespace herald::ws {

// A fresh masking key from OpenSSL's CSPRNG, as RFC 6455 section 5.3 asks of
// clients. Keys are drawn from a per-thread buffer refilled 4 KiB at a time.
MaskKey freshMaskKey();

}  // namespace herald::ws
