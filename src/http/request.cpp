#include "herald/http/request.hpp"

namespace herald::http {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x |= 0x20;
    if (y >= 'A' && y <= 'Z') y |= 0x20;
    if (x != y) return false;
  }
  return true;
}

std::optional<std::string_view> HeaderFields::header(std::string_view name) const {
  for (const Header& h : headers)
    if (equalsIgnoreCase(h.name, name)) return h.value;
  return std::nullopt;
}

std::size_t HeaderFields::headerCount(std::string_view name) const {
  std::size_t n = 0;
  for (const Header& h : headers) n += equalsIgnoreCase(h.name, name);
  return n;
}

bool HeaderFields::headerHasToken(std::string_view name, std::string_view token) const {
  bool found = false;
  for (const Header& h : headers) {
    if (!equalsIgnoreCase(h.name, name)) continue;
    forEachListElement(h.value, [&](std::string_view item) { found = found || equalsIgnoreCase(item, token); });
  }
  return found;
}

}  // namespace herald::http
