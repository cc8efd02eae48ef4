// herald::broker::Broker (src/broker/broker.cpp) over a fake host: offsets,
// fan-out, durability before delivery, presence, join/leave, channels(),
// and sweeping idle channels. History queries, recovery and store failures
// have files of their own.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "broker_test_support.hpp"
#include "herald/proto/protobuf_encoder.hpp"

namespace herald::broker::test {
namespace {

class BrokerTest : public ::testing::Test {
 protected:
  BrokerHarness h{3};
};

// --- offsets and fan-out ---------------------------------------------------

TEST_F(BrokerTest, AssignsOffsetsOneTwoThreeWithOneEpoch) {
  h.useMemory();
  PublishOutcome a = h.publish(0, "news");
  PublishOutcome b = h.publish(1, "news");
  PublishOutcome c = h.publish(2, "news");
  ASSERT_FALSE(a.failure);
  ASSERT_FALSE(b.failure);
  ASSERT_FALSE(c.failure);
  EXPECT_EQ(a.offset, 1u);
  EXPECT_EQ(b.offset, 2u);
  EXPECT_EQ(c.offset, 3u);
  EXPECT_FALSE(a.epoch.empty());
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(b.epoch, c.epoch);
}

TEST_F(BrokerTest, AssignsOffsetsPerChannel) {
  h.useMemory();
  EXPECT_EQ(h.publish(0, "a").offset, 1u);
  EXPECT_EQ(h.publish(0, "b").offset, 1u);
  EXPECT_EQ(h.publish(0, "a").offset, 2u);
}

TEST_F(BrokerTest, EncodesEachPublicationOnceAndDeliversItToEveryLoopInOrder) {
  h.useMemory();
  for (int i = 0; i < 3; ++i) h.publish(static_cast<unsigned>(i), "news", R"({"n":)" + std::to_string(i) + "}");
  // One publish() per publication: encoded once, handed to all loops.
  ASSERT_EQ(h.host.publishCount(publicationTopic("news")), 3u);
  auto published = h.host.published();
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(published[i].frame.find(R"({"n":)" + std::to_string(i) + "}"), std::string::npos) << published[i].frame;
    EXPECT_NE(published[i].frame.find("\"channel\":\"news\""), std::string::npos) << published[i].frame;
  }
  for (unsigned l = 0; l < 3; ++l) {
    auto frames = h.host.framesOn(l, publicationTopic("news"));
    EXPECT_EQ(offsetsOf(frames), range(1, 3)) << "loop " << l;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(frames[i], published[i].frame) << "loop " << l;
  }
}

TEST_F(BrokerTest, RepliesToPublisherOnItsOwnLoop) {
  h.useMemory();
  for (unsigned l = 0; l < 3; ++l) {
    Slot<PublishOutcome> slot;
    h.publishAsync(l, "news", "{}", slot);
    h.settle();
    EXPECT_EQ(slot.calls, 1);
    EXPECT_EQ(slot.loop, static_cast<int>(l));
  }
}

TEST_F(BrokerTest, PublishesWithoutOffsetOnChannelWithoutHistory) {
  h.setup = ChannelSetup{};  // no store
  PublishOutcome out = h.publish(1, "live");
  ASSERT_FALSE(out.failure);
  EXPECT_EQ(out.offset, 0u);
  EXPECT_EQ(out.epoch, "");
  ASSERT_EQ(h.host.publishCount(publicationTopic("live")), 1u);
  EXPECT_EQ(h.host.published()[0].frame.find("\"offset\""), std::string::npos) << h.host.published()[0].frame;
  for (unsigned l = 0; l < 3; ++l) EXPECT_EQ(h.host.framesOn(l, publicationTopic("live")).size(), 1u);
}

TEST_F(BrokerTest, CarriesPublisherInfoAndTagsInThePush) {
  h.useMemory();
  Slot<PublishOutcome> slot;
  h.host.setCurrentLoop(0);
  h.broker->publish(PublishRequest{"news", R"({"t":"hi"})", ClientDescription{"c1", "alice", R"({"a":1})", ""},
                                   {{"k", "v"}}},
                    0, slot.sink(h.host));
  h.host.setCurrentLoop(-1);
  h.settle();
  ASSERT_EQ(h.host.published().size(), 1u);
  const std::string frame = h.host.published()[0].frame;
  EXPECT_NE(frame.find("\"alice\""), std::string::npos) << frame;
  EXPECT_NE(frame.find("\"c1\""), std::string::npos) << frame;
  EXPECT_NE(frame.find("\"k\":\"v\""), std::string::npos) << frame;
  HistoryOutcome hist = h.history(2, HistoryQuery{"news", -1});
  ASSERT_EQ(hist.publications.size(), 1u);
  EXPECT_TRUE(hist.publications[0].hasInfo);
  EXPECT_EQ(hist.publications[0].info.user, "alice");
  EXPECT_EQ(hist.publications[0].data, R"({"t":"hi"})");
}

// --- durability: nothing leaves before the store committed -----------------

TEST_F(BrokerTest, PublishesAndAcknowledgesOnlyAfterSqliteCommitted) {
  h.useSqlite();
  std::string channel = channelOwnedBy(*h.broker, 1);
  h.publish(1, channel);  // the channel is loaded and created in the database
  const std::uint64_t commitsBefore = h.sqlite->commitCount();
  std::vector<std::uint64_t> commitsAtPublish;
  h.host.onPublish = [&](std::string_view, std::string_view) { commitsAtPublish.push_back(h.sqlite->commitCount()); };

  Slot<PublishOutcome> slot;
  h.publishAsync(0, channel, R"({"n":2})", slot);
  h.host.drain(/*external=*/false);  // the loops run: the owner appends; the store's answer waits
  // Whether or not the writer has committed yet, nothing may be out before
  // its `done` came back to the owner.
  EXPECT_EQ(h.host.publishCount(publicationTopic(channel)), 1u);
  EXPECT_EQ(slot.calls, 0);

  h.sqlite->flush();  // the commit happened; its `done` is queued to the owner
  EXPECT_EQ(h.host.publishCount(publicationTopic(channel)), 1u);
  EXPECT_EQ(slot.calls, 0);
  ASSERT_FALSE(h.host.idle());

  h.settle();
  EXPECT_EQ(h.host.publishCount(publicationTopic(channel)), 2u);
  ASSERT_EQ(slot.calls, 1);
  ASSERT_FALSE(slot.value->failure);
  EXPECT_EQ(slot.value->offset, 2u);
  ASSERT_EQ(commitsAtPublish.size(), 1u);
  EXPECT_GT(commitsAtPublish[0], commitsBefore) << "published before its commit";

  // And it is in the database: another store over the same file sees it.
  store::SqliteHistory other(h.dir.path(), fastSqlite());
  ChannelStream s = other.load(channel, kKeepAll, h.host.now);
  EXPECT_EQ(s.top, 2u);
  EXPECT_EQ(offsetsOf(s.publications), range(1, 2));
}

TEST_F(BrokerTest, DeliversPipelinedSqlitePublicationsInOffsetOrder) {
  h.useSqlite();
  std::string channel = channelOwnedBy(*h.broker, 2);
  std::vector<Slot<PublishOutcome>> slots(6);
  for (unsigned i = 0; i < slots.size(); ++i) h.publishAsync(i % 3, channel, "{}", slots[i]);
  h.settle();
  std::set<std::uint64_t> offsets;
  for (auto& s : slots) {
    ASSERT_EQ(s.calls, 1);
    ASSERT_FALSE(s.value->failure) << s.value->failure->message;
    offsets.insert(s.value->offset);
  }
  EXPECT_EQ(offsets, (std::set<std::uint64_t>{1, 2, 3, 4, 5, 6}));
  for (unsigned l = 0; l < 3; ++l) EXPECT_EQ(offsetsOf(h.host.framesOn(l, publicationTopic(channel))), range(1, 6));
  EXPECT_EQ(h.broker->stats().publications, 6u);
}

// --- presence ---------------------------------------------------------------

TEST_F(BrokerTest, PresenceListsSubscribersAndCountsDistinctUsers) {
  h.useMemory(kKeepAll, /*presence=*/true);
  h.subscribe(0, "room", "c1", "alice");
  h.subscribe(1, "room", "c2", "alice");
  h.subscribe(2, "room", "c3", "bob");
  PresenceOutcome p = h.presence(1, "room");
  ASSERT_FALSE(p.failure);
  std::set<std::string> clients;
  for (const auto& c : p.clients) clients.insert(c.client);
  EXPECT_EQ(clients, (std::set<std::string>{"c1", "c2", "c3"}));
  EXPECT_EQ(p.numUsers, 2u);

  h.unsubscribe(0, "room", "c1");
  p = h.presence(2, "room");
  EXPECT_EQ(p.clients.size(), 2u);
  EXPECT_EQ(p.numUsers, 2u);

  h.unsubscribe(2, "room", "c3");
  p = h.presence(0, "room");
  ASSERT_EQ(p.clients.size(), 1u);
  EXPECT_EQ(p.clients[0].client, "c2");
  EXPECT_EQ(p.clients[0].user, "alice");
  EXPECT_EQ(p.numUsers, 1u);
}

TEST_F(BrokerTest, PresenceKeepsConnAndChanInfo) {
  h.useMemory(kKeepAll, true);
  h.subscribe(0, SubscribeRequest{"room", {"c1", "alice", R"({"n":"A"})", R"({"r":"x"})"}});
  PresenceOutcome p = h.presence(0, "room");
  ASSERT_EQ(p.clients.size(), 1u);
  EXPECT_EQ(p.clients[0].connInfo, R"({"n":"A"})");
  EXPECT_EQ(p.clients[0].chanInfo, R"({"r":"x"})");
}

TEST_F(BrokerTest, PresenceOfUnknownClientUnsubscribeIsHarmless) {
  h.useMemory(kKeepAll, true);
  h.subscribe(0, "room", "c1", "alice");
  h.unsubscribe(1, "room", "nobody");
  h.unsubscribe(1, "never-seen", "nobody");
  EXPECT_EQ(h.presence(0, "room").clients.size(), 1u);
}

TEST_F(BrokerTest, PresenceOnChannelWithoutPresenceIsNotAvailable) {
  h.useMemory(kKeepAll, false);
  PresenceOutcome p = h.presence(0, "room");
  ASSERT_TRUE(p.failure);
  EXPECT_EQ(p.failure->code, proto::ErrorCode::NotAvailable);
}

// --- join and leave -----------------------------------------------------------

TEST_F(BrokerTest, PublishesJoinAndLeaveToJoinLeaveTopic) {
  h.useMemory(kKeepAll, true);
  SubscribeRequest r{"room", {"c1", "alice", {}, {}}};
  r.joinPush = true;
  h.subscribe(0, r);
  auto all = h.host.published();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].topic, joinLeaveTopic("room"));
  EXPECT_NE(all[0].frame.find("\"join\""), std::string::npos) << all[0].frame;
  EXPECT_NE(all[0].frame.find("\"c1\""), std::string::npos) << all[0].frame;
  EXPECT_NE(all[0].frame.find("\"alice\""), std::string::npos) << all[0].frame;

  h.unsubscribe(2, "room", "c1", /*leavePush=*/true);
  all = h.host.published();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].topic, joinLeaveTopic("room"));
  EXPECT_NE(all[1].frame.find("\"leave\""), std::string::npos) << all[1].frame;
  EXPECT_NE(all[1].frame.find("\"alice\""), std::string::npos) << all[1].frame;
  for (unsigned l = 0; l < 3; ++l) EXPECT_EQ(h.host.framesOn(l, joinLeaveTopic("room")).size(), 2u) << "loop " << l;
  EXPECT_TRUE(h.host.framesOn(0, publicationTopic("room")).empty());
}

