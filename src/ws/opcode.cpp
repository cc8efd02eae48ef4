#include "herald/ws/opcode.hpp"

namespace herald::ws {

std::string_view closeCodeName(std::uint16_t code) {
  switch (code) {
    case close_code::Normal: return "normal closure";
    case close_code::GoingAway: return "going away";
    case close_code::ProtocolError: return "protocol error";
    case close_code::UnsupportedData: return "unsupported data";
    case close_code::NoStatus: return "no status received";
    case close_code::Abnormal: return "abnormal closure";
    case close_code::InvalidPayload: return "invalid frame payload data";
    case close_code::PolicyViolation: return "policy violation";
    case close_code::MessageTooBig: return "message too big";
    case close_code::MandatoryExtension: return "mandatory extension";
    case close_code::InternalError: return "internal error";
    case close_code::ServiceRestart: return "service restart";
    case close_code::TryAgainLater: return "try again later";
    case close_code::BadGateway: return "bad gateway";
    default: return code >= 3000 && code <= 4999 ? "application-defined" : "unknown";
  }
}

}  // namespace herald::ws
