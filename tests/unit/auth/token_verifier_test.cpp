// TokenVerifier and signatures: each algorithm end to end, tampering, alg
// none and unknown algorithms, key confusion, and configuration errors.

#include "herald/auth/token_verifier.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <stdexcept>
#include <string>

#include "herald/auth/claims.hpp"
#include "herald/auth/token_signer.hpp"
#include "token_support.hpp"

namespace herald::auth {
namespace {

using namespace test;

constexpr Algorithm kAll[] = {Algorithm::HS256, Algorithm::RS256, Algorithm::ES256};

class EachAlgorithm : public ::testing::TestWithParam<Algorithm> {};

INSTANTIATE_TEST_SUITE_P(TokenVerifierTest, EachAlgorithm, ::testing::ValuesIn(kAll),
                         [](const auto& info) { return std::string(algorithmName(info.param)); });

TEST_P(EachAlgorithm, VerifiesItsOwnToken) {
  const std::string token = mint(GetParam(), R"({"sub":"alice","exp":1700000100,"info":{"name":"Alice"}})");
  const VerifyResult r = verifierWithAllKeys().verifyConnectToken(token, kNow);
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.algorithm, GetParam());
  EXPECT_EQ(r.claims.sub, "alice");
  EXPECT_EQ(r.claims.exp, 1700000100);
  EXPECT_EQ(r.claims.info, R"({"name":"Alice"})");
  EXPECT_TRUE(r.reason.empty());
}

TEST_P(EachAlgorithm, VerifiesWhenOnlyItsKeyIsConfigured) {
  VerifierConfig c;
  if (GetParam() == Algorithm::HS256) c.hmacSecret = std::string(kSecret);
  if (GetParam() == Algorithm::RS256) c.rsaPublicKey = rsaKeys().publicPem;
  if (GetParam() == Algorithm::ES256) c.ecdsaPublicKey = ecKeys().publicPem;
  const TokenVerifier v(c);
  for (Algorithm other : kAll) EXPECT_EQ(v.accepts(other), other == GetParam());
  EXPECT_TRUE(v.verifyConnectToken(mint(GetParam(), R"({"sub":"u"})"), kNow).ok());
  for (Algorithm other : kAll) {
    if (other == GetParam()) continue;
    const VerifyResult r = v.verifyConnectToken(mint(other, R"({"sub":"u"})"), kNow);
    EXPECT_EQ(r.error, TokenError::UnsupportedAlgorithm) << algorithmName(other);
    EXPECT_NE(r.reason.find("not enabled"), std::string::npos) << r.reason;
  }
}

TEST_P(EachAlgorithm, RefusesAnotherKeysSignature) {
  VerifierConfig c;
  c.hmacSecret = "another secret";
  c.rsaPublicKey = otherRsaKeys().publicPem;
  c.ecdsaPublicKey = otherEcKeys().publicPem;
  const TokenVerifier v(c);
  EXPECT_EQ(v.verifyConnectToken(mint(GetParam(), R"({"sub":"u"})"), kNow).error, TokenError::InvalidSignature);
}

TEST_P(EachAlgorithm, RefusesATamperedPayload) {
  const Parts good = split(mint(GetParam(), R"({"sub":"alice"})"));
  Parts evil = good;
  evil.payload = base64UrlEncode(R"({"sub":"admin"})");
  const VerifyResult r = verifierWithAllKeys().verifyConnectToken(join(evil), kNow);
  EXPECT_EQ(r.error, TokenError::InvalidSignature);
  EXPECT_TRUE(r.claims.sub.empty());  // nothing of a refused token is handed out
  // A changed header is as bad.
  evil = good;
  evil.header = base64UrlEncode(R"({"alg":")" + std::string(algorithmName(GetParam())) + R"("})");
  EXPECT_EQ(verifierWithAllKeys().verifyConnectToken(join(evil), kNow).error, TokenError::InvalidSignature);
}

TEST_P(EachAlgorithm, RefusesEveryFlippedSignatureBit) {
  const Parts good = split(mint(GetParam(), R"({"sub":"alice"})"));
  const std::string signature = *base64UrlDecode(good.signature);
  for (std::size_t bit = 0; bit < signature.size() * 8; bit += 7) {
    std::string bad = signature;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    Parts evil = good;
    evil.signature = base64UrlEncode(bad);
    EXPECT_EQ(verifierWithAllKeys().verifyConnectToken(join(evil), kNow).error, TokenError::InvalidSignature) << bit;
  }
}

TEST_P(EachAlgorithm, RefusesTruncatedAndEmptySignatures) {
  const Parts good = split(mint(GetParam(), R"({"sub":"alice"})"));
  const std::string signature = *base64UrlDecode(good.signature);
  for (std::string bad : {std::string(), signature.substr(0, signature.size() - 1), signature + '\0'}) {
    Parts evil = good;
    evil.signature = base64UrlEncode(bad);
    EXPECT_EQ(verifierWithAllKeys().verifyConnectToken(join(evil), kNow).error, TokenError::InvalidSignature);
  }
}

TEST(TokenVerifierTest, Es256SignatureIsRawRAndS) {
  for (int i = 0; i < 20; ++i) {  // R or S with leading zero bytes still take 32 bytes each
    const Parts p = split(mint(Algorithm::ES256, R"({"sub":")" + std::to_string(i) + R"("})"));
    EXPECT_EQ(base64UrlDecode(p.signature)->size(), 64u);
  }
  EXPECT_EQ(base64UrlDecode(split(mint(Algorithm::RS256, "{}")).signature)->size(), 256u);
  EXPECT_EQ(base64UrlDecode(split(mint(Algorithm::HS256, "{}")).signature)->size(), 32u);
}

TEST(TokenVerifierTest, Es256RefusesZeroAndOutOfRangeRAndS) {
  const Parts good = split(mint(Algorithm::ES256, R"({"sub":"alice"})"));
  for (std::string bad : {std::string(64, '\0'), std::string(64, '\xff')}) {
    Parts evil = good;
    evil.signature = base64UrlEncode(bad);
    EXPECT_EQ(verifierWithAllKeys().verifyConnectToken(join(evil), kNow).error, TokenError::InvalidSignature);
  }
}

TEST(TokenVerifierTest, RefusesAlgNoneInEverySpelling) {
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})";
    for (const std::string& signature : {std::string(), base64UrlEncode(hmac(kSecret, "x"))}) {
      const std::string token = base64UrlEncode(header) + "." + base64UrlEncode(R"({"sub":"admin"})") + "." + signature;
      const VerifyResult r = verifierWithAllKeys().verifyConnectToken(token, kNow);
      EXPECT_EQ(r.error, TokenError::UnsupportedAlgorithm) << alg;
      EXPECT_NE(r.reason.find(alg), std::string::npos) << r.reason;
    }
  }
}

