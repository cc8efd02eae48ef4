// libFuzzer target: permessage-deflate decompression, on its own and inside
// MessageReader, fed in random chunks.
//
// Input: byte 0 is the configuration — bits 0-2 the window bits (8 + n) of
// the round trips' Deflater and of the reader's peer, bit 3 no context takeover, bit 4 the mode, bit 5 the role (reader mode)
// or whether messages are text (codec mode), bits 6-7 the size limit (64,
// 1000, 16 KiB + 1, 100 KiB).
//   Codec mode (bit 4 clear): the rest is a sequence of messages, each a
//   2-byte little-endian length and that many bytes of compressed payload.
//   Reader mode (bit 4 set): the rest is a frame stream from the peer, read
//   by a MessageReader with deflate enabled (RSV1 allowed).
//
// Checks (codec): the statuses and outputs of a whole feed and a chunked
// feed agree message by message; output never exceeds the limit (nor its
// capacity the limit plus one chunk); a Rejected comes only from a text
// check that really failed; every Ok output compresses and inflates back to
// itself, and so does each raw message, with the same window and takeover.
// Checks (reader): as fuzz_frame — the events of the whole and the chunked
// stream are equal, text is UTF-8, messages fit the limit, protocol errors
// carry 1002, 1007 or 1009, nothing follows a close or an error.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "herald/ws/deflate_codec.hpp"
#include "herald/ws/message_reader.hpp"
#include "herald/ws/permessage_deflate.hpp"

namespace {

using namespace herald::ws;
using herald::fuzz::chunkPlan;

constexpr std::size_t kLimits[4] = {64, 1000, 16 * 1024 + 1, 100 * 1024};

struct Config {
  int windowBits;
  bool noContextTakeover;
  bool readerMode;
  bool flag;  // codec: text messages; reader: client role
  std::size_t limit;
};

// ---- codec mode ----------------------------------------------------------

struct Result {
  Inflater::Status status;
  std::string out;
  bool operator==(const Result&) const = default;
};

std::vector<std::string_view> splitMessages(std::string_view s) {
  std::vector<std::string_view> messages;
  while (s.size() >= 2) {
    std::size_t n = static_cast<std::uint8_t>(s[0]) | (std::size_t{static_cast<std::uint8_t>(s[1])} << 8);
    s.remove_prefix(2);
    n = std::min(n, s.size());
    messages.push_back(s.substr(0, n));
    s.remove_prefix(n);
  }
  return messages;
}

// Where `plan` (chunk sizes over all the messages laid end to end) cuts each
// message: the sizes of its pieces.
std::vector<std::vector<std::size_t>> piecesPerMessage(const std::vector<std::string_view>& messages,
                                                       const std::vector<std::size_t>& plan) {
  std::vector<std::size_t> cuts;  // offsets in the concatenation
  std::size_t at = 0;
  for (std::size_t n : plan) cuts.push_back(at += n);
  std::vector<std::vector<std::size_t>> pieces;
  std::size_t start = 0, c = 0;
  for (std::string_view m : messages) {
    const std::size_t end = start + m.size();
    std::vector<std::size_t> sizes;
    std::size_t from = start;
    for (; c < cuts.size() && cuts[c] < end; ++c) {
      if (cuts[c] <= from) continue;
      sizes.push_back(cuts[c] - from);
      from = cuts[c];
    }
    if (end > from) sizes.push_back(end - from);
    pieces.push_back(std::move(sizes));
    start = end;
  }
  return pieces;
}

// Inflates each message in the pieces given; stops after the first failure.
std::vector<Result> inflateAll(const Config& cfg, const std::vector<std::string_view>& messages,
                               const std::vector<std::vector<std::size_t>>& pieces) {
  Inflater inflater({.noContextTakeover = cfg.noContextTakeover, .maxMessageBytes = cfg.limit});
  std::vector<Result> results;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    Utf8Validator utf8;
    bool utf8Failed = false;
    auto check = [&](std::string_view chunk) {
      if (!cfg.flag) return true;
      utf8Failed = !utf8.feed(chunk);
      return !utf8Failed;
    };
    Result r{Inflater::Status::Ok, {}};
    std::size_t pos = 0;
    for (std::size_t n : pieces[i]) {
      // Each piece in its own exact allocation, so ASan sees a read past it.
      std::vector<char> piece(messages[i].begin() + static_cast<std::ptrdiff_t>(pos),
                              messages[i].begin() + static_cast<std::ptrdiff_t>(pos + n));
      pos += n;
      r.status = inflater.feed(std::string_view(piece.data(), piece.size()), r.out, check);
      if (r.status != Inflater::Status::Ok) break;
    }
    if (r.status == Inflater::Status::Ok) r.status = inflater.finish(r.out, check);
    HERALD_FUZZ_CHECK(r.out.size() <= cfg.limit + 1, "%zu bytes out with a limit of %zu", r.out.size(), cfg.limit);
    HERALD_FUZZ_CHECK(r.out.capacity() <= std::max<std::size_t>(cfg.limit + Inflater::kChunkBytes, 64),
                      "output capacity %zu with a limit of %zu", r.out.capacity(), cfg.limit);
    HERALD_FUZZ_CHECK((r.status == Inflater::Status::Rejected) == utf8Failed, "Rejected %d but the check failed %d",
                      r.status == Inflater::Status::Rejected, utf8Failed);
    if (r.status == Inflater::Status::Ok) HERALD_FUZZ_CHECK(r.out.size() <= cfg.limit, "Ok past the limit");
    if (r.status != Inflater::Status::Ok) r.out.clear();  // unspecified after a failure
    results.push_back(std::move(r));
    if (results.back().status != Inflater::Status::Ok) break;
  }
  return results;
}

