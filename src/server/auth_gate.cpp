#include "auth_gate.hpp"


namespace herald::server {

struct AuthGate::Impl {
  std::optional<auth::TokenVerifier> verifier;
};

auth::VerifierConfig verifierConfig(const ServerConfig& c) {
  return {.hmacSecret = c.tokenHmacSecret,
          .rsaPublicKey = c.tokenRsaPublicKey,
          .ecdsaPublicKey = c.tokenEcdsaPublicKey,
          .audience = c.tokenAudience,
          .issuer = c.tokenIssuer};
}

AuthGate::AuthGate(const ServerConfig& c) : impl_(std::make_unique<Impl>()) {
  if (c.tokenHmacSecret.empty() && c.tokenRsaPublicKey.empty() && c.tokenEcdsaPublicKey.empty()) return;
  try {
    impl_->verifier.emplace(verifierConfig(c));
  } catch (const std::exception& e) {
    throw ConfigError(std::string("[client] token keys: ") + e.what());
  }
}

AuthGate::~AuthGate() = default;

bool AuthGate::canVerify() const { return impl_->verifier.has_value(); }

namespace {

TokenResult verdictOf(const auth::VerifyResult& r) {
  if (r.ok()) return {TokenVerdict::Ok, {}};
  std::string reason = std::string(auth::tokenErrorName(r.error)) + ": " + r.reason;
  if (auth::isTokenExpired(r.error)) return {TokenVerdict::Expired, std::move(reason)};
  return {TokenVerdict::Invalid, std::move(reason)};
}

}  // namespace

TokenResult AuthGate::connectToken(std::string_view token, std::int64_t nowSec, Credentials& out) const {
  if (!impl_->verifier) return {TokenVerdict::Invalid, "no token key is configured ([client] token_hmac_secret, ...)"};
  auth::VerifyResult r = impl_->verifier->verifyConnectToken(token, nowSec);
  TokenResult verdict = verdictOf(r);
  if (verdict.verdict != TokenVerdict::Ok) return verdict;
  out.user = std::move(r.claims.sub);
  out.expiresAt = r.claims.expiresAt();
  out.info = std::move(r.claims.info);
  out.channels = std::move(r.claims.channels);
  for (auto& sub : r.claims.subs) out.channels.push_back(std::move(sub.channel));
  return verdict;
}

TokenResult AuthGate::subscriptionToken(std::string_view token, std::int64_t nowSec, SubscriptionGrant& out) const {
  if (!impl_->verifier) return {TokenVerdict::Invalid, "no token key is configured ([client] token_hmac_secret, ...)"};
  auth::VerifyResult r = impl_->verifier->verifySubscriptionToken(token, nowSec);
  TokenResult verdict = verdictOf(r);
  if (verdict.verdict != TokenVerdict::Ok) return verdict;
  out.channel = std::move(r.claims.channel);
  out.user = std::move(r.claims.sub);
  out.client = std::move(r.claims.client);
  out.expiresAt = r.claims.expiresAt();
  out.info = std::move(r.claims.info);
  return verdict;
}

}  // namespace herald::server
