// libFuzzer target: frames to messages (FrameParser, Utf8Validator and
// MessageReader together), fed in random chunks.
//
// Input: byte 0 picks the configuration — bit 0 the role (0 server: frames
// must be masked, 1 client: they must not), bits 1-7 the message size limit
// (0..63 bytes, then steps of 64 up to 4096). The rest is the byte stream
// from the peer, cut at points derived from a hash of the input. The last
// byte also sets the budget of frames without message bytes
// (setMaxEmptyFrames): none when its top bit is clear, else 1-8 frames.
//
// Checks, on every event: a text message is valid UTF-8, no message is over
// the limit, control payloads fit in 125 bytes, a close code is one a peer may
// send (or 1005 with no reason), a protocol error carries 1002, 1007 or 1009
// (or 1008 once more pings and pongs than the budget came; never before),
// nothing is reported after a close or an error, and feed() says the stream
// ended exactly when it did. The events of the chunked run must equal those
// of feeding the whole stream at once.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "herald/ws/message_reader.hpp"

namespace {

using namespace herald::ws;

struct Event {
  enum Kind : std::uint8_t { Message, Ping, Pong, Close, Error } kind;
  Opcode opcode = Opcode::Continuation;
  std::uint16_t code = 0;
  std::string data;
  bool operator==(const Event&) const = default;
};

class Recorder final : public MessageHandler {
 public:
  Recorder(std::size_t maxMessageBytes, std::uint16_t emptyBudget) : max_(maxMessageBytes), budget_(emptyBudget) {}

  void onMessage(std::string_view payload, Opcode opcode) override {
    live("message");
    HERALD_FUZZ_CHECK(opcode == Opcode::Text || opcode == Opcode::Binary, "message with opcode %d",
                      static_cast<int>(opcode));
    HERALD_FUZZ_CHECK(payload.size() <= max_, "message of %zu bytes over the limit %zu", payload.size(), max_);
    if (opcode == Opcode::Text) HERALD_FUZZ_CHECK(Utf8Validator::isValid(payload), "text message is not UTF-8");
    events.push_back({Event::Message, opcode, 0, std::string(payload)});
  }
  void onPing(std::string_view payload) override {
    live("ping");
    HERALD_FUZZ_CHECK(payload.size() <= 125, "ping of %zu bytes", payload.size());
    ++controls_;
    HERALD_FUZZ_CHECK(budget_ == 0 || controls_ <= budget_, "ping %zu read past a budget of %u", controls_, budget_);
    events.push_back({Event::Ping, Opcode::Ping, 0, std::string(payload)});
  }
  void onPong(std::string_view payload) override {
    live("pong");
    HERALD_FUZZ_CHECK(payload.size() <= 125, "pong of %zu bytes", payload.size());
    ++controls_;
    HERALD_FUZZ_CHECK(budget_ == 0 || controls_ <= budget_, "pong %zu read past a budget of %u", controls_, budget_);
    events.push_back({Event::Pong, Opcode::Pong, 0, std::string(payload)});
  }
  void onClose(std::uint16_t code, std::string_view reason) override {
    live("close");
    HERALD_FUZZ_CHECK(isValidWireCloseCode(code) || (code == close_code::NoStatus && reason.empty()),
                      "close code %u (reason %zu bytes)", code, reason.size());
    HERALD_FUZZ_CHECK(reason.size() <= 123, "close reason of %zu bytes", reason.size());
    HERALD_FUZZ_CHECK(Utf8Validator::isValid(reason), "close reason is not UTF-8");
    ended = true;
    events.push_back({Event::Close, Opcode::Close, code, std::string(reason)});
  }
  void onProtocolError(std::uint16_t code, std::string_view reason) override {
    live("protocol error");
    HERALD_FUZZ_CHECK(code == close_code::ProtocolError || code == close_code::InvalidPayload ||
                          code == close_code::MessageTooBig || (code == close_code::PolicyViolation && budget_ > 0),
                      "protocol error with code %u", code);
    // The budget fails the frame past it: never while pings and pongs are
    // still within it (empty fragments count too, so it may come earlier).
    if (code == close_code::PolicyViolation)
      HERALD_FUZZ_CHECK(controls_ <= budget_, "1008 after %zu control frames, budget %u", controls_, budget_);
    HERALD_FUZZ_CHECK(!reason.empty(), "protocol error %u without a reason", code);
    ended = true;
    events.push_back({Event::Error, Opcode::Continuation, code, std::string(reason)});
  }

  std::vector<Event> events;
  bool ended = false;

 private:
  void live(const char* what) { HERALD_FUZZ_CHECK(!ended, "%s after the stream ended", what); }

  std::size_t max_;
  std::uint16_t budget_;
  std::size_t controls_ = 0;  // pings and pongs reported
};

std::vector<Event> run(Role role, std::size_t max, std::uint16_t budget, const std::uint8_t* data,
                       const std::vector<std::size_t>& plan) {
  MessageReader reader(role, max);
  reader.setMaxEmptyFrames(budget);
  Recorder rec(max, budget);
  std::size_t pos = 0;
  for (std::size_t n : plan) {
    // Each read in its own exact allocation, so ASan sees a read past it.
    std::vector<char> chunk(data + pos, data + pos + n);
    pos += n;
    std::size_t before = rec.events.size();
    bool wasEnded = rec.ended;
    bool more = reader.feed(chunk.data(), chunk.size(), rec);
    HERALD_FUZZ_CHECK(more == !rec.ended, "feed() returned %d, stream %s", more, rec.ended ? "ended" : "open");
    HERALD_FUZZ_CHECK(reader.done() == rec.ended, "done() disagrees with the events");
    if (wasEnded) HERALD_FUZZ_CHECK(rec.events.size() == before, "feed() after the end reported events");
  }
  return std::move(rec.events);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald::fuzz;
  if (size == 0) return 0;
  const Role role = (data[0] & 1) ? Role::Client : Role::Server;
  const std::size_t v = data[0] >> 1;
  const std::size_t max = v < 64 ? v : (v - 63) * 64;
  const std::uint8_t* stream = data + 1;
  const std::size_t len = size - 1;

  const std::uint16_t budget = (data[size - 1] & 0x80) ? static_cast<std::uint16_t>(1 + (data[size - 1] & 7)) : 0;

  std::vector<Event> whole = run(role, max, budget, stream, {len});
  std::vector<Event> chunked = run(role, max, budget, stream, chunkPlan(data, size, len));
  HERALD_FUZZ_CHECK(whole.size() == chunked.size(), "%zu events whole, %zu chunked", whole.size(), chunked.size());
  for (std::size_t i = 0; i < whole.size(); ++i)
    HERALD_FUZZ_CHECK(whole[i] == chunked[i], "event %zu differs: kind %d/%d code %u/%u, %zu/%zu bytes", i,
                      whole[i].kind, chunked[i].kind, whole[i].code, chunked[i].code, whole[i].data.size(),
                      chunked[i].data.size());
  return 0;
}