TEST_F(BrokerTest, SendsNoJoinOrLeaveWhenNotAsked) {
  h.useMemory(kKeepAll, true);
  h.subscribe(0, "room", "c1", "alice");
  h.unsubscribe(0, "room", "c1", /*leavePush=*/false);
  EXPECT_TRUE(h.host.published().empty());
}

TEST_F(BrokerTest, KeepsJoinLeaveTopicApartFromPublicationTopic) {
  EXPECT_NE(joinLeaveTopic("room"), publicationTopic("room"));
  EXPECT_NE(joinLeaveTopic("a"), publicationTopic(joinLeaveTopic("a").substr(0, 1)));
  // Four topics per channel, each telling what it carries.
  std::set<std::string> topics;
  for (proto::Format f : proto::kFormats) {
    for (bool joinLeave : {false, true}) {
      std::string t = joinLeave ? joinLeaveTopic("room", f) : publicationTopic("room", f);
      topics.insert(t);
      TopicKind k = topicKind(t);
      EXPECT_EQ(k.channel, "room");
      EXPECT_EQ(k.joinLeave, joinLeave);
      EXPECT_EQ(k.format, f);
    }
  }
  EXPECT_EQ(topics.size(), 4u);
}

// Serialize once per format: each publication is encoded once for every
// format some connection speaks, and only for those.
TEST_F(BrokerTest, EncodesEachPublicationOncePerFormatInUse) {
  h.useMemory();
  h.host.protobufInUse = true;
  h.publish(1, "news", R"({"n":1})");
  ASSERT_EQ(h.host.publishCount(publicationTopic("news")), 1u);
  ASSERT_EQ(h.host.publishCount(publicationTopic("news", proto::Format::Protobuf)), 1u);
  auto published = h.host.published();
  ASSERT_EQ(published.size(), 2u);
  std::string pb;
  proto::pb::encodePublicationPush(pb, "news", {.data = R"({"n":1})", .offset = 1});
  EXPECT_EQ(published[1].frame, pb);
  for (unsigned l = 0; l < 3; ++l)
    EXPECT_EQ(h.host.framesOn(l, publicationTopic("news", proto::Format::Protobuf)), std::vector<std::string>{pb});

  h.host.jsonInUse = false;
  h.publish(1, "news", R"({"n":2})");
  EXPECT_EQ(h.host.publishCount(publicationTopic("news")), 1u);
  EXPECT_EQ(h.host.publishCount(publicationTopic("news", proto::Format::Protobuf)), 2u);
}

