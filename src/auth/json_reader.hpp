#pragma once
// Reading a token's JOSE header and claims set (both JSON objects) into
// values, for TokenVerifier. Never throws (simdjson is used through error
// codes; allocation failure aside): each returns an empty string when the
// text was accepted, else the reason it was not.
//
// Every text is first validated whole by simdjson's DOM parser (grammar,
// UTF-8, nesting at most kMaxJsonDepth), then read with On-Demand, which
// gives the raw text of the values kept as raw JSON.

#include <cstddef>
#include <string>
#include <string_view>

#include "herald/auth/claims.hpp"

namespace herald::auth::detail {

inline constexpr std::size_t kMaxJsonDepth = 32;

struct JoseHeader {
  std::string alg;
};

std::string readHeader(std::string_view json, JoseHeader& out);

// Fills `out` from the claims set; see claims.hpp for the rules.
std::string readClaims(std::string_view json, Claims& out);

}  // namespace herald::auth::detail
