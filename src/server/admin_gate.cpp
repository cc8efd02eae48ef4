#include "admin_gate.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "herald/auth/claims.hpp"
#include "herald/http/request.hpp"
#include "herald/proto/json_writer.hpp"

namespace herald::server {

namespace {

constexpr std::string_view kAudience = "herald-admin";
constexpr std::string_view kJson = "application/json";
constexpr std::string_view kNoStore = "Cache-Control: no-store\r\n";

std::string randomKey() {
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1)
    throw std::runtime_error("the system's random generator failed (OpenSSL RAND_bytes)");
  return key;
}

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

std::int64_t unixNow() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::string errorBody(std::string_view message) {
  std::string body = "{\"error\":";
  proto::appendJsonString(body, message);
  return body + "}";
}

// "1.2.3.4:5678" -> "1.2.3.4", "[::1]:5678" -> "[::1]": failures are
// counted per address, whatever port each attempt came from.
std::string withoutPort(std::string_view address) {
  std::size_t end = address.starts_with('[') ? address.find(']') + 1 : address.rfind(':');
  return std::string(address.substr(0, end == 0 ? std::string_view::npos : end));
}

auth::VerifierConfig verifierFor(const std::string& key) {
  auth::VerifierConfig v;
  v.hmacSecret = key;
  v.audience = std::string(kAudience);
  return v;
}

}  // namespace

AdminGate::AdminGate(const ServerConfig& config, ServerApi& api, Metrics& metrics)
    : AdminGate(config, api, metrics, config.adminSecret.empty() ? randomKey() : config.adminSecret) {}

AdminGate::AdminGate(const ServerConfig& config, ServerApi& api, Metrics& metrics, const std::string& key)
    : api_(api),
      metrics_(metrics),
      ttl_(config.adminTokenTtl),
      passwordDigest_(sha256(config.adminPassword)),
      signer_(auth::Algorithm::HS256, key),
      verifier_(verifierFor(key)) {}

bool AdminGate::passwordMatches(std::string_view given) const {
  // Digests of equal length, compared in constant time: neither the
  // password's length nor its prefix leaks through timing.
  auto digest = sha256(given);
  return CRYPTO_memcmp(digest.data(), passwordDigest_.data(), digest.size()) == 0;
}

void AdminGate::signIn(const HttpRequest& request, HttpResponder responder) {
  if (request.method() != "POST")
    return responder.respond(http::Status::MethodNotAllowed, errorBody("sign in with POST {\"password\":\"...\"}"), kJson);
  const std::string from = withoutPort(request.remoteAddress);
  const auto now = SignInLimiter::Clock::now();
  {
    std::lock_guard lock(mutex_);
    if (auto wait = limiter_.refusedFor(from, now)) {
      metrics_.refuse("admin_sign_in_limited");
      std::string retry = "Retry-After: " + std::to_string(wait->count()) + "\r\n";
      return responder.respond(
          http::Status::TooManyRequests,
          errorBody("too many wrong passwords; try again in " + std::to_string(wait->count()) + " s"), kJson, retry);
    }
  }
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view password;
  if (parser.parse(request.body.data(), request.body.size()).get(root) || root["password"].get(password))
    return responder.respond(http::Status::BadRequest, errorBody("send {\"password\":\"...\"}"), kJson);
  if (!passwordMatches(password)) {
    std::size_t failures;
    {
      std::lock_guard lock(mutex_);
      failures = limiter_.failed(from, now);
    }
    metrics_.refuse("admin_wrong_password");
    spdlog::warn("admin sign-in from {} refused: wrong password ({} from there in the last {} s{})", from, failures,
                 SignInLimiter::kWindow.count(),
                 failures >= SignInLimiter::kPerAddress ? "; its next attempts are refused until the oldest ages out"
                                                        : "");
    return responder.respond(http::Status::Unauthorized, errorBody("wrong password"), kJson);
  }
  {
    std::lock_guard lock(mutex_);
    limiter_.succeeded(from);
  }
  std::int64_t issued = unixNow();
  auth::ClaimsSpec claims;
  claims.sub = "admin";
  claims.iat = issued;
  claims.exp = issued + ttl_.count();
  claims.aud = std::string(kAudience);
  std::string token = signer_.sign(auth::buildClaimsJson(claims));
  spdlog::info("admin signed in from {} (token valid for {} s)", from, ttl_.count());
  std::string body = "{\"token\":";
  proto::appendJsonString(body, token);
  body += ",\"expires_at\":" + std::to_string(*claims.exp) + "}";
  responder.respond(http::Status::Ok, body, kJson, kNoStore);
}

bool AdminGate::tokenValid(const HttpRequest& request) const {
  auto header = request.header("Authorization");
  if (!header) return false;
  std::string_view value = *header;
  for (std::string_view scheme : {"token ", "bearer "}) {
    if (value.size() > scheme.size() && http::equalsIgnoreCase(value.substr(0, scheme.size()), scheme)) {
      auto r = verifier_.verifyConnectToken(value.substr(scheme.size()), unixNow());
      return r.ok() && r.claims.sub == "admin";
    }
  }
  return false;
}

void AdminGate::api(const HttpRequest& request, HttpResponder responder) {
  if (request.method() != "POST")
    return responder.respond(http::Status::MethodNotAllowed,
                             "{\"error\":{\"code\":107,\"message\":\"the server API takes POST requests\"}}", kJson);
  if (!tokenValid(request)) {
    metrics_.refuse("admin_unauthorized");
    return responder.respond(
        http::Status::Unauthorized,
        "{\"error\":{\"code\":101,\"message\":\"sign in at /admin: send Authorization: token <admin token>\"}}",
        kJson);
  }
  api_.serve(request.path().substr(std::string_view("/admin/api/").size()), request, std::move(responder));
}

HttpHandler AdminGate::closed() {
  return [](const HttpRequest&, HttpResponder responder) {
    responder.respond(http::Status::NotFound,
                      "404 Not Found: the admin UI is disabled; set [admin] enabled = true and a password "
                      "(docs/admin.md)\n");
  };
}

}  // namespace herald::server
