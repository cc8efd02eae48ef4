// loadConfig and readConfig: the TOML file, then the HERALD_* environment,
// over the defaults of ServerConfig. Strict: anything unknown, mistyped or
// out of range is a ConfigError naming the key and where it was set.

#include <toml++/toml.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>

#include "config/options.hpp"

namespace herald::server {

namespace {

using detail::Kind;
using detail::Origins;
using detail::Section;

// HERALD_* variables that belong to the build, the test harness and the
// cluster tests, not to the server's configuration: ignored.
constexpr std::string_view kExemptPrefixes[] = {"HERALD_TEST_", "HERALD_PEER_", "HERALD_BUILD_DIR", "HERALD_BIN"};

// One value to read: from the config file (`node`) or from the environment
// (`text`). `label` starts every message about it: "herald.toml:3:8:
// server.port" or "environment variable HERALD_SERVER_PORT".
struct Input {
  const toml::node* node = nullptr;
  std::string_view text{};
  std::string label;
};

[[noreturn]] void fail(const Input& in, const std::string& message) { throw ConfigError(in.label + ": " + message); }

std::string at(const std::string& file, const toml::source_position& p) {
  return file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

std::string envName(Section s, std::string_view key) {
  std::string name = "HERALD_";
  for (const char c : detail::sectionName(s)) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  name += '_';
  for (const char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string dotted(Section s, std::string_view key) { return std::string(detail::sectionName(s)) + "." + std::string(key); }

// What a TOML value is, for "expected X, got Y".
std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string (" + detail::tomlQuote(n.as_string()->get()) + ")";
    case toml::node_type::integer: return "an integer (" + std::to_string(n.as_integer()->get()) + ")";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return n.as_boolean()->get() ? "a boolean (true)" : "a boolean (false)";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

std::string quoted(std::string_view text) { return detail::tomlQuote(text); }

std::string readString(const Input& in) {
  if (in.node == nullptr) return std::string(in.text);
  if (const auto* s = in.node->as_string()) return s->get();
  fail(in, "expected a string, got " + describe(*in.node));
}

bool readFlag(const Input& in) {
  if (in.node != nullptr) {
    if (const auto* b = in.node->as_boolean()) return b->get();
    fail(in, "expected a boolean (true or false), got " + describe(*in.node));
  }
  std::string t;
  for (const char c : in.text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  fail(in, "expected true or false, got " + quoted(in.text));
}

std::uint64_t checkMax(const Input& in, std::uint64_t v, std::uint64_t max) {
  if (v > max) fail(in, std::to_string(v) + " is out of range; at most " + std::to_string(max));
  return v;
}

std::uint64_t readUnsigned(const Input& in, Kind kind, std::uint64_t max) {
  const bool bytes = kind == Kind::Bytes;
  const std::string expected = bytes ? "a size (65536, \"64KiB\", \"4MiB\")" : "a non-negative integer";
  if (in.node != nullptr) {
    if (const auto* i = in.node->as_integer()) {
      if (i->get() < 0) fail(in, "must not be negative, got " + std::to_string(i->get()));
      return checkMax(in, static_cast<std::uint64_t>(i->get()), max);
    }
    if (const auto* s = in.node->as_string(); s != nullptr && bytes) {
      const auto n = parseByteSize(s->get());
      if (!n) fail(in, "expected " + expected + ", got " + describe(*in.node));
      return checkMax(in, *n, max);
    }
    std::string hint;
    if (in.node->is_string() && parseByteSize(in.node->as_string()->get()).has_value()) hint = "; write the number without quotes";
    fail(in, "expected " + expected + ", got " + describe(*in.node) + hint);
  }
  std::optional<std::uint64_t> n;
  if (bytes) {
    n = parseByteSize(in.text);
  } else {
    std::uint64_t v = 0;
    const char* end = in.text.data() + in.text.size();
    const auto r = std::from_chars(in.text.data(), end, v);
    if (!in.text.empty() && in.text.front() != '-' && in.text.front() != '+' && r.ec == std::errc() && r.ptr == end) n = v;
    if (r.ec == std::errc::result_out_of_range) fail(in, quoted(in.text) + " is out of range; at most " + std::to_string(max));
  }
  if (!n) fail(in, "expected " + expected + ", got " + quoted(in.text));
  return checkMax(in, *n, max);
}

std::chrono::seconds readSeconds(const Input& in) {
  const std::string expected = "a duration (25, \"25s\", \"5m\", \"1h\")";
  std::optional<std::chrono::milliseconds> ms;
  std::string shown;
  if (in.node != nullptr) {
    if (const auto* i = in.node->as_integer()) {
      if (i->get() < 0) fail(in, "must not be negative, got " + std::to_string(i->get()));
      return std::chrono::seconds(i->get());
    }
    const auto* s = in.node->as_string();
    if (s == nullptr) fail(in, "expected " + expected + ", got " + describe(*in.node));
    ms = parseDuration(s->get());
    shown = describe(*in.node);
  } else {
    ms = parseDuration(in.text);
    shown = quoted(in.text);
  }
  if (!ms) fail(in, "expected " + expected + ", got " + shown);
  if (ms->count() % 1000 != 0) fail(in, "durations here are whole seconds, got " + shown);
  return std::chrono::duration_cast<std::chrono::seconds>(*ms);
}

std::vector<std::string> readList(const Input& in) {
  std::vector<std::string> out;
  if (in.node != nullptr) {
    const auto* a = in.node->as_array();
    if (a == nullptr) {
      std::string hint = in.node->is_string() ? "; write [" + quoted(in.node->as_string()->get()) + "]" : "";
      fail(in, "expected an array of strings, got " + describe(*in.node) + hint);
    }
    for (const toml::node& e : *a) {
      const auto* s = e.as_string();
      if (s == nullptr) fail(in, "expected an array of strings, but an element is " + describe(e));
      out.push_back(s->get());
    }
    return out;
  }
  std::string_view rest = in.text;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

SlowConsumerPolicy readSlowConsumer(const Input& in) {
  const std::string s = readString(in);
  if (s == "disconnect") return SlowConsumerPolicy::Disconnect;
  if (s == "skip") return SlowConsumerPolicy::Skip;
  fail(in, "expected \"disconnect\" or \"skip\", got " + quoted(s));
}

template <class Field>
void assign(const Input& in, Kind kind, Field& field) {
  if constexpr (std::is_same_v<Field, std::string>) {
    field = readString(in);
    if (kind == Kind::Secret && field == detail::kSecretPlaceholder) {
      fail(in, "\"<set>\" is the placeholder that --check-config prints in place of a secret; put the real secret here");
    }
  } else if constexpr (std::is_same_v<Field, bool>) {
    field = readFlag(in);
  } else if constexpr (std::is_same_v<Field, std::chrono::seconds>) {
    field = readSeconds(in);
  } else if constexpr (std::is_same_v<Field, std::vector<std::string>>) {
    field = readList(in);
  } else if constexpr (std::is_same_v<Field, SlowConsumerPolicy>) {
    field = readSlowConsumer(in);
  } else {
    static_assert(std::is_unsigned_v<Field>, "an option of a type the loader cannot read");
    field = static_cast<Field>(readUnsigned(in, kind, std::numeric_limits<Field>::max()));
  }
}

// Every key of `section`, for suggestions.
std::vector<std::string> keysOf(Section section) {
  std::vector<std::string> keys;
  ServerConfig probe;
  detail::forEachOption(probe, [&](Section s, std::string_view key, Kind, auto&) {
    if (s == section) keys.emplace_back(key);
  });
  return keys;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// The section other than `except` that has `key`, if any.
std::optional<Section> sectionWithKey(std::string_view key, std::optional<Section> except) {
  std::optional<Section> found;
  ServerConfig probe;
  detail::forEachOption(probe, [&](Section s, std::string_view k, Kind, auto&) {
    if (k == key && s != except && !found) found = s;
  });
  return found;
}

[[noreturn]] void unknownKey(const std::string& file, const toml::key& key, const std::string& where,
                             std::optional<Section> section, const std::vector<std::string>& candidates) {
  std::string message = at(file, key.source().begin) + ": unknown key " + quoted(key.str()) + " in " + where;
  if (const std::string near = detail::closestMatch(key.str(), candidates); !near.empty()) {
    message += "; did you mean " + quoted(near) + "?";
  } else if (const auto other = sectionWithKey(key.str(), section)) {
    message += "; it belongs in [" + std::string(detail::sectionName(*other)) + "]";
  } else {
    message += "; the keys there are: " + joined(candidates) + " (see docs/configuration.md)";
  }
  throw ConfigError(message);
}

// Reads the keys of one [section] table.
void readSection(const std::string& file, const toml::table& table, Section section, ServerConfig& config,
                 Origins& origins) {
  for (auto&& entry : table) {
    // Named, not structured bindings: clang 14 cannot capture those.
    const toml::key& key = entry.first;
    const toml::node& node = entry.second;
    bool found = false;
    detail::forEachOption(config, [&](Section s, std::string_view k, Kind kind, auto& field) {
      if (s != section || k != key.str()) return;
      found = true;
      const std::string name = dotted(s, k);
      const std::string where = at(file, node.source().begin);
      assign(Input{&node, {}, where + ": " + name}, kind, field);
      origins[name] = where;
    });
    if (!found) unknownKey(file, key, "[" + std::string(detail::sectionName(section)) + "]", section, keysOf(section));
  }
}

// Reads one [[namespace]] table.
NamespaceConfig readNamespace(const std::string& file, const toml::table& table, Origins& origins) {
  NamespaceConfig ns;
  const toml::node* nameNode = table.get("name");
  if (nameNode == nullptr) {
    throw ConfigError(at(file, table.source().begin) + ": a [[namespace]] without a name; add name = \"...\" (letters, digits, _ and -)");
  }
  const std::string nameWhere = at(file, nameNode->source().begin);
  ns.name = readString(Input{nameNode, {}, nameWhere + ": namespace.name"});
  origins["namespace." + ns.name] = nameWhere;

  std::vector<std::string> candidates{"name"};
  detail::forEachChannelOption(ns.options, [&](std::string_view k, Kind, auto&) { candidates.emplace_back(k); });
  for (auto&& entry : table) {
    const toml::key& key = entry.first;
    const toml::node& node = entry.second;
    if (key.str() == "name") continue;
    bool found = false;
    detail::forEachChannelOption(ns.options, [&](std::string_view k, Kind kind, auto& field) {
      if (k != key.str()) return;
      found = true;
      const std::string name = "namespace." + ns.name + "." + std::string(k);
      const std::string where = at(file, node.source().begin);
      assign(Input{&node, {}, where + ": " + name}, kind, field);
      origins[name] = where;
    });
    if (!found) unknownKey(file, key, "[[namespace]] " + quoted(ns.name), Section::Channel, candidates);
  }
  return ns;
}

std::optional<Section> sectionNamed(std::string_view name) {
  for (std::size_t i = 0; i < std::size(detail::kSectionNames); ++i) {
    if (detail::kSectionNames[i] == name) return static_cast<Section>(i);
  }
  return std::nullopt;
}

void readFile(const std::string& path, ServerConfig& config, Origins& origins) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw ConfigError("cannot read config file " + path + ": " + std::strerror(errno));
  std::string text;
  char buf[8192];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const int readError = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (readError != 0) throw ConfigError("cannot read config file " + path + ": " + std::strerror(readError));

  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw ConfigError(at(path, e.source().begin) + ": TOML syntax error: " + std::string(e.description()));
  }

  for (auto&& [key, node] : root) {
    const std::string where = at(path, key.source().begin);
    if (key.str() == "namespace") {
      const auto* array = node.as_array();
      if (array == nullptr) {
        throw ConfigError(where + ": namespace must be an array of tables; write [[namespace]] (two brackets) before each one");
      }
      for (const toml::node& element : *array) {
        const auto* table = element.as_table();
        if (table == nullptr) {
          throw ConfigError(at(path, element.source().begin) + ": namespace: expected a table, got " + describe(element) +
                            "; write [[namespace]] followed by its keys");
        }
        config.namespaces.push_back(readNamespace(path, *table, origins));
      }
      continue;
    }
    const auto section = sectionNamed(key.str());
    if (!section) {
      std::vector<std::string> sections(std::begin(detail::kSectionNames), std::end(detail::kSectionNames));
      sections.emplace_back("namespace");
      std::string message = where + ": unknown section " + quoted(key.str());
      if (const std::string near = detail::closestMatch(key.str(), sections); !near.empty()) {
        message += "; did you mean [" + near + "]?";
      } else if (const auto owner = sectionWithKey(key.str(), std::nullopt)) {
        message += "; options go inside a section: put it under [" + std::string(detail::sectionName(*owner)) + "]";
      } else {
        message += "; the sections are [server], [client], [api], [demo], [channel] and [[namespace]]";
      }
      throw ConfigError(message);
    }
    const auto* table = node.as_table();
    if (table == nullptr) {
      throw ConfigError(where + ": " + std::string(key.str()) + " must be a table; write [" + std::string(key.str()) + "] on a line of its own, then its keys");
    }
    readSection(path, *table, *section, config, origins);
  }
}

bool exempt(std::string_view name) {
  for (const std::string_view p : kExemptPrefixes) {
    if (name.starts_with(p)) return true;
  }
  return false;
}

void readEnvironment(char** env, ServerConfig& config, Origins& origins) {
  if (env == nullptr) return;
  for (char** e = env; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = entry.substr(0, eq);
    const std::string_view value = entry.substr(eq + 1);
    if (!name.starts_with("HERALD_") || exempt(name)) continue;

    bool found = false;
    std::vector<std::string> known;
    detail::forEachOption(config, [&](Section s, std::string_view key, Kind kind, auto& field) {
      const std::string var = envName(s, key);
      if (var != name) {
        known.push_back(var);
        return;
      }
      found = true;
      assign(Input{nullptr, value, "environment variable " + var}, kind, field);
      origins[dotted(s, key)] = var;
    });
    if (found) continue;
    std::string message = "unknown environment variable " + std::string(name);
    if (name.starts_with("HERALD_NAMESPACE")) {
      message += ": namespaces cannot be set from the environment; use [[namespace]] in the config file";
    } else if (const std::string near = detail::closestMatch(name, known); !near.empty()) {
      message += "; did you mean " + near + "?";
    } else {
      message += "; Herald reads every HERALD_* variable as configuration (HERALD_<SECTION>_<KEY>, see "
                 "docs/configuration.md): fix its name or unset it";
    }
    throw ConfigError(message);
  }
}

// Reads the PEM file an option names into `pem`.
void readPem(const std::string& path, std::string_view option, const Origins& origins, std::string& pem) {
  pem.clear();
  if (path.empty()) return;
  const auto origin = origins.find("client." + std::string(option));
  const std::string label = (origin != origins.end() ? origin->second + ": " : std::string()) + "client." + std::string(option);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  int error = f == nullptr ? errno : 0;
  if (f != nullptr) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) pem.append(buf, n);
    if (std::ferror(f)) error = errno;
    std::fclose(f);
  }
  if (error != 0) {
    throw ConfigError(label + ": cannot read " + path + ": " + std::strerror(error) +
                      "; give the path of a PEM public key file (relative to the working directory)");
  }
  if (pem.find("-----BEGIN ") == std::string::npos) {
    throw ConfigError(label + ": " + path + " is not a PEM file (no \"-----BEGIN\" line); give a public key in PEM form");
  }
}

ServerConfig read(const std::string& path, char** env, Origins& origins) {
  ServerConfig config;
  if (!path.empty()) readFile(path, config, origins);
  readEnvironment(env, config, origins);
  readPem(config.tokenRsaPublicKeyFile, "token_rsa_public_key_file", origins, config.tokenRsaPublicKey);
  readPem(config.tokenEcdsaPublicKeyFile, "token_ecdsa_public_key_file", origins, config.tokenEcdsaPublicKey);
  return config;
}

}  // namespace

ServerConfig readConfig(const std::string& path, char** environ) {
  Origins origins;
  return read(path, environ, origins);
}

ServerConfig loadConfig(const std::string& path, char** environ) {
  Origins origins;
  ServerConfig config = read(path, environ, origins);
  detail::validateConfigAt(config, &origins);
  return config;
}

}  // namespace herald::server