void roundTrip(const Config& cfg, const std::vector<std::string>& messages) {
  Deflater deflater({.windowBits = cfg.windowBits, .noContextTakeover = cfg.noContextTakeover});
  Inflater inflater({.noContextTakeover = cfg.noContextTakeover, .maxMessageBytes = 1 << 20});
  for (const std::string& m : messages) {
    std::string payload, back;
    HERALD_FUZZ_CHECK(deflater.compress(m, payload), "compress failed");
    HERALD_FUZZ_CHECK(!payload.empty(), "empty compressed payload");
    Inflater::Status s = inflater.feed(payload, back);
    if (s == Inflater::Status::Ok) s = inflater.finish(back);
    HERALD_FUZZ_CHECK(s == Inflater::Status::Ok, "round trip failed with status %d", static_cast<int>(s));
    HERALD_FUZZ_CHECK(back == m, "round trip changed a %zu-byte message", m.size());
  }
}

void codecMode(const Config& cfg, const std::uint8_t* data, std::size_t size, std::string_view rest) {
  const std::vector<std::string_view> messages = splitMessages(rest);
  std::size_t total = 0;
  for (std::string_view m : messages) total += m.size();
  std::vector<Result> whole = inflateAll(cfg, messages, piecesPerMessage(messages, {}));
  std::vector<Result> chunked = inflateAll(cfg, messages, piecesPerMessage(messages, chunkPlan(data, size, total)));
  HERALD_FUZZ_CHECK(whole.size() == chunked.size(), "%zu results whole, %zu chunked", whole.size(), chunked.size());
  for (std::size_t i = 0; i < whole.size(); ++i)
    HERALD_FUZZ_CHECK(whole[i] == chunked[i], "message %zu: status %d/%d, %zu/%zu bytes", i,
                      static_cast<int>(whole[i].status), static_cast<int>(chunked[i].status), whole[i].out.size(),
                      chunked[i].out.size());

  std::vector<std::string> plain;
  for (const Result& r : whole)
    if (r.status == Inflater::Status::Ok) plain.push_back(r.out);
  roundTrip(cfg, plain);
  std::vector<std::string> raw(messages.begin(), messages.end());
  roundTrip(cfg, raw);
}

