// acceptHandshake (RFC 6455 4.2): the 101 answer to a good request, and the
// status each refusal carries, read back with a strict response reader.

#include "herald/ws/handshake.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/http/request.hpp"
#include "support/http_response.hpp"

namespace herald::ws {
namespace {

using http::Header;
using http::Request;
using http::Status;
using test::HttpResponse;
using test::parseResponse;

constexpr std::string_view kSampleKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kSampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// The RFC's sample handshake request. Views point at string literals.
Request upgradeRequest() {
  Request r;
  r.method = "GET";
  r.target = "/chat";
  r.path = "/chat";
  r.versionMinor = 1;
  r.headers = {{"Host", "server.example.com"},
               {"Upgrade", "websocket"},
               {"Connection", "Upgrade"},
               {"Sec-WebSocket-Key", kSampleKey},
               {"Origin", "http://example.com"},
               {"Sec-WebSocket-Version", "13"}};
  return r;
}

Request without(Request r, std::string_view name) {
  std::erase_if(r.headers, [&](const Header& h) { return http::equalsIgnoreCase(h.name, name); });
  return r;
}

Request with(Request r, std::string_view name, std::string_view value) {
  r = without(std::move(r), name);
  r.headers.push_back({name, value});
  return r;
}

Request adding(Request r, std::string_view name, std::string_view value) {
  r.headers.push_back({name, value});
  return r;
}

// A refusal: not accepted, the status in the result and on the wire, a
// reason, a well-formed response that says why and closes.
HttpResponse expectRefusal(const Request& req, Status status, const HandshakeOptions& options = {}) {
  HandshakeResult r = acceptHandshake(req, options);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.status, status);
  EXPECT_FALSE(r.reason.empty());
  EXPECT_TRUE(r.subprotocol.empty());
  HttpResponse resp = parseResponse(r.response);
  EXPECT_EQ(resp.error, "") << r.response;
  EXPECT_EQ(resp.status, static_cast<int>(status)) << r.response;
  EXPECT_EQ(resp.header("Connection"), "close");
  EXPECT_EQ(resp.header("Sec-WebSocket-Accept"), std::nullopt);
  EXPECT_NE(resp.body.find(r.reason), std::string::npos) << "body does not say why: " << resp.body;
  return resp;
}

HttpResponse expectAccepted(const HandshakeResult& r) {
  EXPECT_TRUE(r.accepted);
  EXPECT_EQ(r.status, Status::SwitchingProtocols);
  HttpResponse resp = parseResponse(r.response);
  EXPECT_EQ(resp.error, "") << r.response;
  EXPECT_EQ(resp.status, 101);
  EXPECT_EQ(resp.phrase, "Switching Protocols");
  EXPECT_TRUE(resp.body.empty()) << "bytes after the 101 head would be read as frames";
  return resp;
}

TEST(HandshakeTest, AcceptKeyMatchesTheRfcSample) {
  EXPECT_EQ(acceptKeyFor(kSampleKey), kSampleAccept);
  EXPECT_EQ(acceptKeyFor("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");  // the widely quoted Wikipedia example
}

TEST(HandshakeTest, AcceptsTheRfcSampleRequest) {
  HandshakeResult r = acceptHandshake(upgradeRequest(), {});
  HttpResponse resp = expectAccepted(r);
  EXPECT_EQ(resp.header("Upgrade"), "websocket");
  EXPECT_EQ(resp.header("Connection"), "Upgrade");
  EXPECT_EQ(resp.header("Sec-WebSocket-Accept"), kSampleAccept);
  EXPECT_EQ(resp.headerCount("Sec-WebSocket-Protocol"), 0u);
  EXPECT_EQ(r.subprotocol, "");
}

TEST(HandshakeTest, ValidatesClientKeyShape) {
  EXPECT_TRUE(isValidClientKey(kSampleKey));
  EXPECT_TRUE(isValidClientKey("AAAAAAAAAAAAAAAAAAAAAA=="));
  EXPECT_TRUE(isValidClientKey("+/+/+/+/+/+/+/+/+/+/+w=="));
  EXPECT_FALSE(isValidClientKey(""));
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ"));      // no padding
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ="));     // 23 characters
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ==="));   // 25 characters
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQAA"));    // 18 bytes, no padding
  EXPECT_FALSE(isValidClientKey("AAAAAAAAAAAAAAAAAAAAAAAAAAA="));  // 20 bytes
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZ-=="));    // '-' is base64url
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25j Q=="));    // space
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZ==="));    // padding too early
}

TEST(HandshakeTest, RefusesMissingKeyWith400) {
  expectRefusal(without(upgradeRequest(), "Sec-WebSocket-Key"), Status::BadRequest);
}

TEST(HandshakeTest, RefusesKeyThatIsNotSixteenBytesOfBase64With400) {
  for (std::string_view key : {"", "short", "dGhlIHNhbXBsZSBub25jZQ", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                               "dGhlIHNhbXBsZSBub25jZ*=="}) {
    SCOPED_TRACE(key);
    expectRefusal(with(upgradeRequest(), "Sec-WebSocket-Key", key), Status::BadRequest);
  }
}

TEST(HandshakeTest, RefusesRepeatedKeyWith400) {
  expectRefusal(adding(upgradeRequest(), "Sec-WebSocket-Key", kSampleKey), Status::BadRequest);
}

TEST(HandshakeTest, RefusesMissingOrWrongVersionWith426NamingVersion13) {
  for (const Request& req : {without(upgradeRequest(), "Sec-WebSocket-Version"),
                             with(upgradeRequest(), "Sec-WebSocket-Version", "8"),
                             with(upgradeRequest(), "Sec-WebSocket-Version", "14"),
                             with(upgradeRequest(), "Sec-WebSocket-Version", "13, 8"),
                             adding(upgradeRequest(), "Sec-WebSocket-Version", "8")}) {
    HttpResponse resp = expectRefusal(req, Status::UpgradeRequired);
    EXPECT_EQ(resp.header("Sec-WebSocket-Version"), "13");
  }
}

TEST(HandshakeTest, RefusesMissingUpgradeWith426) {
  HttpResponse resp = expectRefusal(without(upgradeRequest(), "Upgrade"), Status::UpgradeRequired);
  EXPECT_EQ(resp.header("Upgrade"), "websocket");
  EXPECT_EQ(resp.header("Sec-WebSocket-Version"), "13");
  expectRefusal(with(upgradeRequest(), "Upgrade", "h2c"), Status::UpgradeRequired);
}

TEST(HandshakeTest, AcceptsUpgradeTokenInAnyCaseAndList) {
  expectAccepted(acceptHandshake(with(upgradeRequest(), "Upgrade", "WebSocket"), {}));
  expectAccepted(acceptHandshake(with(upgradeRequest(), "Upgrade", "h2c, websocket"), {}));
}

TEST(HandshakeTest, RefusesConnectionWithoutUpgradeTokenWith400) {
  expectRefusal(without(upgradeRequest(), "Connection"), Status::BadRequest);
  expectRefusal(with(upgradeRequest(), "Connection", "keep-alive"), Status::BadRequest);
  expectRefusal(with(upgradeRequest(), "Connection", "upgraded"), Status::BadRequest);
}

TEST(HandshakeTest, AcceptsUpgradeTokenInsideConnectionList) {
  for (std::string_view value : {"keep-alive, Upgrade", "upgrade", "UPGRADE", "Upgrade,keep-alive"}) {
    SCOPED_TRACE(value);
    HttpResponse resp = expectAccepted(acceptHandshake(with(upgradeRequest(), "Connection", value), {}));
    EXPECT_EQ(resp.header("Sec-WebSocket-Accept"), kSampleAccept);
  }
  // Split over two Connection headers.
  Request two = adding(with(upgradeRequest(), "Connection", "keep-alive"), "Connection", "Upgrade");
  expectAccepted(acceptHandshake(two, {}));
}

TEST(HandshakeTest, RefusesPostWith405AllowingGet) {
  Request req = upgradeRequest();
  req.method = "POST";
  HttpResponse resp = expectRefusal(req, Status::MethodNotAllowed);
  EXPECT_EQ(resp.header("Allow"), "GET");
  req.method = "get";  // methods are case-sensitive
  expectRefusal(req, Status::MethodNotAllowed);
}

TEST(HandshakeTest, RefusesHttp10With400) {
  Request req = upgradeRequest();
  req.versionMinor = 0;
  expectRefusal(req, Status::BadRequest);
}

TEST(HandshakeTest, RefusesRequestWithABodyWith400) {
  // The body would otherwise be read as frames after the 101.
  HttpResponse resp = expectRefusal(adding(upgradeRequest(), "Content-Length", "12"), Status::BadRequest);
  EXPECT_NE(resp.body.find("body"), std::string::npos) << resp.body;
  expectRefusal(adding(upgradeRequest(), "Transfer-Encoding", "chunked"), Status::BadRequest);
  expectRefusal(adding(adding(upgradeRequest(), "Content-Length", "0"), "Content-Length", "0"), Status::BadRequest);
  expectAccepted(acceptHandshake(adding(upgradeRequest(), "Content-Length", "0"), {}));
}

TEST(HandshakeTest, RefusesMissingOrRepeatedHostWith400) {
  expectRefusal(without(upgradeRequest(), "Host"), Status::BadRequest);
  expectRefusal(adding(upgradeRequest(), "host", "other.example.com"), Status::BadRequest);
}

TEST(HandshakeTest, SelectsSubprotocolInServerPreferenceOrder) {
  HandshakeOptions options;
  options.subprotocols = {"chat.v2", "chat.v1"};

  // The client lists v1 first; the server prefers v2.
  HandshakeResult r = acceptHandshake(with(upgradeRequest(), "Sec-WebSocket-Protocol", "chat.v1, chat.v2"), options);
  HttpResponse resp = expectAccepted(r);
  EXPECT_EQ(r.subprotocol, "chat.v2");
  EXPECT_EQ(resp.header("Sec-WebSocket-Protocol"), "chat.v2");
  EXPECT_EQ(resp.headerCount("Sec-WebSocket-Protocol"), 1u);

  // Only the second choice offered, in a second header.
  Request second = adding(with(upgradeRequest(), "Sec-WebSocket-Protocol", "mqtt"), "Sec-WebSocket-Protocol", "chat.v1");
  r = acceptHandshake(second, options);
  expectAccepted(r);
  EXPECT_EQ(r.subprotocol, "chat.v1");
}

TEST(HandshakeTest, SelectsNoSubprotocolWhenNoneMatches) {
  HandshakeOptions options;
  options.subprotocols = {"chat.v2"};
  for (const Request& req : {upgradeRequest(), with(upgradeRequest(), "Sec-WebSocket-Protocol", "mqtt, chat.v1"),
                             with(upgradeRequest(), "Sec-WebSocket-Protocol", "chat.v")}) {
    HandshakeResult r = acceptHandshake(req, options);
    HttpResponse resp = expectAccepted(r);
    EXPECT_EQ(r.subprotocol, "");
    EXPECT_EQ(resp.headerCount("Sec-WebSocket-Protocol"), 0u);
  }
  // A server with no subprotocols never selects one.
  HandshakeResult r = acceptHandshake(with(upgradeRequest(), "Sec-WebSocket-Protocol", "chat.v2"), {});
  EXPECT_EQ(r.subprotocol, "");
}

TEST(HandshakeTest, RefusesOriginTheHookRejectsWith403) {
  std::vector<std::string> asked;
  HandshakeOptions options;
  options.allowOrigin = [&](std::string_view origin, std::string_view) {
    asked.emplace_back(origin);
    return origin == "https://good.example";
  };
  expectRefusal(upgradeRequest(), Status::Forbidden, options);
  EXPECT_EQ(asked, (std::vector<std::string>{"http://example.com"}));

  expectAccepted(acceptHandshake(with(upgradeRequest(), "Origin", "https://good.example"), options));
}

TEST(HandshakeTest, OriginHookIsNotAskedWithoutOriginHeader) {
  int calls = 0;
  HandshakeOptions options;
  options.allowOrigin = [&](std::string_view, std::string_view) {
    ++calls;
    return false;
  };
  expectAccepted(acceptHandshake(without(upgradeRequest(), "Origin"), options));
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace herald::ws
