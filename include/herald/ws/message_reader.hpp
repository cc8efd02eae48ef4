#pragma once
// From frames to messages: the rules of RFC 6455 that span frames.
//
// MessageReader drives a FrameParser and enforces fragmentation (continuation
// frames, control frames interleaved), UTF-8 of text messages and close
// reasons (failing at the first bad byte, even across fragments), the close
// frame's status-code rules, and the maximum message size, which is checked
// against each frame header before any of its payload is buffered.
//
// It owns no socket: feed() takes bytes and reports each event to a
// MessageHandler. After a close frame or an error it reads nothing more.
//
// With permessage-deflate (enableDeflate(), once negotiated) RSV1 marks the
// first frame of a compressed message; it is a protocol error (1002) on a
// continuation frame (and, from FrameParser, on a control frame). A
// compressed message is inflated as its payload arrives: its wire size and
// its inflated size are each held to maxMessageBytes (1009, with no more
// than the limit plus one 16 KiB chunk ever buffered), a corrupt stream is
// 1007, and UTF-8 is checked on the inflated text as it comes out.
//
// Frames that carry no message bytes (control frames, and data frames that
// are empty and not a message's last) cost the peer a few bytes and the
// reader a whole frame's work, and no per-message limit sees them. Up to
// setMaxEmptyFrames() of them are accepted between two resetFrameBudget()
// calls (the connection calls it once a second); one more fails with 1008.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "herald/ws/deflate_codec.hpp"
#include "herald/ws/frame_parser.hpp"
#include "herald/ws/permessage_deflate.hpp"
#include "herald/ws/utf8_validator.hpp"

namespace herald::ws {

class MessageHandler {
 public:
  // A complete Text or Binary message. `payload` is valid only during the call.
  virtual void onMessage(std::string_view payload, Opcode opcode) = 0;
  virtual void onPing(std::string_view payload) = 0;
  virtual void onPong(std::string_view payload) = 0;
  // The peer's close frame; `code` is 1005 when the frame carried none.
  virtual void onClose(std::uint16_t code, std::string_view reason) = 0;
  // The peer broke the protocol; the connection must be closed with `code`.
  virtual void onProtocolError(std::uint16_t code, std::string_view reason) = 0;

 protected:
  ~MessageHandler() = default;
};

class MessageReader {
 public:
  explicit MessageReader(Role role = Role::Server, std::size_t maxMessageBytes = 64 * 1024)
      : parser_(role), maxMessageBytes_(clampMessageBytes(maxMessageBytes)), role_(role) {}

  // Accept compressed messages from now on, as negotiated in the handshake
  // (call it before feeding the first frame). The reader owns the Inflater;
  // zlib's state is allocated with the first compressed message.
  void enableDeflate(const DeflateParams& params);
  bool deflateEnabled() const { return inflater_ != nullptr; }

  // Consumes `data` (unmasking it in place) and reports events to `handler`.
  // Returns false once the stream has ended: a close frame or an error was
  // reported, or stop() was called from a handler; bytes after that point are
  // left unread.
  bool feed(char* data, std::size_t len, MessageHandler& handler);

  // Stop reading: feed() returns at the next step and reads nothing more.
  void stop() { done_ = true; }
  bool done() const { return done_; }

  // Whether a fragmented message is half-way through.
  bool inMessage() const { return inMessage_; }
  std::size_t maxMessageBytes() const { return maxMessageBytes_; }
  // At most 4 GiB - 1; larger values are clamped.
  void setMaxMessageBytes(std::size_t n);
  // Frames without message bytes accepted per budget period (see the file
  // comment); 0: no limit.
  void setMaxEmptyFrames(std::uint16_t n) { maxEmptyFrames_ = n; }
  void resetFrameBudget() { emptyFrames_ = 0; }
  // Bytes of buffer the reader holds for a message or control frame still
  // arriving in pieces (capacity, not content); 0 between messages.
  std::size_t heldBytes() const;

 private:
  // What only a message or control frame that arrives in pieces needs. A
  // frame whose payload is whole in the input is delivered from the input,
  // so most connections never allocate this; it is freed when the message
  // (or the control frame outside a message) ends.
  struct Pieces {
    std::string message;          // fragments of the current data message, or its inflated bytes
    std::string control;          // payload of the current control frame
    std::uint64_t wireBytes = 0;  // compressed bytes of the current message
  };
  // One step's payload as the step handlers see it: `whole` when it is a
  // frame's entire payload, still in the input (nothing was buffered).
  struct Payload {
    std::string_view bytes;
    bool whole = false;
  };

  bool onHeader(MessageHandler& handler);
  bool onPayload(std::string_view piece, Payload& direct, MessageHandler& handler);
  bool onFrameEnd(const Payload& direct, MessageHandler& handler);
  bool fail(MessageHandler& handler, std::uint16_t code, std::string_view reason);
  static std::uint32_t clampMessageBytes(std::size_t n) {
    return n > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(n);
  }
  bool inflated(Inflater::Status status, MessageHandler& handler);
  Pieces& pieces();
  std::size_t bufferedMessageBytes() const { return pieces_ ? pieces_->message.size() : 0; }

  bool countEmptyFrame(MessageHandler& handler);

  FrameParser parser_;
  std::unique_ptr<Pieces> pieces_;      // see Pieces
  std::unique_ptr<Inflater> inflater_;  // set by enableDeflate()
  // 32 and 16 bits: a connection holds one reader, and every byte of an
  // idle connection counts (connection.cpp keeps it within 168 bytes).
  std::uint32_t maxMessageBytes_;
  std::uint16_t maxEmptyFrames_ = 0;  // 0: no limit
  std::uint16_t emptyFrames_ = 0;     // since the last resetFrameBudget()
  Role role_;
  Utf8Validator utf8_;       // over the current text message
  Utf8Validator closeUtf8_;  // over the current close reason
  Opcode messageOpcode_ = Opcode::Text;
  bool inMessage_ = false;
  bool compressed_ = false;  // the current data message had RSV1
  bool done_ = false;
};

}  // namespace herald::ws
