// TokenSigner: header, payload and signature of a compact JWS, see
// token_signer.hpp.

#include "herald/auth/token_signer.hpp"

#include <simdjson.h>

#include <stdexcept>

#include "herald/auth/base64.hpp"
#include "openssl_keys.hpp"

namespace herald::auth {

struct TokenSigner::Impl {
  Algorithm alg = Algorithm::HS256;
  std::string secret;  // HS256
  detail::Pkey key;    // RS256, ES256
};

TokenSigner::TokenSigner(Algorithm alg, std::string_view key) : impl_(std::make_unique<Impl>()) {
  impl_->alg = alg;
  if (alg == Algorithm::HS256) {
    if (key.empty()) throw std::runtime_error("HS256 needs a non-empty secret");
    impl_->secret.assign(key);
  } else {
    impl_->key = detail::loadPrivateKey(key, alg, std::string(algorithmName(alg)) + " private key");
  }
}

TokenSigner::~TokenSigner() = default;
TokenSigner::TokenSigner(TokenSigner&&) noexcept = default;
TokenSigner& TokenSigner::operator=(TokenSigner&&) noexcept = default;

Algorithm TokenSigner::algorithm() const { return impl_->alg; }

std::string TokenSigner::sign(std::string_view claimsJson) const {
  {
    const simdjson::padded_string text(claimsJson);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(text).get(root) || root.type() != simdjson::dom::element_type::OBJECT)
      throw std::invalid_argument("token claims are not a JSON object");
  }
  std::string token = base64UrlEncode(R"({"alg":")" + std::string(algorithmName(impl_->alg)) + R"(","typ":"JWT"})");
  token.push_back('.');
  token += base64UrlEncode(claimsJson);
  const std::string signature = impl_->alg == Algorithm::HS256 ? detail::hmacSha256(impl_->secret, token)
                                                               : detail::sign(impl_->key.get(), impl_->alg, token);
  token.push_back('.');
  token += base64UrlEncode(signature);
  return token;
}

std::string signToken(Algorithm alg, std::string_view claimsJson, std::string_view key) {
  return TokenSigner(alg, key).sign(claimsJson);
}

}  // namespace herald::auth
