#pragma once
// Driving RequestParser the way the connection does: the buffer grows with
// each read and parse() is called with all of it, until the head is complete
// or refused. Results are copied out so chunkings can be compared.

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "herald/http/request_parser.hpp"
#include "support/chunking.hpp"

namespace herald::test {

struct ParsedHead {
  http::ParseResult::Kind kind = http::ParseResult::NeedMore;
  std::size_t consumed = 0;
  http::Status status = http::Status::BadRequest;  // Error only
  std::string reason;                              // Error only
  std::string method, target, path, query;         // Complete only
  int versionMinor = -1;
  std::vector<std::pair<std::string, std::string>> headers;

  bool operator==(const ParsedHead&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const ParsedHead& h) {
  static const char* kinds[] = {"NeedMore", "Complete", "Error"};
  os << kinds[h.kind] << " consumed=" << h.consumed;
  if (h.kind == http::ParseResult::Error) os << " status=" << static_cast<int>(h.status) << " (" << h.reason << ")";
  if (h.kind == http::ParseResult::Complete) {
    os << " " << h.method << " " << h.target << " HTTP/1." << h.versionMinor << " [";
    for (const auto& [n, v] : h.headers) os << n << ": " << escapeBytes(v) << "; ";
    os << "]";
  }
  return os;
}

inline ParsedHead toParsedHead(const http::ParseResult& r, const http::Request& req) {
  ParsedHead h;
  h.kind = r.kind;
  h.consumed = r.consumed;
  if (r.kind == http::ParseResult::Error) {
    h.status = r.status;
    h.reason = r.reason;
  }
  if (r.kind == http::ParseResult::Complete) {
    h.method = req.method;
    h.target = req.target;
    h.path = req.path;
    h.query = req.query;
    h.versionMinor = req.versionMinor;
    for (const auto& hd : req.headers) h.headers.emplace_back(std::string(hd.name), std::string(hd.value));
  }
  return h;
}

// The buffer grows by `sizes` pieces; parse() sees all of it after each.
inline ParsedHead parseGrowing(const std::string& bytes, const std::vector<std::size_t>& sizes,
                               http::ParseLimits limits = {}) {
  http::RequestParser parser(limits);
  http::Request req;
  std::string buffer;
  std::size_t pos = 0;
  http::ParseResult r;
  for (std::size_t n : sizes) {
    buffer.append(bytes, pos, n);
    pos += n;
    r = parser.parse(buffer, req);
    if (r.kind != http::ParseResult::NeedMore) break;
  }
  return toParsedHead(r, req);
}

// Parses `bytes` whole, grown byte by byte and cut at every split point, and
// expects the same result from each; returns it.
inline ParsedHead parseEveryWay(const std::string& bytes, http::ParseLimits limits = {}) {
  return sameForEveryChunking(
      bytes, [&](const std::string& b, const std::vector<std::size_t>& sizes) { return parseGrowing(b, sizes, limits); },
      16 * 1024);
}

}  // namespace herald::test
