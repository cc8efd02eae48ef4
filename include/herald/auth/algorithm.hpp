#pragma once
// The JWS algorithms Herald signs and verifies tokens with (RFC 7518 section 3).
//
// Each algorithm needs its own kind of key, and the verifier accepts a token's
// `alg` only when a key of that kind is configured: HS256 is checked with the
// HMAC secret and nothing else, RS256 with the RSA public key, ES256 with the
// P-256 public key. `none` and every other name are refused.

#include <optional>
#include <string_view>

namespace herald::auth {

enum class Algorithm {
  HS256,  // HMAC with SHA-256, a shared secret
  RS256,  // RSASSA-PKCS1-v1_5 with SHA-256, RSA key of at least 2048 bits
  ES256,  // ECDSA on P-256 with SHA-256; the JWS signature is R || S, 64 bytes
};

// The name in a JWS header: "HS256", "RS256", "ES256".
constexpr std::string_view algorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::HS256: return "HS256";
    case Algorithm::RS256: return "RS256";
    case Algorithm::ES256: return "ES256";
  }
  return "";
}

// The algorithm of a JWS `alg` value, compared exactly (names are
// case-sensitive); nullopt for "none" and for every algorithm Herald lacks.
constexpr std::optional<Algorithm> algorithmFromName(std::string_view name) {
  for (Algorithm a : {Algorithm::HS256, Algorithm::RS256, Algorithm::ES256})
    if (algorithmName(a) == name) return a;
  return std::nullopt;
}

}  // namespace herald::auth