TEST(TokenVerifierTest, RefusesUnknownAlgorithms) {
  for (const char* alg : {"HS384", "HS512", "RS384", "PS256", "ES256K", "EdDSA", "hs256", "HS256 ", ""}) {
    const std::string token = craftHs256(std::string(R"({"alg":")") + alg + R"("})", R"({"sub":"u"})");
    EXPECT_EQ(verifierWithAllKeys().verifyConnectToken(token, kNow).error, TokenError::UnsupportedAlgorithm) << alg;
  }
}

// The classic confusion: the attacker signs HS256 with the server's public
// key text as the HMAC secret, hoping it is fed to HMAC as a secret.
TEST(TokenVerifierTest, RefusesHs256SignedWithThePublicKeyWhenOnlyRsaIsConfigured) {
  for (const KeyPair* keys : {&rsaKeys(), &ecKeys()}) {
    VerifierConfig c;
    (keys == &rsaKeys() ? c.rsaPublicKey : c.ecdsaPublicKey) = keys->publicPem;
    const TokenVerifier v(c);
    const std::string token = signToken(Algorithm::HS256, R"({"sub":"admin"})", keys->publicPem);
    const VerifyResult r = v.verifyConnectToken(token, kNow);
    EXPECT_EQ(r.error, TokenError::UnsupportedAlgorithm);
    EXPECT_NE(r.reason.find("HS256"), std::string::npos) << r.reason;
  }
}

TEST(TokenVerifierTest, RefusesHs256SignedWithThePublicKeyWhenHmacIsConfiguredToo) {
  const TokenVerifier& v = verifierWithAllKeys();
  for (const KeyPair* keys : {&rsaKeys(), &ecKeys()}) {
    const std::string token = signToken(Algorithm::HS256, R"({"sub":"admin"})", keys->publicPem);
    EXPECT_EQ(v.verifyConnectToken(token, kNow).error, TokenError::InvalidSignature);
  }
}

TEST(TokenVerifierTest, RefusesAPublicKeyPastedAsTheHmacSecret) {
  VerifierConfig c;
  c.hmacSecret = rsaKeys().publicPem;
  try {
    TokenVerifier v(c);
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("PEM"), std::string::npos) << e.what();
  }
}

TEST(TokenVerifierTest, RefusesRsaAndEs256TokensWithTheOtherKeyKind) {
  // An RS256 header over an ES256 signature and the reverse: the key kind
  // follows the header, and the signature does not fit it.
  Parts es = split(mint(Algorithm::ES256, R"({"sub":"u"})"));
  Parts rs = split(mint(Algorithm::RS256, R"({"sub":"u"})"));
  std::swap(es.signature, rs.signature);
  EXPECT_EQ(verifierWithAllKeys().verifyConnectToken(join(es), kNow).error, TokenError::InvalidSignature);
  EXPECT_EQ(verifierWithAllKeys().verifyConnectToken(join(rs), kNow).error, TokenError::InvalidSignature);
}

