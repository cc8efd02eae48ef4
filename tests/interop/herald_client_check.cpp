// herald_client_check: Herald's client (herald::BlockingClient) against an
// independent echo server.
//
//   herald_client_check ws://127.0.0.1:9001/ [--compression] [--ca-file ca.pem]
//                       [--peer-reports] [--expect-extension TEXT | --expect-no-extension]
//
// Checks, in order, each with its own readable failure message:
//   - text and binary echo at 0, 1, 125, 126, 65535, 65536 bytes and 4 MiB,
//     each with random and with compressible content (repeats at distances
//     of 100 bytes to 20 KB, so a peer that uses a larger window than was
//     agreed breaks the message), then 200 small messages pipelined;
//   - ping -> pong with the same payload (0, 6 and 125 bytes);
//   - close with code 4000 and a UTF-8 reason.
// With --peer-reports the server is one of tests/interop's echo servers,
// which answer a few text commands besides echoing (see python/echo_server.py):
//   "herald-check:extensions"  -> "extensions: <its Sec-WebSocket-Extensions answer>"
//   "herald-check:stats"       -> "stats messages=N payload=BYTES wire=BYTES"
//   "herald-check:last-close"  -> "last-close code=N reason=TEXT": the close frame of the last
//                                 connection that ended, among those that never asked this
//   "herald-check:close N R"   -> the server closes this connection with code N, reason R
// and the program also checks the negotiated extension, that compression
// really shrinks the bytes on the wire (or that it does not, without it),
// that the server received code 4000 and the reason intact, and that a
// server-initiated close reaches the client with the server's code.
//
// Exit code 0 when every check passed, 1 on the first failure, 2 on usage errors.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "herald/engine/blocking_client.hpp"

namespace {

using namespace std::chrono_literals;
using herald::BlockingClient;
using herald::ws::Opcode;

constexpr std::size_t kMiB = 1024 * 1024;
constexpr std::size_t kMaxMessage = 64 * kMiB;
constexpr auto kStep = 20s;  // any single network step (4 MiB through a Python deflate is a few 100 ms)

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& what) { throw Failure(what); }

struct Settings {
  std::string url;
  std::string caFile;
  bool compression = false;
  bool peerReports = false;
  std::optional<std::string> expectExtension;  // "" means: none
  unsigned seed = 0;
};

std::mt19937_64 rng;

std::string opcodeName(Opcode op) {
  switch (op) {
    case Opcode::Text: return "text";
    case Opcode::Binary: return "binary";
    default: return "opcode " + std::to_string(static_cast<int>(op));
  }
}

// Characters of every UTF-8 length: 1, 2, 3 and 4 bytes.
const std::vector<std::string> kChars = {"a", "Z", "9", " ", "~", "\n", "é", "ß", "Ω", "ж",
                                         "€", "中", "한", "あ", "\xEF\xBF\xBD", "😀", "𝄞", "🂡"};

// Valid UTF-8 of exactly n bytes.
std::string randomText(std::size_t n) {
  std::string s;
  s.reserve(n);
  std::uniform_int_distribution<std::size_t> pick(0, kChars.size() - 1);
  while (s.size() < n) {
    const std::string& c = kChars[pick(rng)];
    if (s.size() + c.size() > n) break;
    s += c;
  }
  s.append(n - s.size(), 'x');
  return s;
}

std::string randomBytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t r = rng();
    for (std::size_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>(r >> (8 * k));
  }
  return s;
}

// Blocks of random content, each repeated: back-references at distances from
// 100 bytes to 20 KB. Text stays valid UTF-8 by building blocks of characters
// and cutting only at ASCII padding.
std::string compressible(std::size_t n, bool text) {
  static const std::size_t kBlocks[] = {100, 1000, 5000, 20000};
  std::string s;
  s.reserve(n);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kBlocks) - 1);
  while (s.size() < n) {
    std::size_t len = std::min(kBlocks[pick(rng)], n - s.size());
    std::string block = text ? randomText(len) : randomBytes(len);
    for (int rep = 0; rep < 3 && s.size() < n; ++rep) {
      std::size_t take = std::min(block.size(), n - s.size());
      if (text && take < block.size()) {
        s.append(take, 'y');  // never cut a character
      } else {
        s.append(block, 0, take);
      }
    }
  }
  return s;
}

