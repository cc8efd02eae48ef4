#pragma once
// Rules both history adapters share: what "expired" means, which publications
// a load returns, and how an epoch is made.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "herald/broker/history_store.hpp"

namespace herald::store::detail {

// Whether a publication accepted at `timeMs` is past `ttl` at `nowMs`. It
// lives for ttl exactly: kept while nowMs < timeMs + ttl. ttl 0 keeps none.
inline bool isExpired(std::int64_t timeMs, std::chrono::seconds ttl, std::int64_t nowMs) {
  if (ttl.count() <= 0) return true;
  const std::int64_t ttlMs = std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count();
  return nowMs - timeMs >= ttlMs;
}

// The index in `oldestFirst` (a deque or vector of StoredPublication) of the
// first publication a load may return: the longest run ending at the newest
// one whose offsets are top, top-1, ... without a hole, at most limits.size
// long, stopping at the first expired one. Stored publications normally form
// such a run already; this makes the contract hold even when they do not
// (a publication stamped earlier than its predecessor, a clock that jumped).
template <class Publications>
std::size_t firstReturned(const Publications& oldestFirst, std::uint64_t top, const broker::HistoryLimits& limits,
                          std::int64_t nowMs) {
  std::size_t i = oldestFirst.size();
  std::uint64_t expected = top;
  std::size_t kept = 0;
  while (i > 0 && kept < limits.size) {
    const broker::StoredPublication& p = oldestFirst[i - 1];
    if (p.offset != expected || isExpired(p.timeMs, limits.ttl, nowMs)) break;
    --i;
    --expected;
    ++kept;
  }
  return i;
}

// kEpochLength characters of [0-9A-Za-z] from the kernel's CSPRNG
// (getrandom). Throws std::runtime_error when it has none to give.
inline constexpr std::size_t kEpochLength = 8;
std::string randomEpoch();

}  // namespace herald::store::detail
