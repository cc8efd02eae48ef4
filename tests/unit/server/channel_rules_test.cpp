// src/server/channel_rules.cpp: channel names, user-limited channels, and
// what the channel options allow without a token (docs/configuration.md,
// "[channel] and [[namespace]]").

#include "server/channel_rules.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace herald::server {
namespace {

using namespace std::string_literals;

// --- names -----------------------------------------------------------------

TEST(ChannelNameTest, AcceptsPlainNamespacedAndUserLimitedNames) {
  EXPECT_EQ(checkChannelName("news", 255), NameProblem::None);
  EXPECT_EQ(checkChannelName("chat:room1", 255), NameProblem::None);
  EXPECT_EQ(checkChannelName("dialog#42,43", 255), NameProblem::None);
  EXPECT_EQ(checkChannelName("caf\xc3\xa9 \xe2\x98\x95", 255), NameProblem::None);  // UTF-8 and a space
}

TEST(ChannelNameTest, RejectsEmptyName) { EXPECT_EQ(checkChannelName("", 255), NameProblem::Empty); }

TEST(ChannelNameTest, AcceptsNameOfExactlyMaxLength) {
  EXPECT_EQ(checkChannelName(std::string(16, 'a'), 16), NameProblem::None);
}

TEST(ChannelNameTest, RejectsNameOneByteOverMaxLength) {
  EXPECT_EQ(checkChannelName(std::string(17, 'a'), 16), NameProblem::TooLong);
}

TEST(ChannelNameTest, RejectsEveryControlCharacter) {
  for (int c = 0; c < 0x20; ++c) {
    std::string name = "a"s + static_cast<char>(c) + "b";
    EXPECT_EQ(checkChannelName(name, 255), NameProblem::ControlCharacter) << "byte " << c;
  }
  EXPECT_EQ(checkChannelName("a\x7f", 255), NameProblem::ControlCharacter);
  EXPECT_EQ(checkChannelName("\x01", 255), NameProblem::ControlCharacter);
}

TEST(ChannelNameTest, RejectsNulInsideName) {
  EXPECT_EQ(checkChannelName(std::string_view("ab\0cd", 5), 255), NameProblem::ControlCharacter);
}

TEST(ChannelNameTest, DescribesEveryProblemAndNothingForNone) {
  EXPECT_EQ(describe(NameProblem::None), "");
  EXPECT_FALSE(describe(NameProblem::Empty).empty());
  EXPECT_FALSE(describe(NameProblem::TooLong).empty());
  EXPECT_FALSE(describe(NameProblem::ControlCharacter).empty());
  EXPECT_NE(describe(NameProblem::Empty), describe(NameProblem::TooLong));
  EXPECT_NE(describe(NameProblem::TooLong), describe(NameProblem::ControlCharacter));
}

// --- user-limited channels -------------------------------------------------

TEST(UserLimitedChannelTest, RecognisesHashAsUserBoundary) {
  EXPECT_TRUE(isUserLimited("dialog#42,43"));
  EXPECT_TRUE(isUserLimited("dm:chat#alice"));
  EXPECT_FALSE(isUserLimited("news"));
  EXPECT_FALSE(isUserLimited("chat:room1"));
}

TEST(UserLimitedChannelTest, AdmitsEveryListedUser) {
  EXPECT_TRUE(userInChannel("dialog#42,43", "42"));
  EXPECT_TRUE(userInChannel("dialog#42,43", "43"));
  EXPECT_TRUE(userInChannel("dm:chat#alice", "alice"));
}

TEST(UserLimitedChannelTest, RefusesPrefixesSuffixesAndTheWholeList) {
  EXPECT_FALSE(userInChannel("dialog#42,43", "4"));
  EXPECT_FALSE(userInChannel("dialog#42,43", "424"));
  EXPECT_FALSE(userInChannel("dialog#42,43", "2"));
  EXPECT_FALSE(userInChannel("dialog#42,43", "42,43"));
  EXPECT_FALSE(userInChannel("dialog#42,43", "dialog"));
}

TEST(UserLimitedChannelTest, RefusesAnonymousUserEvenWithEmptyListItem) {
  EXPECT_FALSE(userInChannel("dialog#42,43", ""));
  EXPECT_FALSE(userInChannel("dialog#", ""));
  EXPECT_FALSE(userInChannel("dialog#42,,43", ""));
  EXPECT_FALSE(userInChannel("dialog#,", ""));
}

TEST(UserLimitedChannelTest, RefusesEveryoneOnChannelWithoutUserList) {
  EXPECT_FALSE(userInChannel("news", "42"));
  EXPECT_FALSE(userInChannel("dialog#", "42"));
}

TEST(UserLimitedChannelTest, ReadsOnlyTheListAfterTheLastHash) {
  EXPECT_TRUE(userInChannel("a#b#c", "c"));
  EXPECT_FALSE(userInChannel("a#b#c", "b"));
}

TEST(UserLimitedChannelTest, ToleratesTrailingComma) { EXPECT_TRUE(userInChannel("dialog#42,", "42")); }

// --- allowedByOptions: every action x anonymous x subscribed x insecure ------

constexpr Action kActions[] = {Action::Subscribe, Action::Publish, Action::History, Action::Presence};

const char* name(Action a) {
  switch (a) {
    case Action::Subscribe: return "subscribe";
    case Action::Publish: return "publish";
    case Action::History: return "history";
    case Action::Presence: return "presence";
  }
  return "?";
}

// The allow_* flags, one bit each, so that every combination can be tried.
enum Flag : unsigned {
  SubscribeForClient = 1u << 0,
  SubscribeForAnonymous = 1u << 1,
  PublishForSubscriber = 1u << 2,
  PublishForClient = 1u << 3,
  PublishForAnonymous = 1u << 4,
  HistoryForSubscriber = 1u << 5,
  HistoryForClient = 1u << 6,
  PresenceForSubscriber = 1u << 7,
  PresenceForClient = 1u << 8,
  kFlagCount = 9,
};

ChannelOptions optionsWith(unsigned flags) {
  ChannelOptions o;
  o.allowSubscribeForClient = flags & SubscribeForClient;
  o.allowSubscribeForAnonymous = flags & SubscribeForAnonymous;
  o.allowPublishForSubscriber = flags & PublishForSubscriber;
  o.allowPublishForClient = flags & PublishForClient;
  o.allowPublishForAnonymous = flags & PublishForAnonymous;
  o.allowHistoryForSubscriber = flags & HistoryForSubscriber;
  o.allowHistoryForClient = flags & HistoryForClient;
  o.allowPresenceForSubscriber = flags & PresenceForSubscriber;
  o.allowPresenceForClient = flags & PresenceForClient;
  return o;
}

// The table of docs/configuration.md, read literally:
//   allow_subscribe_for_client     any authenticated client may subscribe
//   allow_subscribe_for_anonymous  ... anonymous clients too
//   allow_publish_for_subscriber   subscribers of the channel may publish
//   allow_publish_for_client       any authenticated client may publish
//   allow_publish_for_anonymous    ... anonymous clients too
//   allow_history_for_subscriber   subscribers may call history
//   allow_history_for_client       any authenticated client may call history
//   allow_presence_for_subscriber  subscribers may call presence
//   allow_presence_for_client      any authenticated client may call them
//   client.insecure                anyone may do anything
bool documented(Action action, unsigned f, const Requester& who) {
  if (who.insecure) return true;
  const bool authenticated = !who.anonymous;
  switch (action) {
    case Action::Subscribe:
      return authenticated ? (f & SubscribeForClient) : (f & SubscribeForAnonymous);
    case Action::Publish:
      if ((f & PublishForSubscriber) && who.subscribed) return true;
      return authenticated ? (f & PublishForClient) : (f & PublishForAnonymous);
    case Action::History:
      return ((f & HistoryForSubscriber) && who.subscribed) || ((f & HistoryForClient) && authenticated);
    case Action::Presence:
      return ((f & PresenceForSubscriber) && who.subscribed) || ((f & PresenceForClient) && authenticated);
  }
  return false;
}

TEST(AllowedByOptionsTest, MatchesDocumentedTableForEveryActionRequesterAndFlagCombination) {
  int cases = 0;
  std::vector<std::string> mismatches;
  for (Action action : kActions)
    for (unsigned flags = 0; flags < (1u << kFlagCount); ++flags)
      for (int bits = 0; bits < 8; ++bits) {
        Requester who{.anonymous = (bits & 1) != 0, .subscribed = (bits & 2) != 0, .insecure = (bits & 4) != 0};
        bool want = documented(action, flags, who);
        ++cases;
        if (allowedByOptions(action, optionsWith(flags), who) == want) continue;
        std::ostringstream m;
        m << name(action) << " flags=0x" << std::hex << flags << std::dec << " anonymous=" << who.anonymous
          << " subscribed=" << who.subscribed << " insecure=" << who.insecure << ": want " << want;
        mismatches.push_back(m.str());
      }
  EXPECT_EQ(cases, 4 * 512 * 8);
  std::string firstFew;
  for (std::size_t i = 0; i < mismatches.size() && i < 12; ++i) firstFew += "\n  " + mismatches[i];
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " combinations differ from the documented table:" << firstFew;
}

// The same rules, one readable case each.

TEST(AllowedByOptionsTest, RefusesEveryActionWithDefaultOptions) {
  for (Action action : kActions)
    for (int bits = 0; bits < 4; ++bits) {
      Requester who{.anonymous = (bits & 1) != 0, .subscribed = (bits & 2) != 0};
      EXPECT_FALSE(allowedByOptions(action, ChannelOptions{}, who)) << name(action) << " bits=" << bits;
    }
}

TEST(AllowedByOptionsTest, InsecureModeAllowsEveryActionToEveryone) {
  for (Action action : kActions)
    for (int bits = 0; bits < 4; ++bits) {
      Requester who{.anonymous = (bits & 1) != 0, .subscribed = (bits & 2) != 0, .insecure = true};
      EXPECT_TRUE(allowedByOptions(action, ChannelOptions{}, who)) << name(action) << " bits=" << bits;
    }
}

TEST(AllowedByOptionsTest, SubscribeForClientDoesNotOpenChannelToAnonymous) {
  ChannelOptions o = optionsWith(SubscribeForClient);
  EXPECT_TRUE(allowedByOptions(Action::Subscribe, o, {.anonymous = false}));
  EXPECT_FALSE(allowedByOptions(Action::Subscribe, o, {.anonymous = true}));
}

TEST(AllowedByOptionsTest, SubscribeForAnonymousAdmitsAnonymous) {
  EXPECT_TRUE(allowedByOptions(Action::Subscribe, optionsWith(SubscribeForAnonymous), {.anonymous = true}));
}

TEST(AllowedByOptionsTest, PublishForSubscriberNeedsSubscription) {
  ChannelOptions o = optionsWith(PublishForSubscriber);
  EXPECT_TRUE(allowedByOptions(Action::Publish, o, {.subscribed = true}));
  EXPECT_TRUE(allowedByOptions(Action::Publish, o, {.anonymous = true, .subscribed = true}));
  EXPECT_FALSE(allowedByOptions(Action::Publish, o, {.subscribed = false}));
}

TEST(AllowedByOptionsTest, PublishForClientRefusesAnonymous) {
  ChannelOptions o = optionsWith(PublishForClient);
  EXPECT_TRUE(allowedByOptions(Action::Publish, o, {.anonymous = false}));
  EXPECT_FALSE(allowedByOptions(Action::Publish, o, {.anonymous = true}));
}

TEST(AllowedByOptionsTest, PublishForAnonymousAdmitsAnonymousWithoutSubscription) {
  EXPECT_TRUE(allowedByOptions(Action::Publish, optionsWith(PublishForAnonymous), {.anonymous = true}));
}

TEST(AllowedByOptionsTest, HistoryForSubscriberNeedsSubscription) {
  ChannelOptions o = optionsWith(HistoryForSubscriber);
  EXPECT_TRUE(allowedByOptions(Action::History, o, {.subscribed = true}));
  EXPECT_FALSE(allowedByOptions(Action::History, o, {.subscribed = false}));
}

TEST(AllowedByOptionsTest, HistoryForClientAllowsAuthenticatedClientNotSubscribed) {
  EXPECT_TRUE(allowedByOptions(Action::History, optionsWith(HistoryForClient), {.anonymous = false}));
}

// docs/configuration.md: "any *authenticated* client may call history".
TEST(AllowedByOptionsTest, HistoryForClientRefusesAnonymousNotSubscribed) {
  EXPECT_FALSE(allowedByOptions(Action::History, optionsWith(HistoryForClient), {.anonymous = true}));
}

TEST(AllowedByOptionsTest, PresenceForSubscriberNeedsSubscription) {
  ChannelOptions o = optionsWith(PresenceForSubscriber);
  EXPECT_TRUE(allowedByOptions(Action::Presence, o, {.subscribed = true}));
  EXPECT_FALSE(allowedByOptions(Action::Presence, o, {.subscribed = false}));
}

// docs/configuration.md: "any *authenticated* client may call them".
TEST(AllowedByOptionsTest, PresenceForClientRefusesAnonymousNotSubscribed) {
  EXPECT_TRUE(allowedByOptions(Action::Presence, optionsWith(PresenceForClient), {.anonymous = false}));
  EXPECT_FALSE(allowedByOptions(Action::Presence, optionsWith(PresenceForClient), {.anonymous = true}));
}

TEST(AllowedByOptionsTest, OneActionsFlagsNeverGrantAnother) {
  const unsigned own[] = {SubscribeForClient | SubscribeForAnonymous,
                          PublishForSubscriber | PublishForClient | PublishForAnonymous,
                          HistoryForSubscriber | HistoryForClient, PresenceForSubscriber | PresenceForClient};
  for (std::size_t i = 0; i < 4; ++i) {
    ChannelOptions others = optionsWith(((1u << kFlagCount) - 1) & ~own[i]);
    for (int bits = 0; bits < 4; ++bits) {
      Requester who{.anonymous = (bits & 1) != 0, .subscribed = (bits & 2) != 0};
      EXPECT_FALSE(allowedByOptions(kActions[i], others, who)) << name(kActions[i]) << " bits=" << bits;
    }
  }
}

// --- the subscribe decision, shared by subscribe and file downloads ---------

TEST(MaySubscribeWithoutTokenTest, UserLimitedChannelAdmitsOnlyItsUsers) {
  ChannelOptions o;
  o.allowUserLimitedChannels = true;
  EXPECT_TRUE(maySubscribeWithoutToken("call:1#ann,bob", o, "ann", false));
  EXPECT_FALSE(maySubscribeWithoutToken("call:1#ann,bob", o, "carol", false));
  EXPECT_FALSE(maySubscribeWithoutToken("call:1#ann,bob", o, "", false));
  o.allowSubscribeForClient = true;  // the list wins over the options
  EXPECT_FALSE(maySubscribeWithoutToken("call:1#ann,bob", o, "carol", false));
}

TEST(MaySubscribeWithoutTokenTest, PrivateChannelNeedsATokenUnlessRelaxed) {
  ChannelOptions o;
  o.allowSubscribeForClient = true;
  EXPECT_TRUE(maySubscribeWithoutToken("chat:x", o, "ann", false));
  EXPECT_FALSE(maySubscribeWithoutToken("$chat:x", o, "ann", false));
  EXPECT_FALSE(maySubscribeWithoutToken("chat:x", o, "", false));
  o.allowPrivateSubscribeWithoutToken = true;
  EXPECT_TRUE(maySubscribeWithoutToken("$chat:x", o, "ann", false));
  EXPECT_TRUE(maySubscribeWithoutToken("$chat:x", ChannelOptions{}, "", true));  // insecure
}

}  // namespace
}  // namespace herald::server
