// RequestParser and Request: what a well-formed head parses to, and which
// malformed heads are refused with 400 or 505. Size limits are in
// request_parser_limits_test.cpp. Every vector goes through parseEveryWay(),
// which also grows the buffer byte by byte and cuts it at every split point.

#include "herald/http/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "herald/http/request.hpp"
#include "http/request_parser_support.hpp"

namespace herald::http {
namespace {

using test::ParsedHead;
using test::parseEveryWay;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kUpgradeHead =
    "GET /chat?room=lobby&x=1 HTTP/1.1\r\n"
    "Host: example.com:8080\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

void expectRefused(const std::string& head, Status status) {
  SCOPED_TRACE("head: " + test::escapeBytes(head));
  ParsedHead r = parseEveryWay(head);
  EXPECT_EQ(r.kind, ParseResult::Error);
  EXPECT_EQ(r.status, status);
  EXPECT_FALSE(r.reason.empty());
}

// A head with the given request line and one Host header.
std::string withLine(const std::string& requestLine) { return requestLine + "\r\nHost: h\r\n\r\n"; }
// A valid request line with the given header lines (each ending in CRLF).
std::string withHeaders(const std::string& lines) { return "GET / HTTP/1.1\r\n" + lines + "\r\n"; }

TEST(RequestParserTest, ParsesGetWithHeaders) {
  ParsedHead r = parseEveryWay(kUpgradeHead);
  ASSERT_EQ(r.kind, ParseResult::Complete) << r;
  EXPECT_EQ(r.consumed, std::string(kUpgradeHead).size());
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/chat?room=lobby&x=1");
  EXPECT_EQ(r.versionMinor, 1);
  EXPECT_EQ(r.headers, (Headers{{"Host", "example.com:8080"},
                                {"Upgrade", "websocket"},
                                {"Connection", "Upgrade"},
                                {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                {"Sec-WebSocket-Version", "13"}}));
}

TEST(RequestParserTest, SplitsTargetIntoPathAndQuery) {
  struct Case {
    const char* target;
    const char* path;
    const char* query;
  };
  for (const Case& c : {Case{"/chat?room=lobby&x=1", "/chat", "room=lobby&x=1"}, Case{"/chat", "/chat", ""},
                        Case{"/chat?", "/chat", ""}, Case{"/?a?b=c", "/", "a?b=c"}, Case{"*", "*", ""},
                        Case{"/p%20q?x=%3F", "/p%20q", "x=%3F"}}) {
    SCOPED_TRACE(c.target);
    ParsedHead r = parseEveryWay(withLine(std::string("GET ") + c.target + " HTTP/1.1"));
    ASSERT_EQ(r.kind, ParseResult::Complete) << r;
    EXPECT_EQ(r.target, c.target);
    EXPECT_EQ(r.path, c.path);
    EXPECT_EQ(r.query, c.query);
  }
}

TEST(RequestParserTest, QueryParameterFindsTheFirstPairByName) {
  EXPECT_EQ(queryParameter("format=protobuf", "format"), "protobuf");
  EXPECT_EQ(queryParameter("a=1&cf_protocol=protobuf&b", "cf_protocol"), "protobuf");
  EXPECT_EQ(queryParameter("x=1&x=2", "x"), "1");
  EXPECT_EQ(queryParameter("flag&y=2", "flag"), "");
  EXPECT_EQ(queryParameter("formats=protobuf", "format"), std::nullopt);
  EXPECT_EQ(queryParameter("", "format"), std::nullopt);
  EXPECT_EQ(queryParameter("a=%3D", "a"), "%3D");  // as sent: not decoded
}

TEST(RequestParserTest, AcceptsHttp10AndReportsMinorVersion) {
  ParsedHead r = parseEveryWay(withLine("GET / HTTP/1.0"));
  ASSERT_EQ(r.kind, ParseResult::Complete) << r;
  EXPECT_EQ(r.versionMinor, 0);
}

TEST(RequestParserTest, ParsesOtherMethodsAsTokens) {
  ParsedHead r = parseEveryWay(withLine("POST /submit HTTP/1.1"));
  ASSERT_EQ(r.kind, ParseResult::Complete) << r;
  EXPECT_EQ(r.method, "POST");
}

TEST(RequestParserTest, TrimsWhitespaceAroundHeaderValues) {
  ParsedHead r = parseEveryWay(withHeaders("A:value\r\nB:   spaced out \t \r\nC:\t\ttabbed\r\nD:\r\nE:    \r\n"));
  ASSERT_EQ(r.kind, ParseResult::Complete) << r;
  EXPECT_EQ(r.headers, (Headers{{"A", "value"}, {"B", "spaced out"}, {"C", "tabbed"}, {"D", ""}, {"E", ""}}));
}

TEST(RequestParserTest, AcceptsObsTextInHeaderValues) {
  ParsedHead r = parseEveryWay(withHeaders("X-Name: caf\xC3\xA9 \x80\xFF\r\n"));
  ASSERT_EQ(r.kind, ParseResult::Complete) << r;
  EXPECT_EQ(r.headers, (Headers{{"X-Name", "caf\xC3\xA9 \x80\xFF"}}));
}

TEST(RequestParserTest, AcceptsAllTokenCharactersInHeaderNames) {
  const std::string name = "!#$%&'*+-.^_`|~09azAZ";
  ParsedHead r = parseEveryWay(withHeaders(name + ": v\r\n"));
  ASSERT_EQ(r.kind, ParseResult::Complete) << r;
  EXPECT_EQ(r.headers, (Headers{{name, "v"}}));
}

TEST(RequestParserTest, DoesNotConsumeBytesAfterTheHead) {
  // A WebSocket client may send its first frame right behind the head.
  const std::string head = kUpgradeHead;
  const std::string bytes = head + "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58" + "GET / HTTP/1.1\r\n\r\n";
  ParsedHead r = parseEveryWay(bytes);
  ASSERT_EQ(r.kind, ParseResult::Complete) << r;
  EXPECT_EQ(r.consumed, head.size());
  EXPECT_EQ(r.headers.size(), 5u);
}

TEST(RequestParserTest, NeedsMoreUntilTheBlankLine) {
  const std::string head = kUpgradeHead;
  for (std::size_t n = 0; n < head.size(); ++n) {
    RequestParser parser;
    Request req;
    ParseResult r = parser.parse(std::string_view(head).substr(0, n), req);
    EXPECT_EQ(r.kind, ParseResult::NeedMore) << "after " << n << " bytes";
    EXPECT_EQ(r.consumed, 0u);
  }
}

TEST(RequestParserTest, ResetAllowsParsingTheNextRequest) {
  RequestParser parser;
  Request req;
  const std::string first = withLine("GET /one HTTP/1.1");
  std::string buffer;
  ParseResult r;
  for (char c : first) {
    buffer.push_back(c);
    r = parser.parse(buffer, req);
  }
  ASSERT_EQ(r.kind, ParseResult::Complete);
  EXPECT_EQ(req.path, "/one");

  parser.reset();
  const std::string second = withLine("GET /two HTTP/1.1");
  r = parser.parse(second, req);
  ASSERT_EQ(r.kind, ParseResult::Complete);
  EXPECT_EQ(req.path, "/two");
  EXPECT_EQ(r.consumed, second.size());
}

TEST(RequestParserTest, FindsTerminatorSplitAcrossEveryPairOfReads) {
  // parseEveryWay already cuts at every point; here the first read ends at
  // each byte of the "\r\n\r\n" and the parser must not skip past it.
  const std::string head = withLine("GET / HTTP/1.1");
  for (std::size_t cut = head.size() - 4; cut < head.size(); ++cut) {
    RequestParser parser;
    Request req;
    EXPECT_EQ(parser.parse(std::string_view(head).substr(0, cut), req).kind, ParseResult::NeedMore);
    ParseResult r = parser.parse(head, req);
    EXPECT_EQ(r.kind, ParseResult::Complete) << "first read of " << cut << " bytes";
    EXPECT_EQ(r.consumed, head.size());
  }
}

TEST(RequestParserTest, RejectsMalformedRequestLine) {
  for (const char* line : {"", "GET", "GET /", "GET  / HTTP/1.1", "GET / HTTP/1.1 ", " GET / HTTP/1.1", "GET /  HTTP/1.1",
                           "GET / HTTP/1.1 extra", "GET\t/ HTTP/1.1"}) {
    expectRefused(withLine(line), Status::BadRequest);
  }
}

TEST(RequestParserTest, RejectsMalformedMethod) {
  for (const char* line : {"G(T / HTTP/1.1", "GE\x01T / HTTP/1.1", "G\xC3\xA9T / HTTP/1.1", "GET: / HTTP/1.1"})
    expectRefused(withLine(line), Status::BadRequest);
}

TEST(RequestParserTest, RejectsControlCharactersInTarget) {
  expectRefused(withLine("GET /a\x01 HTTP/1.1"), Status::BadRequest);
  expectRefused(withLine("GET /a\x7F HTTP/1.1"), Status::BadRequest);
  expectRefused(withLine("GET /a\tb HTTP/1.1"), Status::BadRequest);
  expectRefused(withLine(std::string("GET /a") + '\0' + " HTTP/1.1"), Status::BadRequest);
}

TEST(RequestParserTest, RejectsMalformedVersion) {
  for (const char* version : {"HTTP/1", "HTTP/1.", "HTTP/1.10", "http/1.1", "HTTP 1.1", "HTTP/1,1", "HTTP/x.1",
                              "HTTP/1.x", "HTTPS/1.1", "HTTP/11", "HTTP/1.1\t"}) {
    expectRefused(withLine(std::string("GET / ") + version), Status::BadRequest);
  }
}

TEST(RequestParserTest, RejectsHttp2And0And3WithVersionNotSupported) {
  expectRefused(withLine("GET / HTTP/2.0"), Status::VersionNotSupported);
  expectRefused(withLine("GET / HTTP/0.9"), Status::VersionNotSupported);
  expectRefused(withLine("GET / HTTP/3.0"), Status::VersionNotSupported);
}

TEST(RequestParserTest, RejectsBadHeaderName) {
  for (const char* line : {"Ho st: x\r\n", "Host(: x\r\n", ": x\r\n", "H\xC3\xA9: x\r\n", "Ho\"st: x\r\n",
                           "Ho/st: x\r\n", "Host\x01: x\r\n"}) {
    expectRefused(withHeaders(line), Status::BadRequest);
  }
}

TEST(RequestParserTest, RejectsWhitespaceBeforeColon) {
  expectRefused(withHeaders("Host : x\r\n"), Status::BadRequest);
  expectRefused(withHeaders("Host\t: x\r\n"), Status::BadRequest);
}

TEST(RequestParserTest, RejectsHeaderLineWithoutColon) {
  expectRefused(withHeaders("Host x\r\n"), Status::BadRequest);
}

TEST(RequestParserTest, RejectsObsFold) {
  expectRefused(withHeaders("X-Long: first\r\n second\r\n"), Status::BadRequest);
  expectRefused(withHeaders("X-Long: first\r\n\tsecond\r\n"), Status::BadRequest);
  // A fold before the first header line is whitespace before a field name.
  expectRefused(withHeaders(" Host: x\r\n"), Status::BadRequest);
}

TEST(RequestParserTest, RejectsControlCharactersInHeaderValue) {
  for (std::string value : {std::string("a\x01z"), std::string("a\x7Fz"), std::string("a\rz"), std::string("a\nz"),
                            std::string("a\x1Fz"), std::string("a") + '\0' + "z"}) {
    expectRefused(withHeaders("X: " + value + "\r\n"), Status::BadRequest);
  }
}

TEST(RequestParserTest, RejectsBareLfInsideTheHead) {
  // "\n" alone does not end a line; it lands in a value or the version.
  expectRefused("GET / HTTP/1.1\nHost: x\r\n\r\n", Status::BadRequest);
  expectRefused(withHeaders("Host: x\nY: z\r\n"), Status::BadRequest);
}

TEST(RequestTest, HeaderLookupIgnoresCase) {
  const std::string head = kUpgradeHead;
  ASSERT_EQ(parseEveryWay(head).kind, ParseResult::Complete);
  RequestParser parser;
  Request req;
  ASSERT_EQ(parser.parse(head, req).kind, ParseResult::Complete);
  EXPECT_EQ(req.header("sec-websocket-key"), "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(req.header("SEC-WEBSOCKET-VERSION"), "13");
  EXPECT_EQ(req.header("hOsT"), "example.com:8080");
  EXPECT_EQ(req.header("Origin"), std::nullopt);
  EXPECT_EQ(req.header("Hos"), std::nullopt);
  EXPECT_EQ(req.header("Hostx"), std::nullopt);
}

TEST(RequestTest, RepeatedHeadersAreKeptInOrder) {
  const std::string head = withHeaders("Cookie: a=1\r\nHost: h\r\ncookie: b=2\r\nCOOKIE: c=3\r\n");
  ASSERT_EQ(parseEveryWay(head).kind, ParseResult::Complete);
  RequestParser parser;
  Request req;
  ASSERT_EQ(parser.parse(head, req).kind, ParseResult::Complete);
  EXPECT_EQ(req.headerCount("Cookie"), 3u);
  EXPECT_EQ(req.headerCount("Host"), 1u);
  EXPECT_EQ(req.headerCount("Origin"), 0u);
  EXPECT_EQ(req.header("Cookie"), "a=1");  // the first one
  ASSERT_EQ(req.headers.size(), 4u);
  EXPECT_EQ(req.headers[2].value, "b=2");
  EXPECT_EQ(req.headers[3].value, "c=3");
}

TEST(RequestTest, HeaderHasTokenSearchesEveryCommaSeparatedList) {
  const std::string head = withHeaders(
      "Connection: keep-alive, Upgrade\r\n"
      "Sec-WebSocket-Protocol: chat.v1 ,\t, chat.v2\r\n"
      "sec-websocket-protocol: mqtt\r\n"
      "X-Empty:\r\n"
      "X-Commas: ,,,\r\n");
  ASSERT_EQ(parseEveryWay(head).kind, ParseResult::Complete);
  RequestParser parser;
  Request req;
  ASSERT_EQ(parser.parse(head, req).kind, ParseResult::Complete);
  EXPECT_TRUE(req.headerHasToken("connection", "upgrade"));
  EXPECT_TRUE(req.headerHasToken("Connection", "KEEP-ALIVE"));
  EXPECT_FALSE(req.headerHasToken("Connection", "close"));
  EXPECT_FALSE(req.headerHasToken("Connection", "upgrad"));
  EXPECT_FALSE(req.headerHasToken("Connection", "keep-alive, Upgrade"));
  EXPECT_TRUE(req.headerHasToken("Sec-WebSocket-Protocol", "chat.v1"));
  EXPECT_TRUE(req.headerHasToken("Sec-WebSocket-Protocol", "chat.v2"));
  EXPECT_TRUE(req.headerHasToken("Sec-WebSocket-Protocol", "mqtt"));  // second header
  EXPECT_FALSE(req.headerHasToken("Sec-WebSocket-Protocol", "chat"));
  EXPECT_FALSE(req.headerHasToken("Sec-WebSocket-Protocol", ""));
  EXPECT_FALSE(req.headerHasToken("X-Empty", ""));
  EXPECT_FALSE(req.headerHasToken("X-Commas", ""));
  EXPECT_FALSE(req.headerHasToken("Upgrade", "websocket"));  // absent header
}

TEST(RequestTest, EqualsIgnoreCaseFoldsAsciiLettersOnly) {
  EXPECT_TRUE(equalsIgnoreCase("WebSocket", "websocket"));
  EXPECT_TRUE(equalsIgnoreCase("", ""));
  EXPECT_FALSE(equalsIgnoreCase("websocket", "websockets"));
  EXPECT_FALSE(equalsIgnoreCase("a", "b"));
  // '@' | 0x20 is '`' and '[' | 0x20 is '{': only letters fold.
  EXPECT_FALSE(equalsIgnoreCase("@", "`"));
  EXPECT_FALSE(equalsIgnoreCase("[", "{"));
  EXPECT_FALSE(equalsIgnoreCase("\xC3\x89", "\xC3\xA9"));
}

TEST(RequestTest, ForEachListElementSkipsEmptyAndTrimsElements) {
  std::vector<std::string> seen;
  forEachListElement(" a ,b,,\tc\t, ,d", [&](std::string_view item) { seen.emplace_back(item); });
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d"}));
  seen.clear();
  forEachListElement("", [&](std::string_view item) { seen.emplace_back(item); });
  forEachListElement(" , ,", [&](std::string_view item) { seen.emplace_back(item); });
  EXPECT_TRUE(seen.empty());
}

}  // namespace
}  // namespace herald::http
