#pragma once
// Minting tokens: `herald token` (development tokens) and the tests.
//
// The key and the claims are the operator's (or a test's) input, so bad ones
// throw std::invalid_argument / std::runtime_error with a readable message,
// unlike verification (token_verifier.hpp), which never throws.
//
// The header written is {"alg":"<alg>","typ":"JWT"}; the claims JSON is used
// byte for byte as the payload (build it with buildClaimsJson, claims.hpp).
// ES256 signatures are written as JWS wants them, R || S in 64 bytes, not
// in OpenSSL's DER.

#include <memory>
#include <string>
#include <string_view>

#include "herald/auth/algorithm.hpp"

namespace herald::auth {

class TokenSigner {
 public:
  // `key`: HS256, the secret's bytes (not empty); RS256 / ES256, a private
  // key in PEM (PKCS#8 "PRIVATE KEY", or "RSA PRIVATE KEY" / "EC PRIVATE
  // KEY"), of the kind the algorithm needs. Throws std::runtime_error
  // otherwise.
  TokenSigner(Algorithm alg, std::string_view key);
  ~TokenSigner();
  TokenSigner(TokenSigner&&) noexcept;
  TokenSigner& operator=(TokenSigner&&) noexcept;

  Algorithm algorithm() const;

  // A signed compact JWS of `claimsJson`. Throws std::invalid_argument when
  // `claimsJson` is not a JSON object.
  std::string sign(std::string_view claimsJson) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One token, for when the key is used once: TokenSigner(alg, key).sign(claims).
std::string signToken(Algorithm alg, std::string_view claimsJson, std::string_view key);

}  // namespace herald::auth
