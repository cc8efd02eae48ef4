// Tokens that are not JWS at all, or whose header or payload is not the
// JSON object it must be: each is Malformed with a reason, never a throw.

#include <gtest/gtest.h>

#include <string>

#include "herald/auth/token_verifier.hpp"
#include "token_support.hpp"

namespace herald::auth {
namespace {

using namespace test;

VerifyResult verify(std::string_view token) { return verifierWithAllKeys().verifyConnectToken(token, kNow); }

void expectMalformed(std::string_view token, std::string_view reasonPart = {}) {
  const VerifyResult r = verify(token);
  EXPECT_EQ(r.error, TokenError::Malformed) << token.substr(0, 200) << ": " << r.reason;
  EXPECT_FALSE(r.reason.empty());
  if (!reasonPart.empty()) {
    EXPECT_NE(r.reason.find(reasonPart), std::string::npos) << r.reason;
  }
}

TEST(TokenMalformedTest, RefusesWrongSegmentCounts) {
  const std::string good = craftHs256(R"({"sub":"u"})");
  ASSERT_TRUE(verify(good).ok());
  const Parts p = split(good);
  for (const std::string& t : {std::string(), std::string("."), std::string(".."), std::string("..."), p.header,
                               p.header + "." + p.payload, good + ".", good + "." + p.signature,
                               "." + good, p.header + ".." + p.payload + "." + p.signature})
    expectMalformed(t);
}

TEST(TokenMalformedTest, RefusesBadBase64InEverySegment) {
  const Parts p = split(craftHs256(R"({"sub":"u"})"));
  for (const char* junk : {"=", "+", "/", " ", "%", "\n", "\xc3\xa9"}) {
    expectMalformed(join({p.header + junk, p.payload, p.signature}));
    // The payload's base64 is covered by the signature: a change there is
    // caught as a bad signature first.
    EXPECT_FALSE(verify(join({p.header, p.payload + junk, p.signature})).ok());
    expectMalformed(join({p.header, p.payload, p.signature + junk}));
  }
  expectMalformed(join({p.header + "==", p.payload, p.signature}));
}

TEST(TokenMalformedTest, RefusesHeadersThatAreNotObjectsWithAnAlg) {
  for (const char* header : {"", "null", "[]", R"(["HS256"])", R"("HS256")", "{", R"({"alg":"HS256")",
                             R"({"alg":"HS256"}x)", R"({"alg":"HS256"} {})", R"({"typ":"JWT"})",
                             R"({"alg":256})", R"({"alg":null})", R"({"alg":"HS256","alg":"HS256"})",
                             R"({"alg":"HS256","x":tru})", R"({"alg":"HS256","x":01})",
                             "{\"alg\":\"HS256\",\"x\":\"\xff\"}"})
    expectMalformed(craftHs256(header, R"({"sub":"u"})"));
}

TEST(TokenMalformedTest, RefusesCriticalHeaderExtensions) {
  expectMalformed(craftHs256(R"({"alg":"HS256","crit":["exp"],"exp":1})", R"({"sub":"u"})"), "crit");
}

TEST(TokenMalformedTest, IgnoresOtherHeaderParameters) {
  EXPECT_TRUE(verify(craftHs256(R"({"typ":"JWT","kid":"k1","jku":"https://evil/","alg":"HS256","cty":"x"})",
                                R"({"sub":"u"})"))
                  .ok());
}

TEST(TokenMalformedTest, RefusesPayloadsThatAreNotJsonObjects) {
  for (const char* payload : {"", "null", "[]", "1", R"("sub")", "{", R"({"sub":"u"})"
                                                                        "}",
                              R"({"sub":"u",})", R"({"sub":'u'})", R"({"x":NaN})", R"({"x":[1,]})",
                              "{\"sub\":\"\xc3\"}", "{\"sub\":\"a\nb\"}", R"({"x":"\ud800"})"})
    expectMalformed(craftHs256(payload), "claims");
}

TEST(TokenMalformedTest, RefusesDeepNesting) {
  const std::string deep = R"({"x":)" + std::string(40, '[') + std::string(40, ']') + "}";
  expectMalformed(craftHs256(deep), "deep");
  const std::string fine = R"({"x":)" + std::string(20, '[') + std::string(20, ']') + "}";
  EXPECT_TRUE(verify(craftHs256(fine)).ok());
}

TEST(TokenMalformedTest, RefusesTokensOverTheSizeLimit) {
  // A well-signed token that is merely too long.
  const std::string big = craftHs256(R"({"sub":"u","pad":")" + std::string(kMaxTokenBytes, 'x') + "\"}");
  expectMalformed(big, "longer");
  expectMalformed(std::string(1 << 20, 'a'), "longer");
  // Just under the limit is fine.
  std::string pad(kMaxTokenBytes * 3 / 4 - 200, 'x');
  std::string fits = craftHs256(R"({"sub":"u","pad":")" + pad + "\"}");
  while (fits.size() < kMaxTokenBytes - 4) {
    pad.append(3, 'x');
    fits = craftHs256(R"({"sub":"u","pad":")" + pad + "\"}");
  }
  ASSERT_LE(fits.size(), kMaxTokenBytes);
  EXPECT_TRUE(verify(fits).ok());
}

TEST(TokenMalformedTest, SurvivesEveryPrefixOfAValidToken) {
  const std::string good = craftHs256(R"({"sub":"u","info":{"a":[1,2]}})");
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(verify(std::string_view(good).substr(0, n)).ok()) << n;
}

}  // namespace
}  // namespace herald::auth
