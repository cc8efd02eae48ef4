#pragma once
// The server side of the opening handshake (RFC 6455 section 4.2).
//
// acceptHandshake() checks a parsed request and returns either the 101
// response to send, or the refusal: a status and a readable body saying what
// was wrong and how to fix it.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/http/request.hpp"
#include "herald/http/status.hpp"
#include "herald/ws/permessage_deflate.hpp"

namespace herald::ws {

struct HandshakeOptions {
  // Subprotocols this endpoint speaks, most preferred first. The first of
  // them that the client offered is selected; none is selected when the
  // client offered none of them (the RFC leaves the choice to the server).
  std::vector<std::string> subprotocols;
  // Decides whether a browser's Origin may connect; null allows every origin.
  // Requests without an Origin header (non-browser clients) are not asked.
  // `host` is the request's Host header, for same-host policies.
  std::function<bool(std::string_view origin, std::string_view host)> allowOrigin;
  // permessage-deflate (RFC 7692): negotiated when set, enabled and offered
  // acceptably by the client (see permessage_deflate.hpp). An unacceptable
  // offer is declined, never a reason to refuse the handshake.
  std::optional<DeflateConfig> deflate;
};

struct HandshakeResult {
  bool accepted = false;
  http::Status status = http::Status::BadRequest;
  std::string reason;       // refusal: what was wrong, one line
  std::string response;     // the bytes to send: the 101 head or the refusal
  std::string subprotocol;  // selected subprotocol, empty if none
  // The negotiated permessage-deflate parameters, also answered in the 101's
  // Sec-WebSocket-Extensions header; nullopt when not negotiated.
  std::optional<DeflateParams> deflate;
};

HandshakeResult acceptHandshake(const http::Request& request, const HandshakeOptions& options);

// base64(SHA-1(key + the RFC's GUID)), the Sec-WebSocket-Accept value.
std::string acceptKeyFor(std::string_view clientKey);

// Loads what acceptKeyFor() needs from OpenSSL (its provider tables, about
// 2 MB, once per process). herald::App calls it when it is made, so that no
// connection pays for it; without the call the first handshake does.
void prepareHandshakeCrypto();

// Whether `key` is the base64 encoding of 16 bytes.
bool isValidClientKey(std::string_view key);

}  // namespace herald::ws
