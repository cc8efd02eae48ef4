// Minting: TokenSigner's keys and output, and the claims JSON writer used by
// `herald token`.

#include "herald/auth/token_signer.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "herald/auth/claims.hpp"
#include "herald/auth/token_verifier.hpp"
#include "token_support.hpp"

namespace herald::auth {
namespace {

using namespace test;

TEST(TokenSignerTest, WritesTheHeaderAndPayloadAsGiven) {
  const std::string claims = R"({"sub":"alice", "x" : 1})";
  const Parts p = split(signToken(Algorithm::HS256, claims, kSecret));
  EXPECT_EQ(*base64UrlDecode(p.header), R"({"alg":"HS256","typ":"JWT"})");
  EXPECT_EQ(*base64UrlDecode(p.payload), claims);
  EXPECT_EQ(*base64UrlDecode(p.signature), hmac(kSecret, p.header + "." + p.payload));
  EXPECT_EQ(*base64UrlDecode(split(mint(Algorithm::ES256, "{}")).header), R"({"alg":"ES256","typ":"JWT"})");
}

TEST(TokenSignerTest, HmacTokensAreDeterministic) {
  const TokenSigner signer(Algorithm::HS256, kSecret);
  EXPECT_EQ(signer.algorithm(), Algorithm::HS256);
  EXPECT_EQ(signer.sign(R"({"sub":"a"})"), signer.sign(R"({"sub":"a"})"));
  EXPECT_NE(signer.sign(R"({"sub":"a"})"), signer.sign(R"({"sub":"b"})"));
}

TEST(TokenSignerTest, ReusesOneKeyForManyTokens) {
  const TokenSigner es(Algorithm::ES256, ecKeys().privatePem);
  for (int i = 0; i < 10; ++i) {
    const VerifyResult r =
        verifierWithAllKeys().verifyConnectToken(es.sign(R"({"sub":")" + std::to_string(i) + "\"}"), kNow);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.claims.sub, std::to_string(i));
  }
}

std::string signError(Algorithm alg, std::string_view key, std::string_view claims = "{}") {
  try {
    signToken(alg, claims, key);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(TokenSignerTest, RefusesKeysThatDoNotFit) {
  EXPECT_NE(signError(Algorithm::HS256, ""), "");
  EXPECT_NE(signError(Algorithm::RS256, "secret").find("RS256 private key"), std::string::npos);
  EXPECT_NE(signError(Algorithm::RS256, ecKeys().privatePem).find("RSA"), std::string::npos);
  EXPECT_NE(signError(Algorithm::ES256, rsaKeys().privatePem), "");
  EXPECT_NE(signError(Algorithm::ES256, ecKeys().publicPem), "");  // a public key cannot sign
  EXPECT_NE(signError(Algorithm::RS256, rsaKeys().publicPem), "");
}

TEST(TokenSignerTest, RefusesClaimsThatAreNotAnObject) {
  for (std::string_view claims : {"", "[]", "1", "{", R"({"a":1}x)"})
    EXPECT_NE(signError(Algorithm::HS256, kSecret, claims), "") << claims;
}

TEST(ClaimsJsonTest, WritesOnlyWhatIsSet) {
  EXPECT_EQ(buildClaimsJson({}), R"({"sub":""})");
  ClaimsSpec spec;
  spec.sub = "42";
  spec.exp = 1700000100;
  spec.iat = 1700000000;
  spec.info = R"({"name":"Alice"})";
  spec.channels = {"news", "chat"};
  EXPECT_EQ(buildClaimsJson(spec),
            R"({"sub":"42","exp":1700000100,"iat":1700000000,"info":{"name":"Alice"},"channels":["news","chat"]})");
  ClaimsSpec sub;
  sub.sub = "42";
  sub.channel = "room:1";
  sub.nbf = 5;
  sub.expireAt = 0;
  sub.aud = "herald";
  sub.iss = "app";
  sub.jti = "j";
  EXPECT_EQ(buildClaimsJson(sub),
            R"({"sub":"42","nbf":5,"expire_at":0,"channel":"room:1","aud":"herald","iss":"app","jti":"j"})");
}

TEST(ClaimsJsonTest, EscapesStrings) {
  ClaimsSpec spec;
  static const char kSub[] = "q\"b\\n\n\t\x01\x1f\x7f\0z \xc3\xa9 \xf0\x9f\x98\x80";
  spec.sub = std::string(kSub, sizeof kSub - 1);
  spec.channels = {"a\"b"};
  const std::string json = buildClaimsJson(spec);
  EXPECT_EQ(json, std::string(R"({"sub":"q\"b\\n\n\t\u0001\u001f)") + "\x7f" +
                      R"(\u0000z )" + "\xc3\xa9 \xf0\x9f\x98\x80" + R"(","channels":["a\"b"]})");
  // And the verifier reads back exactly what went in.
  const VerifyResult r = verifierWithAllKeys().verifyConnectToken(mint(Algorithm::HS256, json), kNow);
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.sub, spec.sub);
  EXPECT_EQ(r.claims.channels, spec.channels);
}

TEST(ClaimsJsonTest, RefusesInvalidUtf8AndInvalidInfo) {
  for (const char* bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    ClaimsSpec spec;
    spec.sub = bad;
    EXPECT_THROW(buildClaimsJson(spec), std::invalid_argument);
  }
  ClaimsSpec spec;
  spec.info = "{name:1}";
  EXPECT_THROW(buildClaimsJson(spec), std::invalid_argument);
  spec.info = "1 2";
  EXPECT_THROW(buildClaimsJson(spec), std::invalid_argument);
}

}  // namespace
}  // namespace herald::auth
