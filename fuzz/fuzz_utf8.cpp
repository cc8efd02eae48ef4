// libFuzzer target: the incremental UTF-8 validator against a reference.
//
// The reference below decodes differently from Utf8Validator's state table:
// it takes a sequence's length from its lead byte, and says a prefix can
// still become valid UTF-8 when the code points its incomplete last sequence
// can reach (missing bytes 80..BF) include one that is not overlong, not a
// surrogate and not past U+10FFFF. From that it knows the first byte that
// must be refused and where the characters end.
//
// Checks: isValid() agrees with the reference; feeding in random chunks,
// feed() fails exactly when a chunk holds the first bad byte, complete() is
// true exactly at character boundaries, and a failed validator stays failed.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "herald/ws/utf8_validator.hpp"

namespace {

struct Reference {
  std::size_t firstBad = SIZE_MAX;       // index of the first byte to refuse
  std::vector<bool> boundary;             // boundary[i]: a character ends right before byte i
};

// Whether a sequence of `len` bytes whose first `have` bytes are `bytes` can
// still be completed into a well-formed character.
bool completable(const std::uint8_t* bytes, std::size_t have, std::size_t len) {
  static const std::uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  std::uint32_t lo = len == 1 ? bytes[0] : bytes[0] & (0x7Fu >> len), hi = lo;
  for (std::size_t i = 1; i < len; ++i) {
    std::uint32_t c = i < have ? (bytes[i] & 0x3Fu) : 0x00;
    std::uint32_t d = i < have ? (bytes[i] & 0x3Fu) : 0x3F;
    if (i < have && (bytes[i] & 0xC0) != 0x80) return false;
    lo = (lo << 6) | c;
    hi = (hi << 6) | d;
  }
  std::uint32_t a = lo > kMin[len] ? lo : kMin[len];
  std::uint32_t b = hi < 0x10FFFF ? hi : 0x10FFFF;
  if (a > b) return false;
  if (a >= 0xD800 && b <= 0xDFFF) return false;  // only surrogates reachable
  return true;
}

Reference reference(const std::uint8_t* s, std::size_t n) {
  Reference r;
  r.boundary.assign(n + 1, false);
  r.boundary[0] = true;
  std::size_t i = 0;
  while (i < n) {
    std::uint8_t c = s[i];
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0) {
      r.firstBad = i;
      return r;
    }
    for (std::size_t have = 1; have <= len; ++have) {
      if (i + have > n) return r;  // input ends inside the sequence: a valid prefix so far
      if (!completable(s + i, have, len)) {
        r.firstBad = i + have - 1;
        return r;
      }
    }
    i += len;
    r.boundary[i] = true;
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using herald::ws::Utf8Validator;
  const Reference ref = reference(data, size);
  const bool valid = ref.firstBad == SIZE_MAX && ref.boundary[size];
  std::string_view all(reinterpret_cast<const char*>(data), size);
  HERALD_FUZZ_CHECK(Utf8Validator::isValid(all) == valid, "isValid() says %d, reference %d (first bad %zu)",
                    !valid, valid, ref.firstBad);

  Utf8Validator v;
  std::size_t pos = 0;
  for (std::size_t n : herald::fuzz::chunkPlan(data, size)) {
    std::vector<char> chunk(data + pos, data + pos + n);
    const bool wasFailed = v.failed();
    const bool ok = v.feed(chunk.data(), chunk.size());
    pos += n;
    const bool shouldFail = ref.firstBad < pos;
    HERALD_FUZZ_CHECK(ok == !shouldFail, "feed() up to byte %zu says %d, first bad byte at %zu", pos, ok,
                      ref.firstBad);
    HERALD_FUZZ_CHECK(v.failed() == shouldFail, "failed() disagrees at byte %zu", pos);
    HERALD_FUZZ_CHECK(!wasFailed || !ok, "failed validator accepted more bytes");
    if (!shouldFail)
      HERALD_FUZZ_CHECK(v.complete() == ref.boundary[pos], "complete() says %d at byte %zu", v.complete(), pos);
    else
      HERALD_FUZZ_CHECK(!v.complete(), "complete() after a failure");
  }
  HERALD_FUZZ_CHECK((v.complete() && !v.failed()) == valid, "chunked result disagrees with the reference");
  return 0;
}
