#pragma once
// How many wrong admin passwords the server listens to: at most
// kPerAddress from one remote address and kOverall from everyone within
// kWindow; past either, sign-in is refused (HTTP 429) until the oldest
// counted failure is kWindow old. A right password clears its address's
// failures. The global bound stops a guesser spread over many addresses;
// while it holds, an operator waits at most kWindow.
//
// A caller asks refusedFor() before it checks a password and reports
// failed() only when it did check: so at most kOverall failures are held,
// whatever a flood of attempts sends. Time is injected (`now`), the limiter
// reads no clock. Not thread-safe: the caller holds a lock.

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace herald::server {

class SignInLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kPerAddress = 5;
  static constexpr std::size_t kOverall = 50;
  static constexpr std::chrono::seconds kWindow{60};
  // How long `address` must wait before it may try again; nullopt: it may.
  std::optional<std::chrono::seconds> refusedFor(const std::string& address, Clock::time_point now);
  // Counts a wrong password from `address`; returns its failures in the window.
  std::size_t failed(const std::string& address, Clock::time_point now);
  void succeeded(const std::string& address);

  std::size_t addresses() const { return byAddress_.size(); }

 private:
  void expire(Clock::time_point now);
  static std::chrono::seconds until(Clock::time_point oldest, Clock::time_point now);

  std::unordered_map<std::string, std::deque<Clock::time_point>> byAddress_;
  std::deque<Clock::time_point> overall_;
};

}  // namespace herald::server
