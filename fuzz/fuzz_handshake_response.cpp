// The client side of the opening handshake: the server's response head
// (http::ResponseParser, fed in random chunks the way a client's buffer
// grows) and the checks a client makes of it (ws::checkUpgradeResponse).
// Invariants: chunked and one-shot parsing agree; an accepted answer really
// is a 101 with our accept key and a subprotocol we offered; a refusal says
// why.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "herald/http/response_parser.hpp"
#include "herald/ws/client_handshake.hpp"
#include "herald/ws/handshake.hpp"

namespace {

constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using herald::http::ParseResult;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  herald::http::Response whole;
  herald::http::ResponseParser oneShot;
  ParseResult once = oneShot.parse(input, whole);

  // Each parse() sees an exact-size copy of the bytes so far, so
  // AddressSanitizer catches a read past them.
  herald::http::ResponseParser parser;
  herald::http::Response pieces;
  ParseResult step;
  std::unique_ptr<char[]> copy;
  std::size_t have = 0;
  for (std::size_t n : herald::fuzz::chunkPlan(data, size)) {
    have += n;
    copy = std::make_unique<char[]>(have + 1);
    if (have) std::memcpy(copy.get(), data, have);
    step = parser.parse(std::string_view(copy.get(), have), pieces);
    if (step.kind != ParseResult::NeedMore) break;
  }
  if (size == 0) step = parser.parse({}, pieces);
  HERALD_FUZZ_CHECK(step.kind == once.kind, "chunked %d vs whole %d", step.kind, once.kind);
  if (once.kind == ParseResult::Error)
    HERALD_FUZZ_CHECK(step.status == once.status, "status %d vs %d", static_cast<int>(step.status), static_cast<int>(once.status));
  if (once.kind != ParseResult::Complete) return 0;
  HERALD_FUZZ_CHECK(step.consumed == once.consumed && once.consumed <= size, "consumed %zu vs %zu", step.consumed, once.consumed);
  HERALD_FUZZ_CHECK(pieces.status == whole.status && pieces.headers.size() == whole.headers.size(), "%s", "fields differ");
  for (const auto& h : whole.headers)
    HERALD_FUZZ_CHECK(herald::fuzz::inside(h.name, input) && herald::fuzz::inside(h.value, input), "%s", "view outside input");

  const std::vector<std::string> offered = {"chat", "superchat"};
  herald::ws::ClientHandshakeResult r = herald::ws::checkUpgradeResponse(whole, kKey, offered);
  if (r.accepted) {
    HERALD_FUZZ_CHECK(whole.status == 101, "accepted status %d", whole.status);
    auto accept = whole.header("Sec-WebSocket-Accept");
    HERALD_FUZZ_CHECK(accept && *accept == herald::ws::acceptKeyFor(kKey), "%s", "accepted a wrong key");
    HERALD_FUZZ_CHECK(r.subprotocol.empty() || r.subprotocol == "chat" || r.subprotocol == "superchat", "%s",
               "accepted a subprotocol we did not offer");
  } else {
    HERALD_FUZZ_CHECK(!r.error.empty(), "%s", "refusal without a reason");
  }
  return 0;
}
