// echo_client: Herald's WebSocket client, two ways.
//
//   ./echo_client ws://127.0.0.1:9001/ hello          send "hello", print the echo
//   ./echo_client --autobahn ws://127.0.0.1:9001 --agent herald
//                                                     drive an Autobahn fuzzingserver
//
// The client runs on the same event loop as the server side: App::connect()
// opens a connection whose callbacks are a WsBehavior, exactly like an
// endpoint's. Everything below happens on the loop thread; main() only waits.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <string>

#include "herald/engine/app.hpp"

namespace {

struct Settings {
  std::string caFile;
  bool insecure = false;
  bool compression = false;
  std::size_t maxMessageBytes = 64 * 1024 * 1024;
};

herald::ClientOptions clientOptions(const Settings& s, std::function<void(std::string_view)> onError) {
  return {.caFile = s.caFile,
          .verifyCertificate = !s.insecure,
          .compression = s.compression,
          .onError = std::move(onError)};
}

// The Autobahn fuzzingserver protocol: ask for the number of cases, run each
// one (echoing every message back until the server closes), then ask the
// server to write its report. One connection at a time, chained by the close
// callbacks.
class AutobahnDriver {
 public:
  AutobahnDriver(herald::App& app, std::string base, std::string agent, Settings settings)
      : app_(app), base_(std::move(base)), agent_(std::move(agent)), settings_(std::move(settings)) {}

  void start() {
    app_.connect(base_ + "/getCaseCount",
                 {.message = [this](herald::WebSocket&, std::string_view msg,
                                    herald::ws::Opcode) { caseCount_ = std::stoi(std::string(msg)); },
                  .close = [this](herald::WebSocket&, std::uint16_t, std::string_view) { runCase(1); }},
                 clientOptions(settings_, [this](std::string_view e) { fail(e); }));
  }
  int exitCode() const { return exitCode_; }

 private:
  void runCase(int n) {
    if (n > caseCount_) return updateReports();
    std::fprintf(stderr, "\rcase %d/%d", n, caseCount_);
    app_.connect(base_ + "/runCase?case=" + std::to_string(n) + "&agent=" + agent_,
                 {.message = [](herald::WebSocket& ws, std::string_view msg,
                                herald::ws::Opcode op) { ws.send(msg, op); },
                  .close = [this, n](herald::WebSocket&, std::uint16_t, std::string_view) { runCase(n + 1); },
                  .maxMessageBytes = settings_.maxMessageBytes,
                  .maxBackpressureBytes = 2 * settings_.maxMessageBytes},
                 // A case whose connection fails (the fuzzer may drop it) moves on.
                 clientOptions(settings_, [this, n](std::string_view) { runCase(n + 1); }));
  }

  void updateReports() {
    std::fprintf(stderr, "\nupdating reports for agent %s\n", agent_.c_str());
    app_.connect(base_ + "/updateReports?agent=" + agent_,
                 {.close = [this](herald::WebSocket&, std::uint16_t, std::string_view) { app_.stop(); }},
                 clientOptions(settings_, [this](std::string_view e) { fail(e); }));
  }

  void fail(std::string_view error) {
    std::fprintf(stderr, "echo_client: %.*s\n", static_cast<int>(error.size()), error.data());
    exitCode_ = 1;
    app_.stop();
  }

  herald::App& app_;
  std::string base_, agent_;
  Settings settings_;
  int caseCount_ = 0;
  int exitCode_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Herald WebSocket client: send a message and print the answer, or drive Autobahn"};
  std::string url, message = "hello", autobahn, agent = "herald";
  Settings settings;
  cli.add_option("url", url, "ws:// or wss:// URL to connect to");
  cli.add_option("message", message, "text message to send");
  cli.add_option("--autobahn", autobahn, "base URL of an Autobahn fuzzingserver");
  cli.add_option("--agent", agent, "agent name for the Autobahn reports");
  cli.add_option("--ca-file", settings.caFile, "trust only this CA certificate (PEM)")->check(CLI::ExistingFile);
  cli.add_flag("--insecure", settings.insecure, "do not verify the server's certificate (tests only)");
  cli.add_flag("--compression", settings.compression, "offer permessage-deflate");
  CLI11_PARSE(cli, argc, argv);
  if (url.empty() == autobahn.empty()) {
    std::fprintf(stderr, "echo_client: give either a URL or --autobahn URL\n");
    return 2;
  }

  herald::App app({.threads = 1});
  if (!autobahn.empty()) {
    AutobahnDriver driver(app, autobahn, agent, settings);
    driver.start();
    app.run();
    return driver.exitCode();
  }

  int exitCode = 1;
  app.connect(url,
              {.open = [&](herald::WebSocket& ws) { ws.sendText(message); },
               .message =
                   [&](herald::WebSocket& ws, std::string_view reply, herald::ws::Opcode) {
                     std::printf("%.*s\n", static_cast<int>(reply.size()), reply.data());
                     exitCode = 0;
                     ws.close();
                   },
               .close = [&](herald::WebSocket&, std::uint16_t, std::string_view) { app.stop(); }},
              clientOptions(settings, [&](std::string_view error) {
                std::fprintf(stderr, "echo_client: %.*s\n", static_cast<int>(error.size()), error.data());
                app.stop();
              }));
  app.run();
  return exitCode;
}
