#pragma once
// The `herald` command line: one CLI11 subcommand per tool, each in its own
// file, each registering itself with the top-level CLI::App.

#include <functional>

namespace CLI {
class App;
}

namespace herald::cli {

// Parses the command line and runs the chosen subcommand; returns the exit code.
int run(int argc, char** argv);

// Adds `bench`; when the command line chooses it, `action` is set to run it.
void addBenchCommand(CLI::App& app, std::function<int()>& action);
void addServeCommand(CLI::App& app, std::function<int()>& action);
void addTokenCommand(CLI::App& app, std::function<int()>& action);
void addSubCommand(CLI::App& app, std::function<int()>& action);
void addPubCommand(CLI::App& app, std::function<int()>& action);
void addGenconfigCommand(CLI::App& app, std::function<int()>& action);
void addChecktokenCommand(CLI::App& app, std::function<int()>& action);

}  // namespace herald::cli
