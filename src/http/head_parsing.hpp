#pragma once
// What request and response heads share: finding the end of the head across
// reads, and the header field lines (RFC 9112 section 5).

#include <cstddef>
#include <string_view>

#include "herald/http/request.hpp"
#include "herald/http/request_parser.hpp"

namespace herald::http::detail {

bool isToken(std::string_view s);
ParseResult refuse(Status status, const char* reason);

// Looks for the blank line that ends a head in `buffered`, resuming near
// `scanned` (updated). Returns the head's length including the blank line,
// 0 when more bytes are needed, or sets `error` when the head is too long.
std::size_t findHeadEnd(std::string_view buffered, std::size_t& scanned, std::size_t maxHeadBytes, ParseResult& error);

// Parses the header lines of `lines` (each ending in CRLF) into `out`.
ParseResult parseHeaderLines(std::string_view lines, HeaderFields& out, std::size_t maxHeaders);

}  // namespace herald::http::detail
