// `herald serve`: the messaging server. Configuration: defaults, then
// --config FILE, then HERALD_* variables, then these flags
// (docs/configuration.md).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli.hpp"
#include "config/config.hpp"
#include "json_log_sink.hpp"
#include "server/server.hpp"

extern char** environ;

namespace herald::cli {

namespace {

struct ServeFlags {
  std::string config;
  std::string host;
  int port = -1;
  int threads = -1;
  std::string dataDir;
  std::string logLevel;
  bool checkConfig = false;
};

int serve(const ServeFlags& f) {
  server::ServerConfig config;
  try {
    config = server::readConfig(f.config, environ);
    if (!f.host.empty()) config.host = f.host;
    if (f.port >= 0) config.port = static_cast<std::uint16_t>(f.port);
    if (f.threads >= 0) config.threads = static_cast<unsigned>(f.threads);
    if (!f.dataDir.empty()) config.dataDir = f.dataDir;
    if (!f.logLevel.empty()) config.logLevel = f.logLevel;
    server::validateConfig(config);
  } catch (const server::ConfigError& e) {
    std::cerr << "herald serve: " << e.what() << "\n";
    return 2;
  }
  if (f.checkConfig) {
    std::cout << server::renderConfig(config);
    std::cerr << "herald serve: the configuration is valid\n";
    return 0;
  }
  // Logs go to stderr, in both formats; stdout carries only the
  // "listening on" line (and --check-config's output), for scripts.
  if (config.logFormat == "json") {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("herald", std::make_shared<JsonLogSink>()));
  } else {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("herald", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  spdlog::set_level(spdlog::level::from_str(config.logLevel));
  try {
    server::Server server(config);
    std::uint16_t port = server.listen();
    std::printf("listening on %s:%u\n", config.host.c_str(), static_cast<unsigned>(port));
    std::fflush(stdout);
    if (config.engineType == "redis")
      spdlog::info("herald serve on {}:{} (channels shared through Redis at {})", config.host, port,
                   fmt::join(config.redisAddresses, ", "));
    else
      spdlog::info("herald serve on {}:{} (data in {})", config.host, port, config.dataDir);
    server.run();
    spdlog::info("stopped");
  } catch (const std::exception& e) {
    std::cerr << "herald serve: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void addServeCommand(CLI::App& app, std::function<int()>& action) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve", "run the messaging server (Centrifugo client protocol, HTTP API)");
  cmd->add_option("-c,--config", flags->config, "TOML configuration file (see herald.example.toml)");
  cmd->add_option("--host", flags->host, "address to listen on (default 127.0.0.1)");
  cmd->add_option("-p,--port", flags->port, "port to listen on (default 8080; 0: a free one)")->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", flags->threads, "event loops (default: one per core)")->check(CLI::Range(0, 1024));
  cmd->add_option("--data-dir", flags->dataDir, "where history is kept (default ./herald-data)");
  cmd->add_option("--log-level", flags->logLevel, "trace, debug, info, warn, error or off");
  cmd->add_flag("--check-config", flags->checkConfig, "print the effective configuration and exit");
  cmd->callback([flags, &action] { action = [flags] { return serve(*flags); }; });
}

}  // namespace herald::cli
