#pragma once
// Decoding the commands of one client frame (the Protobuf Centrifugo
// protocol, src/proto/client.proto).
//
// A frame is one whole WebSocket binary message holding one or more
// Commands, each preceded by its length as a varint. The result is the one
// CommandDecoder gives (command_decoder.hpp), with the same limits and the
// same refusals, each a DisconnectCode (3501 "bad request") and a reason:
// an empty frame; a length that is not a varint, ends the frame early, or
// runs past it; a Command protobuf cannot parse (a field of the wrong wire
// type, a truncated field); a command with no method or several; an id of
// 0 on anything but `send`; a string over its limit or not UTF-8. An empty
// Command (length 0) is the client's pong.
//
// `data` fields are bytes, handed out unchanged (they need not be JSON).
// The views in the decoded commands point into messages the decoder keeps
// (on an arena it reuses) until the next decode().

#include <memory>
#include <string_view>
#include <vector>

#include "herald/proto/command_decoder.hpp"

namespace herald::proto {

class ProtobufCommandDecoder final : public FrameDecoder {
 public:
  explicit ProtobufCommandDecoder(DecodeLimits limits = {});
  ~ProtobufCommandDecoder() override;
  ProtobufCommandDecoder(ProtobufCommandDecoder&&) noexcept;
  ProtobufCommandDecoder& operator=(ProtobufCommandDecoder&&) noexcept;

  // Clears `out` (keeping its capacity) and decodes every command of `frame`.
  DecodeResult decode(std::string_view frame, std::vector<Command>& out) override;

  const DecodeLimits& limits() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::proto
