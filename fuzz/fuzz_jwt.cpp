// libFuzzer target: TokenVerifier on arbitrary bytes (herald_auth).
//
// Tokens are whole strings (a connect or subscribe command's `token`), so
// the input is not cut into chunks. A random input almost never carries a
// valid signature, which would leave the claims reader unreached; so each
// input is used three ways:
//   1. as a token, against a verifier with an HS256 secret and an ES256
//      public key configured;
//   2. as the claims set of a token the fuzzer signs with that secret (when
//      it is a JSON object), so the reader sees every JSON the fuzzer finds;
//   3. as the JOSE header of such a token.
//
// Checks: nothing crashes, leaks or throws (ASan/UBSan; an exception escaping
// libFuzzer aborts); ok() exactly when the reason is empty; a token over
// kMaxTokenBytes is Malformed; verifying twice gives the same answer; a
// token we signed over a JSON object is never refused for its signature or
// its algorithm; an accepted token's algorithm is one with a key configured;
// and a token accepted as a subscription token has a channel.

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "herald/auth/base64.hpp"
#include "herald/auth/token_signer.hpp"
#include "herald/auth/token_verifier.hpp"

namespace {

using namespace herald::auth;

constexpr std::string_view kSecret = "herald-fuzz-secret";

// A P-256 public key made once per process: inputs cannot hold a valid
// ES256 signature anyway, the key is there so ES256 headers reach ECDSA.
std::string makeEcPublicKey() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

const TokenVerifier& verifier() {
  static const TokenVerifier v([] {
    VerifierConfig c;
    c.hmacSecret = std::string(kSecret);
    c.ecdsaPublicKey = makeEcPublicKey();
    return c;
  }());
  return v;
}

const TokenSigner& signer() {
  static const TokenSigner s(Algorithm::HS256, kSecret);
  return s;
}

constexpr std::int64_t kNow = 1'700'000'000;

void checkResult(const VerifyResult& r, std::string_view token, bool subscription) {
  HERALD_FUZZ_CHECK(r.ok() == r.reason.empty(), "error %d with reason '%s'", int(r.error), r.reason.c_str());
  if (token.size() > kMaxTokenBytes) HERALD_FUZZ_CHECK(r.error == TokenError::Malformed, "long token accepted");
  if (r.ok()) {
    HERALD_FUZZ_CHECK(r.algorithm && (*r.algorithm == Algorithm::HS256 || *r.algorithm == Algorithm::ES256),
                      "accepted with an algorithm that has no key");
    if (subscription) HERALD_FUZZ_CHECK(!r.claims.channel.empty(), "subscription token without channel");
  }
}

VerifyResult verifyBoth(std::string_view token) {
  const VerifyResult a = verifier().verifyConnectToken(token, kNow);
  checkResult(a, token, false);
  const VerifyResult b = verifier().verifyConnectToken(token, kNow);
  HERALD_FUZZ_CHECK(a.error == b.error && a.reason == b.reason, "second verify differs");
  const VerifyResult s = verifier().verifySubscriptionToken(token, kNow);
  checkResult(s, token, true);
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);

  // 1. The input as a token.
  verifyBoth(input);

  // 2. The input as the claims of a well-signed token.
  std::string token;
  try {
    token = signer().sign(input);
  } catch (const std::invalid_argument&) {
    token.clear();  // not a JSON object: nothing to sign
  }
  if (!token.empty()) {
    const VerifyResult r = verifyBoth(token);
    HERALD_FUZZ_CHECK(r.error != TokenError::InvalidSignature && r.error != TokenError::UnsupportedAlgorithm,
                      "own token refused: %s", r.reason.c_str());
  }

  // 3. The input as the header of a token signed with the secret.
  std::string crafted = base64UrlEncode(input) + "." + base64UrlEncode(R"({"sub":"fuzz"})");
  const std::string mac = [&] {
    // TokenSigner writes its own header, so this MAC is computed here.
    unsigned char md[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, kSecret.data(), kSecret.size(),
              reinterpret_cast<const unsigned char*>(crafted.data()), crafted.size(), md, sizeof md, &len);
    return std::string(reinterpret_cast<const char*>(md), len);
  }();
  crafted += "." + base64UrlEncode(mac);
  const VerifyResult h = verifyBoth(crafted);
  if (h.ok()) HERALD_FUZZ_CHECK(*h.algorithm == Algorithm::HS256, "crafted header accepted with another alg");
  return 0;
}