TEST_F(BrokerTest, DataJsonCannotCarryRefusesJsonSubscribersAndReachesProtobufOnes) {
  h.useMemory();
  h.host.protobufInUse = true;
  const std::string binary("\x00\xff\x01", 3);
  PublishOutcome out = h.publish(2, "bin", binary);
  EXPECT_FALSE(out.failure);
  EXPECT_EQ(out.offset, 1u);
  EXPECT_EQ(h.host.publishCount(publicationTopic("bin")), 0u);
  EXPECT_EQ(h.host.publishCount(publicationTopic("bin", proto::Format::Protobuf)), 1u);
  ASSERT_EQ(h.host.refused.size(), 1u);
  EXPECT_EQ(h.host.refused[0], (std::pair<std::string, proto::Format>{"bin", proto::Format::Json}));
  // History keeps the bytes as they were.
  HistoryQuery q;
  q.channel = "bin";
  q.limit = -1;
  auto history = h.history(0, q);
  ASSERT_EQ(history.publications.size(), 1u);
  EXPECT_EQ(history.publications[0].data, binary);
}

TEST_F(BrokerTest, PublishesJoinsAndLeavesInEveryFormatInUse) {
  h.useMemory(kKeepAll, true);
  h.host.protobufInUse = true;
  SubscribeRequest r{"room", {"c1", "alice", {}, {}}};
  r.joinPush = true;
  h.subscribe(0, r);
  EXPECT_EQ(h.host.publishCount(joinLeaveTopic("room")), 1u);
  EXPECT_EQ(h.host.publishCount(joinLeaveTopic("room", proto::Format::Protobuf)), 1u);
  h.unsubscribe(1, "room", "c1", /*leavePush=*/true);
  EXPECT_EQ(h.host.publishCount(joinLeaveTopic("room", proto::Format::Protobuf)), 2u);
}

