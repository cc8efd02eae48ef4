// The broker when its HistoryStore fails an append: the publisher is told
// (Internal), nothing is delivered, and numbering continues after the last
// committed offset, so the channel's offsets stay gapless.
//
// The store here is a test double over the real MemoryHistory: it holds
// every append until the test answers it, in call order (as the contract
// says a store applies them), either failing it ("disk full") or passing it
// to MemoryHistory, which checks that the offsets continue the channel.

#include <gtest/gtest.h>

#include <deque>

#include "broker_test_support.hpp"

namespace herald::broker::test {
namespace {

class HeldStore final : public HistoryStore {
 public:
  ChannelStream load(std::string_view channel, const HistoryLimits& limits, std::int64_t nowMs) override {
    return inner.load(channel, limits, nowMs);
  }
  void append(std::string channel, std::string epoch, std::vector<StoredPublication> publications,
              HistoryLimits limits, std::function<void(StoreResult)> done) override {
    held_.push_back({std::move(channel), std::move(epoch), std::move(publications), limits, std::move(done)});
  }
  void removeHistory(std::string channel, std::function<void(StoreResult)> done) override {
    inner.removeHistory(std::move(channel), std::move(done));
  }
  void flush() override {}

  std::size_t held() const { return held_.size(); }
  std::uint64_t nextOffset() const { return held_.front().publications.front().offset; }
  // Answers the oldest held append.
  void pass() {
    Append a = take();
    inner.append(std::move(a.channel), std::move(a.epoch), std::move(a.publications), a.limits, std::move(a.done));
  }
  void fail(std::string why = "disk full") {
    Append a = take();
    a.done({false, std::move(why)});
  }

  store::MemoryHistory inner;

 private:
  struct Append {
    std::string channel, epoch;
    std::vector<StoredPublication> publications;
    HistoryLimits limits;
    std::function<void(StoreResult)> done;
  };
  Append take() {
    Append a = std::move(held_.front());
    held_.pop_front();
    return a;
  }
  std::deque<Append> held_;
};

class BrokerStoreFailureTest : public ::testing::Test {
 protected:
  void SetUp() override { h.setup = ChannelSetup{&store, kKeepAll, false}; }

  // Publishes from `loop` and runs the loops until the append is held.
  Slot<PublishOutcome>& start(unsigned loop) {
    slots.emplace_back();
    h.publishAsync(loop, "news", R"({"n":)" + std::to_string(slots.size()) + "}", slots.back());
    h.settle();
    return slots.back();
  }

  BrokerHarness h{3};
  HeldStore store;
  std::deque<Slot<PublishOutcome>> slots;  // deque: slots stay where they are
};

TEST_F(BrokerStoreFailureTest, TellsPublisherInternalAndDeliversNothing) {
  auto& a = start(1);
  ASSERT_EQ(store.held(), 1u);
  store.fail();
  h.settle();
  ASSERT_EQ(a.calls, 1);
  ASSERT_TRUE(a.value->failure);
  EXPECT_EQ(a.value->failure->code, proto::ErrorCode::Internal);
  EXPECT_NE(a.value->failure->message.find("disk full"), std::string::npos) << a.value->failure->message;
  EXPECT_EQ(a.loop, 1);
  EXPECT_TRUE(h.host.published().empty());
  EXPECT_EQ(h.broker->stats().publications, 0u);
}

TEST_F(BrokerStoreFailureTest, NextPublishContinuesFromCommittedOffset) {
  auto& a = start(0);
  store.pass();
  auto& b = start(1);
  store.fail();
  h.settle();  // the failure reaches the owner before the next publish
  auto& c = start(2);
  ASSERT_EQ(store.held(), 1u);
  EXPECT_EQ(store.nextOffset(), 2u) << "the failed offset must be handed out again";
  store.pass();
  h.settle();
  EXPECT_EQ(a.value->offset, 1u);
  EXPECT_TRUE(b.value->failure);
  ASSERT_FALSE(c.value->failure) << c.value->failure->message;
  EXPECT_EQ(c.value->offset, 2u);
  for (unsigned l = 0; l < 3; ++l) EXPECT_EQ(offsetsOf(h.host.framesOn(l, publicationTopic("news"))), range(1, 2));
  EXPECT_EQ(offsetsOf(h.history(0, HistoryQuery{"news", -1}).publications), range(1, 2));
}

TEST_F(BrokerStoreFailureTest, AppendsInFlightBehindAFailureFailTooAndNumberingResumes) {
  auto& a = start(0);
  store.pass();
  auto& b = start(1);  // offset 2
  auto& c = start(2);  // offset 3, in flight behind b
  store.fail();        // b: disk full
  store.pass();        // c: MemoryHistory refuses 3 after top 1
  h.settle();
  EXPECT_FALSE(a.value->failure);
  ASSERT_TRUE(b.value->failure);
  ASSERT_TRUE(c.value->failure);
  auto& d = start(0);
  EXPECT_EQ(store.nextOffset(), 2u);
  store.pass();
  h.settle();
  ASSERT_FALSE(d.value->failure) << d.value->failure->message;
  EXPECT_EQ(d.value->offset, 2u);
  EXPECT_EQ(offsetsOf(h.host.framesOn(1, publicationTopic("news"))), range(1, 2));
}

// A publish accepted between the failure and the refusal of the append
// behind it: when that refusal comes back, the new publish is already in
// flight with the resumed offset, and the one after it must not reuse it.
TEST_F(BrokerStoreFailureTest, PublishBetweenFailureAndRefusalKeepsOffsetsUnique) {
  auto& a = start(0);
  store.pass();        // 1 committed
  auto& b = start(1);  // 2
  auto& c = start(2);  // 3
  store.fail();        // b fails: numbering resumes after 1
  h.settle();
  auto& d = start(0);  // 2 again, queued behind c in the store
  store.pass();        // c: refused, 3 does not continue 1
  h.settle();
  store.pass();        // d: 2 continues 1, committed
  h.settle();
  auto& e = start(1);
  ASSERT_EQ(store.held(), 1u);
  EXPECT_EQ(store.nextOffset(), 3u) << "offset 2 was already committed by the previous publish";
  store.pass();
  h.settle();
  EXPECT_FALSE(a.value->failure);
  EXPECT_TRUE(b.value->failure);
  EXPECT_TRUE(c.value->failure);
  ASSERT_FALSE(d.value->failure) << d.value->failure->message;
  EXPECT_EQ(d.value->offset, 2u);
  ASSERT_FALSE(e.value->failure) << e.value->failure->message;
  EXPECT_EQ(e.value->offset, 3u);
  EXPECT_EQ(offsetsOf(h.history(0, HistoryQuery{"news", -1}).publications), range(1, 3));
}

TEST_F(BrokerStoreFailureTest, SubscriberPositionIgnoresFailedPublication) {
  auto& a = start(0);
  store.pass();
  start(0);
  SubscribeOutcome mid = h.subscribe(2, "news", "c1");  // 2 is in flight
  EXPECT_EQ(mid.top, 1u);
  store.fail();
  h.settle();
  SubscribeOutcome after = h.recover(1, "news", 1, a.value->epoch);
  EXPECT_TRUE(after.recovered);
  EXPECT_EQ(after.top, 1u);
  EXPECT_TRUE(after.publications.empty());
}

}  // namespace
}  // namespace herald::broker::test
