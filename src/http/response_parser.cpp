#include "herald/http/response_parser.hpp"

#include "head_parsing.hpp"

namespace herald::http {

using detail::refuse;

ParseResult ResponseParser::parse(std::string_view buffered, Response& out) {
  ParseResult error;
  std::size_t headLen = detail::findHeadEnd(buffered, scanned_, limits_.maxHeadBytes, error);
  if (headLen == 0) return error;

  out = Response{};
  std::string_view head = buffered.substr(0, headLen - 2);
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);

  // HTTP/1.1 SP 3DIGIT SP reason-phrase (the reason may be empty).
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || line[6] != '.' || line[8] != ' ')
    return refuse(Status::BadRequest, "malformed status line");
  if (line[5] != '1' || line[7] < '0' || line[7] > '9') return refuse(Status::VersionNotSupported, "not an HTTP/1.x response");
  out.versionMinor = line[7] - '0';
  int status = 0;
  for (int i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return refuse(Status::BadRequest, "malformed status code");
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100) return refuse(Status::BadRequest, "malformed status code");
  if (line.size() > 12 && line[12] != ' ') return refuse(Status::BadRequest, "malformed status line");
  out.status = status;
  out.reason = line.size() > 13 ? line.substr(13) : std::string_view{};

  ParseResult r = detail::parseHeaderLines(head, out, limits_.maxHeaders);
  if (r.kind == ParseResult::Complete) r.consumed = headLen;
  return r;
}

}  // namespace herald::http
