// Utf8Validator against Unicode table 3-7, fed whole, byte by byte and at
// every split, and cross-checked with a reference built from the definition:
// valid UTF-8 is a concatenation of the shortest-form encodings of Unicode
// scalar values (U+0000..U+10FFFF without the surrogates).

#include "herald/ws/utf8_validator.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "support/chunking.hpp"

namespace herald::ws {
namespace {

using test::escapeBytes;

// ---- Reference -------------------------------------------------------------

std::string encodeScalar(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

bool isScalar(char32_t cp) { return cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF); }

std::uint32_t packPrefix(std::string_view s) {
  std::uint32_t key = static_cast<std::uint32_t>(s.size()) << 24;
  for (std::size_t i = 0; i < s.size(); ++i) key |= std::uint32_t{static_cast<unsigned char>(s[i])} << (8 * i);
  return key;
}

// Every proper prefix of the encoding of some scalar value.
const std::unordered_set<std::uint32_t>& properPrefixes() {
  static const std::unordered_set<std::uint32_t> set = [] {
    std::unordered_set<std::uint32_t> s;
    for (char32_t cp = 0x80; cp <= 0x10FFFF; ++cp) {
      if (!isScalar(cp)) continue;
      std::string e = encodeScalar(cp);
      for (std::size_t k = 1; k < e.size(); ++k) s.insert(packPrefix(std::string_view(e).substr(0, k)));
    }
    return s;
  }();
  return set;
}

// Whether `s` is exactly the encoding of one scalar value: decode it with the
// bit patterns alone, then require the shortest form to give back `s`.
bool isEncodingOfScalar(std::string_view s) {
  auto lead = static_cast<unsigned char>(s[0]);
  std::size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (n != s.size()) return false;
  char32_t cp = n == 1 ? lead : lead & (0x7F >> n);
  for (std::size_t i = 1; i < n; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (c & 0x3F);
  }
  return isScalar(cp) && encodeScalar(cp) == s;
}

struct RefVerdict {
  std::size_t firstBad = std::string::npos;  // first byte no valid text can have there
  bool complete = true;                      // ends on a character boundary
};

RefVerdict referenceValidate(std::string_view bytes) {
  RefVerdict v;
  std::size_t i = 0;
  while (i < bytes.size()) {
    for (std::size_t k = 1;; ++k) {
      std::string_view seq = bytes.substr(i, k);
      if (isEncodingOfScalar(seq)) {
        i += k;
        break;
      }
      if (!properPrefixes().count(packPrefix(seq))) {
        v.firstBad = i + k - 1;
        v.complete = false;
        return v;
      }
      if (i + k == bytes.size()) {
        v.complete = false;
        return v;
      }
    }
  }
  return v;
}

// ---- Driving the validator ------------------------------------------------

struct Verdict {
  bool ok = true;  // no feed() returned false
  bool complete = false;
  bool failed = false;
  bool operator==(const Verdict&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Verdict& v) {
  return os << "{ok=" << v.ok << " complete=" << v.complete << " failed=" << v.failed << "}";
}

Verdict validateChunks(const std::string& bytes, const std::vector<std::size_t>& sizes) {
  Utf8Validator v;
  Verdict out;
  std::size_t pos = 0;
  for (std::size_t n : sizes) {
    const bool ok = v.feed(bytes.data() + pos, n);
    pos += n;
    if (!out.ok) {
      EXPECT_FALSE(ok) << "validator recovered after failing";
    }
    out.ok = out.ok && ok;
    EXPECT_EQ(ok, !v.failed());
  }
  out.complete = v.complete();
  out.failed = v.failed();
  return out;
}

// Feeds one byte at a time; the index of the byte at which feed() first
// returned false, or npos.
std::size_t failingByte(const std::string& bytes) {
  Utf8Validator v;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    if (!v.feed(bytes.data() + i, 1)) return i;
  return std::string::npos;
}

Verdict validateEveryWay(const std::string& bytes) {
  return test::sameForEveryChunking(bytes, validateChunks);
}

void expectValid(const std::string& bytes) {
  SCOPED_TRACE("bytes: " + escapeBytes(bytes));
  Verdict v = validateEveryWay(bytes);
  EXPECT_TRUE(v.ok);
  EXPECT_TRUE(v.complete);
  EXPECT_TRUE(Utf8Validator::isValid(bytes));
}

// Invalid, and feed() refuses exactly the byte at `badIndex`.
void expectInvalidAt(const std::string& bytes, std::size_t badIndex) {
  SCOPED_TRACE("bytes: " + escapeBytes(bytes));
  Verdict v = validateEveryWay(bytes);
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(v.failed);
  EXPECT_FALSE(v.complete);
  EXPECT_FALSE(Utf8Validator::isValid(bytes));
  EXPECT_EQ(failingByte(bytes), badIndex);
}

// Well-formed so far but cut inside a character.
void expectTruncated(const std::string& bytes) {
  SCOPED_TRACE("bytes: " + escapeBytes(bytes));
  Verdict v = validateEveryWay(bytes);
  EXPECT_TRUE(v.ok);
  EXPECT_FALSE(v.failed);
  EXPECT_FALSE(v.complete);
  EXPECT_FALSE(Utf8Validator::isValid(bytes));
}

// ---- Tests ----------------------------------------------------------------

TEST(Utf8ValidatorTest, ReferenceAgreesWithKnownVectors) {
  // The reference itself must be able to tell good from bad.
  EXPECT_EQ(referenceValidate("h\xC3\xA9llo").firstBad, std::string::npos);
  EXPECT_TRUE(referenceValidate("\xF0\x9F\x98\x80").complete);
  EXPECT_EQ(referenceValidate("ab\xC0\x80").firstBad, 2u);
  EXPECT_EQ(referenceValidate("\xE0\x80\x80").firstBad, 1u);
  EXPECT_EQ(referenceValidate("\xED\xA0\x80").firstBad, 1u);
  EXPECT_EQ(referenceValidate("\xF4\x90\x80\x80").firstBad, 1u);
  EXPECT_FALSE(referenceValidate("\xE2\x82").complete);
  EXPECT_EQ(referenceValidate("\xE2\x82").firstBad, std::string::npos);
}

TEST(Utf8ValidatorTest, AcceptsEmptyAndAscii) {
  expectValid("");
  expectValid("Hello, WebSocket!");
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  expectValid(all);
}

TEST(Utf8ValidatorTest, AcceptsMultiByteSequencesAtTheirBounds) {
  expectValid("\xC2\x80");                  // U+0080
  expectValid("\xDF\xBF");                  // U+07FF
  expectValid("\xE0\xA0\x80");              // U+0800
  expectValid("\xE1\x80\x80");              // U+1000
  expectValid("\xEC\xBF\xBF");              // U+CFFF
  expectValid("\xED\x80\x80");              // U+D000
  expectValid("\xED\x9F\xBF");              // U+D7FF, last before the surrogates
  expectValid("\xEE\x80\x80");              // U+E000, first after them
  expectValid("\xEF\xBF\xBF");              // U+FFFF
  expectValid("\xF0\x90\x80\x80");          // U+10000
  expectValid("\xF1\x80\x80\x80");          // U+40000
  expectValid("\xF3\xBF\xBF\xBF");          // U+FFFFF
  expectValid("\xF4\x80\x80\x80");          // U+100000
  expectValid("\xF4\x8F\xBF\xBF");          // U+10FFFF, the last scalar
  expectValid("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5");  // "kosme" in Greek
  expectValid("emoji \xF0\x9F\x98\x80 and \xE2\x82\xAC after");
}

TEST(Utf8ValidatorTest, RejectsOverlongEncodings) {
  expectInvalidAt("\xC0\x80", 0);          // U+0000 in two bytes: C0 can never start a character
  expectInvalidAt("\xC1\xBF", 0);          // U+007F in two bytes
  expectInvalidAt("\xE0\x80\x80", 1);      // U+0000 in three bytes
  expectInvalidAt("\xE0\x9F\xBF", 1);      // U+07FF in three bytes
  expectInvalidAt("\xF0\x80\x80\x80", 1);  // U+0000 in four bytes
  expectInvalidAt("\xF0\x8F\xBF\xBF", 1);  // U+FFFF in four bytes
  expectInvalidAt("ok \xC0\xAF", 3);       // the classic overlong '/'
}

TEST(Utf8ValidatorTest, RejectsSurrogates) {
  expectInvalidAt("\xED\xA0\x80", 1);  // U+D800
  expectInvalidAt("\xED\xAF\xBF", 1);  // U+DBFF
  expectInvalidAt("\xED\xB0\x80", 1);  // U+DC00
  expectInvalidAt("\xED\xBF\xBF", 1);  // U+DFFF
  expectInvalidAt("\xED\xA0\x80\xED\xB0\x80", 1);  // an encoded surrogate pair (CESU-8)
}

TEST(Utf8ValidatorTest, RejectsCodePointsAboveU10FFFF) {
  expectInvalidAt("\xF4\x90\x80\x80", 1);  // U+110000
  expectInvalidAt("\xF4\xBF\xBF\xBF", 1);
  for (int lead = 0xF5; lead <= 0xFF; ++lead) expectInvalidAt(std::string(1, static_cast<char>(lead)) + "\x80\x80\x80", 0);
}

TEST(Utf8ValidatorTest, RejectsStrayContinuationBytes) {
  expectInvalidAt("\x80", 0);
  expectInvalidAt("\xBF", 0);
  expectInvalidAt("a\xC3\xA9\xA9", 3);
  expectInvalidAt("\xF0\x9F\x98\x80\x80", 4);
}

TEST(Utf8ValidatorTest, RejectsLeadByteWhereContinuationIsNeeded) {
  expectInvalidAt("\xC3" "a", 1);
  expectInvalidAt("\xE2\x82" "a", 2);
  expectInvalidAt("\xF0\x9F\x98\xC3\xA9", 3);
  expectInvalidAt("\xE2\xC3\xA9", 1);
}

TEST(Utf8ValidatorTest, TruncatedSequencesAreNotComplete) {
  for (const std::string full : {"\xC3\xA9", "\xE2\x82\xAC", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xF0\x9F\x98\x80",
                                 "\xF4\x8F\xBF\xBF"}) {
    for (std::size_t k = 1; k < full.size(); ++k) {
      expectTruncated(full.substr(0, k));
      expectTruncated("text " + full.substr(0, k));
      expectValid("text " + full);
    }
  }
}

TEST(Utf8ValidatorTest, FailsAtTheFirstBadByteBeforeTheSequenceEnds) {
  // Each prefix up to the bad byte is refused without waiting for the rest.
  struct Case {
    std::string head;  // accepted
    char bad;          // refused on arrival
  };
  for (const Case& c : {Case{"\xE0", '\x80'}, Case{"\xED", '\xA0'}, Case{"\xF0", '\x80'}, Case{"\xF4", '\x90'},
                        Case{"abc\xE2\x82", 'z'}, Case{"", '\xC0'}, Case{"", '\xF5'}, Case{"\xF0\x9F", '\x28'}}) {
    SCOPED_TRACE(escapeBytes(c.head + c.bad));
    Utf8Validator v;
    EXPECT_TRUE(v.feed(c.head));
    EXPECT_FALSE(v.failed());
    EXPECT_FALSE(v.feed(std::string(1, c.bad)));
    EXPECT_TRUE(v.failed());
    EXPECT_FALSE(v.complete());
  }
}

TEST(Utf8ValidatorTest, StaysFailedUntilReset) {
  Utf8Validator v;
  EXPECT_FALSE(v.feed("\xFF"));
  EXPECT_FALSE(v.feed("plain ascii"));
  EXPECT_FALSE(v.feed(""));
  EXPECT_TRUE(v.failed());
  EXPECT_FALSE(v.complete());
  v.reset();
  EXPECT_FALSE(v.failed());
  EXPECT_TRUE(v.complete());
  EXPECT_TRUE(v.feed("plain ascii"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8ValidatorTest, ResetForgetsAHalfSequence) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed("\xE2\x82"));
  EXPECT_FALSE(v.complete());
  v.reset();
  EXPECT_TRUE(v.complete());
  EXPECT_FALSE(v.feed("\xAC"));  // a continuation byte alone
}

TEST(Utf8ValidatorTest, AsciiFastPathFindsABadByteAtEveryPosition) {
  // Lengths 0..17 cover the 8-byte steps and the tails on either side;
  // starting offsets 0..7 move them against the buffer's alignment.
  for (std::size_t len = 0; len <= 17; ++len) {
    for (std::size_t offset = 0; offset < 8; ++offset) {
      std::string buffer(offset + len, 'a');
      std::string_view text = std::string_view(buffer).substr(offset);
      {
        Utf8Validator v;
        EXPECT_TRUE(v.feed(text)) << "len " << len << " offset " << offset;
        EXPECT_TRUE(v.complete());
      }
      for (std::size_t at = 0; at < len; ++at) {
        for (char bad : {'\xFF', '\x80', '\xC0', '\xBF'}) {
          buffer.assign(offset + len, 'a');
          buffer[offset + at] = bad;
          std::string_view t = std::string_view(buffer).substr(offset);
          Utf8Validator v;
          EXPECT_FALSE(v.feed(t)) << "len " << len << " offset " << offset << " bad at " << at;
          EXPECT_EQ(failingByte(std::string(t)), at);
        }
        // A lead byte whose continuation never comes: valid so far, incomplete
        // when it is the last byte, refused at the next ASCII byte otherwise.
        buffer.assign(offset + len, 'a');
        buffer[offset + at] = '\xE2';
        std::string_view t = std::string_view(buffer).substr(offset);
        Utf8Validator v;
        if (at + 1 == len) {
          EXPECT_TRUE(v.feed(t));
          EXPECT_FALSE(v.complete());
        } else {
          EXPECT_FALSE(v.feed(t)) << "len " << len << " lead at " << at;
          EXPECT_EQ(failingByte(std::string(t)), at + 1);
        }
      }
    }
  }
}

TEST(Utf8ValidatorTest, AsciiFastPathResumesAfterMultiByteCharacters) {
  // A character at every position of a 24-byte ASCII run, so the fast path
  // stops for it and starts again at every alignment.
  for (const std::string ch : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    for (std::size_t at = 0; at <= 24; ++at) {
      std::string s = std::string(at, 'x') + ch + std::string(24 - at, 'y');
      expectValid(s);
      std::string broken = s;
      broken[at + ch.size() - 1] = 'z';  // last continuation byte replaced
      expectInvalidAt(broken, at + ch.size() - 1);
    }
  }
}

TEST(Utf8ValidatorTest, AgreesWithReferenceOnRandomBytes) {
  // Bytes biased to the edges of table 3-7, mixed with whole characters, so
  // that a good share of the strings are valid or fail late.
  const unsigned char edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                                 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
  std::mt19937 rng(6455);
  std::uniform_int_distribution<int> kind(0, 9), edge(0, std::size(edges) - 1), byte(0, 255), length(0, 40);
  std::uniform_int_distribution<std::uint32_t> scalar(0x80, 0x10FFFF);
  int valid = 0, invalid = 0, truncated = 0;
  for (int round = 0; round < 20000; ++round) {
    // A quarter of the strings are clean, a quarter clean but cut anywhere,
    // the rest carry noise.
    const bool clean = round % 4 < 2;
    std::string s;
    for (int n = length(rng); n > 0; --n) {
      int k = clean ? 4 + kind(rng) % 6 : kind(rng);
      if (k < 3) {
        s.push_back(static_cast<char>(edges[edge(rng)]));
      } else if (k < 4) {
        s.push_back(static_cast<char>(byte(rng)));
      } else if (k < 7) {
        char32_t cp = scalar(rng);
        if (cp >= 0xD800 && cp <= 0xDFFF) cp -= 0x1000;
        s += encodeScalar(cp);
      } else {
        s.push_back(static_cast<char>('a' + k));
      }
    }
    if (round % 4 == 1 && !s.empty()) s.resize(static_cast<std::size_t>(byte(rng)) % s.size());
    RefVerdict ref = referenceValidate(s);
    Verdict whole = validateChunks(s, {s.size()});
    ASSERT_EQ(whole.ok, ref.firstBad == std::string::npos) << escapeBytes(s);
    ASSERT_EQ(whole.complete, ref.complete) << escapeBytes(s);
    ASSERT_EQ(failingByte(s), ref.firstBad) << escapeBytes(s);
    if (s.size() > 1) {
      std::size_t cut = static_cast<std::size_t>(byte(rng)) % s.size();
      ASSERT_EQ(validateChunks(s, {cut, s.size() - cut}), whole) << escapeBytes(s) << " cut at " << cut;
    }
    if (ref.firstBad != std::string::npos) ++invalid;
    else if (ref.complete) ++valid;
    else ++truncated;
  }
  // The generator must exercise all three outcomes in earnest.
  EXPECT_GT(valid, 2000);
  EXPECT_GT(invalid, 2000);
  EXPECT_GT(truncated, 100);
}

}  // namespace
}  // namespace herald::ws
