#include "herald/ws/mask.hpp"

#include <cstring>

namespace herald::ws {

std::size_t applyMask(char* data, std::size_t len, const MaskKey& key, std::size_t phase) {
  phase &= 3;
  unsigned char rotated[8];
  for (std::size_t i = 0; i < 8; ++i) rotated[i] = key[(phase + i) & 3];
  std::uint64_t wide;
  std::memcpy(&wide, rotated, 8);

  std::size_t i = 0;
  // Eight bytes per step; unaligned access goes through memcpy, which the
  // compiler turns into plain loads and stores (and vectorizes the loop).
  for (; i + 8 <= len; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= wide;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < len; ++i) data[i] = static_cast<char>(data[i] ^ rotated[i & 7]);
  return (phase + len) & 3;
}

}  // namespace herald::ws
