#pragma once
// Ways to cut a test vector into consecutive pieces, so that every parser
// test checks the parser gives the same answer however its input was split:
// whole, one byte at a time, every 2-way split, and a few seeded random cuts.

#include <algorithm>
#include <cstddef>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace herald::test {

struct Chunking {
  std::string name;
  std::vector<std::size_t> sizes;  // consecutive piece sizes, summing to the input size
};

// Every 2-way split is tried for inputs up to `everySplitUpTo` bytes; longer
// inputs get the splits near both ends and a strided sample in between.
inline std::vector<Chunking> chunkingsFor(std::size_t size, std::size_t everySplitUpTo = 2048) {
  std::vector<Chunking> out;
  out.push_back({"whole", {size}});
  if (size <= 1) return out;

  Chunking bytes{"byte at a time", std::vector<std::size_t>(size, 1)};
  out.push_back(std::move(bytes));

  std::vector<std::size_t> cuts;
  if (size <= everySplitUpTo) {
    for (std::size_t k = 1; k < size; ++k) cuts.push_back(k);
  } else {
    const std::size_t stride = size / 512 + 1;
    for (std::size_t k = 1; k < size; ++k)
      if (k <= 32 || size - k <= 32 || k % stride == 0) cuts.push_back(k);
  }
  for (std::size_t k : cuts) out.push_back({"split at " + std::to_string(k), {k, size - k}});

  std::mt19937 rng(static_cast<std::mt19937::result_type>(size * 7919 + 17));
  for (int round = 0; round < 6; ++round) {
    Chunking c{"random cuts #" + std::to_string(round), {}};
    std::uniform_int_distribution<std::size_t> piece(1, round < 3 ? 5 : 300);
    for (std::size_t left = size; left > 0;) {
      std::size_t n = std::min(left, piece(rng));
      c.sizes.push_back(n);
      left -= n;
    }
    out.push_back(std::move(c));
  }
  return out;
}

// Runs `run(bytes, sizes)` for every chunking of `bytes` and expects each
// result to equal the whole-input result, which it returns.
template <class Run>
auto sameForEveryChunking(const std::string& bytes, Run run, std::size_t everySplitUpTo = 2048) {
  auto chunkings = chunkingsFor(bytes.size(), everySplitUpTo);
  auto whole = run(bytes, chunkings.front().sizes);
  int mismatches = 0;
  for (std::size_t i = 1; i < chunkings.size() && mismatches < 3; ++i) {
    SCOPED_TRACE("fed as " + chunkings[i].name);
    auto got = run(bytes, chunkings[i].sizes);
    if (!(got == whole)) {
      ++mismatches;
      ADD_FAILURE() << "fed as " << chunkings[i].name << " (input " << bytes.size() << " bytes)\n  got:   " << got
                    << "\n  whole: " << whole;
    }
  }
  return whole;
}

// Printable bytes for failure messages.
inline std::string escapeBytes(std::string_view s, std::size_t max = 80) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace herald::test
