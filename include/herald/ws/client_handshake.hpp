#pragma once
// The client side of the opening handshake (RFC 6455 section 4.1): the
// upgrade request, and the checks a client must make of the server's answer
// before it may send a frame.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/http/request.hpp"

namespace herald::ws {

struct ClientHandshakeRequest {
  std::string host;  // Host header value: host, plus ":port" when not the default
  std::string target = "/";  // path and query
  std::string key;           // from makeClientKey()
  std::vector<std::string> subprotocols;
  std::string extensions;  // Sec-WebSocket-Extensions offer, or empty
  std::string origin;      // Origin header, or empty
  std::vector<std::pair<std::string, std::string>> extraHeaders;
};

// 16 bytes from OpenSSL's CSPRNG, in base64.
std::string makeClientKey();

std::string buildUpgradeRequest(const ClientHandshakeRequest& request);

struct ClientHandshakeResult {
  bool accepted = false;
  std::string error;        // why the client must fail the connection
  std::string subprotocol;  // the server's choice, or empty
  std::string extensions;   // the server's Sec-WebSocket-Extensions answer, or empty
};

// Checks the server's response head: 101, Upgrade and Connection tokens,
// Sec-WebSocket-Accept matching `key`, a subprotocol only from those offered.
// Redirects are refused with the target they name. Extensions are returned
// for the caller to validate against what it offered.
ClientHandshakeResult checkUpgradeResponse(const http::Response& response, std::string_view key,
                                           const std::vector<std::string>& offeredSubprotocols);

}  // namespace herald::ws
