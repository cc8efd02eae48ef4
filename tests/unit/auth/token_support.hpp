#pragma once
// Helpers of the token tests: verifiers with the generated keys, and tokens
// crafted byte by byte (any header, any payload), signed independently of
// TokenSigner with OpenSSL's HMAC, so a test can write what no honest
// signer would (alg none, crit, duplicate claims).

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>

#include "herald/auth/base64.hpp"
#include "herald/auth/token_signer.hpp"
#include "herald/auth/token_verifier.hpp"
#include "test_keys.hpp"

namespace herald::auth::test {

inline constexpr std::int64_t kNow = 1'700'000'000;
inline constexpr std::string_view kSecret = "a secret of thirty-two bytes....";

inline std::string hmac(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

// header.payload.HMAC-SHA256(secret), the JSON texts taken as they are.
inline std::string craftHs256(std::string_view header, std::string_view payload, std::string_view secret = kSecret) {
  std::string input = base64UrlEncode(header) + "." + base64UrlEncode(payload);
  return input + "." + base64UrlEncode(hmac(secret, input));
}

inline std::string craftHs256(std::string_view payload) {
  return craftHs256(R"({"alg":"HS256","typ":"JWT"})", payload);
}

inline VerifierConfig allKeys() {
  VerifierConfig c;
  c.hmacSecret = std::string(kSecret);
  c.rsaPublicKey = rsaKeys().publicPem;
  c.ecdsaPublicKey = ecKeys().publicPem;
  return c;
}

inline const TokenVerifier& verifierWithAllKeys() {
  static const TokenVerifier v(allKeys());
  return v;
}

inline std::string mint(Algorithm alg, std::string_view claims) {
  switch (alg) {
    case Algorithm::HS256: return signToken(alg, claims, kSecret);
    case Algorithm::RS256: return signToken(alg, claims, rsaKeys().privatePem);
    case Algorithm::ES256: return signToken(alg, claims, ecKeys().privatePem);
  }
  return {};
}

// The three segments of a compact token.
struct Parts {
  std::string header, payload, signature;
};

inline Parts split(std::string_view token) {
  const auto a = token.find('.');
  const auto b = token.find('.', a + 1);
  return {std::string(token.substr(0, a)), std::string(token.substr(a + 1, b - a - 1)),
          std::string(token.substr(b + 1))};
}

inline std::string join(const Parts& p) { return p.header + "." + p.payload + "." + p.signature; }

}  // namespace herald::auth::test
