#include "herald/ws/client_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "herald/ws/handshake.hpp"

namespace herald::ws {

namespace {

ClientHandshakeResult fail(std::string why) {
  ClientHandshakeResult r;
  r.error = std::move(why);
  return r;
}

}  // namespace

std::string makeClientKey() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("the system's random generator failed");
  unsigned char encoded[32];
  int n = EVP_EncodeBlock(encoded, raw, sizeof raw);
  return std::string(reinterpret_cast<char*>(encoded), static_cast<std::size_t>(n));
}

std::string buildUpgradeRequest(const ClientHandshakeRequest& r) {
  std::string out;
  out.reserve(256);
  out.append("GET ").append(r.target.empty() ? "/" : r.target).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(r.host).append("\r\n");
  out.append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
  out.append("Sec-WebSocket-Key: ").append(r.key).append("\r\n");
  out.append("Sec-WebSocket-Version: 13\r\n");
  if (!r.subprotocols.empty()) {
    out.append("Sec-WebSocket-Protocol: ");
    for (std::size_t i = 0; i < r.subprotocols.size(); ++i) out.append(i ? ", " : "").append(r.subprotocols[i]);
    out.append("\r\n");
  }
  if (!r.extensions.empty()) out.append("Sec-WebSocket-Extensions: ").append(r.extensions).append("\r\n");
  if (!r.origin.empty()) out.append("Origin: ").append(r.origin).append("\r\n");
  for (const auto& [name, value] : r.extraHeaders) out.append(name).append(": ").append(value).append("\r\n");
  out.append("\r\n");
  return out;
}

ClientHandshakeResult checkUpgradeResponse(const http::Response& response, std::string_view key,
                                           const std::vector<std::string>& offeredSubprotocols) {
  if (response.status >= 300 && response.status < 400) {
    auto location = response.header("Location");
    return fail("the server redirected (HTTP " + std::to_string(response.status) + ") to '" +
                std::string(location.value_or("?")) + "'; redirects are not followed: connect to that URL instead");
  }
  if (response.status != 101)
    return fail("the server refused the upgrade with HTTP " + std::to_string(response.status) + " " +
                std::string(response.reason));
  if (!response.headerHasToken("Upgrade", "websocket")) return fail("the 101 response lacks 'Upgrade: websocket'");
  if (!response.headerHasToken("Connection", "upgrade")) return fail("the 101 response lacks 'Connection: Upgrade'");
  auto accept = response.header("Sec-WebSocket-Accept");
  if (!accept || response.headerCount("Sec-WebSocket-Accept") != 1 || *accept != acceptKeyFor(key))
    return fail("the server's Sec-WebSocket-Accept does not match our key");

  ClientHandshakeResult r;
  if (auto protocol = response.header("Sec-WebSocket-Protocol")) {
    if (response.headerCount("Sec-WebSocket-Protocol") != 1 ||
        std::find(offeredSubprotocols.begin(), offeredSubprotocols.end(), *protocol) == offeredSubprotocols.end())
      return fail("the server chose subprotocol '" + std::string(*protocol) + "', which we did not offer");
    r.subprotocol = std::string(*protocol);
  }
  for (const http::Header& h : response.headers) {
    if (!http::equalsIgnoreCase(h.name, "Sec-WebSocket-Extensions")) continue;
    if (!r.extensions.empty()) r.extensions.append(", ");
    r.extensions.append(h.value);
  }
  r.accepted = true;
  return r;
}

}  // namespace herald::ws
