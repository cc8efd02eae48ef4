#include "herald/proto/fossil_delta.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace herald::proto {

namespace {

constexpr std::string_view kDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~";

constexpr std::array<std::int8_t, 256> digitValues() {
  std::array<std::int8_t, 256> v{};
  for (auto& x : v) x = -1;
  for (std::size_t i = 0; i < kDigits.size(); ++i) v[static_cast<unsigned char>(kDigits[i])] = static_cast<std::int8_t>(i);
  return v;
}
constexpr std::array<std::int8_t, 256> kDigitValue = digitValues();

void putInt(std::string& out, std::uint64_t v) {
  char buf[16];
  std::size_t n = 0;
  do {
    buf[n++] = kDigits[v & 63];
    v >>= 6;
  } while (v);
  while (n) out.push_back(buf[--n]);
}

std::size_t intLength(std::uint64_t v) {
  std::size_t n = 1;
  while (v >>= 6) ++n;
  return n;
}

std::uint32_t checksum(std::string_view s) {
  std::uint32_t sum = 0;
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[k])); };
  for (; i + 4 <= s.size(); i += 4) sum += byte(i) << 24 | byte(i + 1) << 16 | byte(i + 2) << 8 | byte(i + 3);
  std::uint32_t last = 0;
  for (int shift = 24; i < s.size(); ++i, shift -= 8) last |= byte(i) << shift;
  return sum + last;
}

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Matches are found through a hash of kWindow bytes at every kWindow-th
// position of the source, looked up at every position of the target with a
// rolling hash.
constexpr std::size_t kWindow = 16;
constexpr std::size_t kMaxCandidates = 64;  // chain length looked at per target position
constexpr std::uint32_t kBase = 0x01000193;

std::uint32_t windowHash(const unsigned char* p) {
  std::uint32_t h = 0;
  for (std::size_t i = 0; i < kWindow; ++i) h = h * kBase + p[i];
  return h;
}

class SourceIndex {
 public:
  explicit SourceIndex(std::string_view source) : src_(reinterpret_cast<const unsigned char*>(source.data())) {
    std::size_t blocks = source.size() / kWindow;
    std::size_t buckets = 64;
    while (buckets < blocks * 2) buckets <<= 1;
    mask_ = buckets - 1;
    head_.assign(buckets, kNone);
    next_.assign(blocks, kNone);
    for (std::size_t b = 0; b < blocks; ++b) {
      std::size_t slot = windowHash(src_ + b * kWindow) & mask_;
      next_[b] = head_[slot];
      head_[slot] = static_cast<std::uint32_t>(b);
    }
  }
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;
  std::uint32_t first(std::uint32_t hash) const { return head_[hash & mask_]; }
  std::uint32_t after(std::uint32_t block) const { return next_[block]; }

 private:
  const unsigned char* src_;
  std::size_t mask_ = 0;
  std::vector<std::uint32_t> head_, next_;
};

}  // namespace

