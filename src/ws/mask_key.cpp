#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

#include "herald/ws/mask.hpp"

namespace herald::ws {

MaskKey freshMaskKey() {
  thread_local unsigned char pool[4096];
  thread_local std::size_t used = sizeof pool;
  if (used == sizeof pool) {
    if (RAND_bytes(pool, sizeof pool) != 1) throw std::runtime_error("the system's random generator failed");
    used = 0;
  }
  MaskKey key;
  std::memcpy(key.data(), pool + used, key.size());
  used += key.size();
  return key;
}

}  // namespace herald::ws
