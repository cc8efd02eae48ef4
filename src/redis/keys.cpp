#include "herald/redis/keys.hpp"

#include <sys/random.h>

#include <charconv>

namespace herald::redis {

namespace {

std::string tagged(std::string_view prefix, std::string_view channel) {
  std::string key;
  key.reserve(prefix.size() + channel.size() + 2);
  key += prefix;
  key += '{';
  key += channel;
  key += '}';
  return key;
}

template <typename T>
bool parseNumber(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// The next space-terminated field of `rest`, consumed with its space.
bool nextField(std::string_view& rest, std::string_view& field) {
  auto space = rest.find(' ');
  if (space == std::string_view::npos) return false;
  field = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  return true;
}

}  // namespace

std::string streamKey(std::string_view channel) { return tagged("herald:stream:", channel); }
std::string metaKey(std::string_view channel) { return tagged("herald:meta:", channel); }
std::string pubsubChannel(std::string_view channel) { return tagged("herald:channel:", channel); }
std::string presenceKey(std::string_view channel) { return tagged("herald:presence:", channel); }
std::string presenceExpiryKey(std::string_view channel) { return tagged("herald:presence-exp:", channel); }

std::string encodeEnvelope(char kind, std::uint64_t offset, std::string_view epoch, std::int64_t timeMs,
                           std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + epoch.size() + 48);
  out += kind;
  out += ' ';
  out += std::to_string(offset);
  out += ' ';
  out += epoch.empty() ? std::string_view("-") : epoch;
  out += ' ';
  out += std::to_string(timeMs);
  out += ' ';
  out += payload;
  return out;
}

std::optional<Envelope> decodeEnvelope(std::string_view message) {
  Envelope e;
  std::string_view rest = message, field;
  if (!nextField(rest, field) || field.size() != 1) return std::nullopt;
  e.kind = field[0];
  if (!nextField(rest, field) || !parseNumber(field, e.offset)) return std::nullopt;
  if (!nextField(rest, field) || field.empty()) return std::nullopt;
  e.epoch = field;
  if (!nextField(rest, field) || !parseNumber(field, e.timeMs)) return std::nullopt;
  e.payload = rest;
  return e;
}

std::string newEpoch() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string epoch;
  while (epoch.size() < 8) {
    unsigned char bytes[16];
    if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) continue;
    for (unsigned char b : bytes) {
      if (b >= 248) continue;  // 248 = 4 * 62: no bias
      epoch += kAlphabet[b % 62];
      if (epoch.size() == 8) break;
    }
  }
  return epoch;
}

unsigned shardFor(std::string_view channel, unsigned shards) {
  if (shards <= 1) return 0;
  std::uint64_t key = 14695981039346656037ull;
  for (unsigned char c : channel) {
    key ^= c;
    key *= 1099511628211ull;
  }
  // Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm".
  std::int64_t b = -1, j = 0;
  while (j < static_cast<std::int64_t>(shards)) {
    b = j;
    key = key * 2862933555777941757ull + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) *
                                  (static_cast<double>(1ll << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<unsigned>(b);
}

}  // namespace herald::redis
