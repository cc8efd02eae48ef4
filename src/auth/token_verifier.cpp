// TokenVerifier: the steps of token_verifier.hpp, in that order.
//
// The signature is checked before the claims are read (step 3 before 4): an
// unauthenticated payload is never parsed beyond what its base64url needs,
// so a forger cannot reach the JSON reader with text of his choosing (the
// header is read before, it has to be, and is bounded by kMaxTokenBytes).

#include "herald/auth/token_verifier.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "herald/auth/base64.hpp"
#include "json_reader.hpp"
#include "openssl_keys.hpp"

namespace herald::auth {

std::string_view tokenErrorName(TokenError e) {
  switch (e) {
    case TokenError::None: return "none";
    case TokenError::Malformed: return "malformed";
    case TokenError::UnsupportedAlgorithm: return "unsupported_algorithm";
    case TokenError::InvalidSignature: return "invalid_signature";
    case TokenError::Expired: return "expired";
    case TokenError::NotYetValid: return "not_yet_valid";
    case TokenError::WrongAudience: return "wrong_audience";
    case TokenError::WrongIssuer: return "wrong_issuer";
    case TokenError::MissingChannel: return "missing_channel";
    case TokenError::ChannelMismatch: return "channel_mismatch";
  }
  return "unknown";
}

struct TokenVerifier::Impl {
  VerifierConfig config;
  detail::Pkey rsa;
  detail::Pkey ec;

  VerifyResult verify(std::string_view token, std::int64_t now) const;
};

namespace {

VerifyResult refuse(VerifyResult& r, TokenError e, std::string reason) {
  r.error = e;
  r.reason = std::move(reason);
  r.claims = Claims{};
  return std::move(r);
}

// A name from a token, made safe to log: at most 32 printable ASCII bytes.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 32)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (s.size() > 32) out += "...";
  return out;
}

}  // namespace

VerifyResult TokenVerifier::Impl::verify(std::string_view token, std::int64_t now) const {
  VerifyResult r;
  // Step 1: the shape.
  if (token.size() > kMaxTokenBytes)
    return refuse(r, TokenError::Malformed, "token longer than " + std::to_string(kMaxTokenBytes) + " bytes");
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return refuse(r, TokenError::Malformed, "not three dot-separated segments");
  const std::string_view headerText = token.substr(0, dot1);
  const std::string_view payloadText = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signatureText = token.substr(dot2 + 1);
  const std::string_view signingInput = token.substr(0, dot2);

  auto header = base64UrlDecode(headerText);
  if (!header || header->empty()) return refuse(r, TokenError::Malformed, "header is not base64url");
  detail::JoseHeader jose;
  if (std::string why = detail::readHeader(*header, jose); !why.empty())
    return refuse(r, TokenError::Malformed, std::move(why));

  // Step 2: an algorithm we have a key of that kind for.
  const std::optional<Algorithm> alg = algorithmFromName(jose.alg);
  if (!alg) return refuse(r, TokenError::UnsupportedAlgorithm, "algorithm `" + printable(jose.alg) + "` not supported");
  const bool enabled = (*alg == Algorithm::HS256 && !config.hmacSecret.empty()) ||
                       (*alg == Algorithm::RS256 && rsa) || (*alg == Algorithm::ES256 && ec);
  if (!enabled)
    return refuse(r, TokenError::UnsupportedAlgorithm,
                  "algorithm " + std::string(algorithmName(*alg)) + " not enabled (no key of its kind configured)");
  r.algorithm = alg;

  // Step 3: the signature.
  auto signature = base64UrlDecode(signatureText);
  if (!signature) return refuse(r, TokenError::Malformed, "signature is not base64url");
  bool good = false;
  if (*alg == Algorithm::HS256) {
    const std::string mac = detail::hmacSha256(config.hmacSecret, signingInput);
    good = mac.size() == detail::kHmacSha256Bytes && signature->size() == mac.size() &&
           CRYPTO_memcmp(mac.data(), signature->data(), mac.size()) == 0;
  } else {
    good = detail::verify((*alg == Algorithm::RS256 ? rsa : ec).get(), *alg, signingInput, *signature);
  }
  if (!good) return refuse(r, TokenError::InvalidSignature, "signature does not match");

  // Step 4: the claims.
  auto payload = base64UrlDecode(payloadText);
  if (!payload) return refuse(r, TokenError::Malformed, "payload is not base64url");
  if (std::string why = detail::readClaims(*payload, r.claims); !why.empty())
    return refuse(r, TokenError::Malformed, std::move(why));

  // Step 5: time.
  const Claims& c = r.claims;
  if (c.exp && *c.exp <= now)
    return refuse(r, TokenError::Expired, "token expired at " + std::to_string(*c.exp) + ", now " + std::to_string(now));
  if (c.nbf && *c.nbf > now)
    return refuse(r, TokenError::NotYetValid,
                  "token not valid before " + std::to_string(*c.nbf) + ", now " + std::to_string(now));

  // Step 6: audience and issuer.
  if (!config.audience.empty() && std::find(c.aud.begin(), c.aud.end(), config.audience) == c.aud.end())
    return refuse(r, TokenError::WrongAudience, "token not for audience `" + config.audience + "`");
  if (!config.issuer.empty() && c.iss != config.issuer)
    return refuse(r, TokenError::WrongIssuer, "token issuer `" + printable(c.iss) + "` is not `" + config.issuer + "`");
  return r;
}

TokenVerifier::TokenVerifier(VerifierConfig config) : impl_(std::make_unique<Impl>()) {
  if (config.hmacSecret.find("-----BEGIN") != std::string::npos)
    throw std::runtime_error(
        "HMAC secret holds PEM text: a key does not belong there (configure it as the RSA or ECDSA public key)");
  if (!config.rsaPublicKey.empty())
    impl_->rsa = detail::loadPublicKey(config.rsaPublicKey, Algorithm::RS256, "RSA public key");
  if (!config.ecdsaPublicKey.empty())
    impl_->ec = detail::loadPublicKey(config.ecdsaPublicKey, Algorithm::ES256, "ECDSA public key");
  impl_->config = std::move(config);
}

TokenVerifier::~TokenVerifier() = default;
TokenVerifier::TokenVerifier(TokenVerifier&&) noexcept = default;
TokenVerifier& TokenVerifier::operator=(TokenVerifier&&) noexcept = default;

bool TokenVerifier::accepts(Algorithm alg) const {
  switch (alg) {
    case Algorithm::HS256: return !impl_->config.hmacSecret.empty();
    case Algorithm::RS256: return impl_->rsa != nullptr;
    case Algorithm::ES256: return impl_->ec != nullptr;
  }
  return false;
}

VerifyResult TokenVerifier::verifyConnectToken(std::string_view token, std::int64_t now) const {
  return impl_->verify(token, now);
}

VerifyResult TokenVerifier::verifySubscriptionToken(std::string_view token, std::int64_t now,
                                                    std::string_view channel) const {
  VerifyResult r = impl_->verify(token, now);
  if (!r.ok()) return r;
  // Step 7: the channel.
  if (r.claims.channel.empty()) return refuse(r, TokenError::MissingChannel, "subscription token without `channel`");
  if (!channel.empty() && r.claims.channel != channel)
    return refuse(r, TokenError::ChannelMismatch,
                  "token for channel `" + printable(r.claims.channel) + "`, not `" + printable(channel) + "`");
  return r;
}

}  // namespace herald::auth
