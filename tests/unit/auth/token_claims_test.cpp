// The claims of connection and subscription tokens: Centrifugo's custom
// ones (info, b64info, channels, subs, meta, expire_at, channel), the
// registered ones with their time, audience and issuer checks, and the
// typing rules of claims.hpp.

#include <gtest/gtest.h>

#include <string>

#include "herald/auth/claims.hpp"
#include "herald/auth/token_verifier.hpp"
#include "token_support.hpp"

namespace herald::auth {
namespace {

using namespace test;

VerifyResult connect(std::string_view payload, std::int64_t now = kNow) {
  return verifierWithAllKeys().verifyConnectToken(craftHs256(payload), now);
}

TEST(TokenClaimsTest, ReadsRegisteredClaims) {
  const VerifyResult r = connect(
      R"({"sub":"42","exp":1700000100,"iat":1699999000,"nbf":1699999999,"jti":"id-1","iss":"app","aud":"herald"})");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.sub, "42");
  EXPECT_EQ(r.claims.exp, 1700000100);
  EXPECT_EQ(r.claims.iat, 1699999000);
  EXPECT_EQ(r.claims.nbf, 1699999999);
  EXPECT_EQ(r.claims.jti, "id-1");
  EXPECT_EQ(r.claims.iss, "app");
  EXPECT_EQ(r.claims.aud, std::vector<std::string>{"herald"});
  EXPECT_EQ(r.claims.expiresAt(), 1700000100);
}

TEST(TokenClaimsTest, AnEmptyOrMissingSubIsAnonymous) {
  for (std::string_view payload : {R"({"sub":""})", "{}", R"({"sub":null})"}) {
    const VerifyResult r = connect(payload);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.claims.sub, "");
    EXPECT_FALSE(r.claims.exp);
    EXPECT_EQ(r.claims.expiresAt(), 0);
  }
}

TEST(TokenClaimsTest, KeepsInfoAndMetaAsRawJson) {
  const VerifyResult r = connect(R"({"info": {"a" : [1, 2.50, "\u00e9"]} , "meta":"x"})");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.info, R"({"a" : [1, 2.50, "\u00e9"]})");
  EXPECT_EQ(r.claims.meta, R"("x")");
  EXPECT_EQ(connect(R"({"info":7})").claims.info, "7");
  EXPECT_EQ(connect(R"({"info":true })").claims.info, "true");
  EXPECT_EQ(connect(R"({"info":null})").claims.info, "");
}

TEST(TokenClaimsTest, B64InfoIsDecodedAndWinsOverInfo) {
  const VerifyResult r = connect(R"({"info":{"x":1},"b64info":")" + base64Encode(std::string("\0\x01\xff", 3)) + "\"}");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.info, std::string("\0\x01\xff", 3));
  for (const char* bad : {"AQ", "AQ=", "-_8=", "AQ==\\n"}) {
    const VerifyResult b = connect(std::string(R"({"b64info":")") + bad + "\"}");
    EXPECT_EQ(b.error, TokenError::Malformed) << bad;
    EXPECT_NE(b.reason.find("b64info"), std::string::npos) << b.reason;
  }
}

TEST(TokenClaimsTest, ReadsChannels) {
  const VerifyResult r = connect(R"({"channels":["news","chat:\"room\"","\u00e9t\u00e9"]})");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.channels, (std::vector<std::string>{"news", "chat:\"room\"", "\xc3\xa9t\xc3\xa9"}));
  EXPECT_EQ(connect(R"({"channels":["a",1]})").error, TokenError::Malformed);
  EXPECT_EQ(connect(R"({"channels":"news"})").error, TokenError::Malformed);
  EXPECT_TRUE(connect(R"({"channels":[]})").ok());
}

TEST(TokenClaimsTest, ReadsSubsWithTheirOptions) {
  const VerifyResult r = connect(
      R"({"subs":{"news":{"info":{"role":"reader"},"data":[1,2],"override":{"presence":{"value":true}}},)"
      R"("chat":{},"bin":{"b64info":"AQI=","b64data":"/w=="}}})");
  ASSERT_TRUE(r.ok()) << r.reason;
  ASSERT_EQ(r.claims.subs.size(), 3u);
  EXPECT_EQ(r.claims.subs[0].channel, "news");
  EXPECT_EQ(r.claims.subs[0].info, R"({"role":"reader"})");
  EXPECT_EQ(r.claims.subs[0].data, "[1,2]");
  EXPECT_EQ(r.claims.subs[0].options,
            R"({"info":{"role":"reader"},"data":[1,2],"override":{"presence":{"value":true}}})");
  EXPECT_EQ(r.claims.subs[1].channel, "chat");
  EXPECT_EQ(r.claims.subs[1].info, "");
  EXPECT_EQ(r.claims.subs[1].options, "{}");
  EXPECT_EQ(r.claims.subs[2].info, "\x01\x02");
  EXPECT_EQ(r.claims.subs[2].data, "\xff");
}

