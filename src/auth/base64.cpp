// Base64 (RFC 4648) with strict decoding, see base64.hpp.
//
// Decoding works in groups of four characters (three bytes); a trailing
// group of two or three characters carries one or two bytes, and the bits
// it holds beyond those bytes must be zero (RFC 4648 section 3.5), so no two
// texts decode to the same bytes.

#include "herald/auth/base64.hpp"

#include <array>
#include <cstdint>

namespace herald::auth {

namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t kBad = 0xFF;

constexpr std::array<std::uint8_t, 256> reverse(const char* alphabet) {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = kBad;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}

constexpr auto kStdReverse = reverse(kStd);
constexpr auto kUrlReverse = reverse(kUrl);

std::string encode(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out.push_back(alphabet[v >> 18]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = at(i) << 16;
    out.push_back(alphabet[v >> 18]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    const std::uint32_t v = at(i) << 16 | at(i + 1) << 8;
    out.push_back(alphabet[v >> 18]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

// `text` holds no padding here: the caller removed what the spelling allows.
std::optional<std::string> decode(std::string_view text, const std::array<std::uint8_t, 256>& table) {
  if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot make a byte
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  std::size_t n = 0;
  for (char c : text) {
    const std::uint8_t v = table[static_cast<unsigned char>(c)];
    if (v == kBad) return std::nullopt;
    acc = acc << 6 | v;
    if (++n == 4) {
      out.push_back(static_cast<char>(acc >> 16));
      out.push_back(static_cast<char>((acc >> 8) & 0xFF));
      out.push_back(static_cast<char>(acc & 0xFF));
      acc = 0;
      n = 0;
    }
  }
  if (n == 2) {  // 12 bits: one byte and 4 bits that must be zero
    if (acc & 0xF) return std::nullopt;
    out.push_back(static_cast<char>(acc >> 4));
  } else if (n == 3) {  // 18 bits: two bytes and 2 bits that must be zero
    if (acc & 0x3) return std::nullopt;
    out.push_back(static_cast<char>(acc >> 10));
    out.push_back(static_cast<char>((acc >> 2) & 0xFF));
  }
  return out;
}

}  // namespace

std::string base64UrlEncode(std::string_view bytes) { return encode(bytes, kUrl, false); }

std::optional<std::string> base64UrlDecode(std::string_view text) { return decode(text, kUrlReverse); }

std::string base64Encode(std::string_view bytes) { return encode(bytes, kStd, true); }

std::optional<std::string> base64Decode(std::string_view text) {
  // Padded: whole groups of four, with one or two '=' only at the very end.
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  return decode(text.substr(0, text.size() - pad), kStdReverse);
}

}  // namespace herald::auth