TEST_F(BrokerTest, RepliesToSubscriberBeforeItsOwnJoinReachesItsLoop) {
  h.useMemory(kKeepAll, true);
  std::string channel = channelOwnedBy(*h.broker, 0);
  Slot<SubscribeOutcome> slot;
  std::size_t joinsBeforeReply = 99;
  h.host.setCurrentLoop(2);
  SubscribeRequest r{channel, {"c1", "alice", {}, {}}};
  r.joinPush = true;
  h.broker->subscribe(r, 2, [&](SubscribeOutcome) {
    ++slot.calls;
    joinsBeforeReply = h.host.framesOn(2, joinLeaveTopic(channel)).size();
  });
  h.host.setCurrentLoop(-1);
  h.settle();
  ASSERT_EQ(slot.calls, 1);
  EXPECT_EQ(joinsBeforeReply, 0u);
  EXPECT_EQ(h.host.framesOn(2, joinLeaveTopic(channel)).size(), 1u);
}

// --- channels() ---------------------------------------------------------------

TEST_F(BrokerTest, ChannelsGathersSubscribedChannelsFromEveryLoop) {
  h.useMemory();
  std::string a = channelOwnedBy(*h.broker, 0, "a");
  std::string b = channelOwnedBy(*h.broker, 1, "b");
  std::string c = channelOwnedBy(*h.broker, 2, "c");
  std::string quiet = channelOwnedBy(*h.broker, 1, "q");
  h.subscribe(0, a, "c1");
  h.subscribe(1, a, "c2");
  h.subscribe(2, b, "c3");
  h.subscribe(0, c, "c4");
  h.subscribe(0, c, "c5");
  h.subscribe(1, c, "c6");
  h.publish(0, quiet);  // has state, no subscriber
  h.subscribe(2, "gone", "c7");
  h.unsubscribe(2, "gone", "c7");

  std::vector<ChannelSummary> all = h.channels(1);
  std::vector<std::pair<std::string, std::uint32_t>> got;
  for (const auto& s : all) got.emplace_back(s.channel, s.numClients);
  std::sort(got.begin(), got.end());
  std::vector<std::pair<std::string, std::uint32_t>> want{{a, 2}, {b, 1}, {c, 3}};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

TEST_F(BrokerTest, ChannelsAnswersOnTheAskingLoopWhenNothingIsSubscribed) {
  h.useMemory();
  Slot<std::vector<ChannelSummary>> slot;
  h.host.setCurrentLoop(2);
  h.broker->channels(2, slot.sink(h.host));
  h.host.setCurrentLoop(-1);
  h.settle();
  ASSERT_EQ(slot.calls, 1);
  EXPECT_EQ(slot.loop, 2);
  EXPECT_TRUE(slot.value->empty());
}

// --- sweep --------------------------------------------------------------------

TEST_F(BrokerTest, SweepForgetsIdleChannelsOnly) {
  h.useMemory(kKeepAll, true);
  h.publish(0, "idle");
  h.subscribe(1, "busy", "c1");
  EXPECT_EQ(h.broker->stats().channels, 2u);

  h.sweepEveryLoop(30s);  // nothing idle for 30 s yet
  EXPECT_EQ(h.broker->stats().channels, 2u);

  h.host.now += 31'000;
  h.sweepEveryLoop(30s);
  EXPECT_EQ(h.broker->stats().channels, 1u);  // "busy" has a subscriber
  EXPECT_EQ(h.channels(0).size(), 1u);

  h.unsubscribe(1, "busy", "c1");
  h.host.now += 31'000;
  h.sweepEveryLoop(30s);
  EXPECT_EQ(h.broker->stats().channels, 0u);
}

TEST_F(BrokerTest, SweepOffTheLoopsDoesNothing) {
  h.useMemory();
  h.publish(0, "idle");
  h.host.now += 60'000;
  h.host.setCurrentLoop(-1);
  h.broker->sweep(1s);
  EXPECT_EQ(h.broker->stats().channels, 1u);
}

TEST_F(BrokerTest, SweptSqliteChannelReloadsWithSameEpochAndOffsets) {
  h.useSqlite();
  PublishOutcome first = h.publish(0, "durable");
  h.publish(1, "durable");
  PublishOutcome third = h.publish(2, "durable");
  ASSERT_EQ(third.offset, 3u);

  h.host.now += 60'000;
  h.sweepEveryLoop(30s);
  ASSERT_EQ(h.broker->stats().channels, 0u);

  PublishOutcome fourth = h.publish(1, "durable");
  ASSERT_FALSE(fourth.failure);
  EXPECT_EQ(fourth.offset, 4u);
  EXPECT_EQ(fourth.epoch, first.epoch);
  HistoryOutcome hist = h.history(0, HistoryQuery{"durable", -1});
  EXPECT_EQ(offsetsOf(hist.publications), range(1, 4));
  EXPECT_EQ(hist.epoch, first.epoch);
}

TEST_F(BrokerTest, RestartedBrokerOverReopenedSqliteContinuesEpochAndOffsets) {
  h.useSqlite();
  PublishOutcome first = h.publish(0, "durable");
  h.publish(0, "durable");
  h.broker.reset();
  h.reopenSqlite();
  h.reset();

  SubscribeOutcome sub = h.subscribe(2, "durable", "c1");
  EXPECT_EQ(sub.epoch, first.epoch);
  EXPECT_EQ(sub.top, 2u);
  PublishOutcome third = h.publish(1, "durable");
  EXPECT_EQ(third.offset, 3u);
  EXPECT_EQ(third.epoch, first.epoch);
}

TEST_F(BrokerTest, SweptMemoryChannelKeepsEpochWhileTheStoreLives) {
  h.useMemory();
  PublishOutcome first = h.publish(0, "mem");
  h.host.now += 60'000;
  h.sweepEveryLoop(30s);
  ASSERT_EQ(h.broker->stats().channels, 0u);
  PublishOutcome second = h.publish(0, "mem");
  EXPECT_EQ(second.offset, 2u);
  EXPECT_EQ(second.epoch, first.epoch);
}

// --- stats --------------------------------------------------------------------

TEST_F(BrokerTest, StatsCountPublicationsHandedOutAndChannelsInMemory) {
  h.useMemory();
  h.publish(0, "a");
  h.publish(1, "a");
  h.publish(2, "b");
  BrokerStats s = h.broker->stats();
  EXPECT_EQ(s.publications, 3u);
  EXPECT_EQ(s.channels, 2u);
}

TEST_F(BrokerTest, OwnerOfIsStableAndWithinLoopCount) {
  std::set<unsigned> owners;
  for (int i = 0; i < 100; ++i) {
    std::string c = "c" + std::to_string(i);
    unsigned o = h.broker->ownerOf(c);
    EXPECT_LT(o, 3u);
    EXPECT_EQ(o, h.broker->ownerOf(c));
    owners.insert(o);
  }
  EXPECT_EQ(owners.size(), 3u);
}

}  // namespace
}  // namespace herald::broker::test
