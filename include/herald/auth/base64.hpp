#pragma once
// Base64 in the two spellings tokens use (RFC 4648):
//
//   base64url without padding (section 5): every segment of a JWS compact
//     serialization (RFC 7515 section 2);
//   standard base64 with padding (section 4): the `b64info` / `b64data`
//     claims, which Centrifugo decodes with Go's base64.StdEncoding.
//
// Decoding is strict and returns nullopt instead of throwing (the input comes
// from clients): a character outside the alphabet, padding where none is
// allowed (or missing where it is required), a length no encoder produces
// (one character left over), or non-zero bits in the last character that an
// encoder would have left zero. So each byte string has exactly one encoding
// that decodes, and a token cannot be altered without changing its bytes.

#include <optional>
#include <string>
#include <string_view>

namespace herald::auth {

std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

std::string base64Encode(std::string_view bytes);
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace herald::auth