std::string makeFossilDelta(std::string_view source, std::string_view target) {
  std::string out;
  putInt(out, target.size());
  out.push_back('\n');
  const auto* src = reinterpret_cast<const unsigned char*>(source.data());
  const auto* tgt = reinterpret_cast<const unsigned char*>(target.data());
  const std::size_t srcLen = source.size(), tgtLen = target.size();
  std::size_t literal = 0;  // start of the bytes not yet written
  auto insert = [&](std::size_t end) {
    if (end <= literal) return;
    putInt(out, end - literal);
    out.push_back(':');
    out.append(target.substr(literal, end - literal));
  };

  if (srcLen >= kWindow && tgtLen >= kWindow) {
    SourceIndex index(source);
    std::uint32_t power = 1;  // kBase^(kWindow-1), to take the oldest byte out
    for (std::size_t i = 1; i < kWindow; ++i) power *= kBase;
    std::size_t t = 0;
    std::uint32_t hash = windowHash(tgt);
    while (t + kWindow <= tgtLen) {
      std::size_t bestLen = 0, bestSrc = 0, bestTgt = 0;
      std::size_t looked = 0;
      for (std::uint32_t b = index.first(hash); b != SourceIndex::kNone && looked < kMaxCandidates;
           b = index.after(b), ++looked) {
        std::size_t s = static_cast<std::size_t>(b) * kWindow;
        std::size_t fwd = 0;
        while (s + fwd < srcLen && t + fwd < tgtLen && src[s + fwd] == tgt[t + fwd]) ++fwd;
        if (fwd < kWindow) continue;  // a hash collision
        std::size_t back = 0;
        while (back < s && back < t - literal && src[s - back - 1] == tgt[t - back - 1]) ++back;
        if (fwd + back > bestLen) {
          bestLen = fwd + back;
          bestSrc = s - back;
          bestTgt = t - back;
        }
      }
      // Whole UTF-8 sequences only on each side of the copy.
      while (bestLen && continuation(tgt[bestTgt])) ++bestTgt, ++bestSrc, --bestLen;
      while (bestLen && bestTgt + bestLen < tgtLen && continuation(tgt[bestTgt + bestLen])) --bestLen;
      if (bestLen >= kWindow && bestLen > intLength(bestLen) + intLength(bestSrc) + 2) {
        insert(bestTgt);
        putInt(out, bestLen);
        out.push_back('@');
        putInt(out, bestSrc);
        out.push_back(',');
        literal = t = bestTgt + bestLen;
        if (t + kWindow <= tgtLen) hash = windowHash(tgt + t);
        continue;
      }
      if (t + kWindow < tgtLen) hash = (hash - tgt[t] * power) * kBase + tgt[t + kWindow];
      ++t;
    }
  }
  insert(tgtLen);
  putInt(out, checksum(target));
  out.push_back(';');
  return out;
}

namespace {

// Reads a base-64 integer; nullopt when there is no digit or it overflows.
std::optional<std::uint64_t> getInt(std::string_view& in) {
  std::uint64_t v = 0;
  std::size_t n = 0;
  while (n < in.size() && kDigitValue[static_cast<unsigned char>(in[n])] >= 0) {
    if (v >> 58) return std::nullopt;
    v = v << 6 | static_cast<std::uint64_t>(kDigitValue[static_cast<unsigned char>(in[n])]);
    ++n;
  }
  if (n == 0) return std::nullopt;
  in.remove_prefix(n);
  return v;
}

}  // namespace

FossilResult applyFossilDelta(std::string_view source, std::string_view delta, std::size_t maxTarget) {
  auto fail = [](std::string_view why) { return FossilResult{std::nullopt, why}; };
  auto length = getInt(delta);
  if (!length || delta.empty() || delta.front() != '\n') return fail("the target length is not followed by a newline");
  delta.remove_prefix(1);
  if (*length > maxTarget) return fail("the target is larger than allowed");
  std::string out;
  out.reserve(static_cast<std::size_t>(*length));
  while (!delta.empty()) {
    auto count = getInt(delta);
    if (!count || delta.empty()) return fail("a command is cut short");
    char op = delta.front();
    delta.remove_prefix(1);
    if (op == '@') {
      auto offset = getInt(delta);
      if (!offset || delta.empty() || delta.front() != ',') return fail("a copy command is not ended by ','");
      delta.remove_prefix(1);
      if (*count > *length - out.size()) return fail("a copy makes the target longer than announced");
      if (*offset > source.size() || *count > source.size() - *offset) return fail("a copy reaches past the source");
      out.append(source.substr(static_cast<std::size_t>(*offset), static_cast<std::size_t>(*count)));
    } else if (op == ':') {
      if (*count > *length - out.size()) return fail("an insert makes the target longer than announced");
      if (*count > delta.size()) return fail("an insert reaches past the delta");
      out.append(delta.substr(0, static_cast<std::size_t>(*count)));
      delta.remove_prefix(static_cast<std::size_t>(*count));
    } else if (op == ';') {
      if (!delta.empty()) return fail("bytes after the checksum");
      if (out.size() != *length) return fail("the target is shorter than announced");
      if (*count != checksum(out)) return fail("bad checksum");
      return {std::move(out), {}};
    } else {
      return fail("unknown command");
    }
  }
  return fail("no checksum at the end");
}

}  // namespace herald::proto
