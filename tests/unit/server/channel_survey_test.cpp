// The `channels` survey's wire format (src/broker/channel_survey.hpp):
// round trips, one spelling, names with any byte, and refusals.
#include "broker/channel_survey.hpp"

#include <gtest/gtest.h>

namespace herald::broker {
namespace {

TEST(ChannelSurveyTest, RequestRoundTrips) {
  std::string wire = encodeSurveyRequest({42, "nodeUid123"});
  EXPECT_EQ(wire, std::string("\x01survey 42 nodeUid123"));
  auto r = decodeSurveyRequest(wire);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 42u);
  EXPECT_EQ(r->requester, "nodeUid123");
  EXPECT_TRUE(isSurveyMessage(wire));
  EXPECT_FALSE(decodeSurveyAnswer(wire));
}

TEST(ChannelSurveyTest, AnswerRoundTripsNamesWithAnyByte) {
  SurveyAnswer a{"asker", 7, "answerer", {{"chat:lobby", 3}, {std::string("odd \n name\x01 9 9", 16), 1}, {"x", 0}}};
  std::string wire = encodeSurveyAnswer(a);
  auto back = decodeSurveyAnswer(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->requester, "asker");
  EXPECT_EQ(back->id, 7u);
  EXPECT_EQ(back->responder, "answerer");
  ASSERT_EQ(back->channels.size(), 3u);
  EXPECT_EQ(back->channels[1].channel, a.channels[1].channel);
  EXPECT_EQ(back->channels[1].numClients, 1u);
  EXPECT_EQ(encodeSurveyAnswer(*back), wire);
  auto none = decodeSurveyAnswer(encodeSurveyAnswer({"a", 1, "b", {}}));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->channels.empty());
}

TEST(ChannelSurveyTest, RefusesWhatItDoesNotFullyUnderstand) {
  for (std::string_view bad : {
           std::string_view("\x01survey  node"), std::string_view("\x01survey 01 node"),
           std::string_view("\x01survey 1"), std::string_view("\x01survey 1 two words"),
           std::string_view("\x01survey -1 node"), std::string_view("survey 1 node")}) {
    EXPECT_FALSE(decodeSurveyRequest(bad)) << bad;
  }
  for (std::string_view bad : {
           std::string_view("\x01""answer a 1 b"),               // no newline after the head
           std::string_view("\x01""answer a 1 b\n3 5 abc"),      // a name shorter than its length
           std::string_view("\x01""answer a 1 b\n3 0 "),         // an empty name
           std::string_view("\x01""answer a 1 b\n3 3"),          // no space after the length
           std::string_view("\x01""answer a 1 b\n99999999999 1 x"),  // more subscribers than 32 bits
           std::string_view("\x01""answer a x b\n")}) {
    EXPECT_FALSE(decodeSurveyAnswer(bad)) << bad;
  }
  EXPECT_FALSE(isSurveyMessage("\x01""clear chat:x"));
}

TEST(ChannelSurveyTest, MergeSumsSubscribersAndSortsByName) {
  std::vector<ChannelSummary> sums;
  mergeChannels(sums, {{"b", 1}, {"a", 2}});
  mergeChannels(sums, {{"b", 4}, {"c", 1}});
  ASSERT_EQ(sums.size(), 3u);
  EXPECT_EQ(sums[0].channel, "a");
  EXPECT_EQ(sums[0].numClients, 2u);
  EXPECT_EQ(sums[1].channel, "b");
  EXPECT_EQ(sums[1].numClients, 5u);
  EXPECT_EQ(sums[2].channel, "c");
}

}  // namespace
}  // namespace herald::broker
