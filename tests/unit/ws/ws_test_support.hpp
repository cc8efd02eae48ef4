#pragma once
// Helpers for the WebSocket parser tests:
//  - Frame: a frame builder written from RFC 6455 5.2 independently of
//    herald's FrameWriter, able to produce malformed frames too;
//  - Recorder: a MessageHandler that records every event;
//  - readEveryWay(): feeds a MessageReader whole, byte by byte, at every
//    split point and in random pieces, and expects the same events each time;
//  - parseFramesEveryWay(): the same for a bare FrameParser, checking its
//    step contract (consumed counts, in-place payload, remaining()).

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "herald/ws/frame_parser.hpp"
#include "herald/ws/mask.hpp"
#include "herald/ws/message_reader.hpp"
#include "herald/ws/opcode.hpp"
#include "support/chunking.hpp"

namespace herald::test {

using ws::MaskKey;
using ws::Opcode;

// The key of RFC 6455 section 5.7's masked "Hello" example.
inline constexpr MaskKey kKey = {0x37, 0xfa, 0x21, 0x3d};

// One frame, masked with kKey unless told otherwise; setters chain:
// Frame(0x1, "Hello").notFin().bytes().
class Frame {
 public:
  explicit Frame(std::uint8_t opcode, std::string payload = {}) : opcode_(opcode), payload_(std::move(payload)) {}

  Frame& fin(bool fin) { fin_ = fin; return *this; }
  Frame& notFin() { return fin(false); }
  Frame& rsv(std::uint8_t bits) { rsv_ = bits; return *this; }  // RSV1..3 as 0x4, 0x2, 0x1
  Frame& unmasked() { masked_ = false; return *this; }
  Frame& key(const MaskKey& key) { key_ = key; return *this; }
  // 0, 2 or 8 extended length bytes, also when a shorter form would do.
  Frame& lengthBytes(int n) { lengthBytes_ = n; return *this; }
  // A length other than the payload's, for headers sent without their payload.
  Frame& declaredLength(std::uint64_t n) { declaredLength_ = n; return *this; }

  std::string bytes() const {
    std::string out;
    out.push_back(static_cast<char>((fin_ ? 0x80 : 0) | (rsv_ << 4) | (opcode_ & 0x0F)));
    const std::uint64_t len = declaredLength_.value_or(payload_.size());
    int ext = lengthBytes_;
    if (ext < 0) ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
    const int maskBit = masked_ ? 0x80 : 0;
    if (ext == 0) {
      out.push_back(static_cast<char>(maskBit | static_cast<int>(len)));
    } else {
      out.push_back(static_cast<char>(maskBit | (ext == 2 ? 126 : 127)));
      for (int i = ext - 1; i >= 0; --i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
    }
    if (masked_)
      for (std::uint8_t b : key_) out.push_back(static_cast<char>(b));
    for (std::size_t i = 0; i < payload_.size(); ++i)
      out.push_back(static_cast<char>(payload_[i] ^ (masked_ ? key_[i % 4] : 0)));
    return out;
  }

 private:
  std::uint8_t opcode_;
  std::string payload_;
  bool fin_ = true;
  std::uint8_t rsv_ = 0;
  bool masked_ = true;
  MaskKey key_ = kKey;
  int lengthBytes_ = -1;
  std::optional<std::uint64_t> declaredLength_;
};

// Masked (client) frames, the usual input of a server-role reader.
inline std::string text(std::string payload, bool fin = true) {
  return Frame(0x1, std::move(payload)).fin(fin).bytes();
}
inline std::string binary(std::string payload, bool fin = true) {
  return Frame(0x2, std::move(payload)).fin(fin).bytes();
}
inline std::string continuation(std::string payload, bool fin) {
  return Frame(0x0, std::move(payload)).fin(fin).bytes();
}
inline std::string ping(std::string payload) { return Frame(0x9, std::move(payload)).bytes(); }
inline std::string pong(std::string payload) { return Frame(0xA, std::move(payload)).bytes(); }
inline std::string closeRaw(std::string payload) { return Frame(0x8, std::move(payload)).bytes(); }
inline std::string closeFrame(std::uint16_t code, std::string reason = {}) {
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  return closeRaw(payload + reason);
}

// ---- MessageReader --------------------------------------------------------

struct Event {
  enum Kind { Message, Ping, Pong, Close, Error };
  Kind kind = Message;
  Opcode opcode = Opcode::Text;  // Message
  std::string payload;           // Message, Ping, Pong payload; Close, Error reason
  std::uint16_t code = 0;        // Close, Error

