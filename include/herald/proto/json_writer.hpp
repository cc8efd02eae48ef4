#pragma once
// The JSON primitives the encoders are made of. Each appends to a caller's
// std::string and allocates only when that string has to grow.

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::proto {

// `s` as a quoted JSON string. '"', '\\' and control characters are escaped
// (\n, \t, ... or \u00XX); valid UTF-8 is copied as is; each byte of an
// invalid UTF-8 sequence becomes \ufffd, so the output is always valid UTF-8
// and valid JSON, as a WebSocket text frame must be.
void appendJsonString(std::string& out, std::string_view s);

// Raw JSON text (a `data` payload) copied unchanged, except that any '\n' is
// dropped: messages of a frame are separated by '\n', and in valid JSON a raw
// newline can only be whitespace between tokens, so removing it changes
// nothing a receiver decodes. The caller vouches that `raw` is valid JSON
// (the decoder checked what came from clients).
void appendRawJson(std::string& out, std::string_view raw);

void appendUint(std::string& out, std::uint64_t value);
void appendInt(std::string& out, std::int64_t value);

// Writes one frame of several messages separated by '\n':
//   FrameBuilder frame(buffer);
//   encodePublishReply(frame.next(), 1);
//   encodeErrorReply(frame.next(), 2, ErrorCode::PermissionDenied);
class FrameBuilder {
 public:
  explicit FrameBuilder(std::string& out) : out_(out), start_(out.size()) {}
  // The buffer to append the next message to (after a '\n' if one came before).
  std::string& next() {
    if (out_.size() > start_) out_.push_back('\n');
    return out_;
  }

 private:
  std::string& out_;
  std::size_t start_;
};

}  // namespace herald::proto
