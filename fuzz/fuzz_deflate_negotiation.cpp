// libFuzzer target: permessage-deflate negotiation, both sides, on an
// arbitrary Sec-WebSocket-Extensions value.
//
// Input: byte 0 sets the client's offer options and byte 1 the server's
// config (each bit a flag or a window size, see below); the rest is the
// header value, read as a client offer by the server and as a server answer
// by the client.
//
// Checks: an answer the client accepts respects what it offered (window
// sizes not above the offer, server_no_context_takeover when asked, the
// client's window at least 9); an answer it refuses says why. An offer the
// server accepts yields an answer in range that a client offering the most
// (client_max_window_bits, nothing asked) accepts with the same parameters,
// and the same result whether the value comes as one header or as two.
// The client's own offer is always accepted by the server, and the server's
// answer to it by the client.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "herald/http/request.hpp"
#include "herald/ws/permessage_deflate.hpp"

namespace {

using namespace herald;
using namespace herald::ws;

DeflateClientOptions clientOptions(std::uint8_t b) {
  DeflateClientOptions o;
  o.requestServerNoContextTakeover = b & 1;
  o.clientNoContextTakeover = b & 2;
  o.offerClientMaxWindowBits = !(b & 4);
  o.serverMaxWindowBits = (b & 8) ? 8 + ((b >> 4) & 7) : 15;
  o.clientMaxWindowBits = (b & 0x80) ? 9 + ((b >> 4) & 7) : 15;
  return o;
}

DeflateConfig serverConfig(std::uint8_t b) {
  DeflateConfig c;
  c.serverNoContextTakeover = b & 1;
  c.clientNoContextTakeover = b & 2;
  c.serverMaxWindowBits = 8 + ((b >> 2) & 7);
  c.clientMaxWindowBits = 8 + ((b >> 5) & 7);
  return c;
}

void checkClientSide(std::string_view value, const DeflateClientOptions& o) {
  DeflateAnswer a = checkDeflateAnswer(value, o);
  if (!a.ok()) {
    HERALD_FUZZ_CHECK(!a.params, "an error with parameters");
    return;
  }
  if (!a.params) return;
  const DeflateParams& p = *a.params;
  const int offeredServer = o.serverMaxWindowBits;
  HERALD_FUZZ_CHECK(p.serverMaxWindowBits >= 8 && p.serverMaxWindowBits <= offeredServer,
                    "server window %d, offered %d", p.serverMaxWindowBits, offeredServer);
  HERALD_FUZZ_CHECK(p.clientMaxWindowBits >= 9 && p.clientMaxWindowBits <= o.clientMaxWindowBits,
                    "client window %d, ours %d", p.clientMaxWindowBits, o.clientMaxWindowBits);
  if (o.requestServerNoContextTakeover) HERALD_FUZZ_CHECK(p.serverNoContextTakeover, "asked-for takeover missing");
  if (o.clientNoContextTakeover) HERALD_FUZZ_CHECK(p.clientNoContextTakeover, "our own takeover promise lost");
}

void checkServerSide(std::string_view value, const DeflateConfig& config) {
  std::optional<DeflateAgreement> a = negotiateDeflate(value, config);

  // Split into two headers at the first comma outside a quoted-string: the
  // same offers, so the same result.
  std::size_t cut = std::string_view::npos;
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (quoted && value[i] == '\\') ++i;
    else if (value[i] == '"') quoted = !quoted;
    else if (value[i] == ',' && !quoted) {
      cut = i;
      break;
    }
  }
  if (cut != std::string_view::npos) {
    http::Request req;
    req.headers = {{"Sec-WebSocket-Extensions", value.substr(0, cut)},
                   {"Sec-WebSocket-Extensions", value.substr(cut + 1)}};
    std::optional<DeflateAgreement> b = negotiateDeflate(req, config);
    HERALD_FUZZ_CHECK(a.has_value() == b.has_value(), "one header %d, two headers %d", a.has_value(), b.has_value());
    if (a) HERALD_FUZZ_CHECK(a->response == b->response, "answers differ: '%s' / '%s'", a->response.c_str(),
                             b->response.c_str());
  }
  if (!a) return;

  const DeflateParams& p = a->params;
  HERALD_FUZZ_CHECK(p.serverMaxWindowBits >= 9 && p.serverMaxWindowBits <= 15, "server window %d",
                    p.serverMaxWindowBits);
  HERALD_FUZZ_CHECK(p.clientMaxWindowBits >= 8 && p.clientMaxWindowBits <= 15, "client window %d",
                    p.clientMaxWindowBits);
  HERALD_FUZZ_CHECK(a->response.rfind(kPermessageDeflate, 0) == 0, "answer '%s'", a->response.c_str());
  if (config.serverNoContextTakeover) HERALD_FUZZ_CHECK(p.serverNoContextTakeover, "config takeover ignored");

  // The most accepting client takes the answer at its word.
  DeflateClientOptions widest;
  DeflateAnswer back = checkDeflateAnswer(a->response, widest);
  if (p.clientMaxWindowBits == 8) {
    HERALD_FUZZ_CHECK(!back.ok(), "client accepted client_max_window_bits=8");
    return;
  }
  HERALD_FUZZ_CHECK(back.ok(), "own answer '%s' refused: %s", a->response.c_str(), back.error.c_str());
  HERALD_FUZZ_CHECK(back.params == p, "answer '%s' read back differently", a->response.c_str());
}

void checkOwnOffer(const DeflateClientOptions& o, const DeflateConfig& config) {
  const std::string offer = deflateOffer(o);
  std::optional<DeflateAgreement> a = negotiateDeflate(offer, config);
  HERALD_FUZZ_CHECK(a.has_value() == (o.serverMaxWindowBits != 8), "own offer '%s' declined", offer.c_str());
  if (!a) return;
  DeflateAnswer back = checkDeflateAnswer(a->response, o);
  if (a->params.clientMaxWindowBits == 8) return;  // a client cannot compress with 8
  HERALD_FUZZ_CHECK(back.ok(), "answer '%s' to own offer '%s' refused: %s", a->response.c_str(), offer.c_str(),
                    back.error.c_str());
  HERALD_FUZZ_CHECK(back.params.has_value(), "answer '%s' to own offer read as no extension", a->response.c_str());
  DeflateParams mine = *back.params;
  // Without client_max_window_bits in the offer the server allows us 15 and
  // we may still compress with less.
  if (!o.offerClientMaxWindowBits) {
    HERALD_FUZZ_CHECK(mine.clientMaxWindowBits <= a->params.clientMaxWindowBits, "our window is over the server's");
    mine.clientMaxWindowBits = a->params.clientMaxWindowBits;
  }
  HERALD_FUZZ_CHECK(mine == a->params, "answer '%s' to '%s' read back differently", a->response.c_str(),
                    offer.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const DeflateClientOptions client = clientOptions(data[0]);
  const DeflateConfig server = serverConfig(data[1]);
  // An exact allocation, so ASan sees a read past the value.
  std::vector<char> bytes(data + 2, data + size);
  const std::string_view value(bytes.data(), bytes.size());
  checkClientSide(value, client);
  checkServerSide(value, server);
  checkOwnOffer(client, server);
  return 0;
}