  bool operator==(const Event&) const = default;
};

inline Event message(std::string payload, Opcode op = Opcode::Text) {
  return {Event::Message, op, std::move(payload), 0};
}
inline Event binaryMessage(std::string payload) { return message(std::move(payload), Opcode::Binary); }
inline Event pingEvent(std::string payload) { return {Event::Ping, Opcode::Text, std::move(payload), 0}; }
inline Event pongEvent(std::string payload) { return {Event::Pong, Opcode::Text, std::move(payload), 0}; }
inline Event closeEvent(std::uint16_t code, std::string reason = {}) {
  return {Event::Close, Opcode::Text, std::move(reason), code};
}

inline std::ostream& operator<<(std::ostream& os, const Event& e) {
  static const char* kinds[] = {"Message", "Ping", "Pong", "Close", "Error"};
  os << kinds[e.kind];
  if (e.kind == Event::Message) os << (e.opcode == Opcode::Binary ? "(binary)" : "(text)");
  if (e.kind == Event::Close || e.kind == Event::Error) os << "(" << e.code << ")";
  return os << " \"" << escapeBytes(e.payload, 40) << "\"";
}

class Recorder : public ws::MessageHandler {
 public:
  void onMessage(std::string_view payload, Opcode opcode) override {
    events.push_back({Event::Message, opcode, std::string(payload), 0});
  }
  void onPing(std::string_view payload) override { events.push_back(pingEvent(std::string(payload))); }
  void onPong(std::string_view payload) override { events.push_back(pongEvent(std::string(payload))); }
  void onClose(std::uint16_t code, std::string_view reason) override {
    events.push_back(closeEvent(code, std::string(reason)));
  }
  void onProtocolError(std::uint16_t code, std::string_view reason) override {
    events.push_back({Event::Error, Opcode::Text, std::string(reason), code});
  }

  std::vector<Event> events;
};

struct ReaderConfig {
  ws::Role role = ws::Role::Server;
  std::size_t maxMessageBytes = 64 * 1024;
  std::uint16_t maxEmptyFrames = 0;  // MessageReader::setMaxEmptyFrames
};

struct ReadOutcome {
  std::vector<Event> events;
  bool ended = false;  // a feed() returned false

