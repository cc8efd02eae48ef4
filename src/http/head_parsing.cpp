#include "head_parsing.hpp"

#include <algorithm>

namespace herald::http::detail {

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

// Field values: visible characters, spaces, tabs and obs-text; no controls.
bool isFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7F);
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return isTchar(static_cast<unsigned char>(c)); });
}

ParseResult refuse(Status status, const char* reason) {
  ParseResult r;
  r.kind = ParseResult::Error;
  r.status = status;
  r.reason = reason;
  return r;
}

std::size_t findHeadEnd(std::string_view buffered, std::size_t& scanned, std::size_t maxHeadBytes, ParseResult& error) {
  // Resume the search for the blank line a little before where it stopped,
  // in case "\r\n\r\n" was split across reads.
  std::size_t from = scanned >= 3 ? scanned - 3 : 0;
  std::size_t end = buffered.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    if (buffered.size() > maxHeadBytes) error = refuse(Status::HeaderFieldsTooLarge, "head is over the size limit");
    scanned = buffered.size();
    return 0;
  }
  if (end + 4 > maxHeadBytes) {
    error = refuse(Status::HeaderFieldsTooLarge, "head is over the size limit");
    return 0;
  }
  return end + 4;
}

ParseResult parseHeaderLines(std::string_view head, HeaderFields& out, std::size_t maxHeaders) {
  while (!head.empty()) {
    std::size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (line.empty() || line.front() == ' ' || line.front() == '\t')
      return refuse(Status::BadRequest, "obsolete header line folding");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return refuse(Status::BadRequest, "header line without a colon");
    std::string_view name = line.substr(0, colon);
    if (!isToken(name)) return refuse(Status::BadRequest, "malformed header name");
    std::string_view value = trim(line.substr(colon + 1));
    if (!isFieldValue(value)) return refuse(Status::BadRequest, "control character in a header value");
    if (out.headers.size() == maxHeaders) return refuse(Status::HeaderFieldsTooLarge, "too many header fields");
    out.headers.push_back({name, value});
  }
  ParseResult r;
  r.kind = ParseResult::Complete;
  return r;
}

}  // namespace herald::http::detail