std::string configError(const VerifierConfig& c) {
  try {
    TokenVerifier v(c);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(TokenVerifierTest, ConfigurationWithABadKeyThrowsAReadableError) {
  VerifierConfig c;
  c.rsaPublicKey = "not a key";
  EXPECT_NE(configError(c).find("RSA public key"), std::string::npos) << configError(c);
  c.rsaPublicKey = ecKeys().publicPem;
  EXPECT_NE(configError(c).find("RSA public key"), std::string::npos);
  c = {};
  c.ecdsaPublicKey = rsaKeys().publicPem;
  EXPECT_NE(configError(c).find("ECDSA public key"), std::string::npos);
  c.ecdsaPublicKey = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  EXPECT_FALSE(configError(c).empty());
  EXPECT_EQ(ERR_peek_error(), 0u);  // the error queue is left clean
}

TEST(TokenVerifierTest, RefusesWeakRsaAndOtherCurves) {
  VerifierConfig c;
  c.rsaPublicKey = makeKeyPair("RSA", std::size_t{1024}).publicPem;
  EXPECT_NE(configError(c).find("1024"), std::string::npos) << configError(c);
  c = {};
  c.ecdsaPublicKey = makeKeyPair("EC", "P-384").publicPem;
  EXPECT_NE(configError(c).find("P-256"), std::string::npos) << configError(c);
}

TEST(TokenVerifierTest, AcceptsPkcs1RsaPublicKeys) {
  BIO* in = BIO_new_mem_buf(rsaKeys().publicPem.data(), static_cast<int>(rsaKeys().publicPem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  ASSERT_NE(key, nullptr);
  OSSL_ENCODER_CTX* ctx = OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific", nullptr);
  unsigned char* data = nullptr;
  std::size_t len = 0;
  ASSERT_EQ(OSSL_ENCODER_to_data(ctx, &data, &len), 1);
  const std::string pkcs1(reinterpret_cast<char*>(data), len);
  OPENSSL_free(data);
  OSSL_ENCODER_CTX_free(ctx);
  EVP_PKEY_free(key);
  ASSERT_NE(pkcs1.find("BEGIN RSA PUBLIC KEY"), std::string::npos) << pkcs1;

  VerifierConfig c;
  c.rsaPublicKey = pkcs1;
  const TokenVerifier v(c);
  EXPECT_TRUE(v.verifyConnectToken(mint(Algorithm::RS256, R"({"sub":"u"})"), kNow).ok());
}

TEST(TokenVerifierTest, AnEmptyConfigurationAcceptsNothing) {
  const TokenVerifier v(VerifierConfig{});
  for (Algorithm alg : kAll) {
    EXPECT_FALSE(v.accepts(alg));
    EXPECT_EQ(v.verifyConnectToken(mint(alg, "{}"), kNow).error, TokenError::UnsupportedAlgorithm);
  }
}

// RFC 7515 appendix A.1: an HS256 JWS from the specification itself, with
// CR LF inside its header and payload and the key given as a JWK.
TEST(TokenVerifierTest, VerifiesTheRfc7515Example) {
  VerifierConfig c;
  c.hmacSecret = *base64UrlDecode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  const TokenVerifier v(c);
  const std::string token =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
      ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const VerifyResult r = v.verifyConnectToken(token, 1300819379);
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.iss, "joe");
  EXPECT_EQ(r.claims.exp, 1300819380);
  EXPECT_EQ(v.verifyConnectToken(token, 1300819380).error, TokenError::Expired);
}

TEST(TokenVerifierTest, LeavesOpenSslErrorQueueEmpty) {
  ERR_clear_error();
  Parts p = split(mint(Algorithm::ES256, "{}"));
  p.signature = base64UrlEncode(std::string(64, '\x7f'));
  EXPECT_FALSE(verifierWithAllKeys().verifyConnectToken(join(p), kNow).ok());
  p = split(mint(Algorithm::RS256, "{}"));
  p.signature = base64UrlEncode(std::string(256, '\x7f'));
  EXPECT_FALSE(verifierWithAllKeys().verifyConnectToken(join(p), kNow).ok());
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TokenVerifierTest, NamesEveryError) {
  for (TokenError e : {TokenError::None, TokenError::Malformed, TokenError::UnsupportedAlgorithm,
                       TokenError::InvalidSignature, TokenError::Expired, TokenError::NotYetValid,
                       TokenError::WrongAudience, TokenError::WrongIssuer, TokenError::MissingChannel,
                       TokenError::ChannelMismatch})
    EXPECT_NE(tokenErrorName(e), "unknown");
  EXPECT_TRUE(isTokenExpired(TokenError::Expired));
  EXPECT_TRUE(isTokenExpired(TokenError::NotYetValid));
  EXPECT_FALSE(isTokenExpired(TokenError::InvalidSignature));
}

}  // namespace
}  // namespace herald::auth
