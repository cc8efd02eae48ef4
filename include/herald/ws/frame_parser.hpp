#pragma once
// Decoding frames (RFC 6455 section 5.2) from a byte stream split anywhere.
//
// The parser is a pull parser over bytes the caller owns: next() looks at the
// bytes not yet consumed and returns one step — a complete header, a piece of
// payload (unmasked in place), the end of a frame, "need more bytes", or an
// error with the close code the peer must receive. It checks everything that
// one frame alone can break; rules that span frames (fragmentation, UTF-8,
// message size) belong to MessageReader.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "herald/ws/mask.hpp"
#include "herald/ws/opcode.hpp"

namespace herald::ws {

enum class Role : std::uint8_t { Server, Client };

struct FrameHeader {
  bool fin = false;
  bool rsv1 = false;
  Opcode opcode = Opcode::Continuation;
  bool masked = false;
  MaskKey mask{};
  std::uint64_t length = 0;
};

struct FrameStep {
  enum Kind : std::uint8_t { NeedMore, Header, Payload, FrameEnd, Error };
  Kind kind = NeedMore;
  std::size_t consumed = 0;   // bytes of the input this step used
  std::string_view payload;   // Payload: the unmasked piece, inside the input
  std::uint16_t closeCode = 0;  // Error: the code to close with
  const char* reason = "";      // Error: why, for the close frame and the log
};

class FrameParser {
 public:
  // A server requires masked frames from its clients and a client requires
  // unmasked ones from its server. RSV1 is allowed only when an extension
  // (permessage-deflate) gave it a meaning.
  explicit FrameParser(Role role = Role::Server, bool allowRsv1 = false)
      : role_(role), allowRsv1_(allowRsv1) {}

  void setAllowRsv1(bool allow) { allowRsv1_ = allow; }

  // One step over `data` (the bytes not consumed yet). Payload bytes are
  // unmasked where they lie, hence the mutable input.
  FrameStep next(char* data, std::size_t len);

  const FrameHeader& header() const { return header_; }
  // Payload bytes of the current frame still to come.
  std::uint64_t remaining() const { return remaining_; }

 private:
  FrameStep parseHeader(char* data, std::size_t len);

  enum class State : std::uint8_t { Header, Payload, End, Failed };
  FrameHeader header_;
  std::uint64_t remaining_ = 0;
  std::uint8_t maskPhase_ = 0;
  std::uint8_t partialLen_ = 0;  // header bytes buffered from earlier input
  State state_ = State::Header;
  Role role_;
  bool allowRsv1_;
  char partial_[14] = {};
};

}  // namespace herald::ws
