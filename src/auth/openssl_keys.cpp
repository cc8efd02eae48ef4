// Keys, HMAC and signatures through OpenSSL 3's EVP and decoder APIs (no
// deprecated RSA_* / EC_KEY_* calls), see openssl_keys.hpp.
//
// ES256: JWS carries the signature as R || S, each a 32-byte big-endian
// integer (RFC 7518 section 3.4), where OpenSSL speaks DER's
// ECDSA-Sig-Value SEQUENCE { r INTEGER, s INTEGER }; the two are converted
// through ECDSA_SIG.

#include "openssl_keys.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <stdexcept>

namespace herald::auth::detail {

namespace {

// OpenSSL's reasons for the last failure, and an empty queue afterwards.
std::string drainErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

[[noreturn]] void fail(std::string message) {
  const std::string why = drainErrors();
  if (!why.empty()) message += " (" + why + ")";
  throw std::runtime_error(message);
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using EcdsaSig = std::unique_ptr<ECDSA_SIG, SigFree>;

const char* keyType(Algorithm alg) { return alg == Algorithm::RS256 ? "RSA" : "EC"; }

// Whether `key` is of the kind `alg` needs, else why not.
std::string misfit(EVP_PKEY* key, Algorithm alg) {
  if (alg == Algorithm::RS256) {
    if (!EVP_PKEY_is_a(key, "RSA")) return "not an RSA key";
    if (EVP_PKEY_get_bits(key) < kMinRsaBits)
      return "an RSA key of " + std::to_string(EVP_PKEY_get_bits(key)) + " bits, under the 2048 required";
    return {};
  }
  if (!EVP_PKEY_is_a(key, "EC")) return "not an EC key";
  char group[64] = {};
  std::size_t len = 0;
  if (!EVP_PKEY_get_group_name(key, group, sizeof group, &len)) return "an EC key without a named curve";
  const std::string_view name(group, len);
  if (name != "prime256v1" && name != "P-256")
    return "an EC key on " + std::string(name) + ", ES256 needs P-256";
  return {};
}

Pkey decode(std::string_view pem, Algorithm alg, int selection, std::string_view what) {
  if (alg == Algorithm::HS256) throw std::runtime_error(std::string(what) + ": HS256 takes a secret, not a key");
  if (pem.empty()) throw std::runtime_error(std::string(what) + ": empty");
  EVP_PKEY* raw = nullptr;
  OSSL_DECODER_CTX* ctx =
      OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, keyType(alg), selection, nullptr, nullptr);
  if (!ctx) fail(std::string(what) + ": cannot set up the PEM decoder");
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t left = pem.size();
  const int ok = OSSL_DECODER_from_data(ctx, &data, &left);
  OSSL_DECODER_CTX_free(ctx);
  Pkey key(raw);
  if (!ok || !key)
    fail(std::string(what) + ": not a PEM " + keyType(alg) + " " +
         (selection == EVP_PKEY_KEYPAIR ? "private" : "public") + " key");
  if (std::string why = misfit(key.get(), alg); !why.empty()) fail(std::string(what) + ": " + why);
  ERR_clear_error();
  return key;
}

}  // namespace

Pkey loadPublicKey(std::string_view pem, Algorithm alg, std::string_view what) {
  return decode(pem, alg, EVP_PKEY_PUBLIC_KEY, what);
}

Pkey loadPrivateKey(std::string_view pem, Algorithm alg, std::string_view what) {
  return decode(pem, alg, EVP_PKEY_KEYPAIR, what);
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  static const unsigned char kNoKey = 0;  // HMAC() wants a pointer even for an empty key
  const unsigned char* k = key.empty() ? &kNoKey : reinterpret_cast<const unsigned char*>(key.data());
  if (!HMAC(EVP_sha256(), k, static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), md, &len)) {
    ERR_clear_error();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

bool verify(EVP_PKEY* key, Algorithm alg, std::string_view input, std::string_view signature) {
  std::string der;
  if (alg == Algorithm::ES256) {
    if (signature.size() != kEs256SignatureBytes) return false;
    const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
    EcdsaSig es(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(sig, 32, nullptr);
    BIGNUM* s = BN_bin2bn(sig + 32, 32, nullptr);
    if (!es || !r || !s || !ECDSA_SIG_set0(es.get(), r, s)) {
      BN_free(r);
      BN_free(s);
      ERR_clear_error();
      return false;
    }
    unsigned char* out = nullptr;
    const int n = i2d_ECDSA_SIG(es.get(), &out);
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    der.assign(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
    OPENSSL_free(out);
    signature = der;
  } else if (alg == Algorithm::RS256) {
    if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key))) return false;
  } else {
    return false;
  }
  MdCtx ctx(EVP_MD_CTX_new());
  const bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                                   signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                                   input.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::string sign(EVP_PKEY* key, Algorithm alg, std::string_view input) {
  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1)
    fail("cannot sign the token");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) != 1)
    fail("cannot sign the token");
  sig.resize(len);
  if (alg != Algorithm::ES256) return sig;

  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  EcdsaSig es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!es) fail("cannot read OpenSSL's ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(es.get(), &r, &s);
  std::string raw(kEs256SignatureBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32)
    fail("cannot write the ECDSA signature");
  return raw;
}

}  // namespace herald::auth::detail