// ---- reader mode ---------------------------------------------------------

struct Event {
  int kind;  // 0 message, 1 ping, 2 pong, 3 close, 4 error
  std::uint16_t code;
  std::string data;
  bool operator==(const Event&) const = default;
};

class Recorder final : public MessageHandler {
 public:
  explicit Recorder(std::size_t limit) : limit_(limit) {}
  void onMessage(std::string_view payload, Opcode opcode) override {
    live();
    HERALD_FUZZ_CHECK(payload.size() <= limit_, "message of %zu bytes over %zu", payload.size(), limit_);
    if (opcode == Opcode::Text) HERALD_FUZZ_CHECK(Utf8Validator::isValid(payload), "text message is not UTF-8");
    events.push_back({0, static_cast<std::uint16_t>(opcode), std::string(payload)});
  }
  void onPing(std::string_view payload) override {
    live();
    events.push_back({1, 0, std::string(payload)});
  }
  void onPong(std::string_view payload) override {
    live();
    events.push_back({2, 0, std::string(payload)});
  }
  void onClose(std::uint16_t code, std::string_view reason) override {
    live();
    ended = true;
    events.push_back({3, code, std::string(reason)});
  }
  void onProtocolError(std::uint16_t code, std::string_view reason) override {
    live();
    HERALD_FUZZ_CHECK(code == close_code::ProtocolError || code == close_code::InvalidPayload ||
                          code == close_code::MessageTooBig,
                      "protocol error with code %u (%.*s)", code, static_cast<int>(reason.size()), reason.data());
    ended = true;
    events.push_back({4, code, std::string(reason)});
  }
  std::vector<Event> events;
  bool ended = false;

 private:
  void live() const { HERALD_FUZZ_CHECK(!ended, "event after the stream ended"); }
  std::size_t limit_;
};

std::vector<Event> readAll(const Config& cfg, std::string_view stream, const std::vector<std::size_t>& plan) {
  const Role role = cfg.flag ? Role::Client : Role::Server;
  DeflateParams params;
  // The peer's window and takeover: the client's for a server, and back.
  (role == Role::Server ? params.clientMaxWindowBits : params.serverMaxWindowBits) =
      static_cast<std::uint8_t>(cfg.windowBits);
  (role == Role::Server ? params.clientNoContextTakeover : params.serverNoContextTakeover) = cfg.noContextTakeover;
  MessageReader reader(role, cfg.limit);
  reader.enableDeflate(params);
  Recorder rec(cfg.limit);
  std::size_t pos = 0;
  for (std::size_t n : plan) {
    std::vector<char> chunk(stream.begin() + static_cast<std::ptrdiff_t>(pos),
                            stream.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    const bool more = reader.feed(chunk.data(), chunk.size(), rec);
    HERALD_FUZZ_CHECK(more == !rec.ended, "feed() returned %d, stream %s", more, rec.ended ? "ended" : "open");
  }
  return std::move(rec.events);
}

void readerMode(const Config& cfg, const std::uint8_t* data, std::size_t size, std::string_view stream) {
  std::vector<Event> whole = readAll(cfg, stream, {stream.size()});
  std::vector<Event> chunked = readAll(cfg, stream, chunkPlan(data, size, stream.size()));
  HERALD_FUZZ_CHECK(whole.size() == chunked.size(), "%zu events whole, %zu chunked", whole.size(), chunked.size());
  for (std::size_t i = 0; i < whole.size(); ++i)
    HERALD_FUZZ_CHECK(whole[i] == chunked[i], "event %zu differs: kind %d/%d code %u/%u", i, whole[i].kind,
                      chunked[i].kind, whole[i].code, chunked[i].code);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Config cfg{8 + (data[0] & 7), (data[0] & 8) != 0, (data[0] & 16) != 0, (data[0] & 32) != 0,
                   kLimits[data[0] >> 6]};
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (cfg.readerMode) readerMode(cfg, data, size, rest);
  else codecMode(cfg, data, size, rest);
  return 0;
}
