#pragma once
// Shared by the fuzz targets: cutting an input at random points, and checks
// that abort with a message libFuzzer reports as a crash.
//
// Cut points are derived from a hash of the input, so a corpus file stays a
// plain request or frame stream, every mutation is cut differently, and a
// crash reproduces from its file alone. Chunks are mostly tiny (1-8 bytes,
// where a boundary lands inside a token, a length or a UTF-8 sequence) and
// sometimes empty (a read that returned nothing new).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#define HERALD_FUZZ_CHECK(cond, ...)                                          \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                      \
      std::fputc('\n', stderr);                                               \
      std::abort();                                                           \
    }                                                                         \
  } while (0)

namespace herald::fuzz {

inline std::uint64_t hashBytes(const std::uint8_t* data, std::size_t size) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (std::size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3ull;
  return h;
}

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n ? static_cast<std::size_t>(next() % n) : 0; }

 private:
  std::uint64_t state_;
};

// Chunk sizes summing to `total`, seeded from the fuzz input's bytes (all of
// them, even those that are not part of the stream being cut).
inline std::vector<std::size_t> chunkPlan(const std::uint8_t* data, std::size_t size, std::size_t total) {
  SplitMix64 rng(hashBytes(data, size));
  std::vector<std::size_t> sizes;
  std::size_t left = total;
  while (left > 0) {
    std::size_t pick = rng.below(100), n;
    if (pick < 5) n = 0;
    else if (pick < 35) n = 1;
    else if (pick < 65) n = 2 + rng.below(7);
    else if (pick < 88) n = 9 + rng.below(56);
    else n = 65 + rng.below(1024);
    n = std::min(n, left);
    sizes.push_back(n);
    left -= n;
  }
  return sizes;
}

inline std::vector<std::size_t> chunkPlan(const std::uint8_t* data, std::size_t size) {
  return chunkPlan(data, size, size);
}

inline bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;  // an empty view may point anywhere
  auto b = reinterpret_cast<std::uintptr_t>(whole.data());
  auto p = reinterpret_cast<std::uintptr_t>(part.data());
  return p >= b && p + part.size() <= b + whole.size();
}

}  // namespace herald::fuzz
