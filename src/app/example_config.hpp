#pragma once
// herald.example.toml, compiled in (example_config.cpp.in).

#include <string_view>

namespace herald::cli {

std::string_view exampleConfig();

}  // namespace herald::cli
