#include "channel_state.hpp"

namespace herald::broker::detail {

void ChannelState::trim(std::int64_t nowMs) {
  while (stream.size() > setup.limits.size) stream.pop_front();
  const std::int64_t ttlMs = static_cast<std::int64_t>(setup.limits.ttl.count()) * 1000;
  while (!stream.empty() && stream.front().timeMs <= nowMs - ttlMs) stream.pop_front();
}

std::vector<StoredPublication> ChannelState::after(std::uint64_t offset) const {
  std::vector<StoredPublication> out;
  if (offset >= committed) return out;
  // Offsets in the stream are consecutive, so the first one after `offset`
  // is found by arithmetic.
  std::size_t start = 0;
  if (!stream.empty() && offset >= stream.front().offset) start = static_cast<std::size_t>(offset - stream.front().offset + 1);
  out.assign(stream.begin() + static_cast<std::ptrdiff_t>(std::min(start, stream.size())), stream.end());
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
