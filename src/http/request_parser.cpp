#include "herald/http/request_parser.hpp"

#include <algorithm>

namespace herald::http {

namespace {

// RFC 9110 token characters.
bool isTchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return isTchar(static_cast<unsigned char>(c)); });
}

// Field values: visible characters, spaces, tabs and obs-text; no controls.
bool isFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7F);
  });
}

bool isTarget(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c != 0x7F;
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseResult refuse(Status status, const char* reason) {
  ParseResult r;
  r.kind = ParseResult::Error;
  r.status = status;
  r.reason = reason;
  return r;
}

}  // namespace

ParseResult RequestParser::parse(std::string_view buffered, Request& out) {
  // Resume the search for the blank line a little before where it stopped,
  // in case "\r\n\r\n" was split across reads.
  std::size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
  std::size_t end = buffered.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    if (buffered.size() > limits_.maxHeadBytes) return refuse(Status::HeaderFieldsTooLarge, "request head is over the size limit");
    scanned_ = buffered.size();
    return {};
  }
  std::size_t headLen = end + 4;
  if (headLen > limits_.maxHeadBytes) return refuse(Status::HeaderFieldsTooLarge, "request head is over the size limit");
  ParseResult r = parseHead(buffered.substr(0, end + 2), out);
  if (r.kind == ParseResult::Complete) r.consumed = headLen;
  return r;
}

ParseResult RequestParser::parseHead(std::string_view head, Request& out) {
  out = Request{};
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);

  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return refuse(Status::BadRequest, "malformed request line");
  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return refuse(Status::BadRequest, "malformed request line");
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isToken(out.method)) return refuse(Status::BadRequest, "malformed request method");
  if (!isTarget(out.target)) return refuse(Status::BadRequest, "malformed request target");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
    return refuse(Status::BadRequest, "malformed HTTP version");
  if (version[5] != '1') return refuse(Status::VersionNotSupported, "only HTTP/1.x is supported");
  out.versionMinor = version[7] - '0';

  std::size_t q = out.target.find('?');
  out.path = out.target.substr(0, q);
  out.query = q == std::string_view::npos ? std::string_view{} : out.target.substr(q + 1);

  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (line.front() == ' ' || line.front() == '\t') return refuse(Status::BadRequest, "obsolete header line folding");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return refuse(Status::BadRequest, "header line without a colon");
    std::string_view name = line.substr(0, colon);
    if (!isToken(name)) return refuse(Status::BadRequest, "malformed header name");
    std::string_view value = trim(line.substr(colon + 1));
    if (!isFieldValue(value)) return refuse(Status::BadRequest, "control character in a header value");
    if (out.headers.size() == limits_.maxHeaders) return refuse(Status::HeaderFieldsTooLarge, "too many header fields");
    out.headers.push_back({name, value});
  }
  ParseResult r;
  r.kind = ParseResult::Complete;
  return r;
}

}  // namespace herald::http
