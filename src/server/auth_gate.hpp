#pragma once
// Tokens as the client protocol needs them: who the client is, until when,
// and what the token grants. Wraps herald_auth's JWT verifier with the
// server's configuration (keys, audience, issuer).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "herald/auth/token_verifier.hpp"

namespace herald::server {

enum class TokenVerdict : std::uint8_t {
  Ok,
  Expired,  // well-formed and signed, but past `exp`: the client refreshes it (error 109)
  Invalid,  // anything else: forged, malformed, wrong audience... (disconnect 3500)
};

struct Credentials {
  std::string user{};
  std::int64_t expiresAt = 0;  // Unix seconds; 0: never
  std::string info{};          // raw JSON, or empty
  std::vector<std::string> channels{};  // server-side subscriptions
};

struct SubscriptionGrant {
  std::string channel{};
  std::string user{};
  std::string client{};  // when set, only this client id may use it
  std::int64_t expiresAt = 0;
  std::string info{};  // raw JSON, or empty (becomes chan_info)
};

struct TokenResult {
  TokenVerdict verdict = TokenVerdict::Invalid;
  std::string reason{};  // for the log: why it was refused
};

// The verifier's keys and claim checks, as the configuration sets them.
auth::VerifierConfig verifierConfig(const ServerConfig& config);

class AuthGate {
 public:
  // Throws ConfigError when a configured key cannot be used.
  explicit AuthGate(const ServerConfig& config);
  ~AuthGate();

  bool canVerify() const;  // some key is configured
  TokenResult connectToken(std::string_view token, std::int64_t nowSec, Credentials& out) const;
  TokenResult subscriptionToken(std::string_view token, std::int64_t nowSec, SubscriptionGrant& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::server
