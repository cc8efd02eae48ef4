// Broker::subscribe and the recovery seam (broker.hpp, DESIGN.md section 5):
// what a subscriber recovers in its reply, plus what its loop receives on
// the channel's topic after that reply ran, is every publication after its
// position exactly once, in order, whatever the interleaving of loops.
//
// The interleavings: each scenario is a few calls (one subscribe, some
// publishes) made from chosen loops, and every step of a run picks either
// the next call of some loop or the oldest item of some (from, to) queue of
// the fake host. Small scenarios are explored exhaustively (depth-first over
// the choices, each run replayed from scratch); larger ones, and SQLite,
// whose answers come from its writer thread, by seeded random choices.

#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "broker_test_support.hpp"

namespace herald::broker::test {
namespace {

// --- plain recovery outcomes -------------------------------------------------

class BrokerRecoveryTest : public ::testing::Test {
 protected:
  BrokerHarness h{3};
};

TEST_F(BrokerRecoveryTest, RecoversEverythingAfterTheGivenOffset) {
  h.useMemory();
  std::string epoch;
  for (int i = 0; i < 5; ++i) epoch = h.publish(0, "news").epoch;
  SubscribeOutcome out = h.recover(1, "news", 2, epoch);
  ASSERT_FALSE(out.failure);
  EXPECT_TRUE(out.hasHistory);
  EXPECT_TRUE(out.recovered);
  EXPECT_EQ(out.epoch, epoch);
  EXPECT_EQ(out.top, 5u);
  EXPECT_EQ(offsetsOf(out.publications), range(3, 5));
}

TEST_F(BrokerRecoveryTest, RecoveryWithinTheCapIsWhole) {
  h.useMemory();
  std::string epoch;
  for (int i = 0; i < 5; ++i) epoch = h.publish(0, "news").epoch;
  SubscribeOutcome out = h.recover(1, "news", 2, epoch, 3);
  EXPECT_TRUE(out.recovered);
  EXPECT_EQ(offsetsOf(out.publications), range(3, 5));
}

TEST_F(BrokerRecoveryTest, GapLongerThanTheCapGivesTheNewestAndIsNotRecovered) {
  h.useMemory();
  std::string epoch;
  for (int i = 0; i < 5; ++i) epoch = h.publish(0, "news").epoch;
  SubscribeOutcome out = h.recover(1, "news", 1, epoch, 2);
  ASSERT_FALSE(out.failure);
  EXPECT_FALSE(out.recovered) << "publications 2 and 3 are not in the reply";
  EXPECT_EQ(offsetsOf(out.publications), range(4, 5));
  EXPECT_EQ(out.top, 5u);
}

// SubscribeRequest::rejectUnrecovered (the SDKs' "reject if not recovered"
// flag): a recovery that would answer recovered: false fails with 112 and
// registers nothing; one that recovers succeeds as without the flag.
TEST_F(BrokerRecoveryTest, RejectUnrecoveredFailsWith112AndRegistersNothing) {
  h.useMemory(kKeepAll, /*presence=*/true);
  std::string epoch;
  for (int i = 0; i < 5; ++i) epoch = h.publish(0, "news").epoch;
  auto rejecting = [&](std::uint64_t offset, std::string e, std::size_t cap = 0) {
    SubscribeRequest r{"news", {"strict", "u", {}, {}}};
    r.recover = true;
    r.offset = offset;
    r.epoch = std::move(e);
    r.maxRecovered = cap;
    r.rejectUnrecovered = true;
    r.joinPush = true;
    return h.subscribe(1, std::move(r));
  };
  for (SubscribeOutcome out : {rejecting(1, "not-" + epoch), rejecting(1, epoch, 2)}) {
    ASSERT_TRUE(out.failure);
    EXPECT_EQ(out.failure->code, proto::ErrorCode::UnrecoverablePosition);
  }
  EXPECT_TRUE(h.presence(2, "news").clients.empty()) << "no presence entry for a refused subscriber";
  EXPECT_TRUE(h.channels(0).empty()) << "no subscriber counted";
  EXPECT_EQ(h.host.publishCount(joinLeaveTopic("news", proto::Format::Json)), 0u) << "no join push";
  SubscribeOutcome ok = rejecting(2, epoch);
  ASSERT_FALSE(ok.failure);
  EXPECT_TRUE(ok.recovered);
  EXPECT_EQ(offsetsOf(ok.publications), range(3, 5));
}

TEST_F(BrokerRecoveryTest, RecoveryWithAnEpochAndNoOffsetRecoversFromTheStart) {
  h.useMemory();
  std::string epoch;
  for (int i = 0; i < 3; ++i) epoch = h.publish(0, "news").epoch;
  SubscribeOutcome out = h.recover(1, "news", 0, epoch);
  ASSERT_FALSE(out.failure);
  EXPECT_TRUE(out.recovered);
  EXPECT_EQ(offsetsOf(out.publications), range(1, 3));
}

TEST_F(BrokerRecoveryTest, RecoveringFromTopRecoversNothingSuccessfully) {
  h.useMemory();
  std::string epoch;
  for (int i = 0; i < 3; ++i) epoch = h.publish(0, "news").epoch;
  SubscribeOutcome out = h.recover(2, "news", 3, epoch);
  EXPECT_TRUE(out.recovered);
  EXPECT_TRUE(out.publications.empty());
  EXPECT_EQ(out.top, 3u);
}

TEST_F(BrokerRecoveryTest, RecoverWithWrongEpochIsNotRecoveredAndReturnsNothing) {
  h.useMemory();
  std::string epoch;
  for (int i = 0; i < 3; ++i) epoch = h.publish(0, "news").epoch;
  SubscribeOutcome out = h.recover(1, "news", 1, "not-" + epoch);
  ASSERT_FALSE(out.failure);
  EXPECT_FALSE(out.recovered);
  EXPECT_TRUE(out.publications.empty());
  EXPECT_EQ(out.epoch, epoch);  // the client learns the real position
  EXPECT_EQ(out.top, 3u);
}

TEST_F(BrokerRecoveryTest, RecoverAfterTrimIsNotRecoveredAndReturnsWhatIsLeft) {
  h.useMemory(HistoryLimits{3, std::chrono::hours(1)});
  std::string epoch;
  for (int i = 0; i < 6; ++i) epoch = h.publish(0, "news").epoch;
  SubscribeOutcome out = h.recover(1, "news", 1, epoch);  // 2 and 3 are gone
  ASSERT_FALSE(out.failure);
  EXPECT_FALSE(out.recovered);
  EXPECT_EQ(offsetsOf(out.publications), range(4, 6));
  EXPECT_EQ(out.top, 6u);
}

TEST_F(BrokerRecoveryTest, RecoverRightAtTheTrimEdgeIsRecovered) {
  h.useMemory(HistoryLimits{3, std::chrono::hours(1)});
  std::string epoch;
  for (int i = 0; i < 6; ++i) epoch = h.publish(0, "news").epoch;
  SubscribeOutcome out = h.recover(1, "news", 3, epoch);
  EXPECT_TRUE(out.recovered);
  EXPECT_EQ(offsetsOf(out.publications), range(4, 6));
}

TEST_F(BrokerRecoveryTest, RecoverFromFutureOffsetIsNotRecovered) {
  h.useMemory();
  std::string epoch;
  for (int i = 0; i < 3; ++i) epoch = h.publish(0, "news").epoch;
  SubscribeOutcome out = h.recover(1, "news", 7, epoch);
  EXPECT_FALSE(out.recovered);
  EXPECT_TRUE(out.publications.empty());
}

TEST_F(BrokerRecoveryTest, SubscribeWithoutRecoverReturnsPositionOnly) {
  h.useMemory();
  std::string epoch;
  for (int i = 0; i < 3; ++i) epoch = h.publish(0, "news").epoch;
  SubscribeOutcome out = h.subscribe(2, "news", "c1");
  ASSERT_FALSE(out.failure);
  EXPECT_TRUE(out.hasHistory);
  EXPECT_FALSE(out.recovered);
  EXPECT_TRUE(out.publications.empty());
  EXPECT_EQ(out.epoch, epoch);
  EXPECT_EQ(out.top, 3u);
}

TEST_F(BrokerRecoveryTest, SubscribeOnChannelWithoutHistoryHasNoPosition) {
  h.setup = ChannelSetup{};
  SubscribeOutcome out = h.subscribe(1, "live", "c1");
  ASSERT_FALSE(out.failure);
  EXPECT_FALSE(out.hasHistory);
  EXPECT_EQ(out.top, 0u);
}

TEST_F(BrokerRecoveryTest, RecoversAcrossSqliteReopenWithSameEpoch) {
  h.useSqlite();
  std::string epoch;
  for (int i = 0; i < 4; ++i) epoch = h.publish(i % 3, "news").epoch;
  h.broker.reset();
  h.reopenSqlite();
  h.reset();
  SubscribeOutcome out = h.recover(0, "news", 1, epoch);
  EXPECT_TRUE(out.recovered);
  EXPECT_EQ(offsetsOf(out.publications), range(2, 4));
}

TEST_F(BrokerRecoveryTest, FailsSubscribeWhenStoreCannotLoad) {
  struct Unreadable final : HistoryStore {
    ChannelStream load(std::string_view, const HistoryLimits&, std::int64_t) override {
      throw std::runtime_error("database disk image is malformed");
    }
    void append(std::string, std::string, std::vector<StoredPublication>, HistoryLimits,
                std::function<void(StoreResult)> done) override {
      done({false, "unreadable"});
    }
    void removeHistory(std::string, std::function<void(StoreResult)> done) override { done({false, "unreadable"}); }
    void flush() override {}
  } broken;
  h.setup = ChannelSetup{&broken, kKeepAll, false};
  SubscribeOutcome out = h.subscribe(1, "news", "c1");
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->code, proto::ErrorCode::Internal);
  PublishOutcome pub = h.publish(2, "news");
  ASSERT_TRUE(pub.failure);
  EXPECT_EQ(pub.failure->code, proto::ErrorCode::Internal);
  EXPECT_TRUE(h.host.published().empty());
}

// --- the seam, under every interleaving ----------------------------------------

// Chooses among a step's options: replaying a prefix then taking the first
// (depth-first exploration), or at random.
class Chooser {
 public:
  static Chooser random(std::uint32_t seed) {
    Chooser c;
    c.rng_.emplace(seed);
    return c;
  }
  std::size_t pick(std::size_t n) {
    if (rng_) return std::uniform_int_distribution<std::size_t>(0, n - 1)(*rng_);
    if (step_ == prefix_.size()) prefix_.push_back(0);
    widths_.resize(step_ + 1);
    widths_[step_] = n;
    return prefix_[step_++];
  }
  // The next schedule in depth-first order; false when every one was run.
  bool next() {
    prefix_.resize(step_);
    widths_.resize(step_);
    step_ = 0;
    while (!prefix_.empty()) {
      if (prefix_.back() + 1 < widths_.back()) {
        ++prefix_.back();
        return true;
      }
      prefix_.pop_back();
      widths_.pop_back();
    }
    return false;
  }
  std::string describe() const {
    std::ostringstream s;
    for (std::size_t c : prefix_) s << c << ' ';
    return s.str();
  }

