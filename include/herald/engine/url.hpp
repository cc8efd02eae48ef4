#pragma once
// ws:// and wss:// URLs (RFC 6455 section 3).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

struct WsUrl {
  bool tls = false;
  std::string host;    // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"
  std::string hostHeader() const;  // host, with ":port" when not the scheme's default
};

// Parses `url`; on failure returns nullopt and says why in `error`.
std::optional<WsUrl> parseWsUrl(std::string_view url, std::string& error);

}  // namespace herald
