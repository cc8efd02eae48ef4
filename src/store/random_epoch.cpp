// Epochs from getrandom(2): eight characters of [0-9A-Za-z], so 62^8 (about
// 2^47) possible names; rejection sampling keeps every character uniform.

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "history_rules.hpp"

namespace herald::store::detail {

std::string randomEpoch() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  static constexpr unsigned kLimit = 248;  // 4 * 62: bytes at or above it are drawn again
  std::string epoch;
  epoch.reserve(kEpochLength);
  unsigned char buf[32];
  while (epoch.size() < kEpochLength) {
    const ssize_t n = getrandom(buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("history store: getrandom failed: ") + std::strerror(errno));
    }
    for (ssize_t i = 0; i < n && epoch.size() < kEpochLength; ++i) {
      if (buf[i] < kLimit) epoch.push_back(kAlphabet[buf[i] % 62]);
    }
  }
  return epoch;
}

}  // namespace herald::store::detail
