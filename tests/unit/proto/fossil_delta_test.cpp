// Fossil deltas (fossil_delta.hpp): what makeFossilDelta writes applies back
// to the target, small changes to a large document give a small delta, a
// UTF-8 text's delta is UTF-8, and applyFossilDelta refuses every kind of
// broken delta with its reason. The SDK's own decoder reads these deltas in
// the interop tier (tests/interop/centrifuge, delta).
#include "herald/proto/fossil_delta.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace herald::proto {
namespace {

constexpr std::size_t kMax = 1 << 20;

std::string roundTrip(std::string_view source, std::string_view target) {
  std::string delta = makeFossilDelta(source, target);
  FossilResult r = applyFossilDelta(source, delta, kMax);
  EXPECT_TRUE(r.target) << r.error;
  return r.target.value_or("<refused>");
}

bool validUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// A dashboard-like JSON document of about 2 KiB.
std::string document(int version) {
  std::string d = "{\"board\":[";
  for (int i = 0; i < 44; ++i) {
    if (i) d += ',';
    int price = 1000 + i * 7 + (i == version % 44 ? version : 0);
    d += "{\"symbol\":\"SYM" + std::to_string(i) + "\",\"price\":" + std::to_string(price) + ",\"trend\":\"flat\"}";
  }
  return d + "],\"version\":" + std::to_string(version) + "}";
}

TEST(FossilDeltaTest, SmallAndEdgeInputsRoundTrip) {
  EXPECT_EQ(roundTrip("", ""), "");
  EXPECT_EQ(roundTrip("", "abc"), "abc");
  EXPECT_EQ(roundTrip("abc", ""), "");
  EXPECT_EQ(roundTrip("same text, long enough to copy", "same text, long enough to copy"),
            "same text, long enough to copy");
  // Header, one insert, checksum: 'a'<<24 | 'b'<<16 | 'c'<<8 = 0x61626300 = 1633837824,
  // in base 64 the digits 1 33 24 38 12 0.
  EXPECT_EQ(makeFossilDelta("", "abc"), "3\n3:abc1XObC0;");
}

TEST(FossilDeltaTest, ADocumentWithASmallChangeGivesASmallDelta) {
  std::string before = document(1), after = document(2);
  ASSERT_GT(before.size(), 1900u);
  std::string delta = makeFossilDelta(before, after);
  EXPECT_EQ(roundTrip(before, after), after);
  EXPECT_LT(delta.size() * 20, after.size()) << delta.size() << " bytes of delta for " << after.size();
}

TEST(FossilDeltaTest, RandomEditsRoundTrip) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string source(rng() % 3000, '\0');
    for (char& c : source) c = static_cast<char>(rng() % (round % 3 == 0 ? 4 : 256));
    std::string target = source;
    for (int e = rng() % 20; e > 0 && !target.empty(); --e) {
      std::size_t at = rng() % target.size();
      switch (rng() % 3) {
        case 0: target.erase(at, rng() % 50); break;
        case 1: target.insert(at, std::string(rng() % 50, static_cast<char>(rng()))); break;
        default: target[at] = static_cast<char>(rng());
      }
    }
    ASSERT_EQ(roundTrip(source, target), target) << "round " << round;
  }
}

TEST(FossilDeltaTest, TheDeltaOfUtf8TextIsUtf8) {
  std::mt19937 rng(11);
  const std::string pieces[] = {"é", "日本", "😀", "a", "\"", "\\n", "€uro", "ß"};
  for (int round = 0; round < 200; ++round) {
    std::string source, target;
    for (int i = 0; i < 400; ++i) source += pieces[rng() % std::size(pieces)];
    target = source;
    for (int e = 0; e < 5; ++e) {
      std::size_t at = rng() % source.size();
      while (at < target.size() && (static_cast<unsigned char>(target[at]) & 0xC0) == 0x80) ++at;
      target.insert(at, pieces[rng() % std::size(pieces)]);
    }
    ASSERT_TRUE(validUtf8(target));
    std::string delta = makeFossilDelta(source, target);
    EXPECT_TRUE(validUtf8(delta)) << "round " << round;
    EXPECT_EQ(roundTrip(source, target), target);
  }
}

TEST(FossilDeltaTest, BrokenDeltasAreRefusedWithTheirReason) {
  const std::string source = "0123456789abcdefghijklmnopqrstuvwxyz";
  const std::string good = makeFossilDelta(source, "0123456789abcdefghij!!klmnopqrstuvwxyz");
  ASSERT_TRUE(applyFossilDelta(source, good, kMax).target);
  struct Case {
    std::string delta;
    std::string_view error;
  } cases[] = {
      {"", "the target length is not followed by a newline"},
      {"5", "the target length is not followed by a newline"},
      {"3\n3:ab", "an insert reaches past the delta"},
      {"3\n4:abcd1XObC0;", "an insert makes the target longer than announced"},
      {"3\n3@100,", "a copy reaches past the source"},
      {"3\n3@0", "a copy command is not ended by ','"},
      {"3\n3!abc", "unknown command"},
      {"3\n3:abc1XObC1;", "bad checksum"},
      {"4\n3:abc1XObC0;", "the target is shorter than announced"},
      {"3\n3:abc1XObC0;x", "bytes after the checksum"},
      {"3\n3:abc", "no checksum at the end"},
      {"3\n3", "a command is cut short"},
      {"zzzzzzzzzzzzzz\n", "the target length is not followed by a newline"},
      {"~\n", "the target is larger than allowed"},
  };
  for (const Case& c : cases) {
    FossilResult r = applyFossilDelta(source, c.delta, 60);
    EXPECT_FALSE(r.target) << c.delta;
    EXPECT_EQ(r.error, c.error) << c.delta;
  }
}

}  // namespace
}  // namespace herald::proto
