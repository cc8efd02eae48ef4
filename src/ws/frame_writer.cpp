#include "herald/ws/frame_writer.hpp"

#include <cstring>

namespace herald::ws {

std::size_t encodeFrameHeader(char* out, Opcode op, std::uint64_t len, const FrameOptions& opts) {
  auto* p = reinterpret_cast<unsigned char*>(out);
  p[0] = static_cast<unsigned char>((opts.fin ? 0x80 : 0) | (opts.rsv1 ? 0x40 : 0) |
                                    static_cast<unsigned char>(op));
  const unsigned char maskBit = opts.mask ? 0x80 : 0;
  std::size_t n;
  if (len < 126) {
    p[1] = static_cast<unsigned char>(maskBit | len);
    n = 2;
  } else if (len <= 0xFFFF) {
    p[1] = maskBit | 126;
    p[2] = static_cast<unsigned char>(len >> 8);
    p[3] = static_cast<unsigned char>(len);
    n = 4;
  } else {
    p[1] = maskBit | 127;
    for (int i = 0; i < 8; ++i) p[2 + i] = static_cast<unsigned char>(len >> (56 - 8 * i));
    n = 10;
  }
  if (opts.mask) {
    std::memcpy(p + n, opts.mask->data(), 4);
    n += 4;
  }
  return n;
}

void appendFrame(std::string& out, Opcode op, std::string_view payload, const FrameOptions& opts) {
  char header[kMaxFrameHeaderBytes];
  std::size_t h = encodeFrameHeader(header, op, payload.size(), opts);
  std::size_t start = out.size();
  out.resize(start + h + payload.size());
  std::memcpy(out.data() + start, header, h);
  if (!payload.empty()) std::memcpy(out.data() + start + h, payload.data(), payload.size());
  if (opts.mask) applyMask(out.data() + start + h, payload.size(), *opts.mask, 0);
}

std::string_view truncateUtf8(std::string_view reason, std::size_t max) {
  if (reason.size() <= max) return reason;
  std::size_t n = max;
  // Step back over continuation bytes to the start of the cut sequence.
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  return reason.substr(0, n);
}

std::string closePayload(std::uint16_t code, std::string_view reason) {
  if (code == close_code::NoStatus) return {};
  std::string out;
  reason = truncateUtf8(reason, kMaxCloseReason);
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

}  // namespace herald::ws
