// MemoryHistory: one map of channels under one mutex. Each append is checked
// entirely before anything changes, so a refused append stores nothing.

#include "herald/store/memory_history.hpp"

#include <algorithm>
#include <utility>

#include "history_rules.hpp"

namespace herald::store {

using broker::ChannelStream;
using broker::HistoryLimits;
using broker::StoredPublication;
using broker::StoreResult;

namespace {

// Drops publications from the oldest end while there are more than
// limits.size or the oldest is expired at nowMs.
void trimFront(std::deque<StoredPublication>& pubs, const HistoryLimits& limits, std::int64_t nowMs) {
  while (!pubs.empty() && (pubs.size() > limits.size || detail::isExpired(pubs.front().timeMs, limits.ttl, nowMs))) {
    pubs.pop_front();
  }
}

}  // namespace

ChannelStream MemoryHistory::load(std::string_view channel, const HistoryLimits& limits, std::int64_t nowMs) {
  std::lock_guard lock(mutex_);
  auto it = channels_.find(channel);
  if (it == channels_.end()) {
    it = channels_.emplace(std::string(channel), Channel{detail::randomEpoch(), 0, {}}).first;
  }
  Channel& ch = it->second;
  trimFront(ch.publications, limits, nowMs);
  ChannelStream out{ch.epoch, ch.top, {}};
  const std::size_t first = detail::firstReturned(ch.publications, ch.top, limits, nowMs);
  out.publications.assign(ch.publications.begin() + static_cast<std::ptrdiff_t>(first), ch.publications.end());
  return out;
}

StoreResult MemoryHistory::appendLocked(const std::string& channel, const std::string& epoch,
                                        std::vector<StoredPublication>& publications, const HistoryLimits& limits) {
  const auto it = channels_.find(channel);
  if (it == channels_.end()) {
    return {false, "history: channel \"" + channel + "\" is unknown to the store (append before load)"};
  }
  Channel& ch = it->second;
  if (epoch != ch.epoch) {
    return {false, "history: epoch \"" + epoch + "\" of channel \"" + channel + "\" is not the store's \"" +
                       ch.epoch + "\""};
  }
  std::uint64_t expected = ch.top + 1;
  for (const StoredPublication& p : publications) {
    if (p.offset != expected) {
      return {false, "history: offset " + std::to_string(p.offset) + " of channel \"" + channel +
                         "\" does not continue its top offset " + std::to_string(ch.top)};
    }
    ++expected;
  }
  if (publications.empty()) return {};
  std::int64_t nowMs = publications.front().timeMs;
  for (StoredPublication& p : publications) {
    nowMs = std::max(nowMs, p.timeMs);
    ch.publications.push_back(std::move(p));
  }
  ch.top = expected - 1;
  trimFront(ch.publications, limits, nowMs);
  return {};
}

void MemoryHistory::append(std::string channel, std::string epoch, std::vector<StoredPublication> publications,
                           HistoryLimits limits, std::function<void(StoreResult)> done) {
  StoreResult result;
  {
    std::lock_guard lock(mutex_);
    result = appendLocked(channel, epoch, publications, limits);
  }
  if (done) done(std::move(result));
}

void MemoryHistory::removeHistory(std::string channel, std::function<void(StoreResult)> done) {
  {
    std::lock_guard lock(mutex_);
    const auto it = channels_.find(channel);
    if (it != channels_.end()) it->second.publications.clear();
  }
  if (done) done(StoreResult{});
}

std::size_t MemoryHistory::channelCount() const {
  std::lock_guard lock(mutex_);
  return channels_.size();
}

}  // namespace herald::store