 private:
  std::vector<std::size_t> prefix_, widths_;
  std::size_t step_ = 0;
  std::optional<std::mt19937> rng_;
};

// A pass-through store that counts appends, so the explorer knows when the
// SQLite writer has work whose answers it may let in.
class CountingStore final : public HistoryStore {
 public:
  explicit CountingStore(HistoryStore& inner) : inner_(inner) {}
  ChannelStream load(std::string_view c, const HistoryLimits& l, std::int64_t now) override { return inner_.load(c, l, now); }
  void append(std::string channel, std::string epoch, std::vector<StoredPublication> pubs, HistoryLimits limits,
              std::function<void(StoreResult)> done) override {
    ++appends;
    inner_.append(std::move(channel), std::move(epoch), std::move(pubs), limits, std::move(done));
  }
  void removeHistory(std::string channel, std::function<void(StoreResult)> done) override {
    inner_.removeHistory(std::move(channel), std::move(done));
  }
  void flush() override { inner_.flush(); }
  std::size_t appends = 0;  // called from the owner loops: the test thread

 private:
  HistoryStore& inner_;
};

struct Seam {
  unsigned loops = 2;
  unsigned owner = 0;
  unsigned subscriberLoop = 1;
  std::vector<unsigned> publisherLoops{};  // one publish each, concurrent with the subscribe
  std::uint64_t before = 2;                // published and delivered before
  bool recover = true;                     // from offset 1 of the real epoch
  bool sqlite = false;
};

std::string describe(const Seam& s) {
  std::ostringstream o;
  o << "loops=" << s.loops << " owner=" << s.owner << " subscriber on " << s.subscriberLoop << " publishers on";
  for (unsigned p : s.publisherLoops) o << ' ' << p;
  o << (s.recover ? " recover" : " fresh") << (s.sqlite ? " sqlite" : " memory");
  return o.str();
}

// Runs one schedule of `seam`; returns an empty string when the subscriber
// saw exactly the sequence, else what went wrong.
std::string runSeam(const Seam& seam, Chooser& chooser) {
  BrokerHarness h{seam.loops};
  std::unique_ptr<CountingStore> counting;
  if (seam.sqlite) {
    h.useSqlite();
    counting = std::make_unique<CountingStore>(*h.sqlite);
    h.setup.store = counting.get();
  } else {
    h.useMemory();
  }
  const std::string channel = channelOwnedBy(*h.broker, seam.owner);
  const std::string topic = publicationTopic(channel);
  std::string epoch;
  for (std::uint64_t i = 0; i < seam.before; ++i) epoch = h.publish(0, channel).epoch;
  h.host.holdExternal(true);

  // The calls each loop makes, in its program order.
  std::vector<std::vector<std::function<void()>>> program(seam.loops);
  std::vector<std::size_t> pc(seam.loops, 0);
  Slot<SubscribeOutcome> sub;
  std::size_t mark = 0;
  std::vector<Slot<PublishOutcome>> pubs(seam.publisherLoops.size());

  program[seam.subscriberLoop].push_back([&] {
    SubscribeRequest r{channel, {"subscriber", "u", {}, {}}};
    r.recover = seam.recover;
    r.offset = 1;
    r.epoch = epoch;
    h.broker->subscribe(std::move(r), seam.subscriberLoop, [&](SubscribeOutcome out) {
      // What a session does here: listen on the topic. From now on, every
      // delivery on this loop's topic is the subscriber's.
      mark = h.host.deliveredOn(seam.subscriberLoop).size();
      sub.value = std::move(out);
      ++sub.calls;
      sub.loop = h.host.current();
    });
  });
  for (std::size_t i = 0; i < seam.publisherLoops.size(); ++i) {
    unsigned loop = seam.publisherLoops[i];
    program[loop].push_back([&, i, loop] {
      h.broker->publish(PublishRequest{channel, "{}", std::nullopt, {}}, loop, pubs[i].sink(h.host));
    });
  }

  std::size_t storeAnswered = counting ? counting->appends : 0;
  for (;;) {
    // The options of this step, in a fixed order: queues, then calls, then
    // letting the store's answers in.
    std::vector<std::function<void()>> options;
    for (auto [from, to] : h.host.ready()) options.push_back([&h, from, to] { h.host.runOne(from, to); });
    for (unsigned l = 0; l < seam.loops; ++l)
      if (pc[l] < program[l].size())
        options.push_back([&, l] {
          h.host.setCurrentLoop(static_cast<int>(l));
          program[l][pc[l]++]();
          h.host.setCurrentLoop(-1);
        });
    if (counting && counting->appends > storeAnswered)
      options.push_back([&] {
        h.sqlite->flush();
        h.host.releaseExternal();
        storeAnswered = counting->appends;
      });
    if (options.empty()) break;
    options[chooser.pick(options.size())]();
  }

  std::ostringstream err;
  if (sub.calls != 1) return "subscribe answered " + std::to_string(sub.calls) + " times";
  if (sub.loop != static_cast<int>(seam.subscriberLoop)) err << "reply ran on loop " << sub.loop << "; ";
  const SubscribeOutcome& out = *sub.value;
  const std::uint64_t total = seam.before + seam.publisherLoops.size();
  for (auto& p : pubs)
    if (p.calls != 1 || p.value->failure) err << "a publish failed or was not answered; ";
  if (out.failure) return "subscribe failed: " + out.failure->message;
  if (out.epoch != epoch) err << "epoch changed; ";
  if (seam.recover && !out.recovered) err << "not recovered; ";

  std::vector<std::uint64_t> recovered = offsetsOf(out.publications);
  std::vector<std::uint64_t> live = offsetsOf(h.host.framesOn(seam.subscriberLoop, topic, mark));
  std::vector<std::uint64_t> seen = recovered;
  seen.insert(seen.end(), live.begin(), live.end());
  std::vector<std::uint64_t> want = seam.recover ? range(2, total) : range(out.top + 1, total);
  if (seam.recover && recovered != range(2, out.top)) err << "recovered is not (1, top]; ";
  if (seen != want) {
    err << "top=" << out.top << " recovered=[";
    for (auto o : recovered) err << ' ' << o;
    err << " ] live=[";
    for (auto o : live) err << ' ' << o;
    err << " ] want=[";
    for (auto o : want) err << ' ' << o;
    err << " ]; ";
  }
  // Every loop got every publication once, in offset order.
  for (unsigned l = 0; l < seam.loops; ++l)
    if (offsetsOf(h.host.framesOn(l, topic)) != range(1, total)) err << "loop " << l << " got a bad sequence; ";
  return err.str();
}

// Explores every schedule of `seam` (up to `cap`); returns how many ran.
std::size_t exploreAll(const Seam& seam, std::size_t cap) {
  Chooser chooser;
  std::size_t runs = 0;
  do {
    std::string bad = runSeam(seam, chooser);
    ++runs;
    EXPECT_EQ(bad, "") << describe(seam) << " schedule " << chooser.describe();
    if (!bad.empty()) return runs;
  } while (runs < cap && chooser.next());
  return runs;
}

TEST(BrokerRecoverySeamTest, TwoLoopsEveryInterleavingRecoversWithoutGapOrDuplicate) {
  std::size_t total = 0;
  for (unsigned owner = 0; owner < 2; ++owner)
    for (unsigned subscriber = 0; subscriber < 2; ++subscriber)
      for (bool recover : {true, false}) {
        Seam s;
        s.loops = 2;
        s.owner = owner;
        s.subscriberLoop = subscriber;
        s.publisherLoops = {0, 1, 1 - subscriber};
        s.recover = recover;
        std::size_t runs = exploreAll(s, 200'000);
        EXPECT_LT(runs, 200'000u) << "exploration was cut short: " << describe(s);
        total += runs;
        if (HasFailure()) return;
      }
  RecordProperty("schedules", static_cast<int>(total));
}

TEST(BrokerRecoverySeamTest, ThreeLoopsEveryInterleavingRecoversWithoutGapOrDuplicate) {
  // Owner, subscriber and publishers on three distinct loops, and the
  // subscriber on the owner with publishers elsewhere.
  struct Case {
    unsigned subscriber;
    std::vector<unsigned> publishers;
  };
  for (const Case& c : {Case{1, {2, 0}}, Case{0, {1, 2}}}) {
    Seam s;
    s.loops = 3;
    s.owner = 0;
    s.subscriberLoop = c.subscriber;
    s.publisherLoops = c.publishers;
    std::size_t runs = exploreAll(s, 100'000);
    EXPECT_LT(runs, 100'000u) << "exploration was cut short: " << describe(s);
    if (HasFailure()) return;
  }
}

TEST(BrokerRecoverySeamTest, ThreeLoopsRandomInterleavingsWithManyPublishers) {
  for (std::uint32_t seed = 1; seed <= 400; ++seed) {
    Seam s;
    s.loops = 3;
    s.owner = seed % 3;
    s.subscriberLoop = (seed / 3) % 3;
    s.publisherLoops = {0, 1, 2, 2, 1, 0, s.subscriberLoop};
    s.recover = seed % 5 != 0;
    Chooser c = Chooser::random(seed);
    std::string bad = runSeam(s, c);
    ASSERT_EQ(bad, "") << describe(s) << " seed " << seed;
  }
}

TEST(BrokerRecoverySeamTest, SqliteInterleavingsRecoverWithoutGapOrDuplicate) {
  // The store answers from its writer thread; the explorer decides when its
  // answers reach the owner, so publications can be in flight (assigned,
  // not committed) while the subscriber reads the position.
  Seam s;
  s.loops = 2;
  s.owner = 0;
  s.subscriberLoop = 1;
  s.publisherLoops = {0, 1};
  s.sqlite = true;
  std::size_t runs = exploreAll(s, 300);
  EXPECT_GT(runs, 10u);
  for (std::uint32_t seed = 1; seed <= 30 && !HasFailure(); ++seed) {
    Seam r;
    r.loops = 3;
    r.owner = seed % 3;
    r.subscriberLoop = (seed + 1) % 3;
    r.publisherLoops = {0, 1, 2, r.owner};
    r.sqlite = true;
    Chooser c = Chooser::random(seed);
    ASSERT_EQ(runSeam(r, c), "") << describe(r) << " seed " << seed;
  }
}

}  // namespace
}  // namespace herald::broker::test
