// libFuzzer target: the server side of the opening handshake. The input is a
// request as a client sends it, parsed in random chunks (request_feeder.hpp);
// a complete head goes to acceptHandshake() with two subprotocols and an
// origin policy that refuses any Origin containing "evil".
//
// Checks: an accepted handshake is a well-formed 101 head carrying the right
// Sec-WebSocket-Accept and the first of our subprotocols the client offered;
// a refusal (and the answer to a parse error) is a complete response whose
// status line matches its status and whose Content-Length is its body size.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/http/response_writer.hpp"
#include "herald/ws/handshake.hpp"
#include "request_feeder.hpp"

namespace {

using herald::http::Status;

void checkRefusal(std::string_view response, Status status, std::string_view reason) {
  const int code = static_cast<int>(status);
  const std::string statusLine =
      "HTTP/1.1 " + std::to_string(code) + " " + std::string(herald::http::reasonPhrase(status)) + "\r\n";
  HERALD_FUZZ_CHECK(response.substr(0, statusLine.size()) == statusLine, "status line does not match %d", code);
  HERALD_FUZZ_CHECK(!reason.empty(), "refusal %d without a reason", code);
  std::size_t headEnd = response.find("\r\n\r\n");
  HERALD_FUZZ_CHECK(headEnd != std::string_view::npos, "refusal %d has no end of head", code);
  std::string_view head = response.substr(0, headEnd + 2);
  std::string_view body = response.substr(headEnd + 4);
  const std::string length = "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  HERALD_FUZZ_CHECK(head.find(length) != std::string_view::npos, "Content-Length is not the body size %zu",
                    body.size());
  HERALD_FUZZ_CHECK(head.find("\r\nConnection: close\r\n") != std::string_view::npos, "refusal keeps the connection");
  const std::string expectedBody = std::to_string(code) + " " + std::string(herald::http::reasonPhrase(status)) +
                                   ": " + std::string(reason) + "\n";
  HERALD_FUZZ_CHECK(body == expectedBody, "unexpected refusal body");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald;
  using namespace herald::fuzz;
  FedRequest whole = feedWhole(data, size);
  FedRequest chunked = feedChunked(data, size, chunkPlan(data, size));
  checkParsed(whole, chunked);

  if (chunked.result.kind == http::ParseResult::Error) {
    // What the connection sends back for a malformed head.
    checkRefusal(http::errorResponse(chunked.result.status, chunked.result.reason), chunked.result.status,
                 chunked.result.reason);
    return 0;
  }
  if (chunked.result.kind != http::ParseResult::Complete) return 0;

  static const ws::HandshakeOptions options = [] {
    ws::HandshakeOptions o;
    o.subprotocols = {"chat", "superchat"};
    o.allowOrigin = [](std::string_view origin, std::string_view) { return origin.find("evil") == std::string_view::npos; };
    return o;
  }();
  const http::Request& req = chunked.request;
  ws::HandshakeResult r = ws::acceptHandshake(req, options);

  if (!r.accepted) {
    const int code = static_cast<int>(r.status);
    HERALD_FUZZ_CHECK(code == 400 || code == 403 || code == 405 || code == 426, "refused with status %d", code);
    HERALD_FUZZ_CHECK(r.subprotocol.empty(), "refusal selected a subprotocol");
    checkRefusal(r.response, r.status, r.reason);
    return 0;
  }

  // Accepted: the request really was a version-13 WebSocket upgrade.
  HERALD_FUZZ_CHECK(r.status == http::Status::SwitchingProtocols, "accepted with status %d", static_cast<int>(r.status));
  HERALD_FUZZ_CHECK(req.method == "GET" && req.versionMinor >= 1, "accepted a non-GET or HTTP/1.0 request");
  HERALD_FUZZ_CHECK(req.headerCount("Host") == 1, "accepted without exactly one Host");
  HERALD_FUZZ_CHECK(req.headerHasToken("Upgrade", "websocket") && req.headerHasToken("Connection", "Upgrade"),
                    "accepted without Upgrade/Connection tokens");
  HERALD_FUZZ_CHECK(req.headerCount("Sec-WebSocket-Version") == 1 && *req.header("Sec-WebSocket-Version") == "13",
                    "accepted without version 13");
  auto key = req.header("Sec-WebSocket-Key");
  HERALD_FUZZ_CHECK(key && req.headerCount("Sec-WebSocket-Key") == 1 && ws::isValidClientKey(*key),
                    "accepted without one valid key");
  auto origin = req.header("Origin");
  HERALD_FUZZ_CHECK(!origin || origin->find("evil") == std::string_view::npos, "accepted a refused Origin");

  const std::string_view resp = r.response;
  HERALD_FUZZ_CHECK(resp.substr(0, 12) == "HTTP/1.1 101", "101 response starts with '%.12s'", r.response.c_str());
  HERALD_FUZZ_CHECK(resp.size() >= 4 && resp.find("\r\n\r\n") == resp.size() - 4,
                    "101 response is not exactly one head");
  const std::string accept = ws::acceptKeyFor(*key);
  HERALD_FUZZ_CHECK(accept.size() == 28, "accept key of %zu chars", accept.size());
  HERALD_FUZZ_CHECK(resp.find("\r\nSec-WebSocket-Accept: " + accept + "\r\n") != std::string_view::npos,
                    "101 response lacks the right Sec-WebSocket-Accept");

  std::string expected;
  for (const std::string& mine : options.subprotocols) {
    if (req.headerHasToken("Sec-WebSocket-Protocol", mine)) {
      expected = mine;
      break;
    }
  }
  HERALD_FUZZ_CHECK(r.subprotocol == expected, "selected '%s', expected '%s'", r.subprotocol.c_str(),
                    expected.c_str());
  if (expected.empty())
    HERALD_FUZZ_CHECK(resp.find("Sec-WebSocket-Protocol") == std::string_view::npos, "unrequested subprotocol sent");
  else
    HERALD_FUZZ_CHECK(resp.find("\r\nSec-WebSocket-Protocol: " + expected + "\r\n") != std::string_view::npos,
                      "selected subprotocol not sent");
  return 0;
}
