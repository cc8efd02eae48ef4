#pragma once
// The admin UI's door (docs/admin.md). With [admin] enabled:
//
//   POST /admin/auth {"password":"..."}
//     200 {"token":"<admin token>","expires_at":<unix s>}
//     400 the body is not that; 401 wrong password; 429 too many wrong
//     passwords (Retry-After), see sign_in_limiter.hpp
//   POST /admin/api/<method>   Authorization: token <admin token>
//     the server API's method (server_api.hpp), same bodies and answers;
//     401 without a valid, unexpired admin token
//
// An admin token is an HS256 JWT with audience "herald-admin", signed with
// [admin] secret (or a random key made at start), valid for
// [admin] token_ttl. Client tokens can never pass: validation keeps the
// admin secret apart from the client one, and the audience is checked.
// Wrong passwords are logged with the remote address and counted in
// herald_refusals_total{reason="admin_wrong_password"}.
//
// Handlers run on any loop; the limiter is behind a mutex (sign-ins are rare).

#include <array>
#include <mutex>
#include <string>

#include "config/config.hpp"
#include "herald/auth/token_signer.hpp"
#include "herald/auth/token_verifier.hpp"
#include "herald/engine/app.hpp"
#include "metrics.hpp"
#include "server_api.hpp"
#include "sign_in_limiter.hpp"

namespace herald::server {

class AdminGate {
 public:
  AdminGate(const ServerConfig& config, ServerApi& api, Metrics& metrics);

  void signIn(const HttpRequest& request, HttpResponder responder);
  void api(const HttpRequest& request, HttpResponder responder);

  // What /admin answers while [admin] enabled is false.
  static HttpHandler closed();

 private:
  AdminGate(const ServerConfig& config, ServerApi& api, Metrics& metrics, const std::string& key);
  bool passwordMatches(std::string_view given) const;
  bool tokenValid(const HttpRequest& request) const;

  ServerApi& api_;
  Metrics& metrics_;
  std::chrono::seconds ttl_;
  std::array<unsigned char, 32> passwordDigest_{};
  auth::TokenSigner signer_;
  auth::TokenVerifier verifier_;
  std::mutex mutex_;
  SignInLimiter limiter_;
};

}  // namespace herald::server
