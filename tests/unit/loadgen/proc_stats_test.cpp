#include "loadgen/proc_stats.hpp"

#include <gtest/gtest.h>

namespace herald::loadgen {
namespace {

TEST(ProcStatsTest, StatCpuTicksAreUtimePlusStimeAfterTheCommandName) {
  // A command name may hold spaces and parentheses: fields count from the last ')'.
  std::string stat = "4242 (my (odd) prog) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 1 0 100 2000 300";
  EXPECT_EQ(parseStatCpuTicks(stat), 175u);
}

TEST(ProcStatsTest, StatThatIsCutShortIsRefused) {
  EXPECT_EQ(parseStatCpuTicks("4242 (x) S 1 2 3"), std::nullopt);
  EXPECT_EQ(parseStatCpuTicks("no parenthesis"), std::nullopt);
  EXPECT_EQ(parseStatCpuTicks("1 (x) S 1 2 3 4 5 6 7 8 9 10 abc 25"), std::nullopt);
}

TEST(ProcStatsTest, StatusRssIsReadInKiB) {
  EXPECT_EQ(parseStatusRssKiB("Name:\tserver\nVmPeak:\t 999 kB\nVmRSS:\t   12345 kB\nThreads:\t2\n"), 12345u);
  EXPECT_EQ(parseStatusRssKiB("Name:\tkthread\n"), std::nullopt);
}

TEST(ProcStatsTest, SamplesThisProcess) {
  std::string error;
  auto s = sampleProcess(0, error);
  ASSERT_TRUE(s) << error;
  EXPECT_GT(s->rssBytes, 0u);
  EXPECT_GE(s->cpuSeconds, 0.0);
}

TEST(ProcStatsTest, AMissingProcessSaysSo) {
  std::string error;
  EXPECT_FALSE(sampleProcess(999'999'999, error));
  EXPECT_NE(error.find("999999999"), std::string::npos) << error;
}

}  // namespace
}  // namespace herald::loadgen
