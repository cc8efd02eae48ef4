// Deflater and Inflater (RFC 7692 section 7.2): the RFC's example bytes,
// round trips with and without context takeover for several window sizes,
// the hard bound on inflated output (a decompression bomb), corrupt and
// truncated streams. Inflater inputs are also fed at every split point.

#include "herald/ws/deflate_codec.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "support/chunking.hpp"

namespace herald::ws {
namespace {

using Status = Inflater::Status;

std::string hex(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// RFC 7692 7.2.3.1: "Hello" in one fixed-Huffman block, sync flushed, the
// trailing 00 00 FF FF removed.
const std::string kHello = hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
// 7.2.3.2: the same message again, sent with the first one's context.
const std::string kHelloAgain = hex({0xf2, 0x00, 0x11, 0x00, 0x00});

struct Inflated {
  Status status = Status::Ok;
  std::string out;
  bool operator==(const Inflated&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Inflated& r) {
  return os << "status " << static_cast<int>(r.status) << " \"" << test::escapeBytes(r.out) << "\"";
}

// One message fed in pieces of `sizes`, then finished.
Inflated inflatePieces(Inflater& inflater, const std::string& payload, const std::vector<std::size_t>& sizes) {
  Inflated r;
  std::size_t pos = 0;
  for (std::size_t n : sizes) {
    r.status = inflater.feed(std::string_view(payload).substr(pos, n), r.out);
    pos += n;
    if (r.status != Status::Ok) return r;
  }
  r.status = inflater.finish(r.out);
  return r;
}

Inflated inflateOne(const std::string& payload, InflaterOptions options = {}) {
  Inflater inflater(options);
  return inflatePieces(inflater, payload, {payload.size()});
}

// The same answer for every way of cutting the payload.
Inflated inflateEveryWay(const std::string& payload, InflaterOptions options = {}) {
  return test::sameForEveryChunking(payload, [&](const std::string& p, const std::vector<std::size_t>& sizes) {
    Inflater inflater(options);
    return inflatePieces(inflater, p, sizes);
  });
}

std::string compressOne(Deflater& d, std::string_view message) {
  std::string out;
  EXPECT_TRUE(d.compress(message, out));
  return out;
}

std::string randomBytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// Text that compresses a little: words from a small vocabulary.
std::string wordy(std::size_t n, unsigned seed) {
  static const char* words[] = {"herald ", "frame ", "deflate ", "window ", "message ", "context ", "\xE2\x82\xAC "};
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) s += words[rng() % 7];
  return s;
}

TEST(DeflateCodecTest, InflatesTheRfcHelloExample) {
  EXPECT_EQ(inflateEveryWay(kHello), (Inflated{Status::Ok, "Hello"}));
}

TEST(DeflateCodecTest, InflatesTheRfcSharedContextExample) {
  Inflater inflater;
  EXPECT_EQ(inflatePieces(inflater, kHello, {kHello.size()}), (Inflated{Status::Ok, "Hello"}));
  EXPECT_EQ(inflatePieces(inflater, kHelloAgain, {1, 1, 1, 1, 1}), (Inflated{Status::Ok, "Hello"}));
  // Without the first message's context the back-reference points nowhere.
  EXPECT_EQ(inflateOne(kHelloAgain).status, Status::Corrupt);
}

TEST(DeflateCodecTest, InflatesTheRfcStoredFinalAndTwoBlockExamples) {
  // 7.2.3.3: a stored block; 7.2.3.4: BFINAL set, then an extra 00;
  // 7.2.3.5: two blocks in one message.
  EXPECT_EQ(inflateEveryWay(hex({0x00, 0x05, 0x00, 0xfa, 0xff, 'H', 'e', 'l', 'l', 'o', 0x00})),
            (Inflated{Status::Ok, "Hello"}));
  EXPECT_EQ(inflateEveryWay(hex({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00})), (Inflated{Status::Ok, "Hello"}));
  EXPECT_EQ(inflateEveryWay(hex({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00})),
            (Inflated{Status::Ok, "Hello"}));
}

TEST(DeflateCodecTest, FinalBlockStartsANewStreamForTheNextMessage) {
  Inflater inflater;
  const std::string final = hex({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
  EXPECT_EQ(inflatePieces(inflater, final, {3, 4}), (Inflated{Status::Ok, "Hello"}));
  EXPECT_EQ(inflatePieces(inflater, kHello, {kHello.size()}), (Inflated{Status::Ok, "Hello"}));
}

TEST(DeflateCodecTest, CompressesLikeTheRfcExamples) {
  Deflater shared;
  EXPECT_EQ(compressOne(shared, "Hello"), kHello);
  EXPECT_EQ(compressOne(shared, "Hello"), kHelloAgain);
  Deflater fresh({.noContextTakeover = true});
  EXPECT_EQ(compressOne(fresh, "Hello"), kHello);
  EXPECT_EQ(compressOne(fresh, "Hello"), kHello);
}

TEST(DeflateCodecTest, CompressesAnEmptyMessageToOneZeroByte) {
  Deflater d;
  EXPECT_EQ(compressOne(d, ""), hex({0x00}));
  compressOne(d, "something");
  EXPECT_EQ(compressOne(d, ""), hex({0x00}));
  EXPECT_EQ(inflateEveryWay(hex({0x00})), (Inflated{Status::Ok, ""}));
}

TEST(DeflateCodecTest, EmptyPayloadIsAnEmptyMessageAndKeepsTheContext) {
  Inflater inflater;
  EXPECT_EQ(inflatePieces(inflater, kHello, {kHello.size()}), (Inflated{Status::Ok, "Hello"}));
  EXPECT_EQ(inflatePieces(inflater, "", {0}), (Inflated{Status::Ok, ""}));
  EXPECT_EQ(inflatePieces(inflater, kHelloAgain, {kHelloAgain.size()}), (Inflated{Status::Ok, "Hello"}));
}

TEST(DeflateCodecTest, AppendsToTheOutputItIsGiven) {
  Deflater d;
  std::string out = "head:";
  ASSERT_TRUE(d.compress("Hello", out));
  EXPECT_EQ(out, "head:" + kHello);
  Inflater inflater;
  std::string plain = "head:";
  ASSERT_EQ(inflater.feed(kHello, plain), Status::Ok);
  ASSERT_EQ(inflater.finish(plain), Status::Ok);
  EXPECT_EQ(plain, "head:Hello");
}

struct RoundTrip {
  int windowBits;
  bool noContextTakeover;
};

class DeflateRoundTripTest : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(DeflateRoundTripTest, MessagesSurviveCompressionAndInflation) {
  const RoundTrip p = GetParam();
  Deflater deflater({.windowBits = p.windowBits, .noContextTakeover = p.noContextTakeover});
  Inflater inflater({.noContextTakeover = p.noContextTakeover, .maxMessageBytes = 1 << 20});
  const std::vector<std::string> messages = {
      "Hello",       "Hello",           "",          wordy(3000, 1), wordy(3000, 1), randomBytes(5000, 2),
      wordy(70000, 3), std::string(200000, 'z'), "tail", randomBytes(1, 4)};
  std::mt19937 rng(static_cast<unsigned>(p.windowBits));
  std::size_t second = 0;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    SCOPED_TRACE("message " + std::to_string(i));
    const std::string payload = compressOne(deflater, messages[i]);
    if (i == 1) second = payload.size();
    // Pieces of 1..300 bytes, as reads would bring them.
    std::vector<std::size_t> sizes;
    for (std::size_t left = payload.size(); left > 0;) {
      std::size_t n = std::min<std::size_t>(left, 1 + rng() % 300);
      sizes.push_back(n);
      left -= n;
    }
    Inflated r = inflatePieces(inflater, payload, sizes);
    ASSERT_EQ(r.status, Status::Ok);
    ASSERT_EQ(r.out, messages[i]);
  }
  // With context takeover the repeated "Hello" is a short back-reference.
  EXPECT_EQ(second < kHello.size(), !p.noContextTakeover);
  EXPECT_EQ(deflater.options().windowBits, std::max(p.windowBits, 9));
}

INSTANTIATE_TEST_SUITE_P(WindowsAndTakeover, DeflateRoundTripTest,
                         ::testing::Values(RoundTrip{15, false}, RoundTrip{15, true}, RoundTrip{12, false},
                                           RoundTrip{10, true}, RoundTrip{9, false}, RoundTrip{8, false},
                                           RoundTrip{8, true}),
                         [](const auto& info) {
                           return "Bits" + std::to_string(info.param.windowBits) +
                                  (info.param.noContextTakeover ? "NoContext" : "Context");
                         });

TEST(DeflateCodecTest, ReadsDistancesBeyondTheNegotiatedWindowWhateverTheSplit) {
  // A 15-bit stream whose back-references reach 4 KiB back, from a peer that
  // agreed to 9 bits: inflated with the full window, so the result does not
  // depend on how the payload was cut (zlib's check would otherwise).
  const std::string block = randomBytes(4096, 7);
  Deflater d;
  const std::string payload = compressOne(d, block + block);
  EXPECT_EQ(inflateEveryWay(payload), (Inflated{Status::Ok, block + block}));
}

TEST(DeflateCodecTest, StreamsAreAllocatedOnFirstUse) {
  Deflater d;
  Inflater i;
  EXPECT_FALSE(d.allocated());
  EXPECT_FALSE(i.allocated());
  std::string out;
  ASSERT_EQ(i.feed("", out), Status::Ok);
  ASSERT_EQ(i.finish(out), Status::Ok);
  EXPECT_FALSE(i.allocated()) << "an empty message needs no zlib state";
  std::string payload;
  ASSERT_TRUE(d.compress("", payload));
  EXPECT_FALSE(d.allocated()) << "an empty message needs no zlib state";
  ASSERT_TRUE(d.compress("x", payload));
  EXPECT_TRUE(d.allocated());
  ASSERT_EQ(i.feed(payload, out), Status::Ok);
  EXPECT_TRUE(i.allocated());
}

TEST(DeflateCodecTest, InflatesExactlyUpToTheLimit) {
  Deflater d;
  const std::string payload = compressOne(d, std::string(1000, 'a'));
  EXPECT_EQ(inflateEveryWay(payload, {.maxMessageBytes = 1000}), (Inflated{Status::Ok, std::string(1000, 'a')}));
  Inflated over = inflateOne(payload, {.maxMessageBytes = 999});
  EXPECT_EQ(over.status, Status::TooBig);
  EXPECT_LE(over.out.size(), 1000u);
}

TEST(DeflateCodecTest, BombStopsAtTheLimitWithoutAllocatingItsSize) {
  Deflater d;
  const std::string bomb = compressOne(d, std::string(1 << 20, '\0'));  // 1 MiB of zeros
  ASSERT_LE(bomb.size(), 1100u) << "the bomb should be about 1 KiB";
  constexpr std::size_t kLimit = 64 * 1024;
  for (std::size_t piece : {bomb.size(), std::size_t{1}, std::size_t{100}}) {
    SCOPED_TRACE("pieces of " + std::to_string(piece));
    Inflater inflater({.maxMessageBytes = kLimit});
    std::string out;
    Status s = Status::Ok;
    for (std::size_t pos = 0; pos < bomb.size() && s == Status::Ok; pos += piece)
      s = inflater.feed(std::string_view(bomb).substr(pos, piece), out);
    if (s == Status::Ok) s = inflater.finish(out);
    EXPECT_EQ(s, Status::TooBig);
    EXPECT_LE(out.size(), kLimit + 1);
    EXPECT_LE(out.capacity(), kLimit + Inflater::kChunkBytes + 64) << "output grew past the bound plus a chunk";
    EXPECT_EQ(inflater.feed("x", out), Status::Corrupt) << "a failed Inflater stays failed";
  }
}

TEST(DeflateCodecTest, ReportsCorruptStreams) {
  // BTYPE 11 is reserved; a stored block whose NLEN is not ~LEN; a
  // distance before the start of the stream.
  EXPECT_EQ(inflateEveryWay(hex({0xff, 0xff})).status, Status::Corrupt);
  EXPECT_EQ(inflateEveryWay(hex({0x00, 0x05, 0x00, 0x00, 0x00, 'H'})).status, Status::Corrupt);
  EXPECT_EQ(inflateEveryWay(kHelloAgain).status, Status::Corrupt);
  EXPECT_EQ(inflateEveryWay(randomBytes(64, 9)).status, Status::Corrupt);
}

TEST(DeflateCodecTest, ReportsMessagesCutInsideABlock) {
  // "Hello" without its last bytes, and a stored block cut after 2 of 5 bytes.
  EXPECT_EQ(inflateEveryWay(kHello.substr(0, 4)).status, Status::Corrupt);
  EXPECT_EQ(inflateEveryWay(hex({0x00, 0x05, 0x00, 0xfa, 0xff, 'H', 'e'})).status, Status::Corrupt);
}

TEST(DeflateCodecTest, CheckSeesEachChunkAndCanStopInflation) {
  Deflater d;
  const std::string big = wordy(100000, 5);
  const std::string payload = compressOne(d, big);
  Inflater inflater({.maxMessageBytes = 1 << 20});
  std::string out, seen;
  std::size_t calls = 0;
  auto check = [&](std::string_view chunk) {
    ++calls;
    EXPECT_LE(chunk.size(), Inflater::kChunkBytes);
    seen.append(chunk);
    return true;
  };
  ASSERT_EQ(inflater.feed(payload, out, check), Status::Ok);
  ASSERT_EQ(inflater.finish(out, check), Status::Ok);
  EXPECT_EQ(out, big);
  EXPECT_EQ(seen, big);
  EXPECT_GE(calls, big.size() / Inflater::kChunkBytes);

  Inflater stopping;
  std::string out2;
  auto refuse = [](std::string_view) { return false; };
  EXPECT_EQ(stopping.feed(payload, out2, refuse), Status::Rejected);
  EXPECT_LE(out2.size(), Inflater::kChunkBytes) << "stopped after the first chunk";
}

TEST(DeflateCodecTest, ResetRecoversAFailedInflater) {
  Inflater inflater;
  std::string out;
  EXPECT_EQ(inflater.feed(hex({0xff, 0xff}), out), Status::Corrupt);
  inflater.reset();
  EXPECT_EQ(inflatePieces(inflater, kHello, {kHello.size()}), (Inflated{Status::Ok, "Hello"}));
}

TEST(DeflateCodecTest, NoContextTakeoverInflaterForgetsBetweenMessages) {
  Inflater inflater({.noContextTakeover = true});
  EXPECT_EQ(inflatePieces(inflater, kHello, {kHello.size()}), (Inflated{Status::Ok, "Hello"}));
  EXPECT_EQ(inflatePieces(inflater, kHelloAgain, {kHelloAgain.size()}).status, Status::Corrupt);
}

}  // namespace
}  // namespace herald::ws