std::string describe(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 60; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (s.size() > 60) out += "...";
  return "\"" + out + "\" (" + std::to_string(s.size()) + " bytes)";
}

class Checker {
 public:
  explicit Checker(Settings s) : s_(std::move(s)) {}

  void run() {
    {
      auto c = connect("main");
      if (s_.peerReports) checkExtension(*c);
      checkEchoes(*c);
      checkPipelined(*c);
      checkPings(*c);
      checkClientClose(*c);
    }
    if (s_.peerReports) {
      checkServerReceivedClose();
      checkWireBytes();
      checkServerClose();
    }
  }

 private:
  std::unique_ptr<BlockingClient> connect(const std::string& what) {
    auto c = std::make_unique<BlockingClient>();
    herald::ClientOptions opts{.caFile = s_.caFile, .compression = s_.compression};
    herald::WsBehavior limits{.maxMessageBytes = kMaxMessage, .maxBackpressureBytes = 2 * kMaxMessage};
    try {
      c->connect(s_.url, std::move(opts), std::move(limits), 10s);
    } catch (const std::exception& e) {
      fail("connecting (" + what + ") to " + s_.url + ": " + e.what());
    }
    step("connected (" + what + ")");
    return c;
  }

  void step(const std::string& what) {
    ++steps_;
    if (verbose_) std::fprintf(stderr, "  ok: %s\n", what.c_str());
  }

  static std::string closedInfo(BlockingClient& c) {
    if (auto st = c.waitClosed(0ms)) {
      return "the connection closed with code " + std::to_string(st->code) + " (" + describe(st->reason) + ")";
    }
    return "nothing arrived";
  }

  BlockingClient::Message receive(BlockingClient& c, const std::string& what) {
    auto m = c.receive(kStep);
    if (!m) fail("waiting for " + what + ": " + closedInfo(c));
    return std::move(*m);
  }

  void send(BlockingClient& c, const std::string& payload, Opcode op, const std::string& what) {
    if (!c.send(payload, op)) fail("sending " + what + ": " + closedInfo(c));
  }

  std::string command(BlockingClient& c, const std::string& cmd, const std::string& replyPrefix) {
    send(c, cmd, Opcode::Text, "\"" + cmd + "\"");
    auto m = receive(c, "the answer to \"" + cmd + "\"");
    if (m.opcode != Opcode::Text || m.payload.rfind(replyPrefix, 0) != 0) {
      fail("the answer to \"" + cmd + "\" should start with \"" + replyPrefix + "\", got " + opcodeName(m.opcode) +
           " " + describe(m.payload) + " (is the server one of tests/interop's echo servers?)");
    }
    return m.payload.substr(replyPrefix.size());
  }

  static std::string normalizeExtension(std::string v) {
    std::string out;
    for (char ch : v)
      if (ch != ' ' && ch != '\t') out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
  }

  void checkExtension(BlockingClient& c) {
    std::string got = command(c, "herald-check:extensions", "extensions: ");
    std::printf("negotiated extension: %s\n", got.empty() ? "(none)" : got.c_str());
    if (s_.expectExtension && normalizeExtension(got) != normalizeExtension(*s_.expectExtension)) {
      fail("the server answered Sec-WebSocket-Extensions \"" + got + "\", expected " +
           (s_.expectExtension->empty() ? std::string("no extension") : "\"" + *s_.expectExtension + "\""));
    }
    step("extension " + got);
  }

  void echo(BlockingClient& c, const std::string& payload, Opcode op, const std::string& what) {
    send(c, payload, op, what);
    auto m = receive(c, "the echo of " + what);
    if (m.opcode != op) fail("the echo of " + what + " came back as " + opcodeName(m.opcode));
    if (m.payload != payload) {
      std::size_t at = 0;
      while (at < m.payload.size() && at < payload.size() && m.payload[at] == payload[at]) ++at;
      fail("the echo of " + what + " differs: got " + std::to_string(m.payload.size()) + " bytes, first difference at byte " +
           std::to_string(at));
    }
  }

