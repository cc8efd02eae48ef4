#pragma once
// A strict reader of the HTTP/1.1 responses Herald writes, for checking them
// in tests: status line, "Name: value" lines, blank line, body.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/http/request.hpp"

namespace herald::test {

struct HttpResponse {
  std::string error;  // empty when the bytes are a well-formed response
  std::string version;
  int status = 0;
  std::string phrase;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (http::equalsIgnoreCase(n, name)) return v;
    return std::nullopt;
  }
  std::size_t headerCount(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& h : headers) n += http::equalsIgnoreCase(h.first, name);
    return n;
  }
};

inline HttpResponse parseResponse(std::string_view raw) {
  HttpResponse r;
  std::size_t headEnd = raw.find("\r\n\r\n");
  if (headEnd == std::string_view::npos) {
    r.error = "no blank line after the head";
    return r;
  }
  std::string_view head = raw.substr(0, headEnd + 2);
  r.body = std::string(raw.substr(headEnd + 4));

  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  // "HTTP/1.1 101 Switching Protocols"
  if (line.size() < 13 || line.substr(0, 5) != "HTTP/" || line[8] != ' ' || line[12] != ' ') {
    r.error = "malformed status line: " + std::string(line);
    return r;
  }
  r.version = std::string(line.substr(0, 8));
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') {
      r.error = "malformed status code";
      return r;
    }
    r.status = r.status * 10 + (line[i] - '0');
  }
  r.phrase = std::string(line.substr(13));

  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos || colon == 0) {
      r.error = "malformed header line: " + std::string(line);
      return r;
    }
    r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
  }
  if (auto len = r.header("Content-Length"); len && *len != std::to_string(r.body.size()))
    r.error = "Content-Length " + *len + " but the body has " + std::to_string(r.body.size()) + " bytes";
  return r;
}

}  // namespace herald::test
