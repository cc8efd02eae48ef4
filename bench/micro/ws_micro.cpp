// Micro-benchmarks of the sans-I/O WebSocket layer (include/herald/ws):
// frame parsing, masking, UTF-8 validation and frame serialization.
// Fan-out encoding is in fan_out_micro.cpp.
//
//   build/release/bench/micro/bench_ws_micro [--benchmark_filter=Mask]
//
// The parsers unmask payloads in place, so a buffer parsed twice alternates
// between masked and unmasked bytes. Both are valid frames: binary payloads
// may hold anything, and text payloads here are ASCII masked with a key whose
// bytes are all below 0x80, so they stay ASCII (valid UTF-8) either way. No
// benchmark therefore has to copy its input afresh on every iteration.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/ws/frame_parser.hpp"
#include "herald/ws/frame_writer.hpp"
#include "herald/ws/mask.hpp"
#include "herald/ws/message_reader.hpp"
#include "herald/ws/opcode.hpp"
#include "herald/ws/utf8_validator.hpp"

namespace {

using herald::ws::FrameParser;
using herald::ws::FrameStep;
using herald::ws::MaskKey;
using herald::ws::MessageReader;
using herald::ws::Opcode;

// A client's masking key; every byte is below 0x80 (see the top of the file).
constexpr MaskKey kAsciiSafeKey = {0x37, 0x5a, 0x1c, 0x6e};
constexpr std::size_t kSmallFrames = 1024;
constexpr std::size_t kLargeFrameBytes = 1 << 20;
constexpr std::size_t kMaxMessageBytes = 16 << 20;

std::size_t iterations(const benchmark::State& state) { return static_cast<std::size_t>(state.iterations()); }

// `len` bytes of readable ASCII text.
std::string asciiText(std::size_t len) {
  static constexpr std::string_view kWords =
      "The quick brown fox jumps over the lazy dog; {\"channel\":\"news\",\"data\":42} ";
  std::string s;
  s.reserve(len);
  while (s.size() < len) s.append(kWords.substr(0, len - s.size()));
  return s;
}

// `len` bytes of valid UTF-8 mixing ASCII with 2-, 3- and 4-byte sequences
// (about a third of the bytes are in multi-byte characters).
std::string mixedText(std::size_t len) {
  static constexpr std::string_view kPattern =
      "Gr\xC3\xBC\xC3\x9F" "e aus M\xC3\xBCnchen, "         // ü ß ü
      "\xE2\x82\xAC" "12 \xE4\xB8\xAD\xE6\x96\x87 "          // € 中文
      "\xF0\x9F\x98\x80 ok \xD0\xBF\xD1\x80\xD0\xB8 ";      // 😀 при
  std::string s;
  s.reserve(len);
  while (s.size() + kPattern.size() <= len) s.append(kPattern);
  s.append(len - s.size(), 'x');  // pad with ASCII: always ends on a boundary
  return s;
}

// `len` bytes that are not text.
std::string binaryBytes(std::size_t len) {
  std::string s(len, '\0');
  std::uint32_t x = 2463534242u;  // xorshift32
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

// `count` masked client frames, each carrying `payload`.
std::string clientFrames(std::size_t count, Opcode op, std::string_view payload) {
  herald::ws::FrameOptions opts;
  opts.mask = &kAsciiSafeKey;
  std::string out;
  out.reserve(count * (payload.size() + herald::ws::kMaxFrameHeaderBytes));
  for (std::size_t i = 0; i < count; ++i) herald::ws::appendFrame(out, op, payload, opts);
  return out;
}

// Runs a FrameParser over the whole buffer; returns the frames seen, or
// SIZE_MAX on a parse error.
std::size_t parseAll(FrameParser& parser, char* data, std::size_t len) {
  std::size_t frames = 0;
  std::size_t pos = 0;
  for (;;) {
    FrameStep s = parser.next(data + pos, len - pos);
    pos += s.consumed;
    switch (s.kind) {
      case FrameStep::Header:
        break;
      case FrameStep::Payload:
        benchmark::DoNotOptimize(s.payload.data());
        break;
      case FrameStep::FrameEnd:
        ++frames;
        break;
      case FrameStep::NeedMore:
        return frames;
      case FrameStep::Error:
        return SIZE_MAX;
    }
  }
}

class CountingHandler final : public herald::ws::MessageHandler {
 public:
  void onMessage(std::string_view payload, Opcode) override {
    ++messages;
    bytes += payload.size();
  }
  void onPing(std::string_view) override {}
  void onPong(std::string_view) override {}
  void onClose(std::uint16_t, std::string_view) override { failed = true; }
  void onProtocolError(std::uint16_t, std::string_view) override { failed = true; }

  std::size_t messages = 0;
  std::size_t bytes = 0;
  bool failed = false;
};

// Feeds `buf` to `reader` in reads of at most `chunk` bytes.
void feedAll(MessageReader& reader, std::string& buf, std::size_t chunk, CountingHandler& h) {
  for (std::size_t pos = 0; pos < buf.size(); pos += chunk) {
    std::size_t n = std::min(chunk, buf.size() - pos);
    if (!reader.feed(buf.data() + pos, n, h)) return;
  }
}

// --- frame parsing --------------------------------------------------------

// 1024 small masked text frames; the argument is the payload size.
void BM_FrameParserSmallFrames(benchmark::State& state) {
  std::string buf = clientFrames(kSmallFrames, Opcode::Text, asciiText(static_cast<std::size_t>(state.range(0))));
  FrameParser parser(herald::ws::Role::Server);
  for (auto _ : state) {
    if (parseAll(parser, buf.data(), buf.size()) != kSmallFrames) {
      state.SkipWithError("parse failed");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kSmallFrames));
}
BENCHMARK(BM_FrameParserSmallFrames)->Arg(16)->Arg(128);

// The same frames through MessageReader: message rules and UTF-8 on top.
void BM_MessageReaderSmallFrames(benchmark::State& state) {
  std::string buf = clientFrames(kSmallFrames, Opcode::Text, asciiText(static_cast<std::size_t>(state.range(0))));
  CountingHandler h;
  MessageReader reader(herald::ws::Role::Server, kMaxMessageBytes);
  for (auto _ : state) feedAll(reader, buf, buf.size(), h);
  if (h.failed || h.messages != iterations(state) * kSmallFrames) state.SkipWithError("read failed");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(h.messages));
}
BENCHMARK(BM_MessageReaderSmallFrames)->Arg(16)->Arg(128);

// One 1 MiB masked binary frame, parsed (and unmasked) in one go.
void BM_FrameParserLargeFrame(benchmark::State& state) {
  std::string buf = clientFrames(1, Opcode::Binary, binaryBytes(kLargeFrameBytes));
  FrameParser parser(herald::ws::Role::Server);
  for (auto _ : state) {
    if (parseAll(parser, buf.data(), buf.size()) != 1) {
      state.SkipWithError("parse failed");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_FrameParserLargeFrame);

// One 1 MiB masked frame through MessageReader; the argument is the read
// size (0: the whole frame in one read, delivered without a copy).
void BM_MessageReaderLargeFrame(benchmark::State& state, Opcode op) {
  std::string payload = op == Opcode::Text ? asciiText(kLargeFrameBytes) : binaryBytes(kLargeFrameBytes);
  std::string buf = clientFrames(1, op, payload);
  std::size_t chunk = state.range(0) == 0 ? buf.size() : static_cast<std::size_t>(state.range(0));
  CountingHandler h;
  MessageReader reader(herald::ws::Role::Server, kMaxMessageBytes);
  for (auto _ : state) feedAll(reader, buf, chunk, h);
  if (h.failed || h.messages != iterations(state)) state.SkipWithError("read failed");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size()));
}
BENCHMARK_CAPTURE(BM_MessageReaderLargeFrame, binary, Opcode::Binary)->Arg(0)->Arg(64 << 10);
BENCHMARK_CAPTURE(BM_MessageReaderLargeFrame, text, Opcode::Text)->Arg(0)->Arg(64 << 10);

// --- masking ----------------------------------------------------------------

void BM_ApplyMask(benchmark::State& state) {
  std::string buf = binaryBytes(static_cast<std::size_t>(state.range(0)));
  const MaskKey key = {0xa1, 0x5c, 0x03, 0xfe};
  for (auto _ : state) {
    herald::ws::applyMask(buf.data(), buf.size(), key, 0);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_ApplyMask)->Arg(16)->Arg(1 << 10)->Arg(64 << 10);

// --- UTF-8 validation -------------------------------------------------------

void BM_Utf8Validate(benchmark::State& state, bool mixed) {
  const auto len = static_cast<std::size_t>(state.range(0));
  const std::string text = mixed ? mixedText(len) : asciiText(len);
  for (auto _ : state) {
    bool ok = herald::ws::Utf8Validator::isValid(text);
    benchmark::DoNotOptimize(ok);
    if (!ok) {
      state.SkipWithError("text is not valid UTF-8");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK_CAPTURE(BM_Utf8Validate, ascii, false)->Arg(1 << 10)->Arg(64 << 10);
BENCHMARK_CAPTURE(BM_Utf8Validate, mixed, true)->Arg(1 << 10)->Arg(64 << 10);

// --- serialization ----------------------------------------------------------

// A server frame appended to an output buffer that keeps its capacity.
void BM_AppendFrame(benchmark::State& state) {
  const std::string payload = asciiText(static_cast<std::size_t>(state.range(0)));
  std::string out;
  out.reserve(payload.size() + herald::ws::kMaxFrameHeaderBytes);
  for (auto _ : state) {
    out.clear();
    herald::ws::appendFrame(out, Opcode::Text, payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_AppendFrame)->Arg(32)->Arg(4 << 10);

// The same with a client's mask: the payload is masked as it is copied.
void BM_AppendFrameMasked(benchmark::State& state) {
  const std::string payload = asciiText(static_cast<std::size_t>(state.range(0)));
  herald::ws::FrameOptions opts;
  opts.mask = &kAsciiSafeKey;
  std::string out;
  out.reserve(payload.size() + herald::ws::kMaxFrameHeaderBytes);
  for (auto _ : state) {
    out.clear();
    herald::ws::appendFrame(out, Opcode::Text, payload, opts);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_AppendFrameMasked)->Arg(32)->Arg(4 << 10);

// The header alone, written into a caller's buffer (as a writev-based sender
// would, leaving the payload where it is).
void BM_EncodeFrameHeader(benchmark::State& state) {
  const auto len = static_cast<std::uint64_t>(state.range(0));
  char header[herald::ws::kMaxFrameHeaderBytes];
  for (auto _ : state) {
    benchmark::DoNotOptimize(len);
    std::size_t n = herald::ws::encodeFrameHeader(header, Opcode::Binary, len);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodeFrameHeader)->Arg(32)->Arg(4 << 10);

}  // namespace
