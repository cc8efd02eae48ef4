#pragma once
// Incremental UTF-8 validation (RFC 3629, Unicode table 3-7).
//
// Feed a message in any number of pieces; feed() fails at the first byte that
// cannot start or continue a well-formed sequence, so a bad text message is
// refused before the rest of it arrives. complete() says whether the bytes so
// far end on a character boundary.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herald::ws {

class Utf8Validator {
 public:
  // Returns false at the first invalid byte; the validator then stays failed.
  bool feed(const char* data, std::size_t len);
  bool feed(std::string_view s) { return feed(s.data(), s.size()); }
  bool complete() const { return state_ == kAccept; }
  bool failed() const { return state_ == kReject; }
  void reset() { state_ = kAccept; }

  static bool isValid(std::string_view s) {
    Utf8Validator v;
    return v.feed(s) && v.complete();
  }

 private:
  // States name what the next byte must be.
  enum : std::uint8_t {
    kAccept,      // at a character boundary
    kTail1,       // one continuation byte 80..BF left
    kTail2,       // two continuation bytes left
    kTail3,       // three continuation bytes left
    kAfterE0,     // E0: next A0..BF (no overlongs)
    kAfterED,     // ED: next 80..9F (no surrogates)
    kAfterF0,     // F0: next 90..BF (no overlongs)
    kAfterF4,     // F4: next 80..8F (nothing past U+10FFFF)
    kReject,
  };
  std::uint8_t state_ = kAccept;
};

}  // namespace herald::ws
