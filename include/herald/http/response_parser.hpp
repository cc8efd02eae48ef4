#pragma once
// Parsing an HTTP/1.1 response head, with the same convention and limits as
// RequestParser: parse() is given every byte received so far; on Complete,
// `consumed` is the head's length and what follows is not touched (for a
// WebSocket client, the start of the server's frames).

#include <string_view>

#include "herald/http/request.hpp"
#include "herald/http/request_parser.hpp"

namespace herald::http {

class ResponseParser {
 public:
  explicit ResponseParser(ParseLimits limits = {}) : limits_(limits) {}

  ParseResult parse(std::string_view buffered, Response& out);

 private:
  ParseLimits limits_;
  std::size_t scanned_ = 0;
};

}  // namespace herald::http
