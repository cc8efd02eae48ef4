// What nodes exchange through Redis: publications and clients
// (herald/broker/publication_codec.hpp) and the server API's control
// messages (src/server/control_message.hpp). Round trips, and refusal of
// anything truncated or foreign.

#include <gtest/gtest.h>

#include "herald/broker/publication_codec.hpp"
#include "server/control_message.hpp"

namespace herald {
namespace {

broker::StoredPublication sample() {
  broker::StoredPublication p;
  p.data = R"({"text":"hi \u00e9"})";
  p.hasInfo = true;
  p.info = {"ann", "c-1", R"({"name":"Ann"})", ""};
  p.tags = {{"k", "v"}, {"", std::string("\0\xff", 2)}};
  return p;
}

TEST(PublicationCodecTest, RoundTripsEveryField) {
  broker::StoredPublication p = sample();
  auto back = broker::decodePublication(broker::encodePublication(p));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data, p.data);
  EXPECT_TRUE(back->hasInfo);
  EXPECT_EQ(back->info.user, "ann");
  EXPECT_EQ(back->info.client, "c-1");
  EXPECT_EQ(back->info.connInfo, p.info.connInfo);
  EXPECT_EQ(back->info.chanInfo, "");
  EXPECT_EQ(back->tags, p.tags);

  broker::StoredPublication bare;
  bare.data = std::string(300, 'x');  // a two-byte length
  auto b = broker::decodePublication(broker::encodePublication(bare));
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->hasInfo);
  EXPECT_FALSE(b->delta);
  EXPECT_EQ(b->data, bare.data);
  EXPECT_TRUE(b->tags.empty());

  // The API's delta flag crosses nodes with the publication.
  broker::StoredPublication delta = sample();
  delta.delta = true;
  auto d = broker::decodePublication(broker::encodePublication(delta));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->delta);
  EXPECT_TRUE(d->hasInfo);
}

TEST(PublicationCodecTest, RefusesTruncatedExtendedAndForeignBytes) {
  std::string bytes = broker::encodePublication(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(broker::decodePublication(bytes.substr(0, n))) << "cut at " << n;
  EXPECT_FALSE(broker::decodePublication(bytes + "x"));
  EXPECT_FALSE(broker::decodePublication(R"({"data":1})"));
  EXPECT_FALSE(broker::decodePublication(std::string("P\x04\x00\x00", 4)));  // unknown flags
  EXPECT_FALSE(broker::decodePublication(std::string("P\x80\x00\x00", 4)));
  // A length spelled with a needless continuation byte (31 as 0x9f 0x00).
  EXPECT_FALSE(broker::decodePublication(std::string("P\x00\x9f\x00", 4) + std::string(31, 'x') + std::string(1, '\0')));
  EXPECT_TRUE(broker::decodePublication(std::string("P\x00\x1f", 3) + std::string(31, 'x') + std::string(1, '\0')));
  // A length that claims more than there is.
  EXPECT_FALSE(broker::decodePublication(std::string("P\x00\xff\xff\xff\xff\x0f", 7)));
}

TEST(PublicationCodecTest, ClientsRoundTripAndRefuseGarbage) {
  broker::ClientDescription c{"c-9", "bob", R"({"a":1})", R"({"b":2})"};
  std::string bytes = broker::encodeClient(c);
  auto back = broker::decodeClient(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->client, "c-9");
  EXPECT_EQ(back->user, "bob");
  EXPECT_EQ(back->connInfo, c.connInfo);
  EXPECT_EQ(back->chanInfo, c.chanInfo);
  EXPECT_FALSE(broker::decodeClient(bytes.substr(0, bytes.size() - 1)));
  EXPECT_FALSE(broker::decodeClient(broker::encodePublication(sample())));
}

TEST(ControlMessageTest, RoundTripsEveryOperation) {
  using Op = server::ControlMessage::Op;
  for (Op op : {Op::Disconnect, Op::Unsubscribe, Op::Subscribe, Op::Refresh}) {
    server::ControlMessage m{.op = op, .user = "u:1 with spaces", .client = "c", .channel = "chat:lobby",
                             .code = 4000, .reason = "bye\nnow 5:x", .expireAt = 1764000000, .expired = true};
    auto back = server::decodeControl(server::encodeControl(m));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->op, op);
    EXPECT_EQ(back->user, m.user);
    EXPECT_EQ(back->client, "c");
    EXPECT_EQ(back->channel, "chat:lobby");
    EXPECT_EQ(back->code, 4000u);
    EXPECT_EQ(back->reason, m.reason);
    EXPECT_EQ(back->expireAt, 1764000000);
    EXPECT_TRUE(back->expired);
  }
}

TEST(ControlMessageTest, RefusesOtherVersionsAndDamagedText) {
  std::string text = server::encodeControl({.user = "ann", .code = 3000, .reason = "x"});
  for (std::size_t n = 0; n < text.size(); ++n) EXPECT_FALSE(server::decodeControl(text.substr(0, n))) << n;
  EXPECT_FALSE(server::decodeControl(text + "1:x"));
  EXPECT_FALSE(server::decodeControl("herald-control/2 disconnect 3:ann0:0:4:30001:x1:01:0"));
  EXPECT_FALSE(server::decodeControl("herald-control/1 explode 3:ann0:0:4:30001:x1:01:0"));
  EXPECT_FALSE(server::decodeControl("herald-control/1 disconnect 3:ann0:0:4:30x01:x1:01:0"));
  EXPECT_FALSE(server::decodeControl("herald-control/1 disconnect 9:ann"));
  EXPECT_TRUE(server::decodeControl("herald-control/1 disconnect 3:ann0:0:4:30001:x1:01:0"));
}

}  // namespace
}  // namespace herald
