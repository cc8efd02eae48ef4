#include "sign_in_limiter.hpp"

#include <algorithm>

namespace herald::server {

std::chrono::seconds SignInLimiter::until(Clock::time_point oldest, Clock::time_point now) {
  auto left = oldest + kWindow - now;
  auto whole = std::chrono::ceil<std::chrono::seconds>(left);
  return std::max(whole, std::chrono::seconds(1));
}

void SignInLimiter::expire(Clock::time_point now) {
  while (!overall_.empty() && overall_.front() + kWindow <= now) overall_.pop_front();
  for (auto it = byAddress_.begin(); it != byAddress_.end();) {
    auto& times = it->second;
    while (!times.empty() && times.front() + kWindow <= now) times.pop_front();
    it = times.empty() ? byAddress_.erase(it) : std::next(it);
  }
}

std::optional<std::chrono::seconds> SignInLimiter::refusedFor(const std::string& address, Clock::time_point now) {
  expire(now);
  if (auto it = byAddress_.find(address); it != byAddress_.end() && it->second.size() >= kPerAddress)
    return until(it->second.front(), now);
  if (overall_.size() >= kOverall) return until(overall_.front(), now);
  return std::nullopt;
}

std::size_t SignInLimiter::failed(const std::string& address, Clock::time_point now) {
  expire(now);
  auto& times = byAddress_[address];
  times.push_back(now);
  overall_.push_back(now);
  return times.size();
}

void SignInLimiter::succeeded(const std::string& address) { byAddress_.erase(address); }

}  // namespace herald::server
