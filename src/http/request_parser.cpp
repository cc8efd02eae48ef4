#include "herald/http/request_parser.hpp"

#include <algorithm>

#include "head_parsing.hpp"

namespace herald::http {

using detail::isToken;
using detail::refuse;

namespace {

bool isTarget(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c != 0x7F;
  });
}

}  // namespace

ParseResult RequestParser::parse(std::string_view buffered, Request& out) {
  ParseResult error;
  std::size_t headLen = detail::findHeadEnd(buffered, scanned_, limits_.maxHeadBytes, error);
  if (headLen == 0) {
    // Bytes that cannot start a request line (a TLS hello sent to a plain
    // port, say) are refused at once rather than at the size limit, and with
    // the same answer however the bytes were split.
    std::string_view start = buffered.substr(0, 32);
    std::string_view method = start.substr(0, start.find_first_of(" \r\n"));
    if (!method.empty() && !isToken(method)) return refuse(Status::BadRequest, "malformed request method");
    return error;
  }
  ParseResult r = parseHead(buffered.substr(0, headLen - 2), out);
  if (r.kind == ParseResult::Complete) r.consumed = headLen;
  return r;
}

ParseResult RequestParser::parseHead(std::string_view head, Request& out) {
  out = Request{};
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);

  std::size_t sp1 = line.find(' ');
  out.method = line.substr(0, sp1);
  if (!isToken(out.method)) return refuse(Status::BadRequest, "malformed request method");
  if (sp1 == std::string_view::npos) return refuse(Status::BadRequest, "malformed request line");
  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return refuse(Status::BadRequest, "malformed request line");
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isTarget(out.target)) return refuse(Status::BadRequest, "malformed request target");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
    return refuse(Status::BadRequest, "malformed HTTP version");
  if (version[5] != '1') return refuse(Status::VersionNotSupported, "only HTTP/1.x is supported");
  out.versionMinor = version[7] - '0';

  std::size_t q = out.target.find('?');
  out.path = out.target.substr(0, q);
  out.query = q == std::string_view::npos ? std::string_view{} : out.target.substr(q + 1);

  return detail::parseHeaderLines(head, out, limits_.maxHeaders);
}

}  // namespace herald::http
