// Broker::history and Broker::removeHistory: limit, since, reverse, the
// position, and trimming by size and TTL.

#include <gtest/gtest.h>

#include "broker_test_support.hpp"

namespace herald::broker::test {
namespace {

class BrokerHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.useMemory();
    for (int i = 0; i < 5; ++i) epoch = h.publish(static_cast<unsigned>(i % 3), "news").epoch;
  }
  HistoryQuery query(std::int32_t limit) { return HistoryQuery{"news", limit}; }
  HistoryQuery since(std::uint64_t offset, std::int32_t limit = -1, bool reverse = false) {
    HistoryQuery q{"news", limit};
    q.hasSince = true;
    q.sinceOffset = offset;
    q.sinceEpoch = epoch;
    q.reverse = reverse;
    return q;
  }

  BrokerHarness h{3};
  std::string epoch;
};

TEST_F(BrokerHistoryTest, NegativeLimitReturnsEverythingWithPosition) {
  HistoryOutcome out = h.history(0, query(-1));
  ASSERT_FALSE(out.failure);
  EXPECT_EQ(offsetsOf(out.publications), range(1, 5));
  EXPECT_EQ(out.top, 5u);
  EXPECT_EQ(out.epoch, epoch);
}

TEST_F(BrokerHistoryTest, ZeroLimitReturnsOnlyPosition) {
  HistoryOutcome out = h.history(1, query(0));
  ASSERT_FALSE(out.failure);
  EXPECT_TRUE(out.publications.empty());
  EXPECT_EQ(out.top, 5u);
  EXPECT_EQ(out.epoch, epoch);
}

