// renderConfig: the effective configuration as TOML, every option present,
// in the order of docs/configuration.md. readConfig() reads it back to the
// same ServerConfig (secrets aside, unless revealed).

#include <type_traits>

#include "config/options.hpp"

namespace herald::server {

namespace {

using detail::Kind;
using detail::Section;

template <class Field>
std::string renderValue(Kind kind, const Field& field, bool revealSecrets) {
  if constexpr (std::is_same_v<Field, std::string>) {
    if (kind == Kind::Secret && !revealSecrets && !field.empty()) return detail::tomlQuote(detail::kSecretPlaceholder);
    return detail::tomlQuote(field);
  } else if constexpr (std::is_same_v<Field, bool>) {
    return field ? "true" : "false";
  } else if constexpr (std::is_same_v<Field, std::chrono::seconds>) {
    return detail::tomlQuote(detail::formatSeconds(field));
  } else if constexpr (std::is_same_v<Field, std::vector<std::string>>) {
    std::string out = "[";
    for (std::size_t i = 0; i < field.size(); ++i) out += (i == 0 ? "" : ", ") + detail::tomlQuote(field[i]);
    return out + "]";
  } else if constexpr (std::is_same_v<Field, SlowConsumerPolicy>) {
    return field == SlowConsumerPolicy::Skip ? "\"skip\"" : "\"disconnect\"";
  } else {
    static_assert(std::is_unsigned_v<Field>);
    const std::string bytes = detail::formatBytes(field);
    if (kind == Kind::Bytes && bytes.back() == 'B') return detail::tomlQuote(bytes);
    return std::to_string(field);
  }
}

}  // namespace

std::string renderConfig(const ServerConfig& config, bool revealSecrets) {
  std::string out = "# Effective configuration of herald serve (defaults < file < environment < flags).\n";
  std::optional<Section> current;
  detail::forEachOption(config, [&](Section s, std::string_view key, Kind kind, const auto& field) {
    if (current != s) {
      out += "\n[" + std::string(detail::sectionName(s)) + "]\n";
      current = s;
    }
    out += std::string(key) + " = " + renderValue(kind, field, revealSecrets) + "\n";
  });
  // A public key set by a program rather than read from a file has no file
  // to name; say so, as the TOML cannot carry it.
  if (config.tokenRsaPublicKeyFile.empty() && !config.tokenRsaPublicKey.empty()) {
    out += "# client.token_rsa_public_key is set, but not from a file\n";
  }
  if (config.tokenEcdsaPublicKeyFile.empty() && !config.tokenEcdsaPublicKey.empty()) {
    out += "# client.token_ecdsa_public_key is set, but not from a file\n";
  }
  for (const NamespaceConfig& ns : config.namespaces) {
    out += "\n[[namespace]]\nname = " + detail::tomlQuote(ns.name) + "\n";
    detail::forEachChannelOption(ns.options, [&](std::string_view key, Kind kind, const auto& field) {
      out += std::string(key) + " = " + renderValue(kind, field, revealSecrets) + "\n";
    });
  }
  return out;
}

}  // namespace herald::server
