#pragma once
// Serializing HTTP/1.1 responses.

#include <string>
#include <string_view>
#include <utility>

#include "herald/http/status.hpp"

namespace herald::http {

class ResponseWriter {
 public:
  explicit ResponseWriter(Status status);

  ResponseWriter& header(std::string_view name, std::string_view value);
  // Header lines already formatted as "Name: value\r\n".
  ResponseWriter& rawHeaders(std::string_view lines);
  // Adds Content-Length (and Content-Type when given) and the body, and
  // returns the serialized response.
  std::string finish(std::string_view body = {}, std::string_view contentType = {}) &&;
  // The head alone, ending with the blank line, for responses with no body
  // length (101 Switching Protocols).
  std::string finishHead() &&;

 private:
  std::string out_;
};

// A refusal: `status` with a short plain-text body saying why, and
// "Connection: close". `extraHeaders` is inserted as is ("Name: value\r\n"...).
std::string errorResponse(Status status, std::string_view message, std::string_view extraHeaders = {});

}  // namespace herald::http