TEST_F(BrokerHistoryTest, LimitTakesOldestFirst) {
  EXPECT_EQ(offsetsOf(h.history(2, query(2)).publications), (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(BrokerHistoryTest, LimitLargerThanHistoryReturnsAll) {
  EXPECT_EQ(offsetsOf(h.history(2, query(100)).publications), range(1, 5));
}

TEST_F(BrokerHistoryTest, ReverseTakesNewestFirst) {
  HistoryQuery q = query(2);
  q.reverse = true;
  EXPECT_EQ(offsetsOf(h.history(0, q).publications), (std::vector<std::uint64_t>{5, 4}));
}

TEST_F(BrokerHistoryTest, SinceReturnsPublicationsAfterOffset) {
  EXPECT_EQ(offsetsOf(h.history(0, since(2)).publications), (std::vector<std::uint64_t>{3, 4, 5}));
  EXPECT_EQ(offsetsOf(h.history(0, since(2, 1)).publications), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(offsetsOf(h.history(0, since(0)).publications), range(1, 5));
}

TEST_F(BrokerHistoryTest, SinceTopReturnsNothingAndNoError) {
  HistoryOutcome out = h.history(1, since(5));
  ASSERT_FALSE(out.failure);
  EXPECT_TRUE(out.publications.empty());
  EXPECT_EQ(out.top, 5u);
}

TEST_F(BrokerHistoryTest, SinceReverseReturnsPublicationsBeforeOffsetNewestFirst) {
  EXPECT_EQ(offsetsOf(h.history(0, since(4, -1, true)).publications), (std::vector<std::uint64_t>{3, 2, 1}));
  EXPECT_EQ(offsetsOf(h.history(0, since(4, 2, true)).publications), (std::vector<std::uint64_t>{3, 2}));
}

TEST_F(BrokerHistoryTest, SinceWithWrongEpochIsUnrecoverablePosition) {
  HistoryQuery q = since(2);
  q.sinceEpoch = "not-" + epoch;
  HistoryOutcome out = h.history(0, q);
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->code, proto::ErrorCode::UnrecoverablePosition);
  EXPECT_TRUE(out.publications.empty());
}

TEST_F(BrokerHistoryTest, SinceOffsetBeyondTopIsUnrecoverablePosition) {
  HistoryOutcome out = h.history(0, since(9));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->code, proto::ErrorCode::UnrecoverablePosition);
}

TEST_F(BrokerHistoryTest, ChannelWithoutHistoryIsNotAvailable) {
  h.setup = ChannelSetup{};
  HistoryOutcome out = h.history(0, HistoryQuery{"live", -1});
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->code, proto::ErrorCode::NotAvailable);
}

TEST_F(BrokerHistoryTest, NewChannelHasEpochAndTopZero) {
  HistoryOutcome out = h.history(0, HistoryQuery{"fresh", -1});
  ASSERT_FALSE(out.failure);
  EXPECT_FALSE(out.epoch.empty());
  EXPECT_EQ(out.top, 0u);
  EXPECT_TRUE(out.publications.empty());
}

TEST_F(BrokerHistoryTest, AnswersOnTheAskingLoop) {
  for (unsigned l = 0; l < 3; ++l) {
    Slot<HistoryOutcome> slot;
    h.host.setCurrentLoop(static_cast<int>(l));
    h.broker->history(query(-1), l, slot.sink(h.host));
    h.host.setCurrentLoop(-1);
    h.settle();
    EXPECT_EQ(slot.loop, static_cast<int>(l));
  }
}

TEST(BrokerHistoryTrimTest, KeepsOnlyTheLastSizePublicationsAndTheTop) {
  BrokerHarness h{2};
  h.useMemory(HistoryLimits{3, std::chrono::hours(1)});
  std::string epoch;
  for (int i = 0; i < 6; ++i) epoch = h.publish(0, "news").epoch;
  HistoryOutcome out = h.history(1, HistoryQuery{"news", -1});
  EXPECT_EQ(offsetsOf(out.publications), range(4, 6));
  EXPECT_EQ(out.top, 6u);

  HistoryQuery q{"news", -1};
  q.hasSince = true;
  q.sinceEpoch = epoch;
  q.sinceOffset = 3;  // 4, 5, 6 are all still there
  EXPECT_EQ(offsetsOf(h.history(1, q).publications), range(4, 6));
  q.sinceOffset = 2;  // 3 is gone
  HistoryOutcome gone = h.history(1, q);
  ASSERT_TRUE(gone.failure);
  EXPECT_EQ(gone.failure->code, proto::ErrorCode::UnrecoverablePosition);
}

TEST(BrokerHistoryTrimTest, DropsExpiredPublicationsButKeepsTheTop) {
  BrokerHarness h{2};
  h.useMemory(HistoryLimits{100, std::chrono::seconds(10)});
  h.publish(0, "news");
  h.publish(0, "news");
  h.host.now += 5'000;
  h.publish(1, "news");
  h.host.now += 6'000;  // the first two are 11 s old, the third 6 s
  HistoryOutcome out = h.history(1, HistoryQuery{"news", -1});
  EXPECT_EQ(offsetsOf(out.publications), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(out.top, 3u);
  h.host.now += 10'000;
  out = h.history(0, HistoryQuery{"news", -1});
  EXPECT_TRUE(out.publications.empty());
  EXPECT_EQ(out.top, 3u);
  EXPECT_EQ(h.publish(0, "news").offset, 4u);
}

TEST(BrokerRemoveHistoryTest, RemovesPublicationsButKeepsNumbering) {
  BrokerHarness h{2};
  h.useSqlite();
  std::string epoch = h.publish(0, "news").epoch;
  h.publish(1, "news");
  Slot<std::optional<Failure>> slot;
  h.host.setCurrentLoop(1);
  h.broker->removeHistory("news", 1, slot.sink(h.host));
  h.host.setCurrentLoop(-1);
  h.settle();
  ASSERT_EQ(slot.calls, 1);
  EXPECT_EQ(slot.loop, 1);
  EXPECT_FALSE(*slot.value);
  HistoryOutcome out = h.history(0, HistoryQuery{"news", -1});
  EXPECT_TRUE(out.publications.empty());
  EXPECT_EQ(out.top, 2u);
  PublishOutcome next = h.publish(0, "news");
  EXPECT_EQ(next.offset, 3u);
  EXPECT_EQ(next.epoch, epoch);
}

}  // namespace
}  // namespace herald::broker::test
