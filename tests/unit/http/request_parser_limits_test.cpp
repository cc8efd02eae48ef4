// RequestParser's hard limits: head size and header count, both answered
// with 431. Every vector is also grown byte by byte and cut at every split.

#include "herald/http/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>

#include "http/request_parser_support.hpp"

namespace herald::http {
namespace {

using test::ParsedHead;
using test::parseEveryWay;

// A complete head of exactly `total` bytes: one header padded with 'a'.
std::string headOfSize(std::size_t total) {
  const std::string prefix = "GET / HTTP/1.1\r\nX-Pad: ";
  const std::string suffix = "\r\n\r\n";
  std::string head = prefix + std::string(total - prefix.size() - suffix.size(), 'a') + suffix;
  EXPECT_EQ(head.size(), total);
  return head;
}

std::string headWithHeaders(std::size_t count) {
  std::string head = "GET / HTTP/1.1\r\n";
  for (std::size_t i = 0; i < count; ++i) head += "H" + std::to_string(i) + ": v\r\n";
  return head + "\r\n";
}

TEST(RequestParserLimitsTest, AcceptsHeadOfExactly8KiB) {
  ParsedHead r = parseEveryWay(headOfSize(8 * 1024));
  ASSERT_EQ(r.kind, ParseResult::Complete) << r;
  EXPECT_EQ(r.consumed, 8u * 1024);
}

TEST(RequestParserLimitsTest, RefusesHeadOver8KiBWith431) {
  ParsedHead r = parseEveryWay(headOfSize(8 * 1024 + 1));
  ASSERT_EQ(r.kind, ParseResult::Error) << r;
  EXPECT_EQ(r.status, Status::HeaderFieldsTooLarge);
}

TEST(RequestParserLimitsTest, RefusesUnterminatedHeadOnceItPasses8KiB) {
  // No blank line ever comes: the parser must not wait for it forever.
  std::string partial = "GET / HTTP/1.1\r\nX-Pad: " + std::string(8 * 1024, 'a');
  ParsedHead r = parseEveryWay(partial);
  ASSERT_EQ(r.kind, ParseResult::Error) << r;
  EXPECT_EQ(r.status, Status::HeaderFieldsTooLarge);

  // Growing the buffer: NeedMore up to 8 KiB, 431 on the byte after.
  RequestParser parser;
  Request req;
  for (std::size_t n = 1; n <= partial.size(); ++n) {
    ParseResult step = parser.parse(std::string_view(partial).substr(0, n), req);
    if (n <= 8 * 1024) {
      ASSERT_EQ(step.kind, ParseResult::NeedMore) << "after " << n << " bytes";
    } else {
      ASSERT_EQ(step.kind, ParseResult::Error) << "after " << n << " bytes";
      EXPECT_EQ(step.status, Status::HeaderFieldsTooLarge);
      break;
    }
  }
}

TEST(RequestParserLimitsTest, BytesAfterASmallHeadDoNotCountTowardsTheLimit) {
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  ParsedHead r = parseEveryWay(head + std::string(20 * 1024, '\x82'));
  ASSERT_EQ(r.kind, ParseResult::Complete) << r;
  EXPECT_EQ(r.consumed, head.size());
}

TEST(RequestParserLimitsTest, AcceptsExactly100Headers) {
  ParsedHead r = parseEveryWay(headWithHeaders(100));
  ASSERT_EQ(r.kind, ParseResult::Complete) << r;
  EXPECT_EQ(r.headers.size(), 100u);
  EXPECT_EQ(r.headers.back().first, "H99");
}

TEST(RequestParserLimitsTest, RefusesMoreThan100HeadersWith431) {
  ParsedHead r = parseEveryWay(headWithHeaders(101));
  ASSERT_EQ(r.kind, ParseResult::Error) << r;
  EXPECT_EQ(r.status, Status::HeaderFieldsTooLarge);
}

TEST(RequestParserLimitsTest, HonoursCustomLimits) {
  ParseLimits limits;
  limits.maxHeaders = 2;
  limits.maxHeadBytes = 64;

  ParsedHead two = parseEveryWay(headWithHeaders(2), limits);
  EXPECT_EQ(two.kind, ParseResult::Complete) << two;
  ParsedHead three = parseEveryWay(headWithHeaders(3), limits);
  EXPECT_EQ(three.kind, ParseResult::Error) << three;
  EXPECT_EQ(three.status, Status::HeaderFieldsTooLarge);

  ParsedHead fits = parseEveryWay(headOfSize(64), limits);
  EXPECT_EQ(fits.kind, ParseResult::Complete) << fits;
  ParsedHead over = parseEveryWay(headOfSize(65), limits);
  EXPECT_EQ(over.kind, ParseResult::Error) << over;
  EXPECT_EQ(over.status, Status::HeaderFieldsTooLarge);
}

}  // namespace
}  // namespace herald::http