TEST(TokenClaimsTest, RefusesBadSubs) {
  EXPECT_EQ(connect(R"({"subs":["news"]})").error, TokenError::Malformed);
  EXPECT_EQ(connect(R"({"subs":{"news":true}})").error, TokenError::Malformed);
  EXPECT_EQ(connect(R"({"subs":{"news":{"b64info":"%%"}}})").error, TokenError::Malformed);
  EXPECT_EQ(connect(R"({"subs":{"news":{"b64data":1}}})").error, TokenError::Malformed);
  EXPECT_EQ(connect(R"({"subs":{"news":{"info":1,"info":2}}})").error, TokenError::Malformed);
  const VerifyResult dup = connect(R"({"subs":{"news":{},"chat":{},"ne\u0077s":{}}})");
  EXPECT_EQ(dup.error, TokenError::Malformed);
  EXPECT_NE(dup.reason.find("news"), std::string::npos) << dup.reason;
}

TEST(TokenClaimsTest, ExpireAtOverridesExp) {
  VerifyResult r = connect(R"({"exp":1700000100,"expire_at":1700000500})");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.expireAt, 1700000500);
  EXPECT_EQ(r.claims.expiresAt(), 1700000500);
  r = connect(R"({"exp":1700000100,"expire_at":0})");
  EXPECT_EQ(r.claims.expiresAt(), 0);  // never
  // expire_at in the past does not make the token invalid; exp does.
  EXPECT_TRUE(connect(R"({"expire_at":1})").ok());
}

TEST(TokenClaimsTest, ExpiryIsExclusiveAndNotBeforeInclusive) {
  EXPECT_EQ(connect(R"({"exp":1700000000})").error, TokenError::Expired);
  EXPECT_EQ(connect(R"({"exp":1699999999})").error, TokenError::Expired);
  EXPECT_TRUE(connect(R"({"exp":1700000001})").ok());
  EXPECT_TRUE(connect(R"({"nbf":1700000000})").ok());
  const VerifyResult early = connect(R"({"nbf":1700000001})");
  EXPECT_EQ(early.error, TokenError::NotYetValid);
  EXPECT_FALSE(early.reason.empty());
  // The same token, judged at other moments: time is only what is passed in.
  EXPECT_TRUE(connect(R"({"exp":1700000000})", kNow - 1).ok());
  EXPECT_TRUE(connect(R"({"nbf":1700000001})", kNow + 1).ok());
}

TEST(TokenClaimsTest, ExpiredIsReportedAfterTheSignature) {
  // A forged expired token is a bad signature, not "expired": a client is
  // not invited to refresh what it never had.
  const std::string forged = craftHs256(R"({"alg":"HS256"})", R"({"exp":1})", "wrong secret");
  EXPECT_EQ(verifierWithAllKeys().verifyConnectToken(forged, kNow).error, TokenError::InvalidSignature);
}

TEST(TokenClaimsTest, NumericDatesMayBeDecimals) {
  EXPECT_EQ(connect(R"({"exp":1700000100.9})").claims.exp, 1700000100);
  EXPECT_EQ(connect(R"({"exp":1.7000001e9})").claims.exp, 1700000100);
  EXPECT_EQ(connect(R"({"exp":"1700000100"})").error, TokenError::Malformed);
  EXPECT_EQ(connect(R"({"exp":1e300})").error, TokenError::Malformed);
  EXPECT_EQ(connect(R"({"exp":99999999999999999999})").error, TokenError::Malformed);
  EXPECT_EQ(connect(R"({"iat":true})").error, TokenError::Malformed);
  EXPECT_EQ(connect(R"({"exp":-5})").error, TokenError::Expired);
}

