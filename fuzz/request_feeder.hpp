#pragma once
// Feeding an HTTP request head to RequestParser the way a connection does:
// the buffer grows by one read at a time and parse() sees all of it after
// each read. Every parse() call gets a fresh allocation of exactly the bytes
// received so far, so AddressSanitizer catches a read past them.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "herald/http/request_parser.hpp"

namespace herald::fuzz {

struct FedRequest {
  http::ParseResult result;
  http::Request request;          // views into `buffer`
  std::unique_ptr<char[]> buffer;  // the bytes the last parse() saw
  std::size_t bufferSize = 0;
  std::size_t calls = 0;

  std::string_view bytes() const { return {buffer.get(), bufferSize}; }
};

inline void parseInto(FedRequest& fed, http::RequestParser& parser, const std::uint8_t* data, std::size_t n) {
  fed.buffer = std::make_unique<char[]>(n);
  if (n) std::memcpy(fed.buffer.get(), data, n);
  fed.bufferSize = n;
  fed.result = parser.parse(fed.bytes(), fed.request);
  ++fed.calls;
}

inline FedRequest feedWhole(const std::uint8_t* data, std::size_t size) {
  FedRequest fed;
  http::RequestParser parser;
  parseInto(fed, parser, data, size);
  return fed;
}

// Stops at the first answer other than NeedMore, as a connection does.
inline FedRequest feedChunked(const std::uint8_t* data, std::size_t size, const std::vector<std::size_t>& plan) {
  FedRequest fed;
  http::RequestParser parser;
  std::size_t have = 0;
  for (std::size_t n : plan) {
    have += n;
    parseInto(fed, parser, data, have);
    if (fed.result.kind != http::ParseResult::NeedMore) break;
  }
  if (fed.calls == 0) parseInto(fed, parser, data, size);  // empty input
  return fed;
}

inline const char* kindName(http::ParseResult::Kind k) {
  switch (k) {
    case http::ParseResult::NeedMore: return "NeedMore";
    case http::ParseResult::Complete: return "Complete";
    case http::ParseResult::Error: return "Error";
  }
  return "?";
}

// Offset of `part` in `whole`, or -1 for an empty view (which may point anywhere).
inline long offsetIn(std::string_view part, std::string_view whole) {
  if (part.empty()) return -1;
  return static_cast<long>(part.data() - whole.data());
}

// The checks that hold for any input, and the agreement of two ways of
// feeding it. Shared by fuzz_http_request and fuzz_handshake.
inline void checkParsed(const FedRequest& whole, const FedRequest& chunked) {
  using http::ParseResult;
  const ParseResult& a = whole.result;
  const ParseResult& b = chunked.result;
  HERALD_FUZZ_CHECK(a.kind == b.kind, "one-shot %s, chunked %s (%s / %s)", kindName(a.kind), kindName(b.kind),
                    a.reason, b.reason);
  HERALD_FUZZ_CHECK(a.consumed == b.consumed, "consumed %zu vs %zu", a.consumed, b.consumed);

  std::string_view buf = chunked.bytes();
  const http::Request& req = chunked.request;
  switch (b.kind) {
    case ParseResult::NeedMore:
      HERALD_FUZZ_CHECK(whole.bytes().find("\r\n\r\n") == std::string_view::npos, "NeedMore with a blank line");
      HERALD_FUZZ_CHECK(whole.bufferSize <= http::ParseLimits{}.maxHeadBytes, "NeedMore past the head limit");
      return;
    case ParseResult::Error: {
      HERALD_FUZZ_CHECK(a.status == b.status, "status %d vs %d", static_cast<int>(a.status),
                        static_cast<int>(b.status));
      HERALD_FUZZ_CHECK(std::strcmp(a.reason, b.reason) == 0, "reason '%s' vs '%s'", a.reason, b.reason);
      HERALD_FUZZ_CHECK(*b.reason != '\0', "error without a reason");
      int s = static_cast<int>(b.status);
      HERALD_FUZZ_CHECK(s == 400 || s == 431 || s == 505, "unexpected error status %d", s);
      return;
    }
    case ParseResult::Complete:
      break;
  }

  // Complete: the head ends at the first blank line, inside what was fed.
  HERALD_FUZZ_CHECK(b.consumed >= 4 && b.consumed <= buf.size(), "consumed %zu of %zu", b.consumed, buf.size());
  HERALD_FUZZ_CHECK(buf.substr(b.consumed - 4, 4) == "\r\n\r\n", "head does not end with a blank line");
  HERALD_FUZZ_CHECK(buf.find("\r\n\r\n") == b.consumed - 4, "head ends past the first blank line");
  HERALD_FUZZ_CHECK(b.consumed <= http::ParseLimits{}.maxHeadBytes, "head of %zu bytes accepted", b.consumed);
  HERALD_FUZZ_CHECK(req.headers.size() <= 100, "%zu headers", req.headers.size());
  HERALD_FUZZ_CHECK(req.versionMinor >= 0 && req.versionMinor <= 9, "version 1.%d", req.versionMinor);

  std::string_view head = buf.substr(0, b.consumed);
  auto checkView = [&](std::string_view v, const char* what) {
    HERALD_FUZZ_CHECK(inside(v, head), "%s view lies outside the head", what);
    HERALD_FUZZ_CHECK(v.find('\r') == std::string_view::npos && v.find('\n') == std::string_view::npos,
                      "%s contains CR or LF", what);
  };
  checkView(req.method, "method");
  checkView(req.target, "target");
  checkView(req.path, "path");
  checkView(req.query, "query");
  HERALD_FUZZ_CHECK(!req.method.empty() && !req.target.empty(), "empty method or target");
  HERALD_FUZZ_CHECK(req.target.substr(0, req.path.size()) == req.path, "path is not a prefix of the target");
  for (const http::Header& h : req.headers) {
    checkView(h.name, "header name");
    checkView(h.value, "header value");
    HERALD_FUZZ_CHECK(!h.name.empty() && h.name.find(':') == std::string_view::npos, "bad header name");
    if (!h.value.empty()) {
      char f = h.value.front(), l = h.value.back();
      HERALD_FUZZ_CHECK(f != ' ' && f != '\t' && l != ' ' && l != '\t', "header value not trimmed");
    }
  }

  // The same request, field by field and offset by offset.
  const http::Request& w = whole.request;
  std::string_view wbuf = whole.bytes();
  auto same = [&](std::string_view x, std::string_view y, const char* what) {
    HERALD_FUZZ_CHECK(x == y && offsetIn(x, wbuf) == offsetIn(y, buf), "%s differs between one-shot and chunked",
                      what);
  };
  same(w.method, req.method, "method");
  same(w.target, req.target, "target");
  same(w.path, req.path, "path");
  same(w.query, req.query, "query");
  HERALD_FUZZ_CHECK(w.versionMinor == req.versionMinor, "version differs");
  HERALD_FUZZ_CHECK(w.headers.size() == req.headers.size(), "%zu vs %zu headers", w.headers.size(),
                    req.headers.size());
  for (std::size_t i = 0; i < req.headers.size(); ++i) {
    same(w.headers[i].name, req.headers[i].name, "header name");
    same(w.headers[i].value, req.headers[i].value, "header value");
  }
}

}  // namespace herald::fuzz
