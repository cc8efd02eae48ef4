#include <gtest/gtest.h>

#include <vector>

#include "loadgen/targets.hpp"
#include "loadgen/worker_pool.hpp"

namespace herald::loadgen {
namespace {

TEST(RampTest, KeepsAtMostLimitInFlightAndLaunchesEachOnce) {
  std::vector<std::size_t> launched;
  std::size_t inFlight = 0, peak = 0;
  Ramp* self = nullptr;
  Ramp ramp(10, 3, [&](std::size_t i) {
    launched.push_back(i);
    peak = std::max(peak, ++inFlight);
  });
  self = &ramp;
  ramp.pump();
  EXPECT_EQ(launched.size(), 3u);
  while (inFlight > 0) {
    --inFlight;
    self->settled();
  }
  EXPECT_EQ(launched, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(peak, 3u);
  EXPECT_TRUE(ramp.done());
}

TEST(RampTest, AttemptsThatFailInsideLaunchDoNotRecurse) {
  // App::connect() calls onError at once when connect() itself fails: settled()
  // runs inside launch(). The ramp must go on iteratively, not recursively.
  std::size_t launches = 0;
  Ramp* self = nullptr;
  Ramp ramp(100'000, 4, [&](std::size_t) {
    ++launches;
    self->settled();
  });
  self = &ramp;
  ramp.pump();
  EXPECT_EQ(launches, 100'000u);
  EXPECT_TRUE(ramp.done());
}

TEST(RampTest, StopEndsLaunchingAndIsDoneOnceInFlightSettle) {
  std::size_t launches = 0;
  Ramp ramp(SIZE_MAX, 2, [&](std::size_t) { ++launches; });
  ramp.pump();
  ramp.stop();
  ramp.settled();
  EXPECT_FALSE(ramp.done());
  ramp.settled();
  EXPECT_TRUE(ramp.done());
  EXPECT_EQ(launches, 2u);
}

TEST(TargetsTest, OneAddressKeepsTheUrl) {
  std::string error;
  auto plan = planTargets("ws://127.0.0.1:9001/x", 0, 100, error);
  ASSERT_TRUE(plan) << error;
  EXPECT_EQ(plan->urls, std::vector<std::string>{"ws://127.0.0.1:9001/x"});
  EXPECT_TRUE(plan->note.empty());
}

TEST(TargetsTest, ManyConnectionsSpreadOverLoopbackSourceAddresses) {
  std::string error;
  auto plan = planTargets("wss://localhost:9001/ws?a=1", 0, 60'000, error);  // 60,000 / 25,000 -> 3
  ASSERT_TRUE(plan) << error;
  EXPECT_EQ(plan->urls, std::vector<std::string>{"wss://localhost:9001/ws?a=1"});
  EXPECT_EQ(plan->sources, (std::vector<std::string>{"127.0.0.1", "127.0.0.2", "127.0.0.3"}));
  EXPECT_NE(plan->note.find("source addresses"), std::string::npos) << plan->note;
}

TEST(TargetsTest, NonLoopbackHostsAreNotRewritten) {
  std::string error;
  auto plan = planTargets("ws://example.com/", 4, 10, error);
  ASSERT_TRUE(plan) << error;
  EXPECT_EQ(plan->urls, std::vector<std::string>{"ws://example.com/"});
  EXPECT_TRUE(plan->sources.empty());
  EXPECT_NE(plan->note.find("ignored"), std::string::npos);
}

TEST(TargetsTest, SeveralUrlsTakeConnectionsRoundRobin) {
  std::string error;
  auto plan = planTargets("ws://127.0.0.1:1/a,ws://127.0.0.1:2/a,wss://localhost:3/", 0, 100, error);
  ASSERT_TRUE(plan) << error;
  EXPECT_EQ(plan->urls, (std::vector<std::string>{"ws://127.0.0.1:1/a", "ws://127.0.0.1:2/a", "wss://localhost:3/"}));
  EXPECT_TRUE(plan->sources.empty());
  EXPECT_FALSE(planTargets("ws://127.0.0.1:1/,http://x/", 0, 1, error));
  EXPECT_FALSE(planTargets("ws://127.0.0.1:1/,", 0, 1, error));
}

TEST(TargetsTest, ABadUrlSaysWhy) {
  std::string error;
  EXPECT_FALSE(planTargets("http://127.0.0.1/", 1, 1, error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace herald::loadgen
