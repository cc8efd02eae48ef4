// SignInLimiter: wrong admin passwords per address and overall within a
// sliding minute, with the clock in the test's hands.
#include "server/sign_in_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::server {
namespace {

using namespace std::chrono_literals;
using Clock = SignInLimiter::Clock;

class SignInLimiterTest : public ::testing::Test {
 protected:
  SignInLimiter limiter;
  Clock::time_point t0 = Clock::time_point{} + 1000h;
};

TEST_F(SignInLimiterTest, RefusesAnAddressAfterFiveFailuresUntilTheOldestAgesOut) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(limiter.refusedFor("10.0.0.1", t0 + i * 1s));
    EXPECT_EQ(limiter.failed("10.0.0.1", t0 + i * 1s), static_cast<std::size_t>(i + 1));
  }
  auto wait = limiter.refusedFor("10.0.0.1", t0 + 10s);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 50s);  // the first failure (t0) leaves the window at t0 + 60 s
  EXPECT_FALSE(limiter.refusedFor("10.0.0.2", t0 + 10s)) << "other addresses are not punished";
  EXPECT_TRUE(limiter.refusedFor("10.0.0.1", t0 + 59s));
  EXPECT_FALSE(limiter.refusedFor("10.0.0.1", t0 + 60s)) << "one failure aged out: one more try";
  limiter.failed("10.0.0.1", t0 + 60s);
  EXPECT_EQ(*limiter.refusedFor("10.0.0.1", t0 + 60s), 1s);
}

TEST_F(SignInLimiterTest, WaitIsRoundedUpToWholeSecondsAndNeverZero) {
  for (int i = 0; i < 5; ++i) limiter.failed("a", t0);
  EXPECT_EQ(*limiter.refusedFor("a", t0 + 59s + 500ms), 1s);
  EXPECT_EQ(*limiter.refusedFor("a", t0 + 30s + 1ms), 30s);
}

TEST_F(SignInLimiterTest, ARightPasswordClearsItsAddress) {
  for (int i = 0; i < 4; ++i) limiter.failed("a", t0);
  limiter.succeeded("a");
  for (int i = 0; i < 4; ++i) limiter.failed("a", t0 + 1s);
  EXPECT_FALSE(limiter.refusedFor("a", t0 + 1s));
}

TEST_F(SignInLimiterTest, ManyAddressesTogetherHitTheOverallBound) {
  std::size_t allowed = 0;
  for (int i = 0; i < 200; ++i) {
    std::string address = "10.1.0." + std::to_string(i);
    if (limiter.refusedFor(address, t0 + 100ms * i)) continue;
    limiter.failed(address, t0 + 100ms * i);
    ++allowed;
  }
  EXPECT_EQ(allowed, SignInLimiter::kOverall) << "a guesser spread over addresses gets 50 tries a minute";
  EXPECT_TRUE(limiter.refusedFor("192.168.1.1", t0 + 20s)) << "while the bound holds, everyone waits";
  EXPECT_FALSE(limiter.refusedFor("192.168.1.1", t0 + 61s));
}

TEST_F(SignInLimiterTest, ForgetsAddressesWhoseFailuresAgedOut) {
  for (int i = 0; i < 40; ++i) limiter.failed("10.2.0." + std::to_string(i), t0);
  EXPECT_EQ(limiter.addresses(), 40u);
  EXPECT_FALSE(limiter.refusedFor("x", t0 + 61s));
  EXPECT_EQ(limiter.addresses(), 0u) << "memory is bounded by the window, not by how many ever failed";
}

}  // namespace
}  // namespace herald::server
