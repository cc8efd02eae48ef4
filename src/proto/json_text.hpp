#pragma once
// Checks of JSON text that simdjson's On-Demand API leaves to its caller,
// used by the command decoder.

#include <cstdint>
#include <string_view>

namespace herald::proto::detail {

// `s` without the JSON whitespace (space, tab, CR, LF) at its end.
std::string_view trimJsonSpace(std::string_view s);

// Whether `s` is exactly one JSON number (RFC 8259 section 6):
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?  -- any magnitude.
bool isJsonNumber(std::string_view s);

// The slow path of unescaping a JSON string, for what simdjson refuses but
// JSON allows: a \u escape of a lone surrogate becomes U+FFFD.
//
// Unescapes the string whose bytes start at `src` (just after the opening
// quote; simdjson already checked that it ends with a quote and is UTF-8)
// into `dst`, which has room for as many bytes as the source. Returns the end
// of the output, or nullptr at a malformed escape.
std::uint8_t* unescapeLenient(const std::uint8_t* src, std::uint8_t* dst);

}  // namespace herald::proto::detail
