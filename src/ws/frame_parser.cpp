#include "herald/ws/frame_parser.hpp"

#include <algorithm>
#include <cstring>

namespace herald::ws {

namespace {

FrameStep step(FrameStep::Kind kind, std::size_t consumed) {
  FrameStep s;
  s.kind = kind;
  s.consumed = consumed;
  return s;
}

FrameStep fail(std::size_t consumed, const char* reason) {
  FrameStep s;
  s.kind = FrameStep::Error;
  s.consumed = consumed;
  s.closeCode = close_code::ProtocolError;
  s.reason = reason;
  return s;
}

}  // namespace

FrameStep FrameParser::next(char* data, std::size_t len) {
  switch (state_) {
    case State::Header:
      return parseHeader(data, len);
    case State::Payload: {
      FrameStep s;
      if (len == 0) return s;  // NeedMore
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(len, remaining_));
      if (header_.masked) maskPhase_ = static_cast<std::uint8_t>(applyMask(data, n, header_.mask, maskPhase_));
      remaining_ -= n;
      if (remaining_ == 0) state_ = State::End;
      s.kind = FrameStep::Payload;
      s.consumed = n;
      s.payload = std::string_view(data, n);
      return s;
    }
    case State::End: {
      state_ = State::Header;
      FrameStep s;
      s.kind = FrameStep::FrameEnd;
      return s;
    }
    case State::Failed:
      break;
  }
  return fail(0, "frame parser already failed");
}

FrameStep FrameParser::parseHeader(char* data, std::size_t len) {
  std::size_t take = 0;
  while (partialLen_ < 2 && take < len) partial_[partialLen_++] = data[take++];
  if (partialLen_ < 2) return step(FrameStep::NeedMore, take);

  const auto b0 = static_cast<unsigned char>(partial_[0]);
  const auto b1 = static_cast<unsigned char>(partial_[1]);
  const auto opcode = static_cast<std::uint8_t>(b0 & 0x0F);
  const bool masked = (b1 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7F;

  // Everything the first two bytes can break is refused before reading on.
  auto refuse = [&](const char* reason) {
    state_ = State::Failed;
    return fail(take, reason);
  };
  if (b0 & 0x30) return refuse("reserved bits RSV2/RSV3 set without an extension");
  if ((b0 & 0x40) && !allowRsv1_) return refuse("reserved bit RSV1 set without an extension");
  if (!isKnownOpcode(opcode)) return refuse("unknown opcode");
  if (opcode & 0x8) {
    if (!(b0 & 0x80)) return refuse("fragmented control frame");
    if (len7 > 125) return refuse("control frame payload over 125 bytes");
    if (b0 & 0x40) return refuse("RSV1 set on a control frame");
  }
  if (role_ == Role::Server && !masked) return refuse("client frame is not masked");
  if (role_ == Role::Client && masked) return refuse("server frame is masked");

  const std::size_t extLen = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  const std::size_t needed = 2 + extLen + (masked ? 4 : 0);
  while (partialLen_ < needed && take < len) partial_[partialLen_++] = data[take++];
  if (partialLen_ < needed) return step(FrameStep::NeedMore, take);

  const auto* p = reinterpret_cast<const unsigned char*>(partial_);
  std::uint64_t length = len7;
  if (extLen == 2) {
    length = (std::uint64_t{p[2]} << 8) | p[3];
  } else if (extLen == 8) {
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | p[2 + i];
    if (length >> 63) return refuse("64-bit payload length has its top bit set");
  }

  header_.fin = (b0 & 0x80) != 0;
  header_.rsv1 = (b0 & 0x40) != 0;
  header_.opcode = static_cast<Opcode>(opcode);
  header_.masked = masked;
  header_.length = length;
  if (masked) std::memcpy(header_.mask.data(), p + 2 + extLen, 4);
  remaining_ = length;
  maskPhase_ = 0;
  partialLen_ = 0;
  state_ = length ? State::Payload : State::End;
  return step(FrameStep::Header, take);
}

}  // namespace herald::ws
