#include "herald/ws/utf8_validator.hpp"

#include <cstring>

namespace herald::ws {

namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

}  // namespace

bool Utf8Validator::feed(const char* data, std::size_t len) {
  auto* p = reinterpret_cast<const unsigned char*>(data);
  const unsigned char* end = p + len;
  std::uint8_t s = state_;
  while (p < end) {
    if (s == kAccept) {
      // ASCII fast path: skip eight plain bytes at a time.
      while (end - p >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        if (w & kHighBits) break;
        p += 8;
      }
      if (p == end) break;
      unsigned char c = *p++;
      if (c < 0x80) continue;
      if (c >= 0xC2 && c <= 0xDF) s = kTail1;
      else if (c == 0xE0) s = kAfterE0;
      else if (c == 0xED) s = kAfterED;
      else if (c >= 0xE1 && c <= 0xEF) s = kTail2;
      else if (c == 0xF0) s = kAfterF0;
      else if (c >= 0xF1 && c <= 0xF3) s = kTail3;
      else if (c == 0xF4) s = kAfterF4;
      else { s = kReject; break; }
      continue;
    }
    unsigned char c = *p++;
    switch (s) {
      case kTail1: s = (c & 0xC0) == 0x80 ? kAccept : kReject; break;
      case kTail2: s = (c & 0xC0) == 0x80 ? kTail1 : kReject; break;
      case kTail3: s = (c & 0xC0) == 0x80 ? kTail2 : kReject; break;
      case kAfterE0: s = (c >= 0xA0 && c <= 0xBF) ? kTail1 : kReject; break;
      case kAfterED: s = (c >= 0x80 && c <= 0x9F) ? kTail1 : kReject; break;
      case kAfterF0: s = (c >= 0x90 && c <= 0xBF) ? kTail2 : kReject; break;
      case kAfterF4: s = (c >= 0x80 && c <= 0x8F) ? kTail2 : kReject; break;
      default: s = kReject; break;
    }
    if (s == kReject) break;
  }
  state_ = s;
  return s != kReject;
}

}  // namespace herald::ws