TEST(TokenClaimsTest, AudienceIsAStringOrAnArray) {
  VerifierConfig c = allKeys();
  c.audience = "herald";
  const TokenVerifier v(c);
  EXPECT_TRUE(v.verifyConnectToken(craftHs256(R"({"aud":"herald"})"), kNow).ok());
  EXPECT_TRUE(v.verifyConnectToken(craftHs256(R"({"aud":["other","herald"]})"), kNow).ok());
  EXPECT_EQ(v.verifyConnectToken(craftHs256(R"({"aud":"other"})"), kNow).error, TokenError::WrongAudience);
  EXPECT_EQ(v.verifyConnectToken(craftHs256(R"({"aud":[]})"), kNow).error, TokenError::WrongAudience);
  EXPECT_EQ(v.verifyConnectToken(craftHs256(R"({"aud":"Herald"})"), kNow).error, TokenError::WrongAudience);
  EXPECT_EQ(v.verifyConnectToken(craftHs256("{}"), kNow).error, TokenError::WrongAudience);
  EXPECT_EQ(v.verifyConnectToken(craftHs256(R"({"aud":["herald",1]})"), kNow).error, TokenError::Malformed);
  // Without a required audience any `aud` is fine.
  EXPECT_TRUE(connect(R"({"aud":["x","y"]})").ok());
  EXPECT_EQ(connect(R"({"aud":["x","y"]})").claims.aud.size(), 2u);
}

TEST(TokenClaimsTest, IssuerMustMatchWhenRequired) {
  VerifierConfig c = allKeys();
  c.issuer = "https://app.example";
  const TokenVerifier v(c);
  EXPECT_TRUE(v.verifyConnectToken(craftHs256(R"({"iss":"https://app.example"})"), kNow).ok());
  EXPECT_EQ(v.verifyConnectToken(craftHs256(R"({"iss":"https://evil.example"})"), kNow).error,
            TokenError::WrongIssuer);
  EXPECT_EQ(v.verifyConnectToken(craftHs256("{}"), kNow).error, TokenError::WrongIssuer);
}

TEST(TokenClaimsTest, RefusesIllTypedAndDuplicateClaims) {
  for (std::string_view payload : {
           R"({"sub":42})", R"({"sub":["a"]})", R"({"iss":1})", R"({"jti":{}})", R"({"channel":1})",
           R"({"b64info":1})", R"({"sub":"a","sub":"b"})", R"({"sub":"a","s\u0075b":"b"})",
           R"({"exp":1800000000,"exp":1})"}) {
    const VerifyResult r = connect(payload);
    EXPECT_EQ(r.error, TokenError::Malformed) << payload;
    EXPECT_FALSE(r.reason.empty());
  }
}

TEST(TokenClaimsTest, IgnoresUnknownClaimsAndReadsEscapedKeys) {
  const VerifyResult r = connect(R"({"x-custom":{"deep":[null,false,1e5]},"\u0073ub":"bob","https://a/b":1})");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.sub, "bob");
}

TEST(TokenClaimsTest, SubscriptionTokensNeedAChannel) {
  const TokenVerifier& v = verifierWithAllKeys();
  const std::string token = craftHs256(
      R"({"sub":"42","channel":"secret:room","client":"c-1","info":{"r":1},"b64data":"eA==","override":{"recover":{"value":true}},"expire_at":1700000900})");
  VerifyResult r = v.verifySubscriptionToken(token, kNow);
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.channel, "secret:room");
  EXPECT_EQ(r.claims.client, "c-1");
  EXPECT_EQ(r.claims.info, R"({"r":1})");
  EXPECT_EQ(r.claims.data, "x");
  EXPECT_EQ(r.claims.overrides, R"({"recover":{"value":true}})");
  EXPECT_EQ(r.claims.expiresAt(), 1700000900);
  EXPECT_TRUE(v.verifySubscriptionToken(token, kNow, "secret:room").ok());

  r = v.verifySubscriptionToken(token, kNow, "secret:other");
  EXPECT_EQ(r.error, TokenError::ChannelMismatch);
  EXPECT_NE(r.reason.find("secret:other"), std::string::npos) << r.reason;
  EXPECT_EQ(v.verifySubscriptionToken(craftHs256(R"({"sub":"42"})"), kNow).error, TokenError::MissingChannel);
  EXPECT_EQ(v.verifySubscriptionToken(craftHs256(R"({"channel":""})"), kNow, "x").error, TokenError::MissingChannel);
  // Expiry still comes first.
  EXPECT_EQ(v.verifySubscriptionToken(craftHs256(R"({"exp":1})"), kNow).error, TokenError::Expired);
  // A connection token may carry `channel`; it is just another claim there.
  EXPECT_TRUE(v.verifyConnectToken(token, kNow).ok());
}

}  // namespace
}  // namespace herald::auth
