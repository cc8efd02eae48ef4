// permessage-deflate negotiation (RFC 7692 sections 5 and 7.1): the offers a
// server accepts or declines and what it answers, the client's offer and its
// strict reading of the answer, the codec settings of each role, and the
// extension in acceptHandshake's 101.

#include "herald/ws/permessage_deflate.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "herald/http/request.hpp"
#include "herald/ws/handshake.hpp"
#include "support/http_response.hpp"

namespace herald::ws {
namespace {

struct OfferCase {
  const char* offer;
  const char* response;  // nullptr: no offer is acceptable
};

std::optional<std::string> answerTo(std::string_view offer, const DeflateConfig& config = {}) {
  auto a = negotiateDeflate(offer, config);
  if (!a) return std::nullopt;
  return a->response;
}

TEST(PermessageDeflateTest, AcceptsValidOffersAndAnswersThem) {
  const OfferCase cases[] = {
      {"permessage-deflate", "permessage-deflate"},
      {"permessage-deflate; client_max_window_bits", "permessage-deflate; client_max_window_bits=15"},
      {"permessage-deflate; client_max_window_bits=10", "permessage-deflate; client_max_window_bits=10"},
      {"permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover"},
      {"permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover"},
      {"permessage-deflate; server_max_window_bits=9", "permessage-deflate; server_max_window_bits=9"},
      {"permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15"},
      {"permessage-deflate; server_no_context_takeover; client_max_window_bits",
       "permessage-deflate; server_no_context_takeover; client_max_window_bits=15"},
      // Quoted values, spaces around '=' and ';', any case, empty list elements.
      {"permessage-deflate; server_max_window_bits=\"12\"", "permessage-deflate; server_max_window_bits=12"},
      {"permessage-deflate; client_max_window_bits=\"1\\1\"", "permessage-deflate; client_max_window_bits=11"},
      {"permessage-deflate ;server_max_window_bits = 10\t", "permessage-deflate; server_max_window_bits=10"},
      {"PerMessage-Deflate; Client_Max_Window_Bits", "permessage-deflate; client_max_window_bits=15"},
      {" , ,permessage-deflate,", "permessage-deflate"},
      // Other extensions are passed over.
      {"x-webkit-deflate-frame, permessage-deflate; client_max_window_bits",
       "permessage-deflate; client_max_window_bits=15"},
      {"foo; bar=\"a,b;c\", permessage-deflate", "permessage-deflate"},
  };
  for (const OfferCase& c : cases) {
    SCOPED_TRACE(c.offer);
    EXPECT_EQ(answerTo(c.offer), std::optional<std::string>(c.response));
  }
}

TEST(PermessageDeflateTest, DeclinesBrokenOffersAndTakesTheNextOne) {
  const char* declined[] = {
      "permessage-deflate; unknown_param",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
      "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; client_no_context_takeover=\"\"",
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=08",
      "permessage-deflate; server_max_window_bits=010",
      "permessage-deflate; server_max_window_bits=1a",
      "permessage-deflate; server_max_window_bits=\"\"",
      "permessage-deflate; server_max_window_bits=\"1 0\"",
      "permessage-deflate; client_max_window_bits=0",
      "permessage-deflate; client_max_window_bits=-9",
      // We cannot compress with a 256-byte window.
      "permessage-deflate; server_max_window_bits=8",
      // Broken syntax.
      "permessage-deflate;",
      "permessage-deflate; =10",
      "permessage-deflate; server_max_window_bits=",
      "permessage-deflate server_no_context_takeover",
      "permessage-deflate; server_max_window_bits=10 11",
      "permessage-deflate; client_max_window_bits=\"10\"x",
      "\"permessage-deflate\"",
      "x-other",
  };
  for (const char* offer : declined) {
    SCOPED_TRACE(offer);
    EXPECT_EQ(answerTo(offer), std::nullopt);
    EXPECT_EQ(answerTo(std::string(offer) + ", permessage-deflate; client_max_window_bits=9"),
              "permessage-deflate; client_max_window_bits=9");
  }
  // An unterminated quoted-string swallows the rest of the header.
  EXPECT_EQ(answerTo("permessage-deflate; a=\"x, permessage-deflate"), std::nullopt);
  EXPECT_EQ(answerTo(""), std::nullopt);
}

TEST(PermessageDeflateTest, AgreedParametersFollowTheOfferAndTheConfig) {
  auto params = [](std::string_view offer, const DeflateConfig& cfg = {}) {
    auto a = negotiateDeflate(offer, cfg);
    EXPECT_TRUE(a.has_value()) << offer;
    return a ? a->params : DeflateParams{};
  };
  EXPECT_EQ(params("permessage-deflate"), (DeflateParams{false, false, 15, 15}));
  EXPECT_EQ(params("permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                   "server_max_window_bits=10; client_max_window_bits=12"),
            (DeflateParams{true, true, 10, 12}));

  DeflateConfig small;
  small.serverNoContextTakeover = true;
  small.clientNoContextTakeover = true;
  small.serverMaxWindowBits = 11;
  small.clientMaxWindowBits = 10;
  EXPECT_EQ(answerTo("permessage-deflate", small),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11");
  EXPECT_EQ(params("permessage-deflate", small), (DeflateParams{true, true, 11, 15}))
      << "a client that did not offer client_max_window_bits keeps 15";
  EXPECT_EQ(answerTo("permessage-deflate; server_max_window_bits=13; client_max_window_bits", small),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; "
            "client_max_window_bits=10");
  EXPECT_EQ(params("permessage-deflate; server_max_window_bits=9; client_max_window_bits=8", small),
            (DeflateParams{true, true, 9, 8}));

  DeflateConfig eight;
  eight.serverMaxWindowBits = 8;  // taken as 9
  eight.clientMaxWindowBits = 3;  // taken as 8
  EXPECT_EQ(answerTo("permessage-deflate; client_max_window_bits", eight),
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits=8");

  DeflateConfig off;
  off.enabled = false;
  EXPECT_EQ(answerTo("permessage-deflate", off), std::nullopt);
}

http::Request requestWith(std::vector<http::Header> extra) {
  http::Request r;
  r.method = "GET";
  r.target = r.path = "/chat";
  r.headers = {{"Host", "server.example.com"},
               {"Upgrade", "websocket"},
               {"Connection", "Upgrade"},
               {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"Sec-WebSocket-Version", "13"}};
  r.headers.insert(r.headers.end(), extra.begin(), extra.end());
  return r;
}

TEST(PermessageDeflateTest, ReadsOffersAcrossSeveralHeaders) {
  http::Request req = requestWith({{"Sec-WebSocket-Extensions", "permessage-deflate; bogus, x-foo"},
                                   {"sec-websocket-extensions", "permessage-deflate; server_max_window_bits=12"}});
  auto a = negotiateDeflate(req, DeflateConfig{});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->response, "permessage-deflate; server_max_window_bits=12");
  EXPECT_EQ(negotiateDeflate(requestWith({}), DeflateConfig{}), std::nullopt);
}

TEST(PermessageDeflateTest, HandshakeAnswersTheNegotiatedExtension) {
  HandshakeOptions options;
  options.deflate = DeflateConfig{};
  options.deflate->serverNoContextTakeover = true;
  http::Request req = requestWith({{"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"}});
  HandshakeResult r = acceptHandshake(req, options);
  ASSERT_TRUE(r.accepted) << r.reason;
  ASSERT_TRUE(r.deflate.has_value());
  EXPECT_EQ(*r.deflate, (DeflateParams{true, false, 15, 15}));
  test::HttpResponse resp = test::parseResponse(r.response);
  EXPECT_EQ(resp.error, "");
  EXPECT_EQ(resp.header("Sec-WebSocket-Extensions"),
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=15");
}

TEST(PermessageDeflateTest, HandshakeSucceedsWithoutTheExtension) {
  const std::vector<std::pair<std::optional<DeflateConfig>, const char*>> cases = {
      {std::nullopt, "permessage-deflate"},         // not configured
      {DeflateConfig{}, "permessage-deflate; x=1"},  // nothing acceptable
      {DeflateConfig{}, nullptr},                    // nothing offered
  };
  for (const auto& [config, offer] : cases) {
    HandshakeOptions options;
    options.deflate = config;
    std::vector<http::Header> extra;
    if (offer) extra.push_back({"Sec-WebSocket-Extensions", offer});
    HandshakeResult r = acceptHandshake(requestWith(extra), options);
    EXPECT_TRUE(r.accepted) << r.reason;
    EXPECT_FALSE(r.deflate.has_value());
    EXPECT_EQ(test::parseResponse(r.response).headerCount("Sec-WebSocket-Extensions"), 0u);
  }
}

TEST(PermessageDeflateTest, ClientOfferFollowsItsOptions) {
  EXPECT_EQ(deflateOffer({}), "permessage-deflate; client_max_window_bits");
  DeflateClientOptions all;
  all.requestServerNoContextTakeover = true;
  all.clientNoContextTakeover = true;
  all.serverMaxWindowBits = 10;
  all.clientMaxWindowBits = 12;
  EXPECT_EQ(deflateOffer(all),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
            "client_max_window_bits=12");
  DeflateClientOptions bare;
  bare.offerClientMaxWindowBits = false;
  EXPECT_EQ(deflateOffer(bare), "permessage-deflate");
  DeflateClientOptions off;
  off.enabled = false;
  EXPECT_EQ(deflateOffer(off), "");
  // Every offer we make is one we would accept as a server.
  for (const auto& o : {DeflateClientOptions{}, all, bare}) EXPECT_TRUE(negotiateDeflate(deflateOffer(o), {}));
}

TEST(PermessageDeflateTest, ClientAcceptsValidAnswers) {
  struct Case {
    const char* answer;
    DeflateParams params;
  };
  const Case cases[] = {
      {"permessage-deflate", {false, false, 15, 15}},
      {"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
       {true, true, 15, 15}},
      {"permessage-deflate; server_max_window_bits=8; client_max_window_bits=9", {false, false, 8, 9}},
      {"permessage-deflate; client_max_window_bits=\"12\"", {false, false, 15, 12}},
      {"Permessage-Deflate ; Server_Max_Window_Bits = 10", {false, false, 10, 15}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.answer);
    DeflateAnswer a = checkDeflateAnswer(c.answer, {});
    EXPECT_TRUE(a.ok()) << a.error;
    EXPECT_EQ(a.params, std::optional<DeflateParams>(c.params));
  }
  // No answer: no extension, and no error.
  DeflateAnswer none = checkDeflateAnswer("", {});
  EXPECT_TRUE(none.ok());
  EXPECT_FALSE(none.params.has_value());
  // What we offered binds us even when the answer does not repeat it.
  DeflateClientOptions ours;
  ours.clientNoContextTakeover = true;
  ours.clientMaxWindowBits = 11;
  EXPECT_EQ(checkDeflateAnswer("permessage-deflate", ours).params, (DeflateParams{false, true, 15, 11}));
}

TEST(PermessageDeflateTest, ClientFailsOnAnswersItDidNotAskFor) {
  DeflateClientOptions asked;
  asked.requestServerNoContextTakeover = true;
  asked.serverMaxWindowBits = 10;
  asked.clientMaxWindowBits = 12;
  DeflateClientOptions noClientBits;
  noClientBits.offerClientMaxWindowBits = false;
  DeflateClientOptions off;
  off.enabled = false;
  struct Case {
    const char* answer;
    const DeflateClientOptions* offered;
    const char* says;  // a part of the error
  };
  const DeflateClientOptions defaults;
  const Case cases[] = {
      {"x-webkit-deflate-frame", &defaults, "'x-webkit-deflate-frame', which we did not offer"},
      {"permessage-deflate, x-foo", &defaults, "'x-foo', which we did not offer"},
      {"permessage-deflate", &off, "which we did not offer"},
      {"permessage-deflate, permessage-deflate", &defaults, "accepted twice"},
      {"permessage-deflate; foo", &defaults, "unknown parameter 'foo'"},
      {"permessage-deflate; server_no_context_takeover; server_no_context_takeover", &defaults, "appears twice"},
      {"permessage-deflate; client_no_context_takeover=yes", &defaults, "takes no value"},
      {"permessage-deflate; server_max_window_bits", &defaults, "needs a value"},
      {"permessage-deflate; server_max_window_bits=16", &defaults, "not '16'"},
      {"permessage-deflate; client_max_window_bits=7", &defaults, "not '7'"},
      {"permessage-deflate; client_max_window_bits", &defaults, "needs a value in an answer"},
      {"permessage-deflate; client_max_window_bits=10", &noClientBits, "client_max_window_bits was not offered"},
      {"permessage-deflate; client_max_window_bits=8", &defaults, "zlib cannot compress"},
      {"permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=13",
       &asked, "larger than the 10 we offered"},
      {"permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=13",
       &asked, "larger than the 12 we offered"},
      {"permessage-deflate; server_max_window_bits=10", &asked, "lacks it"},
      {"permessage-deflate; server_no_context_takeover", &asked, "server_max_window_bits=10 and the answer lacks it"},
      {"permessage-deflate;", &defaults, "a parameter name must be a token"},
      {"permessage-deflate; server_max_window_bits=\"10", &defaults, "quoted-string"},
      {"permessage-deflate x", &defaults, "expected ';' or ','"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.answer);
    DeflateAnswer a = checkDeflateAnswer(c.answer, *c.offered);
    EXPECT_FALSE(a.ok());
    EXPECT_NE(a.error.find(c.says), std::string::npos) << a.error;
    EXPECT_FALSE(a.params.has_value());
  }
}

TEST(PermessageDeflateTest, EachRoleCompressesAndInflatesItsOwnDirection) {
  const DeflateParams p{true, false, 10, 12};
  DeflaterOptions sd = deflaterOptions(p, Role::Server, 7, 3);
  EXPECT_EQ(sd.windowBits, 10);
  EXPECT_TRUE(sd.noContextTakeover);
  EXPECT_EQ(sd.memLevel, 7);
  EXPECT_EQ(sd.level, 3);
  InflaterOptions si = inflaterOptions(p, Role::Server, 1000);
  EXPECT_FALSE(si.noContextTakeover);
  EXPECT_EQ(si.maxMessageBytes, 1000u);
  DeflaterOptions cd = deflaterOptions(p, Role::Client);
  EXPECT_EQ(cd.windowBits, 12);
  EXPECT_FALSE(cd.noContextTakeover);
  InflaterOptions ci = inflaterOptions(p, Role::Client, 5);
  EXPECT_TRUE(ci.noContextTakeover);
}

}  // namespace
}  // namespace herald::ws
