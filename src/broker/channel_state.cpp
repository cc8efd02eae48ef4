#include "channel_state.hpp"

#include <algorithm>

namespace herald::broker::detail {

void ChannelState::trim(std::int64_t nowMs) {
  while (stream.size() > setup.limits.size) stream.pop_front();
  const std::int64_t ttlMs = static_cast<std::int64_t>(setup.limits.ttl.count()) * 1000;
  while (!stream.empty() && stream.front().timeMs <= nowMs - ttlMs) stream.pop_front();
}

namespace {

// The index in `stream` of the first publication after `offset`. Offsets in
// the stream are consecutive, so it is found by arithmetic.
std::size_t indexAfter(const std::deque<StoredPublication>& stream, std::uint64_t offset) {
  if (stream.empty() || offset < stream.front().offset) return 0;
  return static_cast<std::size_t>(std::min<std::uint64_t>(offset - stream.front().offset + 1, stream.size()));
}

std::vector<StoredPublication> copyRange(const std::deque<StoredPublication>& stream, std::size_t begin, std::size_t end) {
  return {stream.begin() + static_cast<std::ptrdiff_t>(begin), stream.begin() + static_cast<std::ptrdiff_t>(end)};
}

}  // namespace

std::vector<StoredPublication> ChannelState::after(std::uint64_t offset, std::size_t atMost) const {
  if (offset >= committed) return {};
  std::size_t start = indexAfter(stream, offset);
  if (atMost > 0 && stream.size() - start > atMost) start = stream.size() - atMost;
  return copyRange(stream, start, stream.size());
}

ChannelState::Recovery ChannelState::recover(std::uint64_t offset, std::size_t atMost) const {
  Recovery r{after(offset, atMost), false};
  r.recovered = covers(offset) && committed - offset == r.publications.size();
  return r;
}

std::vector<StoredPublication> ChannelState::firstAfter(std::uint64_t offset, std::size_t count) const {
  if (offset >= committed) return {};
  const std::size_t start = indexAfter(stream, offset);
  return copyRange(stream, start, start + std::min(count, stream.size() - start));
}

std::vector<StoredPublication> ChannelState::lastBefore(std::uint64_t offset, std::size_t count) const {
  // Publications before `offset` are those up to the index of offset - 1.
  const std::size_t end = offset == 0 ? 0 : indexAfter(stream, offset - 1);
  const std::size_t begin = end - std::min(count, end);
  std::vector<StoredPublication> out = copyRange(stream, begin, end);
  std::reverse(out.begin(), out.end());
  return out;
}

bool ChannelState::covers(std::uint64_t offset) const {
  if (offset >= committed) return offset == committed;
  return !stream.empty() && stream.front().offset <= offset + 1;
}

std::uint32_t ChannelState::countUsers() const {
  std::unordered_set<std::string_view> users;
  for (const auto& [id, who] : presence) users.insert(who.user);
  return static_cast<std::uint32_t>(users.size());
}

}  // namespace herald::broker::detail
