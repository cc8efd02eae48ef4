#pragma once
// A parsed HTTP/1.1 request head. Every view points into the bytes the parser
// was given, so a Request lives no longer than that buffer.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace herald::http {

struct Header {
  std::string_view name;
  std::string_view value;  // without leading and trailing whitespace
};

// ASCII case-insensitive comparison, as header names and tokens need.
bool equalsIgnoreCase(std::string_view a, std::string_view b);

// The header fields of a request or a response, in the order received.
struct HeaderFields {
  std::vector<Header> headers;

  // The first header called `name` (any case), if present.
  std::optional<std::string_view> header(std::string_view name) const;
  // How many headers are called `name`.
  std::size_t headerCount(std::string_view name) const;
  // Whether `token` is in the comma-separated list of any header called
  // `name`, compared case-insensitively ("Connection: keep-alive, Upgrade").
  bool headerHasToken(std::string_view name, std::string_view token) const;
};

struct Request : HeaderFields {
  std::string_view method;
  std::string_view target;  // as sent: path and query
  std::string_view path;    // target up to '?'
  std::string_view query;   // after '?', or empty
  int versionMinor = 1;     // HTTP/1.<versionMinor>
};

// A parsed response head (what a WebSocket client reads after its upgrade
// request).
struct Response : HeaderFields {
  int status = 0;
  std::string_view reason;
  int versionMinor = 1;
};

// The value of the first `name=value` pair of a query string (as sent, not
// percent-decoded), or nullopt when `name` is absent. A bare `name` is "".
inline std::optional<std::string_view> queryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// Calls fn(token) for each non-empty, trimmed element of a comma-separated list.
template <class Fn>
void forEachListElement(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) fn(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace herald::http
