// herald: the command-line program. Each subcommand lives in its own file.
#include "cli.hpp"

int main(int argc, char** argv) { return herald::cli::run(argc, argv); }
