// applyMask against a byte-by-byte reference (RFC 6455 5.3: octet i of the
// payload is XORed with octet (i mod 4) of the key).

#include "herald/ws/mask.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>

namespace herald::ws {
namespace {

// A key with four distinct bytes, so a wrong rotation shows.
constexpr MaskKey kKey = {0x37, 0xFA, 0x21, 0x3D};

std::string reference(std::string data, const MaskKey& key, std::size_t phase) {
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(data[i] ^ key[(phase + i) % 4]);
  return data;
}

std::string randomBytes(std::size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

TEST(MaskTest, MatchesReferenceForEveryLengthPhaseAndAlignment) {
  std::mt19937 rng(5);
  for (std::size_t len = 0; len <= 40; ++len) {
    for (std::size_t phase = 0; phase < 4; ++phase) {
      for (std::size_t offset = 0; offset < 8; ++offset) {
        const std::string data = randomBytes(len, rng);
        // Guard bytes on both sides must stay untouched.
        std::string buffer = std::string(offset, '\x55') + data + std::string(8, '\x55');
        std::size_t next = applyMask(buffer.data() + offset, len, kKey, phase);
        EXPECT_EQ(buffer.substr(offset, len), reference(data, kKey, phase))
            << "len " << len << " phase " << phase << " offset " << offset;
        EXPECT_EQ(buffer.substr(0, offset), std::string(offset, '\x55'));
        EXPECT_EQ(buffer.substr(offset + len), std::string(8, '\x55'));
        EXPECT_EQ(next, (phase + len) % 4);
      }
    }
  }
}

TEST(MaskTest, PhaseIsTakenModuloFour) {
  std::mt19937 rng(6);
  const std::string data = randomBytes(23, rng);
  for (std::size_t phase = 4; phase < 12; ++phase) {
    std::string buffer = data;
    std::size_t next = applyMask(buffer.data(), buffer.size(), kKey, phase);
    EXPECT_EQ(buffer, reference(data, kKey, phase % 4)) << "phase " << phase;
    EXPECT_EQ(next, (phase + buffer.size()) % 4);
  }
}

TEST(MaskTest, SplitApplicationEqualsWholeAtEveryPoint) {
  std::mt19937 rng(7);
  for (std::size_t len = 0; len <= 40; ++len) {
    const std::string data = randomBytes(len, rng);
    for (std::size_t phase = 0; phase < 4; ++phase) {
      const std::string whole = reference(data, kKey, phase);
      for (std::size_t cut = 0; cut <= len; ++cut) {
        std::string buffer = data;
        std::size_t mid = applyMask(buffer.data(), cut, kKey, phase);
        std::size_t end = applyMask(buffer.data() + cut, len - cut, kKey, mid);
        EXPECT_EQ(buffer, whole) << "len " << len << " phase " << phase << " cut " << cut;
        EXPECT_EQ(end, (phase + len) % 4);
      }
    }
  }
}

TEST(MaskTest, ThreeWaySplitsEqualWhole) {
  std::mt19937 rng(8);
  const std::string data = randomBytes(37, rng);
  const std::string whole = reference(data, kKey, 0);
  for (std::size_t a = 0; a <= data.size(); ++a) {
    for (std::size_t b = a; b <= data.size(); ++b) {
      std::string buffer = data;
      std::size_t p = applyMask(buffer.data(), a, kKey, 0);
      p = applyMask(buffer.data() + a, b - a, kKey, p);
      applyMask(buffer.data() + b, data.size() - b, kKey, p);
      ASSERT_EQ(buffer, whole) << "cuts " << a << ", " << b;
    }
  }
}

TEST(MaskTest, MaskingTwiceRestoresTheData) {
  std::mt19937 rng(9);
  const std::string data = randomBytes(4099, rng);
  std::string buffer = data;
  applyMask(buffer.data(), buffer.size(), kKey, 1);
  EXPECT_NE(buffer, data);
  EXPECT_EQ(buffer, reference(data, kKey, 1));
  applyMask(buffer.data(), buffer.size(), kKey, 1);
  EXPECT_EQ(buffer, data);
}

TEST(MaskTest, MatchesTheRfcHelloExample) {
  // RFC 6455 5.7: "Hello" masked with 37 fa 21 3d.
  std::string hello = "Hello";
  applyMask(hello.data(), hello.size(), kKey, 0);
  EXPECT_EQ(hello, "\x7f\x9f\x4d\x51\x58");
}

}  // namespace
}  // namespace herald::ws
