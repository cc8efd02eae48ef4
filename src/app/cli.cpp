#include "cli.hpp"

#include <CLI/CLI.hpp>

namespace herald::cli {

int run(int argc, char** argv) {
  CLI::App app{"herald: a real-time messaging system over WebSocket"};
  app.set_version_flag("--version", std::string("herald ") + HERALD_VERSION + " (commit " + HERALD_GIT_COMMIT + ", " +
                                        HERALD_BUILD_TYPE + " build)");
  app.require_subcommand(1);
  std::function<int()> action;
  addBenchCommand(app, action);
  addServeCommand(app, action);
  addTokenCommand(app, action);
  addSubCommand(app, action);
  addPubCommand(app, action);
  addGenconfigCommand(app, action);
  addChecktokenCommand(app, action);
  CLI11_PARSE(app, argc, argv);
  return action ? action() : 0;
}

}  // namespace herald::cli
