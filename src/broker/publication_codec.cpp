#include "herald/broker/publication_codec.hpp"

#include <cstdint>

namespace herald::broker {

namespace {

constexpr char kPublicationVersion = 'P';
constexpr char kClientVersion = 'C';

void putLength(std::string& out, std::size_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

void putField(std::string& out, std::string_view field) {
  putLength(out, field.size());
  out.append(field);
}

// Reads fields off the front of a byte string; any overrun marks it bad.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  bool ok() const { return ok_; }
  bool done() const { return rest_.empty(); }

  char byte() {
    if (rest_.empty()) return fail(), '\0';
    char c = rest_.front();
    rest_.remove_prefix(1);
    return c;
  }

  std::size_t length() {
    std::uint64_t n = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (rest_.empty()) return fail(), 0;
      auto b = static_cast<unsigned char>(rest_.front());
      rest_.remove_prefix(1);
      n |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        // One spelling per value: a trailing zero byte would be an
        // overlong encoding. And a length never exceeds what is left
        // (fields and tag counts alike).
        if (b == 0 && shift > 0) return fail(), 0;
        return n <= rest_.size() ? static_cast<std::size_t>(n) : (fail(), 0);
      }
    }
    return fail(), 0;
  }

  std::string field() {
    std::size_t n = length();
    if (!ok_) return std::string();
    std::string out(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return out;
  }

 private:
  void fail() {
    ok_ = false;
    rest_ = {};
  }
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace

std::string encodePublication(const StoredPublication& p) {
  std::string out;
  out.reserve(p.data.size() + 16);
  out.push_back(kPublicationVersion);
  out.push_back(static_cast<char>((p.hasInfo ? 1 : 0) | (p.delta ? 2 : 0)));
  putField(out, p.data);
  if (p.hasInfo) {
    putField(out, p.info.user);
    putField(out, p.info.client);
    putField(out, p.info.connInfo);
    putField(out, p.info.chanInfo);
  }
  putLength(out, p.tags.size());
  for (const auto& [key, value] : p.tags) {
    putField(out, key);
    putField(out, value);
  }
  return out;
}

std::optional<StoredPublication> decodePublication(std::string_view bytes) {
  Reader r(bytes);
  if (r.byte() != kPublicationVersion) return std::nullopt;
  // Bit 0: a publisher follows; bit 1: StoredPublication::delta.
  char flags = r.byte();
  if (flags < '\x00' || flags > '\x03') return std::nullopt;
  StoredPublication p;
  p.data = r.field();
  p.hasInfo = (flags & 1) != 0;
  p.delta = (flags & 2) != 0;
  if (p.hasInfo) {
    p.info.user = r.field();
    p.info.client = r.field();
    p.info.connInfo = r.field();
    p.info.chanInfo = r.field();
  }
  std::size_t tags = r.length();
  for (std::size_t i = 0; r.ok() && i < tags; ++i) {
    std::string key = r.field();
    std::string value = r.field();
    p.tags.emplace_back(std::move(key), std::move(value));
  }
  if (!r.ok() || !r.done()) return std::nullopt;
  return p;
}

std::string encodeClient(const ClientDescription& c) {
  std::string out;
  out.push_back(kClientVersion);
  putField(out, c.client);
  putField(out, c.user);
  putField(out, c.connInfo);
  putField(out, c.chanInfo);
  return out;
}

std::optional<ClientDescription> decodeClient(std::string_view bytes) {
  Reader r(bytes);
  if (r.byte() != kClientVersion) return std::nullopt;
  ClientDescription c;
  c.client = r.field();
  c.user = r.field();
  c.connInfo = r.field();
  c.chanInfo = r.field();
  if (!r.ok() || !r.done()) return std::nullopt;
  return c;
}

}  // namespace herald::broker