  void checkEchoes(BlockingClient& c) {
    const std::size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 4 * kMiB};
    for (Opcode op : {Opcode::Text, Opcode::Binary}) {
      for (bool packed : {false, true}) {
        for (std::size_t n : sizes) {
          bool text = op == Opcode::Text;
          std::string payload = packed ? compressible(n, text) : text ? randomText(n) : randomBytes(n);
          std::string what = "a " + std::to_string(n) + "-byte " + (packed ? "compressible " : "random ") + opcodeName(op) +
                             " message";
          echo(c, payload, op, what);
          step(what);
        }
      }
    }
  }

  void checkPipelined(BlockingClient& c) {
    std::vector<std::pair<std::string, Opcode>> sent;
    std::uniform_int_distribution<std::size_t> len(0, 2000);
    for (int i = 0; i < 200; ++i) {
      std::size_t n = len(rng);
      Opcode op = i % 2 ? Opcode::Text : Opcode::Binary;
      std::string p = op == Opcode::Text ? (i % 4 == 1 ? compressible(n, true) : randomText(n))
                                         : (i % 4 == 0 ? compressible(n, false) : randomBytes(n));
      send(c, p, op, "pipelined message " + std::to_string(i));
      sent.emplace_back(std::move(p), op);
    }
    for (std::size_t i = 0; i < sent.size(); ++i) {
      auto m = receive(c, "the echo of pipelined message " + std::to_string(i));
      if (m.opcode != sent[i].second || m.payload != sent[i].first) {
        fail("pipelined message " + std::to_string(i) + " (" + std::to_string(sent[i].first.size()) + "-byte " +
             opcodeName(sent[i].second) + ") came back as a " + std::to_string(m.payload.size()) + "-byte " +
             opcodeName(m.opcode) + " message with other content (out of order or corrupted)");
      }
    }
    step("200 pipelined messages in order");
  }

  void checkPings(BlockingClient& c) {
    for (const std::string& payload : {std::string(), std::string("herald"), randomBytes(125)}) {
      if (!c.ping(payload)) fail("sending a ping: " + closedInfo(c));
      auto pong = c.receivePong(kStep);
      if (!pong) fail("no pong for a ping with " + describe(payload) + ": " + closedInfo(c));
      if (*pong != payload) fail("the pong for a ping with " + describe(payload) + " carried " + describe(*pong));
      step("ping/pong with " + std::to_string(payload.size()) + " bytes");
    }
    echo(c, "still open after pings", Opcode::Text, "a text message after the pings");
  }

  const std::string kCloseReason = "herald-check ünïcode reason";

  void checkClientClose(BlockingClient& c) {
    auto st = c.close(4000, kCloseReason, 5s);
    if (st.code != 4000) fail("closing with 4000: the close callback saw code " + std::to_string(st.code));
    if (c.isOpen()) fail("the connection is still open after close()");
    step("client close 4000");
  }

  void checkServerReceivedClose() {
    // The server records the close frame of each connection as it ends; the
    // record may lag our close() by a moment, so ask until it shows.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    std::string got;
    const std::string want = "code=4000 reason=" + kCloseReason;
    while (true) {
      auto c = connect("asking for the last close");
      got = command(*c, "herald-check:last-close", "last-close ");
      c->close();
      if (got == want) break;
      if (std::chrono::steady_clock::now() > deadline) {
        fail("the server saw the client's close as \"" + got + "\", expected \"" + want + "\"");
      }
      std::this_thread::sleep_for(100ms);
    }
    step("the server received close 4000 with its reason");
  }

  void checkWireBytes() {
    auto c = connect("wire bytes");
    // A 200-byte block over and over: it compresses well even with a 512-byte window.
    std::string block = randomText(200), payload;
    while (payload.size() < kMiB) payload += block;
    echo(*c, payload, Opcode::Text, "a 1 MiB text message of a repeated 200-byte block");
    std::string stats = command(*c, "herald-check:stats", "stats ");
    unsigned long long messages = 0, payloadBytes = 0, wire = 0;
    if (std::sscanf(stats.c_str(), "messages=%llu payload=%llu wire=%llu", &messages, &payloadBytes, &wire) != 3) {
      fail("cannot read the server's stats: " + describe(stats));
    }
    std::printf("%llu bytes of repetitive text took %llu bytes on the wire\n", payloadBytes, wire);
    if (messages != 1 || payloadBytes != payload.size()) {
      fail("the server counted " + std::to_string(messages) + " message(s) of " + std::to_string(payloadBytes) +
           " bytes, expected 1 of " + std::to_string(payload.size()));
    }
    bool expectSmaller = s_.expectExtension ? !s_.expectExtension->empty() : s_.compression;
    if (expectSmaller && wire * 4 > payloadBytes) {
      fail("with permessage-deflate the client sent " + std::to_string(wire) + " bytes for " +
           std::to_string(payloadBytes) + " of compressible text: it did not compress");
    }
    if (!expectSmaller && wire < payloadBytes) {
      fail("without permessage-deflate the client sent only " + std::to_string(wire) + " bytes for " +
           std::to_string(payloadBytes));
    }
    c->close();
    step("wire bytes: " + std::to_string(wire));
  }

  void checkServerClose() {
    auto c = connect("server-initiated close");
    send(*c, "herald-check:close 4001 server says bye", Opcode::Text, "the close command");
    auto st = c->waitClosed(kStep);
    if (!st) fail("the server was asked to close with 4001 but the connection stayed open");
    if (st->code != 4001 || st->reason != "server says bye") {
      fail("the server closed with 4001 \"server says bye\", the client saw " + std::to_string(st->code) + " " +
           describe(st->reason));
    }
    if (auto extra = c->receive(0ms)) fail("a message arrived before the server's close: " + describe(extra->payload));
    step("server close 4001");
  }

  Settings s_;
  int steps_ = 0;

 public:
  bool verbose_ = false;
  int steps() const { return steps_; }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Herald's client against an independent WebSocket echo server"};
  Settings s;
  std::string expect;
  bool expectNone = false, verbose = false;
  cli.add_option("url", s.url, "ws:// or wss:// URL of an echo server")->required();
  cli.add_flag("--compression", s.compression, "offer permessage-deflate");
  cli.add_option("--ca-file", s.caFile, "trust only this CA certificate (PEM)")->check(CLI::ExistingFile);
  cli.add_flag("--peer-reports", s.peerReports, "the server answers the herald-check: commands");
  auto* e = cli.add_option("--expect-extension", expect, "the Sec-WebSocket-Extensions the server must answer");
  auto* n = cli.add_flag("--expect-no-extension", expectNone, "the server must answer no extension");
  e->excludes(n);
  cli.add_option("--seed", s.seed, "random seed (0: pick one)");
  cli.add_flag("-v,--verbose", verbose, "print each check as it passes");
  CLI11_PARSE(cli, argc, argv);
  if (*e) s.expectExtension = expect;
  if (expectNone) s.expectExtension = "";
  if (s.expectExtension && !s.peerReports) {
    std::fprintf(stderr, "herald_client_check: --expect-extension needs --peer-reports\n");
    return 2;
  }
  if (s.seed == 0) s.seed = std::random_device{}();
  rng.seed(s.seed);

  auto start = std::chrono::steady_clock::now();
  Checker checker(s);
  checker.verbose_ = verbose;
  try {
    checker.run();
  } catch (const Failure& f) {
    std::fprintf(stderr, "herald_client_check: FAILED against %s (seed %u, after %d passing checks): %s\n",
                 s.url.c_str(), s.seed, checker.steps(), f.what());
    return 1;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::printf("herald_client_check: %d checks passed against %s in %lld ms (seed %u)\n", checker.steps(),
              s.url.c_str(), static_cast<long long>(ms), s.seed);
  return 0;
}
