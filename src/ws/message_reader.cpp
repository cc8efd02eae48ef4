#include "herald/ws/message_reader.hpp"

namespace herald::ws {

namespace {

constexpr std::size_t kKeepBufferBytes = 64 * 1024;

}  // namespace

bool MessageReader::feed(char* data, std::size_t len, MessageHandler& handler) {
  std::size_t pos = 0;
  while (!done_) {
    FrameStep step = parser_.next(data + pos, len - pos);
    pos += step.consumed;
    switch (step.kind) {
      case FrameStep::NeedMore:
        return true;
      case FrameStep::Header:
        if (!onHeader(handler)) return false;
        break;
      case FrameStep::Payload:
        if (!onPayload(step.payload, handler)) return false;
        break;
      case FrameStep::FrameEnd:
        if (!onFrameEnd(handler)) return false;
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
  maxMessageBytes_ = n;
  if (inflater_) inflater_->setMaxMessageBytes(n);
}

bool MessageReader::fail(MessageHandler& handler, std::uint16_t code, std::string_view reason) {
  done_ = true;
  handler.onProtocolError(code, reason);
  return false;
}

bool MessageReader::onHeader(MessageHandler& handler) {
  const FrameHeader& h = parser_.header();
  if (isControl(h.opcode)) {
    control_.clear();
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
    wireBytes_ = 0;
  }
  if (compressed_) {
    // The wire size is bounded here; the inflated size as it comes out.
    if (h.length > maxMessageBytes_ || wireBytes_ + h.length > maxMessageBytes_)
      return fail(handler, close_code::MessageTooBig, "compressed message exceeds the size limit");
    wireBytes_ += h.length;
    return true;
  }
  // Refuse an oversized message on its header, before buffering any of it.
  if (h.length > maxMessageBytes_ || message_.size() + h.length > maxMessageBytes_)
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

bool MessageReader::onPayload(std::string_view piece, MessageHandler& handler) {
  const FrameHeader& h = parser_.header();
  if (isControl(h.opcode)) {
    if (h.opcode == Opcode::Close) {
      // The reason starts after the two code bytes; check it as it arrives.
      std::size_t before = control_.size();
      std::size_t skip = before >= 2 ? 0 : 2 - before;
      if (piece.size() > skip && !closeUtf8_.feed(piece.substr(skip)))
        return fail(handler, close_code::InvalidPayload, "close reason is not valid UTF-8");
    }
    control_.append(piece);
    return true;
  }
  if (compressed_) {
    auto check = [this](std::string_view out) { return messageOpcode_ != Opcode::Text || utf8_.feed(out); };
    return inflated(inflater_->feed(piece, message_, check), handler);
  }
  if (messageOpcode_ == Opcode::Text && !utf8_.feed(piece))
    return fail(handler, close_code::InvalidPayload, "text message is not valid UTF-8");
  // A whole unfragmented message that arrived in one piece is delivered from
  // the input itself; anything else is gathered in message_.
  if (h.fin && h.opcode != Opcode::Continuation && message_.empty() && piece.size() == h.length) {
    direct_ = piece;
    haveDirect_ = true;
  } else {
    message_.append(piece);
  }
  return true;
}

bool MessageReader::onFrameEnd(MessageHandler& handler) {
  const FrameHeader& h = parser_.header();
  switch (h.opcode) {
    case Opcode::Ping:
      handler.onPing(control_);
      return !done_;
    case Opcode::Pong:
      handler.onPong(control_);
      return !done_;
    case Opcode::Close: {
      if (control_.size() == 1) return fail(handler, close_code::ProtocolError, "close frame with a 1-byte payload");
      std::uint16_t code = close_code::NoStatus;
      std::string_view reason;
      if (control_.size() >= 2) {
        code = static_cast<std::uint16_t>((static_cast<unsigned char>(control_[0]) << 8) |
                                          static_cast<unsigned char>(control_[1]));
        if (!isValidWireCloseCode(code)) return fail(handler, close_code::ProtocolError, "invalid close code");
        if (!closeUtf8_.complete()) return fail(handler, close_code::InvalidPayload, "close reason is not valid UTF-8");
        reason = std::string_view(control_).substr(2);
      }
      done_ = true;
      handler.onClose(code, reason);
      return false;
    }
    default:
      break;
  }
  if (!h.fin) return true;
  if (compressed_) {
    auto check = [this](std::string_view out) { return messageOpcode_ != Opcode::Text || utf8_.feed(out); };
    if (!inflated(inflater_->finish(message_, check), handler)) return false;
    compressed_ = false;
  }
  if (messageOpcode_ == Opcode::Text && !utf8_.complete())
    return fail(handler, close_code::InvalidPayload, "text message ends inside a UTF-8 sequence");
  inMessage_ = false;
  std::string_view payload = haveDirect_ ? direct_ : std::string_view(message_);
  haveDirect_ = false;
  handler.onMessage(payload, messageOpcode_);
  message_.clear();
  return !done_;
}

void MessageReader::trimBuffers() {
  if (!inMessage_ && message_.capacity() > kKeepBufferBytes) std::string().swap(message_);
}

}  // namespace herald::ws
