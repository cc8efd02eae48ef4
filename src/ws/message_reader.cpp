#include "herald/ws/message_reader.hpp"

namespace herald::ws {

bool MessageReader::feed(char* data, std::size_t len, MessageHandler& handler) {
  std::size_t pos = 0;
  // A frame's payload found whole in this input; it stays there until the
  // frame's end, which the parser reports in the same call.
  Payload direct;
  while (!done_) {
    FrameStep step = parser_.next(data + pos, len - pos);
    pos += step.consumed;
    switch (step.kind) {
      case FrameStep::NeedMore:
        return true;
      case FrameStep::Header:
        direct = {};
        if (!onHeader(handler)) return false;
        break;
      case FrameStep::Payload:
        if (!onPayload(step.payload, direct, handler)) return false;
        break;
      case FrameStep::FrameEnd:
        if (!onFrameEnd(direct, handler)) return false;
        break;
      case FrameStep::Error:
        return fail(handler, step.closeCode, step.reason);
    }
  }
  return false;
}

void MessageReader::enableDeflate(const DeflateParams& params) {
  inflater_ = std::make_unique<Inflater>(inflaterOptions(params, role_, maxMessageBytes_));
  parser_.setAllowRsv1(true);
}

void MessageReader::setMaxMessageBytes(std::size_t n) {
  maxMessageBytes_ = clampMessageBytes(n);
  if (inflater_) inflater_->setMaxMessageBytes(maxMessageBytes_);
}

bool MessageReader::countEmptyFrame(MessageHandler& handler) {
  if (maxEmptyFrames_ == 0 || ++emptyFrames_ <= maxEmptyFrames_) return true;
  return fail(handler, close_code::PolicyViolation, "too many control or empty frames");
}

std::size_t MessageReader::heldBytes() const {
  return pieces_ ? sizeof(Pieces) + pieces_->message.capacity() + pieces_->control.capacity() : 0;
}

MessageReader::Pieces& MessageReader::pieces() {
  if (!pieces_) pieces_ = std::make_unique<Pieces>();
  return *pieces_;
}

bool MessageReader::fail(MessageHandler& handler, std::uint16_t code, std::string_view reason) {
  done_ = true;
  handler.onProtocolError(code, reason);
  return false;
}

bool MessageReader::onHeader(MessageHandler& handler) {
  const FrameHeader& h = parser_.header();
  if ((isControl(h.opcode) || (h.length == 0 && !h.fin)) && !countEmptyFrame(handler)) return false;
  if (isControl(h.opcode)) {
    if (pieces_) pieces_->control.clear();
    closeUtf8_.reset();
    return true;
  }
  if (h.opcode == Opcode::Continuation) {
    if (!inMessage_) return fail(handler, close_code::ProtocolError, "continuation frame with no message to continue");
    // RFC 7692 6.1: RSV1 belongs to the first frame of a message only.
    if (h.rsv1) return fail(handler, close_code::ProtocolError, "RSV1 set on a continuation frame");
  } else {
    if (inMessage_) return fail(handler, close_code::ProtocolError, "new data frame inside a fragmented message");
    messageOpcode_ = h.opcode;
    utf8_.reset();
    inMessage_ = true;
    compressed_ = h.rsv1;  // the parser allows RSV1 only once deflate is enabled
  }
  if (compressed_) {
    // The wire size is bounded here; the inflated size as it comes out.
    std::uint64_t before = h.opcode == Opcode::Continuation ? pieces().wireBytes : 0;
    if (h.length > maxMessageBytes_ || before + h.length > maxMessageBytes_)
      return fail(handler, close_code::MessageTooBig, "compressed message exceeds the size limit");
    pieces().wireBytes = before + h.length;
    return true;
  }
  // Refuse an oversized message on its header, before buffering any of it.
  if (h.length > maxMessageBytes_ || bufferedMessageBytes() + h.length > maxMessageBytes_)
    return fail(handler, close_code::MessageTooBig, "message exceeds the size limit");
  return true;
}

bool MessageReader::inflated(Inflater::Status status, MessageHandler& handler) {
  switch (status) {
    case Inflater::Status::Ok:
      return true;
    case Inflater::Status::TooBig:
      return fail(handler, close_code::MessageTooBig, "message exceeds the size limit once inflated");
    case Inflater::Status::Corrupt:
      return fail(handler, close_code::InvalidPayload, "compressed message is not valid DEFLATE data");
    case Inflater::Status::Rejected:
      return fail(handler, close_code::InvalidPayload, "text message is not valid UTF-8");
    case Inflater::Status::NoMemory:
      break;
  }
  return fail(handler, close_code::InternalError, "out of memory for the decompressor");
}

bool MessageReader::onPayload(std::string_view piece, Payload& direct, MessageHandler& handler) {
  const FrameHeader& h = parser_.header();
  // The whole payload in one piece needs no buffer: the frame's end, in this
  // same feed(), takes it from the input.
  const bool whole = piece.size() == h.length;
  if (isControl(h.opcode)) {
    if (h.opcode == Opcode::Close) {
      // The reason starts after the two code bytes; check it as it arrives.
      std::size_t before = whole ? 0 : pieces().control.size();
      std::size_t skip = before >= 2 ? 0 : 2 - before;
      if (piece.size() > skip && !closeUtf8_.feed(piece.substr(skip)))
        return fail(handler, close_code::InvalidPayload, "close reason is not valid UTF-8");
    }
    if (whole) direct = {piece, true};
    else pieces().control.append(piece);
    return true;
  }
  if (compressed_) {
    auto check = [this](std::string_view out) { return messageOpcode_ != Opcode::Text || utf8_.feed(out); };
    return inflated(inflater_->feed(piece, pieces().message, check), handler);
  }
  if (messageOpcode_ == Opcode::Text && !utf8_.feed(piece))
    return fail(handler, close_code::InvalidPayload, "text message is not valid UTF-8");
  // A whole unfragmented message is delivered from the input itself;
  // anything else is gathered in pieces().message.
  if (whole && h.fin && h.opcode != Opcode::Continuation) direct = {piece, true};
  else pieces().message.append(piece);
  return true;
}

bool MessageReader::onFrameEnd(const Payload& direct, MessageHandler& handler) {
  const FrameHeader& h = parser_.header();
  if (isControl(h.opcode)) {
    std::string_view payload = direct.whole ? direct.bytes : pieces_ ? std::string_view(pieces_->control) : "";
    // The handler sees the payload before the buffer that may hold it goes.
    struct Release {
      MessageReader& r;
      ~Release() {
        if (!r.inMessage_) r.pieces_.reset();
      }
    } release{*this};
    switch (h.opcode) {
      case Opcode::Ping:
        handler.onPing(payload);
        return !done_;
      case Opcode::Pong:
        handler.onPong(payload);
        return !done_;
      default:
        break;
    }
    if (payload.size() == 1) return fail(handler, close_code::ProtocolError, "close frame with a 1-byte payload");
    std::uint16_t code = close_code::NoStatus;
    std::string_view reason;
    if (payload.size() >= 2) {
      code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                        static_cast<unsigned char>(payload[1]));
      if (!isValidWireCloseCode(code)) return fail(handler, close_code::ProtocolError, "invalid close code");
      if (!closeUtf8_.complete()) return fail(handler, close_code::InvalidPayload, "close reason is not valid UTF-8");
      reason = payload.substr(2);
    }
    done_ = true;
    handler.onClose(code, reason);
    return false;
  }
  if (!h.fin) return true;
  if (compressed_) {
    auto check = [this](std::string_view out) { return messageOpcode_ != Opcode::Text || utf8_.feed(out); };
    if (!inflated(inflater_->finish(pieces().message, check), handler)) return false;
    compressed_ = false;
  }
  if (messageOpcode_ == Opcode::Text && !utf8_.complete())
    return fail(handler, close_code::InvalidPayload, "text message ends inside a UTF-8 sequence");
  inMessage_ = false;
  // The message's buffer lives until the handler returns, then goes.
  std::unique_ptr<Pieces> held = std::move(pieces_);
  std::string_view payload = direct.whole ? direct.bytes : held ? std::string_view(held->message) : "";
  handler.onMessage(payload, messageOpcode_);
  return !done_;
}

}  // namespace herald::ws
