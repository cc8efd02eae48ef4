#pragma once
// The OpenSSL 3 side of herald_auth: loading keys from PEM, HMAC, and
// signing and verifying with RSA and ECDSA keys, for TokenVerifier and
// TokenSigner. OpenSSL types stay out of the public headers.
//
// Loading keys is configuration: the load*() functions throw
// std::runtime_error with OpenSSL's reason. Verifying is on untrusted input:
// verify() returns false for every failure and never throws. Every function
// leaves OpenSSL's (thread-local) error queue empty, so a failure here never
// shows up later in an unrelated ERR_get_error(), e.g. in the TLS code.

#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "herald/auth/algorithm.hpp"

namespace herald::auth::detail {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline constexpr std::size_t kHmacSha256Bytes = 32;
inline constexpr std::size_t kEs256SignatureBytes = 64;  // R || S, 32 bytes each
inline constexpr int kMinRsaBits = 2048;

// A public key for RS256 (RSA, at least kMinRsaBits) or ES256 (EC on
// P-256), from PEM text: SubjectPublicKeyInfo ("PUBLIC KEY"), or for RSA
// also PKCS#1 ("RSA PUBLIC KEY"). `what` names the key in the message.
Pkey loadPublicKey(std::string_view pem, Algorithm alg, std::string_view what);

// A private key for RS256 or ES256 from PEM (PKCS#8, or the traditional
// "RSA PRIVATE KEY" / "EC PRIVATE KEY"); unencrypted only.
Pkey loadPrivateKey(std::string_view pem, Algorithm alg, std::string_view what);

// HMAC-SHA-256 of `data` under `key` (32 bytes).
std::string hmacSha256(std::string_view key, std::string_view data);

// Whether `signature` (JWS form: raw R || S for ES256) signs `input` under
// `key` with `alg` (RS256 or ES256).
bool verify(EVP_PKEY* key, Algorithm alg, std::string_view input, std::string_view signature);

// The JWS signature of `input` (RS256 or ES256). Throws std::runtime_error
// when OpenSSL fails.
std::string sign(EVP_PKEY* key, Algorithm alg, std::string_view input);

}  // namespace herald::auth::detail
