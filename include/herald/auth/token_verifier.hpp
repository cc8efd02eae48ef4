#pragma once
// Verifying Centrifugo connection and subscription tokens (JWS compact
// serialization, RFC 7515; JWT claims, RFC 7519).
//
// Two kinds of failure, two conventions (STYLE.md point 5):
//   - configuration (keys, audience, issuer) is the operator's: the
//     constructor throws std::runtime_error with a readable message when a key
//     does not parse or does not fit its algorithm, so `herald serve` stops
//     at startup;
//   - tokens are the clients': verify*() never throws (allocation failure
//     aside) and returns the claims, or an error kind and a one-line reason
//     meant for the server's log, never for the client.
//
// What a token must pass, in this order (the first failure is reported):
//   1. at most kMaxTokenBytes, three base64url segments (no padding), a
//      header that is a JSON object whose `alg` is a string, no `crit`;
//      else Malformed;
//   2. `alg` one of HS256, RS256, ES256 *and* a key of that kind configured;
//      else UnsupportedAlgorithm. So `none` is refused, and an HS256 token is
//      checked against the HMAC secret only, never against the bytes of an
//      RSA or EC public key (the "key confusion" attack);
//   3. the signature over `header.payload`, compared in constant time for
//      HMAC; else InvalidSignature;
//   4. a payload that is a JSON object with well-typed claims (claims.hpp);
//      else Malformed;
//   5. exp > now, else Expired; nbf <= now, else NotYetValid;
//   6. the configured audience among `aud`, else WrongAudience; the
//      configured issuer equal to `iss`, else WrongIssuer;
//   7. subscription tokens: a non-empty `channel`, else MissingChannel; and,
//      when the caller names the channel, that one, else ChannelMismatch.
//
// Time is injected: `now` is Unix seconds, the verifier reads no clock.
//
// Mapping to the client protocol (the server's job; herald_auth does not
// link herald_proto): Expired and NotYetValid are Centrifugo's "token
// expired" (error 109 on connect/subscribe, disconnect 3005 on refresh),
// after which a client fetches a new token -- Centrifugo reports a failed
// `nbf` the same way; every other error is "unauthorized" (101), or
// disconnect 3500 "invalid token".
//
// A TokenVerifier is immutable after construction; verify*() are const and
// may be called from any number of threads at once.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "herald/auth/algorithm.hpp"
#include "herald/auth/claims.hpp"

namespace herald::auth {

// Longer tokens are refused as Malformed before anything is decoded.
inline constexpr std::size_t kMaxTokenBytes = 16 * 1024;

enum class TokenError {
  None,
  Malformed,             // not a JWS, bad base64url or JSON, ill-typed claims, too long
  UnsupportedAlgorithm,  // alg none, unknown, or no key of its kind configured
  InvalidSignature,      // the signature does not match
  Expired,               // exp <= now
  NotYetValid,           // nbf > now
  WrongAudience,         // a required audience is not in `aud`
  WrongIssuer,           // a required issuer is not `iss`
  MissingChannel,        // a subscription token without `channel`
  ChannelMismatch,       // a subscription token for another channel
};

std::string_view tokenErrorName(TokenError e);

// Whether a client may recover by fetching a fresh token (see above).
constexpr bool isTokenExpired(TokenError e) {
  return e == TokenError::Expired || e == TokenError::NotYetValid;
}

struct VerifyResult {
  TokenError error = TokenError::None;
  std::string reason;  // one line, for logs; empty when ok()
  Claims claims;       // meaningful only when ok()
  // The algorithm the token was checked with, once step 2 passed.
  std::optional<Algorithm> algorithm;

  bool ok() const { return error == TokenError::None; }
};

struct VerifierConfig {
  // Any of the three may be empty; an empty one disables its algorithm.
  std::string hmacSecret;     // HS256; raw bytes of the secret
  std::string rsaPublicKey;   // RS256; PEM, "PUBLIC KEY" or "RSA PUBLIC KEY"
  std::string ecdsaPublicKey; // ES256; PEM "PUBLIC KEY" of a P-256 key
  // When not empty, tokens must carry this audience / this issuer.
  std::string audience;
  std::string issuer;
};

class TokenVerifier {
 public:
  // Throws std::runtime_error when a PEM does not parse, holds the wrong
  // kind of key (or an RSA key under 2048 bits, an EC key not on P-256), or
  // the HMAC secret holds PEM text (a public key pasted as the secret would
  // make HS256 tokens forgeable by anyone who has it).
  explicit TokenVerifier(VerifierConfig config);
  ~TokenVerifier();
  TokenVerifier(TokenVerifier&&) noexcept;
  TokenVerifier& operator=(TokenVerifier&&) noexcept;

  // Whether tokens of this algorithm can be verified (its key is configured).
  bool accepts(Algorithm alg) const;

  // A connection token: steps 1-6 above.
  VerifyResult verifyConnectToken(std::string_view token, std::int64_t now) const;

  // A subscription token: steps 1-7. With an empty `channel` only the
  // presence of the claim is checked; otherwise it must equal `channel`.
  // (Whether `sub` and `client` match the connection is for the caller.)
  VerifyResult verifySubscriptionToken(std::string_view token, std::int64_t now,
                                       std::string_view channel = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::auth
