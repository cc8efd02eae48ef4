#pragma once
// Negotiating permessage-deflate (RFC 7692 sections 5 and 7.1) in the
// Sec-WebSocket-Extensions headers of the opening handshake.
//
// Server: negotiateDeflate() reads every offer, in every
// Sec-WebSocket-Extensions header, and accepts the first permessage-deflate
// offer it can honour. An offer with an unknown or repeated parameter, a
// value where none belongs, a missing or invalid window size, or broken
// syntax is declined (RFC 7692 section 5) and the next one is tried; with no
// acceptable offer the handshake goes on without the extension.
//
// Client: deflateOffer() writes the offer; checkDeflateAnswer() reads the
// server's answer strictly, since RFC 6455 section 4.1 makes the client fail
// the connection on an answer it did not ask for: another extension, an
// unknown parameter, a value out of range, or one that does not answer the
// offer (client_max_window_bits not offered, a larger window than offered).
//
// Window bits 8: zlib cannot compress with a 256-byte raw window. A server
// therefore declines an offer with server_max_window_bits=8, and a client
// fails on an answer with client_max_window_bits=8; either side accepts to
// *receive* with 8 (it inflates with the full window, see deflate_codec.hpp).
//
// Header values are ASCII; names of extensions and parameters are compared
// without regard to case, and a value may be a token or a quoted-string
// (RFC 7230 section 3.2.6) that unquotes to a token.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "herald/http/request.hpp"
#include "herald/ws/deflate_codec.hpp"
#include "herald/ws/frame_parser.hpp"

namespace herald::ws {

inline constexpr std::string_view kPermessageDeflate = "permessage-deflate";

// What both ends agreed on, named as in the RFC: "server" is what the server
// compresses (and the client inflates), "client" the other direction.
struct DeflateParams {
  bool serverNoContextTakeover = false;   // the server resets its compressor after each message
  bool clientNoContextTakeover = false;   // the client does
  std::uint8_t serverMaxWindowBits = 15;  // the server compresses with at most 2^n bytes of window
  std::uint8_t clientMaxWindowBits = 15;  // the client does

  bool operator==(const DeflateParams&) const = default;
};

// The server's side. Out-of-range numbers are clamped to their range.
struct DeflateConfig {
  bool enabled = true;
  // Reset our compressor after every message: each message then compresses
  // on its own (a worse ratio; zlib's state stays allocated all the same).
  bool serverNoContextTakeover = false;
  // Ask clients to reset theirs (client_no_context_takeover in every answer).
  bool clientNoContextTakeover = false;
  int serverMaxWindowBits = 15;  // our compression window, 9..15
  // The window clients may use, 8..15; applied when the offer carries
  // client_max_window_bits (a client that does not offer it is accepted
  // anyway and may use 15).
  int clientMaxWindowBits = 15;
  int memLevel = 8;           // zlib memLevel 1..9 for our compressor (see deflate_codec.hpp)
  int compressionLevel = -1;  // zlib level 0..9, -1 for its default
  // Messages shorter than this are sent uncompressed. Not used here: the
  // engine applies it when it sends.
  std::size_t minCompressBytes = 64;
};

struct DeflateAgreement {
  DeflateParams params;
  std::string response;  // the value of the 101's Sec-WebSocket-Extensions header
};

// The first acceptable permessage-deflate offer of all the request's
// Sec-WebSocket-Extensions headers, or nullopt (none, or all declined, or
// config.enabled is false).
std::optional<DeflateAgreement> negotiateDeflate(const http::Request& request, const DeflateConfig& config);
// The same over one header value (or several joined with commas).
std::optional<DeflateAgreement> negotiateDeflate(std::string_view extensions, const DeflateConfig& config);

// The client's side. Out-of-range numbers are clamped to their range.
struct DeflateClientOptions {
  bool enabled = true;
  bool requestServerNoContextTakeover = false;  // offer server_no_context_takeover
  bool clientNoContextTakeover = false;         // offer client_no_context_takeover (we will reset)
  int serverMaxWindowBits = 15;                 // 8..14: offer server_max_window_bits=N
  // Offer client_max_window_bits (letting the server shrink our window), with
  // clientMaxWindowBits as its value when under 15.
  bool offerClientMaxWindowBits = true;
  int clientMaxWindowBits = 15;  // our compression window, 9..15
  int memLevel = 8;
  int compressionLevel = -1;
};

// The Sec-WebSocket-Extensions value to send, e.g.
// "permessage-deflate; client_max_window_bits"; empty when not enabled.
std::string deflateOffer(const DeflateClientOptions& options);

struct DeflateAnswer {
  std::optional<DeflateParams> params;  // nullopt: the server did not accept the extension
  std::string error;                    // not empty: fail the connection, for this reason

  bool ok() const { return error.empty(); }
};

// Checks the server's Sec-WebSocket-Extensions (all its headers joined with
// ", "; empty when it sent none) against the offer made with `offered`.
DeflateAnswer checkDeflateAnswer(std::string_view extensions, const DeflateClientOptions& offered);

// The codec settings of one end (`self`) of a connection with `params`:
// the Deflater compresses what `self` sends, the Inflater what it receives
// (the peer's window size does not matter to it).
DeflaterOptions deflaterOptions(const DeflateParams& params, Role self, int memLevel = 8, int level = -1);
InflaterOptions inflaterOptions(const DeflateParams& params, Role self, std::size_t maxMessageBytes);

}  // namespace herald::ws
