#pragma once
// Decoding the commands of one client frame (the JSON Centrifugo protocol).
//
// A frame is one whole WebSocket text message; it holds one command per line,
// lines separated by '\n'. One trailing '\n' is allowed; an empty frame,
// or an empty line anywhere else, is refused (as Centrifugo does). A line is
// one JSON object; whitespace around it, including a '\r', is JSON's own.
//
// The convention is the house one (see http::RequestParser): decode()
// returns Ok, or Error with the Centrifugo disconnect code to close with and a
// one-line reason. Nothing throws: simdjson is used through its error-code
// API, and allocation failure is the only exception that can escape.
//
// On Error, `out` keeps the commands decoded before the bad line (count says
// how many), so a server may choose to serve them before disconnecting, the
// way Centrifugo handles a frame command by command; `index` is the bad line.
//
// The decoder is meant to live as long as a connection (or a loop): it keeps
// its simdjson parser, a padded copy of the frame and the buffer unescaped
// strings go to, and reuses them, so a frame allocates nothing once the
// buffers have grown to the largest frame seen (beyond what `out` itself
// needs, e.g. connect's subs). The views in the decoded commands point into
// these buffers and are valid until the next decode().

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "herald/proto/codes.hpp"
#include "herald/proto/command.hpp"

namespace herald::proto {

struct DecodeLimits {
  std::size_t maxCommandsPerFrame = 100;
  std::size_t maxChannelBytes = 255;        // channel names (Centrifugo's default)
  std::size_t maxStringBytes = 16 * 1024;   // tokens, epochs, names, rpc methods
  std::size_t maxConnectSubs = 1024;        // entries of connect.subs
  std::size_t maxDepth = 64;                // nesting of arrays/objects inside a data value
};

struct DecodeResult {
  enum Kind { Ok, Error };
  Kind kind = Ok;
  std::size_t count = 0;                                 // commands appended to `out`
  DisconnectCode disconnect = DisconnectCode::BadRequest;  // Error: close with this
  const char* reason = "";                               // Error: why, one line
  std::size_t index = 0;                                 // Error: which line (0-based)
};

// Decodes the commands of one client frame, in some wire format (codec.hpp).
class FrameDecoder {
 public:
  virtual ~FrameDecoder() = default;
  // Clears `out` (keeping its capacity) and decodes every command of `frame`.
  virtual DecodeResult decode(std::string_view frame, std::vector<Command>& out) = 0;
};

class CommandDecoder final : public FrameDecoder {
 public:
  explicit CommandDecoder(DecodeLimits limits = {});
  ~CommandDecoder() override;
  CommandDecoder(CommandDecoder&&) noexcept;
  CommandDecoder& operator=(CommandDecoder&&) noexcept;

  // Clears `out` (keeping its capacity) and decodes every command of `frame`.
  DecodeResult decode(std::string_view frame, std::vector<Command>& out) override;

  const DecodeLimits& limits() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::proto
