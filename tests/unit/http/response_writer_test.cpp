// ResponseWriter and errorResponse: the bytes on the wire, read back with a
// strict response reader (support/http_response.hpp).

#include "herald/http/response_writer.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "herald/http/status.hpp"
#include "support/http_response.hpp"

namespace herald::http {
namespace {

using test::parseResponse;

TEST(ResponseWriterTest, WritesStatusLineHeadersAndBody) {
  ResponseWriter w(Status::Ok);
  w.header("X-One", "1").header("X-Two", "two words");
  std::string out = std::move(w).finish("hello");
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\n"
            "X-One: 1\r\n"
            "X-Two: two words\r\n"
            "Content-Length: 5\r\n"
            "\r\n"
            "hello");
}

TEST(ResponseWriterTest, AddsContentTypeWhenGiven) {
  std::string out = ResponseWriter(Status::NotFound).finish("{}", "application/json");
  auto r = parseResponse(out);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.phrase, "Not Found");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("Content-Length"), "2");
  EXPECT_EQ(r.body, "{}");
}

TEST(ResponseWriterTest, EmptyBodyHasContentLengthZero) {
  std::string out = ResponseWriter(Status::NoContent).finish();
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
}

TEST(ResponseWriterTest, ContentLengthCountsBytesNotCharacters) {
  const std::string body = std::string("caf\xC3\xA9 \xF0\x9F\x98\x80\n") + std::string(1000, 'x');
  auto r = parseResponse(ResponseWriter(Status::Ok).finish(body, "text/plain; charset=utf-8"));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.header("Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(r.body, body);
}

TEST(ResponseWriterTest, RawHeadersAreInsertedVerbatim) {
  ResponseWriter w(Status::Ok);
  w.rawHeaders("A: 1\r\nB: 2\r\n").header("C", "3");
  std::string out = std::move(w).finishHead();
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
}

TEST(ResponseWriterTest, FinishHeadEndsWithBlankLineAndNoContentLength) {
  ResponseWriter w(Status::SwitchingProtocols);
  w.header("Upgrade", "websocket");
  std::string out = std::move(w).finishHead();
  EXPECT_EQ(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
}

TEST(ResponseWriterTest, EveryStatusHasItsOwnReasonPhrase) {
  const Status all[] = {Status::SwitchingProtocols, Status::Ok, Status::NoContent, Status::BadRequest,
                        Status::Forbidden, Status::NotFound, Status::MethodNotAllowed, Status::PayloadTooLarge,
                        Status::UpgradeRequired, Status::TooManyRequests, Status::HeaderFieldsTooLarge,
                        Status::InternalServerError, Status::ServiceUnavailable, Status::VersionNotSupported};
  std::set<std::string_view> phrases;
  for (Status s : all) {
    EXPECT_NE(reasonPhrase(s), "Unknown") << static_cast<int>(s);
    EXPECT_FALSE(reasonPhrase(s).empty());
    phrases.insert(reasonPhrase(s));
  }
  EXPECT_EQ(phrases.size(), std::size(all));
  EXPECT_EQ(reasonPhrase(Status::HeaderFieldsTooLarge), "Request Header Fields Too Large");
  EXPECT_EQ(reasonPhrase(Status::UpgradeRequired), "Upgrade Required");
  EXPECT_EQ(reasonPhrase(Status::VersionNotSupported), "HTTP Version Not Supported");
}

TEST(ErrorResponseTest, HasStatusLineConnectionCloseAndReadableBody) {
  std::string out = errorResponse(Status::BadRequest, "missing Sec-WebSocket-Key header");
  auto r = parseResponse(out);
  ASSERT_EQ(r.error, "") << out;
  EXPECT_EQ(r.version, "HTTP/1.1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.phrase, "Bad Request");
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.headerCount("Content-Length"), 1u);
  EXPECT_EQ(r.body, "400 Bad Request: missing Sec-WebSocket-Key header\n");
}

TEST(ErrorResponseTest, InsertsExtraHeadersInTheHead) {
  std::string out =
      errorResponse(Status::UpgradeRequired, "send 'Sec-WebSocket-Version: 13'", "Sec-WebSocket-Version: 13\r\n");
  auto r = parseResponse(out);
  ASSERT_EQ(r.error, "") << out;
  EXPECT_EQ(r.status, 426);
  EXPECT_EQ(r.header("Sec-WebSocket-Version"), "13");
  EXPECT_EQ(r.body, "426 Upgrade Required: send 'Sec-WebSocket-Version: 13'\n");
}

TEST(ErrorResponseTest, ContentLengthMatchesLongAndNonAsciiMessages) {
  const std::string message = std::string(5000, 'm') + " \xE2\x82\xAC";
  auto r = parseResponse(errorResponse(Status::HeaderFieldsTooLarge, message));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.body, "431 Request Header Fields Too Large: " + message + "\n");
}

}  // namespace
}  // namespace herald::http
