// The client's Protobuf codec on its own: bytes that only Protobuf can carry
// (against the server's encoder functions, herald::proto::pb), frames written
// byte by byte here (from the field numbers of src/proto/client.proto), and
// frames cut and damaged: every fault is an error with a reason, never a
// crash (the ASan build runs these too).

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codec.hpp"
#include "herald/proto/protobuf_encoder.hpp"

namespace herald::client::detail {
namespace {

using namespace std::string_literals;

const Codec& pb() { return protobufCodec(); }

std::string varint(std::uint64_t v) {
  std::string s;
  proto::pb::appendVarint(s, v);
  return s;
}
// A field's key: field number and wire type (0 varint, 1 fixed64, 2 bytes, 5 fixed32).
std::string key(int field, int type) { return varint(static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(type)); }
std::string bytesField(int field, const std::string& value) { return key(field, 2) + varint(value.size()) + value; }
std::string varintField(int field, std::uint64_t value) { return key(field, 0) + varint(value); }
// One message with its length in front, as it goes into a frame.
std::string delimited(const std::string& message) { return varint(message.size()) + message; }

// Why the one message of `frame` does not decode ("" when it does).
std::string messageError(const std::string& frame) {
  std::string error;
  auto parts = pb().splitFrame(frame, error);
  if (!error.empty()) return error;
  if (parts.size() != 1) return "not one message";
  auto m = pb().decodeMessage(parts[0], error);
  return m ? "" : error;
}

// Runs everything the client would run on `frame`: each message decoded,
// and its body decoded by every body decoder (the client decodes a body by
// what it expects, which a hostile server does not control). Returns how
// many messages decoded.
std::size_t decodeEverything(std::string_view frame) {
  std::string error;
  std::size_t decoded = 0;
  for (std::string_view part : pb().splitFrame(frame, error)) {
    std::string why;
    auto m = pb().decodeMessage(part, why);
    if (!m) {
      EXPECT_FALSE(why.empty());
      continue;
    }
    ++decoded;
    ConnectResultData c;
    SubscribeResultData s;
    RefreshResultData r;
    PresenceResult p;
    PresenceStatsResult ps;
    HistoryResult h;
    Publication pub;
    ClientInfo info;
    UnsubscribePushData u;
    DisconnectPushData d;
    std::string data;
    pb().decodeConnectResult(m->body, c);
    pb().decodeSubscribeResult(m->body, "ch", s);
    pb().decodeRefreshResult(m->body, r);
    pb().decodePresenceResult(m->body, p);
    pb().decodePresenceStatsResult(m->body, ps);
    pb().decodeHistoryResult(m->body, "ch", h);
    pb().decodePublication(m->body, "ch", pub);
    pb().decodeJoinLeave(m->body, info);
    pb().decodeUnsubscribePush(m->body, u);
    pb().decodeDisconnectPush(m->body, d);
    pb().decodeMessageData(m->body, data);
  }
  return decoded;
}

// Valid frames of every kind the server writes, to cut and damage.
std::vector<std::string> sampleFrames() {
  const std::string binary = "\0\x01\xff\x80 bytes"s;
  const proto::ClientInfo info{.user = "u", .client = "c", .connInfo = binary, .chanInfo = "{}"};
  const proto::Tag tags[] = {{"k", "v"}};
  const proto::Publication pubs[] = {{.data = binary, .info = &info, .offset = 7, .tags = tags},
                                     {.data = "2", .offset = 8}};
  std::vector<std::string> frames(8);
  proto::pb::encodeConnectReply(frames[0], 1, {.client = "c", .version = "v", .expires = true, .ttl = 5, .ping = 25, .pong = true});
  proto::pb::encodeSubscribeReply(frames[1], 2,
                                  {.recoverable = true, .epoch = "e", .publications = pubs, .recovered = true, .offset = 8});
  proto::pb::encodePublicationPush(frames[2], "chat:a", pubs[0]);
  proto::pb::encodeHistoryReply(frames[3], 3, {.publications = pubs, .epoch = "e", .offset = 8});
  proto::pb::encodePresenceReply(frames[4], 4, std::span(&info, 1));
  proto::pb::encodeErrorReply(frames[5], 5, proto::ReplyError{.code = 111, .message = "slow down", .temporary = true});
  proto::pb::encodeServerPing(frames[6]);
  proto::pb::encodeJoinPush(frames[6], "chat:a", info);
  proto::pb::encodeDisconnectPush(frames[6], {.code = 3503, .reason = "bye"});
  proto::pb::encodeUnsubscribePush(frames[7], "chat:a", {.code = 2500, .reason = "r"});
  proto::pb::encodeMessagePush(frames[7], binary);
  proto::pb::encodePublishReply(frames[7], 6);
  return frames;
}

// --- bytes only Protobuf carries -----------------------------------------------

TEST(ProtobufClientCodecTest, BinaryDataAndInfoPassByteForByte) {
  const std::string data = "\0\xff\xfe\x80 not JSON \n"s;
  const std::string connInfo = "\x01\x02\x00"s;
  const proto::ClientInfo info{.user = "u", .client = "c", .connInfo = connInfo};
  std::string frame;
  proto::pb::encodePublicationPush(frame, "chat:b", {.data = data, .info = &info, .offset = 3});
  proto::pb::encodeMessagePush(frame, data);
  std::string error;
  auto parts = pb().splitFrame(frame, error);
  ASSERT_EQ(parts.size(), 2u) << error;
  auto m = pb().decodeMessage(parts[0], error);
  ASSERT_TRUE(m) << error;
  Publication p;
  ASSERT_TRUE(pb().decodePublication(m->body, m->channel, p));
  EXPECT_EQ(p.data, data);
  ASSERT_TRUE(p.info);
  EXPECT_EQ(p.info->connInfo, connInfo);
  auto msg = pb().decodeMessage(parts[1], error);
  ASSERT_TRUE(msg) << error;
  std::string got;
  ASSERT_TRUE(pb().decodeMessageData(msg->body, got));
  EXPECT_EQ(got, data);
}

TEST(ProtobufClientCodecTest, PublishesAnyNonEmptyBytes) {
  const std::string data = "\0\xff"s;
  std::string frame;
  pb().encodePublish(frame, 9, "chat:b", data);
  // Command{id: 9, publish: {channel, data}} after its length.
  const std::string command = varintField(1, 9) + bytesField(7, bytesField(1, "chat:b") + bytesField(2, data));
  EXPECT_EQ(frame, delimited(command));
}

TEST(ProtobufClientCodecTest, EmptyRepliesArePingsAndTheyCanComeInABatch) {
  std::string error;
  const std::string frame = "\0\0"s;  // the views point into it
  auto parts = pb().splitFrame(frame, error);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(error, "");
  for (std::string_view part : parts) {
    auto m = pb().decodeMessage(part, error);
    ASSERT_TRUE(m) << error;
    EXPECT_EQ(m->kind, ServerMessage::Kind::Ping);
  }
  EXPECT_TRUE(pb().splitFrame("", error).empty());
  EXPECT_EQ(error, "");
}

TEST(ProtobufClientCodecTest, SkipsFieldsItDoesNotKnow) {
  // A newer server's extra fields, of every wire type, in the Reply, the
  // Push and the body.
  const std::string extras = varintField(99, 1) + bytesField(100, "x") + key(101, 1) + "12345678" + key(102, 5) + "1234";
  std::string reply = extras + varintField(1, 4) + bytesField(10, varintField(1, 2) + extras + varintField(2, 1));
  std::string error;
  const std::string frame = delimited(reply);  // the views point into it
  auto parts = pb().splitFrame(frame, error);
  ASSERT_EQ(parts.size(), 1u);
  auto m = pb().decodeMessage(parts[0], error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->id, 4u);
  EXPECT_EQ(m->key, "presence_stats");
  PresenceStatsResult s;
  ASSERT_TRUE(pb().decodePresenceStatsResult(m->body, s));
  EXPECT_EQ(s.numClients, 2u);
  EXPECT_EQ(s.numUsers, 1u);

  std::string push = bytesField(4, extras + bytesField(2, "chat:x") + bytesField(8, bytesField(1, "d")));
  EXPECT_EQ(messageError(delimited(push)), "");
}

// --- malformed frames ------------------------------------------------------------

TEST(ProtobufClientCodecTest, RefusesBrokenLengths) {
  std::string error;
  EXPECT_TRUE(pb().splitFrame(std::string(10, '\xff') + "\x01", error).empty());
  EXPECT_NE(error.find("not a varint"), std::string::npos) << error;
  EXPECT_TRUE(pb().splitFrame(varint(1000) + "ab", error).empty());
  EXPECT_NE(error.find("runs past the frame"), std::string::npos) << error;
  EXPECT_TRUE(pb().splitFrame(varint(~0ULL) + "ab", error).empty());
  EXPECT_NE(error.find("runs past the frame"), std::string::npos) << error;
  EXPECT_TRUE(pb().splitFrame("\x80", error).empty()) << "a varint cut off";
  EXPECT_FALSE(error.empty());
  // The messages before the fault are kept.
  auto parts = pb().splitFrame("\0"s + "\x05" + "ab", error);
  EXPECT_EQ(parts.size(), 1u);
  EXPECT_NE(error.find("message 2"), std::string::npos) << error;
}

TEST(ProtobufClientCodecTest, RefusesMalformedReplies) {
  // id as bytes, a result as a varint: wrong wire types.
  EXPECT_NE(messageError(delimited(bytesField(1, "x"))).find("wrong wire type"), std::string::npos);
  EXPECT_NE(messageError(delimited(varintField(1, 1) + varintField(6, 1))).find("wrong wire type"), std::string::npos);
  EXPECT_NE(messageError(delimited(key(0, 0) + "\x01")).find("numbered 0"), std::string::npos);
  EXPECT_NE(messageError(delimited(key(3, 3))).find("wire type"), std::string::npos) << "a group";
  EXPECT_NE(messageError(delimited(key(3, 1) + "1234")).find("cut off"), std::string::npos);
  EXPECT_NE(messageError(delimited(key(3, 5) + "12")).find("cut off"), std::string::npos);
  EXPECT_NE(messageError(delimited(bytesField(5, "abc").substr(0, 4))).find("runs past"), std::string::npos);
  EXPECT_NE(messageError(delimited(varintField(1, 1) + "\xff")).find("varint"), std::string::npos);
  // Neither id nor push, but an error: not a ping.
  EXPECT_NE(messageError(delimited(bytesField(2, varintField(1, 100)))).find("neither an id nor a push"),
            std::string::npos);
  // A push with a channel and no body we know.
  EXPECT_NE(messageError(delimited(bytesField(4, bytesField(2, "chat:a")))).find("without a known body"),
            std::string::npos);
  EXPECT_NE(messageError(delimited(bytesField(4, bytesField(2, "chat:a") + varintField(4, 1)))).find("wrong wire type"),
            std::string::npos);
  EXPECT_NE(messageError(delimited(bytesField(4, bytesField(2, "\xff\xfe") + bytesField(4, "")))).find("UTF-8"),
            std::string::npos);
  // An error whose message is not UTF-8, or whose code is bytes.
  EXPECT_NE(messageError(delimited(varintField(1, 1) + bytesField(2, bytesField(2, "\xc3")))).find("unreadable error"),
            std::string::npos);
  EXPECT_NE(messageError(delimited(varintField(1, 1) + bytesField(2, bytesField(1, "x")))).find("unreadable error"),
            std::string::npos);
}

TEST(ProtobufClientCodecTest, RefusesMalformedBodies) {
  Publication p;
  EXPECT_FALSE(pb().decodePublication(bytesField(6, "x"), "c", p)) << "offset as bytes";
  EXPECT_FALSE(pb().decodePublication(varintField(4, 1), "c", p)) << "data as a varint";
  EXPECT_FALSE(pb().decodePublication(bytesField(5, bytesField(1, "\xff")), "c", p)) << "user not UTF-8";
  EXPECT_FALSE(pb().decodePublication(bytesField(5, varintField(1, 1)), "c", p)) << "user as a varint";
  EXPECT_FALSE(pb().decodePublication(bytesField(7, bytesField(1, "k") + bytesField(2, "\x80")), "c", p));
  EXPECT_FALSE(pb().decodePublication(bytesField(4, "abc").substr(0, 3), "c", p)) << "cut off";
  SubscribeResultData s;
  EXPECT_FALSE(pb().decodeSubscribeResult(bytesField(7, bytesField(6, "x")), "c", s)) << "a bad publication inside";
  EXPECT_FALSE(pb().decodeSubscribeResult(bytesField(6, "\xff"), "c", s)) << "epoch not UTF-8";
  ClientInfo info;
  EXPECT_FALSE(pb().decodeJoinLeave("", info)) << "a join without its info";
  EXPECT_TRUE(pb().decodeJoinLeave(bytesField(1, ""), info)) << "an empty info is still an info";
  DisconnectPushData d;
  EXPECT_FALSE(pb().decodeDisconnectPush(bytesField(1, "3000"), d));
  PresenceResult pr;
  EXPECT_FALSE(pb().decodePresenceResult(bytesField(1, bytesField(2, varintField(2, 5))), pr));
}

// Every sample frame cut at every point: a cut inside a message is an
// error; one at a message boundary keeps the messages before it.
TEST(ProtobufClientCodecTest, FramesCutAtEveryPointFailCleanly) {
  for (const std::string& frame : sampleFrames()) {
    std::string error;
    const auto whole = pb().splitFrame(frame, error);
    ASSERT_EQ(error, "");
    ASSERT_EQ(decodeEverything(frame), whole.size());
    std::vector<std::size_t> boundaries{0};
    for (std::string_view part : whole) boundaries.push_back(static_cast<std::size_t>(part.data() + part.size() - frame.data()));
    for (std::size_t cut = 0; cut < frame.size(); ++cut) {
      std::string head = frame.substr(0, cut);
      auto parts = pb().splitFrame(head, error);
      const bool boundary = std::find(boundaries.begin(), boundaries.end(), cut) != boundaries.end();
      EXPECT_EQ(error.empty(), boundary) << "cut at " << cut << " of " << frame.size();
      decodeEverything(head);
    }
  }
}

// Every message cut at every point, and fed on its own (as if its length
// said so): the decoder sees fields cut off inside the message.
TEST(ProtobufClientCodecTest, MessagesCutAtEveryPointFailCleanly) {
  for (const std::string& frame : sampleFrames()) {
    std::string error;
    for (std::string_view part : pb().splitFrame(frame, error))
      for (std::size_t cut = 0; cut < part.size(); ++cut) decodeEverything(delimited(std::string(part.substr(0, cut))));
  }
}

// Damaged frames: bytes flipped, inserted and dropped at random (a fixed
// seed, so a failure repeats), and pure noise.
TEST(ProtobufClientCodecTest, DamagedFramesNeverCrash) {
  std::mt19937 rng(20240607);
  const auto frames = sampleFrames();
  for (int round = 0; round < 20000; ++round) {
    std::string f = frames[rng() % frames.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !f.empty(); ++e) {
      const std::size_t at = rng() % f.size();
      switch (rng() % 3) {
        case 0: f[at] = static_cast<char>(rng()); break;
        case 1: f.insert(at, 1, static_cast<char>(rng())); break;
        default: f.erase(at, 1); break;
      }
    }
    decodeEverything(f);
  }
  for (int round = 0; round < 5000; ++round) {
    std::string noise(rng() % 64, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    decodeEverything(noise);
    decodeEverything(delimited(noise));
  }
}

}  // namespace
}  // namespace herald::client::detail
