// `herald token`: mints a connection (or subscription) token for
// development, signed with the configured HMAC secret.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "config/config.hpp"
#include "herald/auth/claims.hpp"
#include "herald/auth/token_signer.hpp"

extern char** environ;

namespace herald::cli {

namespace {

struct TokenFlags {
  std::string config;
  std::string user;
  std::string ttl = "1h";
  std::string channel;
  std::vector<std::string> channels;
  std::string info;
  std::string secret;
};

int mint(const TokenFlags& f) {
  std::string secret = f.secret;
  if (secret.empty()) {
    try {
      secret = server::readConfig(f.config, environ).tokenHmacSecret;
    } catch (const server::ConfigError& e) {
      std::cerr << "herald token: " << e.what() << "\n";
      return 2;
    }
  }
  if (secret.empty()) {
    std::cerr << "herald token: no HMAC secret: set [client] token_hmac_secret in the --config file, "
                 "HERALD_CLIENT_TOKEN_HMAC_SECRET, or pass --secret\n";
    return 2;
  }
  auto ttl = server::parseDuration(f.ttl);
  if (!ttl || ttl->count() < 0) {
    std::cerr << "herald token: --ttl '" << f.ttl << "' is not a duration (e.g. 30s, 15m, 1h, 7d)\n";
    return 2;
  }
  using namespace std::chrono;
  std::int64_t now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  auth::ClaimsSpec spec;
  spec.sub = f.user;
  spec.iat = now;
  if (ttl->count() > 0) spec.exp = now + duration_cast<seconds>(*ttl).count();
  spec.info = f.info;
  spec.channels = f.channels;
  spec.channel = f.channel;
  try {
    std::cout << auth::signToken(auth::Algorithm::HS256, auth::buildClaimsJson(spec), secret) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "herald token: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

void addTokenCommand(CLI::App& app, std::function<int()>& action) {
  auto flags = std::make_shared<TokenFlags>();
  CLI::App* cmd = app.add_subcommand("token", "mint a development JWT (HS256) with the configured secret");
  cmd->add_option("-u,--user", flags->user, "the user id (`sub`); empty: anonymous")->required();
  cmd->add_option("--ttl", flags->ttl, "lifetime, e.g. 30s, 15m, 1h (default), 7d; 0: no expiry");
  cmd->add_option("--channel", flags->channel, "make a subscription token for this channel");
  cmd->add_option("--channels", flags->channels, "server-side subscriptions of a connection token")->delimiter(',');
  cmd->add_option("--info", flags->info, "connection info, raw JSON (e.g. '{\"name\":\"Ann\"}')");
  cmd->add_option("-c,--config", flags->config, "the server's TOML configuration (for its secret)");
  cmd->add_option("--secret", flags->secret, "the HMAC secret, instead of the configuration's");
  cmd->callback([flags, &action] { action = [flags] { return mint(*flags); }; });
}

}  // namespace herald::cli
