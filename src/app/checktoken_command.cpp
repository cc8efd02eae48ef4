// `herald checktoken TOKEN`: verifies a connection or subscription token the
// way `herald serve` would with the same configuration, and says what it
// grants, or exactly why the server would refuse it.
#include <CLI/CLI.hpp>

#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include "cli.hpp"
#include "config/config.hpp"
#include "herald/auth/token_verifier.hpp"
#include "server/auth_gate.hpp"

extern char** environ;

namespace herald::cli {

namespace {

struct ChecktokenFlags {
  std::string token;
  std::string config;
  std::string channel;
};

std::string utcTime(std::int64_t unixSeconds) {
  auto t = static_cast<std::time_t>(unixSeconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return out;
}

std::string span(std::int64_t seconds) {
  if (seconds >= 86400) return std::to_string(seconds / 86400) + "d " + std::to_string(seconds % 86400 / 3600) + "h";
  if (seconds >= 3600) return std::to_string(seconds / 3600) + "h " + std::to_string(seconds % 3600 / 60) + "m";
  if (seconds >= 60) return std::to_string(seconds / 60) + "m " + std::to_string(seconds % 60) + "s";
  return std::to_string(seconds) + "s";
}

void describe(const auth::Claims& c, bool subscription, std::int64_t now) {
  std::cout << "  user:     " << (c.sub.empty() ? "(anonymous)" : c.sub) << "\n";
  if (subscription) {
    std::cout << "  channel:  " << c.channel << "\n";
    if (!c.client.empty()) std::cout << "  client:   " << c.client << " (only this connection may use it)\n";
  }
  std::int64_t expires = c.expiresAt();
  if (expires == 0) std::cout << "  expires:  never\n";
  else std::cout << "  expires:  " << utcTime(expires) << " (in " << span(expires - now) << ")\n";
  if (!c.channels.empty() || !c.subs.empty()) {
    std::cout << "  channels:";
    for (const auto& ch : c.channels) std::cout << " " << ch;
    for (const auto& sub : c.subs) std::cout << " " << sub.channel;
    std::cout << " (server-side subscriptions)\n";
  }
  if (!c.info.empty()) std::cout << "  info:     " << c.info << "\n";
  if (!c.aud.empty()) {
    std::cout << "  audience:";
    for (const auto& a : c.aud) std::cout << " " << a;
    std::cout << "\n";
  }
  if (!c.iss.empty()) std::cout << "  issuer:   " << c.iss << "\n";
}

int check(const ChecktokenFlags& f) {
  server::ServerConfig config;
  try {
    config = server::readConfig(f.config, environ);
  } catch (const server::ConfigError& e) {
    std::cerr << "herald checktoken: " << e.what() << "\n";
    return 2;
  }
  if (config.tokenHmacSecret.empty() && config.tokenRsaPublicKey.empty() && config.tokenEcdsaPublicKey.empty()) {
    std::cerr << "herald checktoken: the configuration has no token key: give the server's --config (with [client] "
                 "token_hmac_secret, token_rsa_public_key_file or token_ecdsa_public_key_file), or set "
                 "HERALD_CLIENT_TOKEN_HMAC_SECRET\n";
    return 2;
  }
  std::optional<auth::TokenVerifier> verifier;
  try {
    verifier.emplace(server::verifierConfig(config));
  } catch (const std::exception& e) {
    std::cerr << "herald checktoken: [client] token keys: " << e.what() << "\n";
    return 2;
  }
  const std::int64_t now = std::time(nullptr);
  // A token with a `channel` claim is a subscription token; the server
  // checks it as one when a client subscribes with it.
  auth::VerifyResult r = verifier->verifyConnectToken(f.token, now);
  const bool subscription = !f.channel.empty() || (r.ok() && !r.claims.channel.empty());
  if (subscription) r = verifier->verifySubscriptionToken(f.token, now, f.channel);
  const char* kind = subscription ? "subscription token" : "connection token";
  if (!r.ok()) {
    if (auth::isTokenExpired(r.error))
      std::cout << "expired " << kind << ": " << r.reason << "\n  the server answers 109 (token expired); the client "
                << "should fetch a new one\n";
    else
      std::cout << "invalid " << kind << ": " << auth::tokenErrorName(r.error) << ": " << r.reason
                << "\n  the server refuses it (disconnect 3500 invalid token)\n";
    return 1;
  }
  std::cout << "valid " << kind << " (" << auth::algorithmName(*r.algorithm) << ")\n";
  describe(r.claims, subscription, now);
  return 0;
}

}  // namespace

void addChecktokenCommand(CLI::App& app, std::function<int()>& action) {
  auto flags = std::make_shared<ChecktokenFlags>();
  CLI::App* cmd = app.add_subcommand(
      "checktoken", "verify a JWT as herald serve would with this configuration, and print what it grants");
  cmd->add_option("token", flags->token, "the JWT")->required();
  cmd->add_option("-c,--config", flags->config, "the server's TOML configuration (for its keys, audience, issuer)");
  cmd->add_option("--channel", flags->channel, "check it as a subscription token for this channel");
  cmd->callback([flags, &action] { action = [flags] { return check(*flags); }; });
}

}  // namespace herald::cli