  // The error's close code, or 0 when none was reported.
  std::uint16_t errorCode() const {
    for (const Event& e : events)
      if (e.kind == Event::Error) return e.code;
    return 0;
  }
  bool operator==(const ReadOutcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const ReadOutcome& r) {
  os << (r.ended ? "ended" : "open") << " [";
  for (const Event& e : r.events) os << e << "; ";
  return os << "]";
}

// Feeds `bytes` in pieces of `sizes`, each piece in a buffer of its own (the
// reader unmasks in place and may only look at a piece during feed()).
// Checks the end-of-stream contract on the way: once feed() has returned
// false, later calls return false and report nothing.
// `reader` comes configured (limits, extensions) and unused.
inline ReadOutcome readChunksWith(ws::MessageReader& reader, const std::string& bytes,
                                  const std::vector<std::size_t>& sizes) {
  Recorder rec;
  ReadOutcome out;
  std::size_t pos = 0;
  for (std::size_t n : sizes) {
    std::string piece = bytes.substr(pos, n);
    pos += n;
    const std::size_t before = rec.events.size();
    const bool more = reader.feed(piece.data(), piece.size(), rec);
    EXPECT_EQ(more, !reader.done());
    if (out.ended) {
      EXPECT_FALSE(more) << "feed() went on after the stream ended";
      EXPECT_EQ(rec.events.size(), before) << "events after the stream ended";
    }
    if (!more) out.ended = true;
  }
  // A close or an error ends the stream, and nothing is reported after it.
  for (std::size_t i = 0; i < rec.events.size(); ++i) {
    const bool final = rec.events[i].kind == Event::Close || rec.events[i].kind == Event::Error;
    if (final) {
      EXPECT_EQ(i + 1, rec.events.size()) << "events after " << rec.events[i];
      EXPECT_TRUE(out.ended);
    }
  }
  out.events = std::move(rec.events);
  return out;
}

inline ReadOutcome readChunks(const std::string& bytes, const std::vector<std::size_t>& sizes,
                              ReaderConfig cfg = {}) {
  ws::MessageReader reader(cfg.role, cfg.maxMessageBytes);
  reader.setMaxEmptyFrames(cfg.maxEmptyFrames);
  return readChunksWith(reader, bytes, sizes);
}

inline ReadOutcome readEveryWay(const std::string& bytes, ReaderConfig cfg = {}) {
  return sameForEveryChunking(
      bytes, [&](const std::string& b, const std::vector<std::size_t>& sizes) { return readChunks(b, sizes, cfg); });
}

// Feeds `prefix` whole and returns what was reported: for checking that an
// error is reported before the rest of the frame arrives.
inline ReadOutcome readPrefix(const std::string& prefix, ReaderConfig cfg = {}) {
  return readChunks(prefix, {prefix.size()}, cfg);
}

inline std::string concat(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

// ---- FrameParser ----------------------------------------------------------

struct ParsedFrame {
  bool fin = false;
  bool rsv1 = false;
  Opcode opcode = Opcode::Continuation;
  bool masked = false;
  MaskKey mask{};
  std::uint64_t length = 0;
  std::string payload;  // unmasked
  bool ended = false;   // FrameEnd was reported

  bool operator==(const ParsedFrame&) const = default;
};

struct FrameOutcome {
  std::vector<ParsedFrame> frames;
  std::uint16_t errorCode = 0;  // 0: no error
  std::string reason;

  bool operator==(const FrameOutcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const FrameOutcome& r) {
  os << "[";
  for (const ParsedFrame& f : r.frames)
    os << "{op=" << int(f.opcode) << (f.fin ? " fin" : "") << (f.rsv1 ? " rsv1" : "") << " len=" << f.length
       << " \"" << escapeBytes(f.payload, 40) << "\"" << (f.ended ? " end" : "") << "} ";
  os << "]";
  if (r.errorCode) os << " error " << r.errorCode << " (" << r.reason << ")";
  return os;
}

struct ParserConfig {
  ws::Role role = ws::Role::Server;
  bool allowRsv1 = false;
};

// Steps a FrameParser over `bytes` cut into `sizes`, checking the step
// contract: NeedMore only once the piece is used up, a Payload step is the
// unmasked bytes where they lie, FrameEnd uses no bytes, remaining() counts
// down to zero, and after an error the parser keeps failing.
inline FrameOutcome parseFrameChunks(const std::string& bytes, const std::vector<std::size_t>& sizes,
                                     ParserConfig cfg = {}) {
  ws::FrameParser parser(cfg.role, cfg.allowRsv1);
  FrameOutcome out;
  std::size_t pos = 0;
  bool inFrame = false;
  for (std::size_t n : sizes) {
    std::string piece = bytes.substr(pos, n);
    pos += n;
    std::size_t at = 0;
    for (int guard = 0; guard < 1000000; ++guard) {
      ws::FrameStep s = parser.next(piece.data() + at, piece.size() - at);
      EXPECT_LE(s.consumed, piece.size() - at);
      if (s.kind == ws::FrameStep::NeedMore) {
        EXPECT_EQ(at + s.consumed, piece.size()) << "NeedMore with bytes left over";
        at += s.consumed;
        break;
      }
      at += s.consumed;
      if (s.kind == ws::FrameStep::Error) {
        out.errorCode = s.closeCode;
        out.reason = s.reason;
        ws::FrameStep again = parser.next(piece.data() + at, piece.size() - at);
        EXPECT_EQ(again.kind, ws::FrameStep::Error) << "parser recovered after an error";
        EXPECT_EQ(again.consumed, 0u);
        return out;
      }
      if (s.kind == ws::FrameStep::Header) {
        EXPECT_FALSE(inFrame) << "Header before the previous frame ended";
        inFrame = true;
        const ws::FrameHeader& h = parser.header();
        out.frames.push_back({h.fin, h.rsv1, h.opcode, h.masked, h.masked ? h.mask : MaskKey{}, h.length, {}, false});
        EXPECT_EQ(parser.remaining(), h.length);
      } else if (s.kind == ws::FrameStep::Payload) {
        EXPECT_TRUE(inFrame);
        EXPECT_GT(s.consumed, 0u);
        EXPECT_EQ(s.payload.size(), s.consumed);
        EXPECT_EQ(s.payload.data(), piece.data() + at - s.consumed) << "payload not in place";
        out.frames.back().payload.append(s.payload);
        EXPECT_EQ(parser.remaining(), out.frames.back().length - out.frames.back().payload.size());
      } else if (s.kind == ws::FrameStep::FrameEnd) {
        EXPECT_TRUE(inFrame);
        EXPECT_EQ(s.consumed, 0u);
        EXPECT_EQ(parser.remaining(), 0u);
        EXPECT_EQ(out.frames.back().payload.size(), out.frames.back().length);
        out.frames.back().ended = true;
        inFrame = false;
      }
    }
  }
  return out;
}

inline FrameOutcome parseFramesEveryWay(const std::string& bytes, ParserConfig cfg = {}) {
  return sameForEveryChunking(bytes, [&](const std::string& b, const std::vector<std::size_t>& sizes) {
    return parseFrameChunks(b, sizes, cfg);
  });
}

}  // namespace herald::test
