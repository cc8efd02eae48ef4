#pragma once
// Parsing an HTTP/1.1 request head with hard limits.
//
// The caller keeps the bytes received so far in one buffer and calls parse()
// with all of them after each read; the parser remembers how far it looked
// for the end of the head, so the whole head is scanned once however it was
// split. On Complete, `consumed` is the length of the head: the bytes after it
// belong to what follows (a request body, or the WebSocket stream).
//
// Refusals carry the status to answer with and a short reason for its body.

#include <cstddef>
#include <string_view>

#include "herald/http/request.hpp"
#include "herald/http/status.hpp"

namespace herald::http {

struct ParseLimits {
  std::size_t maxHeadBytes = 8 * 1024;
  std::size_t maxHeaders = 100;
};

struct ParseResult {
  enum Kind { NeedMore, Complete, Error };
  Kind kind = NeedMore;
  std::size_t consumed = 0;
  Status status = Status::BadRequest;  // Error: what to answer
  const char* reason = "";             // Error: why, one line
};

class RequestParser {
 public:
  explicit RequestParser(ParseLimits limits = {}) : limits_(limits) {}

  // `buffered` is every byte received so far on this request, from its start.
  ParseResult parse(std::string_view buffered, Request& out);
  void reset() { scanned_ = 0; }

 private:
  ParseResult parseHead(std::string_view head, Request& out);

  ParseLimits limits_;
  std::size_t scanned_ = 0;
};

}  // namespace herald::http
