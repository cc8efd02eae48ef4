// The client's codecs (src/client/codec.hpp) against the server's own
// encoders and decoders (herald_proto), one contract suite for both
// formats: every reply and push the server can write decodes on the client
// field for field, and every command the client writes decodes on the
// server to what was meant.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec.hpp"
#include "herald/proto/codec.hpp"

namespace herald::client::detail {
namespace {

proto::Format formatOf(Protocol p) { return p == Protocol::Protobuf ? proto::Format::Protobuf : proto::Format::Json; }

class CodecContractTest : public ::testing::TestWithParam<Protocol> {
 protected:
  const Codec& codec() const { return codecFor(GetParam()); }
  const proto::Encoder& server() const { return proto::encoderFor(formatOf(GetParam())); }

  // Every message of `frame`, which must decode whole.
  std::vector<ServerMessage> decodeAll(std::string_view frame) const {
    std::string error;
    std::vector<ServerMessage> out;
    for (std::string_view m : codec().splitFrame(frame, error)) {
      std::string why;
      auto msg = codec().decodeMessage(m, why);
      EXPECT_TRUE(msg) << why;
      if (msg) out.push_back(std::move(*msg));
    }
    EXPECT_EQ(error, "");
    return out;
  }
  // The one message of `frame`.
  ServerMessage decodeOne(std::string_view frame) const {
    auto all = decodeAll(frame);
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? ServerMessage{} : all.front();
  }

  // The commands the server reads from `frame`.
  std::vector<proto::Command> serverReads(const std::string& frame) {
    proto::DecodeResult r = decoders_.decoder(formatOf(GetParam())).decode(frame, commands_);
    EXPECT_EQ(r.kind, proto::DecodeResult::Ok) << r.reason;
    return commands_;
  }

 private:
  proto::Codecs decoders_{proto::DecodeLimits{}};
  std::vector<proto::Command> commands_;
};

std::string nameOf(const ::testing::TestParamInfo<Protocol>& info) {
  return info.param == Protocol::Protobuf ? "Protobuf" : "Json";
}

INSTANTIATE_TEST_SUITE_P(Formats, CodecContractTest, ::testing::Values(Protocol::Json, Protocol::Protobuf), nameOf);

const proto::ClientInfo kAlice{.user = "alice", .client = "c-1", .connInfo = R"({"n":1})", .chanInfo = R"([2])"};

// --- replies ---------------------------------------------------------------

TEST_P(CodecContractTest, ConnectReply) {
  std::string frame;
  server().connectReply(frame, 7,
                        {.client = "c-9", .version = "1.2", .expires = true, .ttl = 60, .data = R"({"hello":"x"})",
                         .ping = 25, .pong = true, .session = "s", .node = "n"});
  ServerMessage m = decodeOne(frame);
  EXPECT_EQ(m.kind, ServerMessage::Kind::Reply);
  EXPECT_EQ(m.id, 7u);
  EXPECT_FALSE(m.error);
  EXPECT_EQ(m.key, "connect");
  ConnectResultData r;
  ASSERT_TRUE(codec().decodeConnectResult(m.body, r));
  EXPECT_EQ(r.client, "c-9");
  EXPECT_EQ(r.version, "1.2");
  EXPECT_EQ(r.data, R"({"hello":"x"})");
  EXPECT_TRUE(r.expires);
  EXPECT_EQ(r.ttl, 60u);
  EXPECT_EQ(r.ping, 25u);
  EXPECT_TRUE(r.pong);
}

TEST_P(CodecContractTest, SubscribeReplyWithRecoveredPublications) {
  const proto::Tag tags[] = {{"k", "v"}, {"ключ", "значение"}};
  const proto::Publication pubs[] = {
      {.data = R"({"n":4})", .info = &kAlice, .offset = 4, .tags = tags},
      {.data = R"("five")", .offset = 5},
  };
  std::string frame;
  server().subscribeReply(frame, 3,
                          {.expires = true, .ttl = 30, .recoverable = true, .epoch = "ep-1", .publications = pubs,
                           .recovered = true, .offset = 5, .positioned = true, .wasRecovering = true});
  ServerMessage m = decodeOne(frame);
  EXPECT_EQ(m.id, 3u);
  EXPECT_EQ(m.key, "subscribe");
  SubscribeResultData r;
  ASSERT_TRUE(codec().decodeSubscribeResult(m.body, "chat:a", r));
  EXPECT_TRUE(r.expires);
  EXPECT_EQ(r.ttl, 30u);
  EXPECT_TRUE(r.recoverable);
  EXPECT_EQ(r.epoch, "ep-1");
  EXPECT_TRUE(r.recovered);
  EXPECT_EQ(r.offset, 5u);
  EXPECT_TRUE(r.positioned);
  EXPECT_TRUE(r.wasRecovering);
  ASSERT_EQ(r.publications.size(), 2u);
  const Publication& p = r.publications[0];
  EXPECT_EQ(p.channel, "chat:a");
  EXPECT_EQ(p.offset, 4u);
  EXPECT_EQ(p.data, R"({"n":4})");
  ASSERT_TRUE(p.info);
  EXPECT_EQ(p.info->user, "alice");
  EXPECT_EQ(p.info->client, "c-1");
  EXPECT_EQ(p.info->connInfo, R"({"n":1})");
  EXPECT_EQ(p.info->chanInfo, "[2]");
  ASSERT_EQ(p.tags.size(), 2u);
  EXPECT_EQ(p.tags[0], (std::pair<std::string, std::string>("k", "v")));
  EXPECT_EQ(p.tags[1], (std::pair<std::string, std::string>("ключ", "значение")));
  EXPECT_EQ(r.publications[1].offset, 5u);
  EXPECT_EQ(r.publications[1].data, R"("five")");
  EXPECT_FALSE(r.publications[1].info);
  EXPECT_TRUE(r.publications[1].tags.empty());
}

TEST_P(CodecContractTest, SubscribeReplyAtItsDefaults) {
  std::string frame;
  server().subscribeReply(frame, 4, {});
  ServerMessage m = decodeOne(frame);
  SubscribeResultData r;
  ASSERT_TRUE(codec().decodeSubscribeResult(m.body, "chat:a", r));
  EXPECT_FALSE(r.recoverable);
  EXPECT_EQ(r.epoch, "");
  EXPECT_EQ(r.offset, 0u);
  EXPECT_TRUE(r.publications.empty());
}

TEST_P(CodecContractTest, PresenceAndPresenceStatsReplies) {
  const proto::ClientInfo clients[] = {kAlice, {.user = "", .client = "c-2"}};
  std::string frame;
  server().presenceReply(frame, 5, clients);
  PresenceResult r;
  ServerMessage m = decodeOne(frame);
  EXPECT_EQ(m.key, "presence");
  ASSERT_TRUE(codec().decodePresenceResult(m.body, r));
  ASSERT_EQ(r.clients.size(), 2u);
  EXPECT_EQ(r.clients[0].user, "alice");
  EXPECT_EQ(r.clients[0].client, "c-1");
  EXPECT_EQ(r.clients[0].connInfo, R"({"n":1})");
  EXPECT_EQ(r.clients[0].chanInfo, "[2]");
  EXPECT_EQ(r.clients[1].user, "");
  EXPECT_EQ(r.clients[1].client, "c-2");

  frame.clear();
  server().presenceStatsReply(frame, 6, {.numClients = 3, .numUsers = 2});
  PresenceStatsResult s;
  ASSERT_TRUE(codec().decodePresenceStatsResult(decodeOne(frame).body, s));
  EXPECT_EQ(s.numClients, 3u);
  EXPECT_EQ(s.numUsers, 2u);
}

TEST_P(CodecContractTest, HistoryReply) {
  const proto::Publication pubs[] = {{.data = "1", .offset = 1}, {.data = "[2]", .info = &kAlice, .offset = 2}};
  std::string frame;
  server().historyReply(frame, 8, {.publications = pubs, .epoch = "e", .offset = 9});
  HistoryResult r;
  ASSERT_TRUE(codec().decodeHistoryResult(decodeOne(frame).body, "chat:h", r));
  EXPECT_EQ(r.epoch, "e");
  EXPECT_EQ(r.offset, 9u);
  ASSERT_EQ(r.publications.size(), 2u);
  EXPECT_EQ(r.publications[0].channel, "chat:h");
  EXPECT_EQ(r.publications[0].data, "1");
  EXPECT_EQ(r.publications[1].offset, 2u);
  ASSERT_TRUE(r.publications[1].info);
  EXPECT_EQ(r.publications[1].info->user, "alice");

  frame.clear();
  server().historyReply(frame, 9, {.epoch = "e", .offset = 9});
  HistoryResult empty;
  ASSERT_TRUE(codec().decodeHistoryResult(decodeOne(frame).body, "chat:h", empty));
  EXPECT_TRUE(empty.publications.empty());
  EXPECT_EQ(empty.offset, 9u);
}

TEST_P(CodecContractTest, RefreshPublishUnsubscribeReplies) {
  std::string frame;
  server().refreshReply(frame, 10, {.client = "c", .version = "v", .expires = true, .ttl = 90});
  RefreshResultData r;
  ASSERT_TRUE(codec().decodeRefreshResult(decodeOne(frame).body, r));
  EXPECT_TRUE(r.expires);
  EXPECT_EQ(r.ttl, 90u);

  frame.clear();
  server().publishReply(frame, 11);
  ServerMessage m = decodeOne(frame);
  EXPECT_EQ(m.kind, ServerMessage::Kind::Reply);
  EXPECT_EQ(m.id, 11u);
  EXPECT_FALSE(m.error);

  frame.clear();
  server().unsubscribeReply(frame, 12);
  m = decodeOne(frame);
  EXPECT_EQ(m.id, 12u);
  EXPECT_FALSE(m.error);
}

TEST_P(CodecContractTest, ErrorReply) {
  std::string frame;
  server().errorReply(frame, 13, proto::ReplyError{.code = 111, .message = "too many requests", .temporary = true});
  ServerMessage m = decodeOne(frame);
  EXPECT_EQ(m.kind, ServerMessage::Kind::Reply);
  EXPECT_EQ(m.id, 13u);
  ASSERT_TRUE(m.error);
  EXPECT_EQ(m.error->code, 111u);
  EXPECT_EQ(m.error->message, "too many requests");
  EXPECT_TRUE(m.error->temporary);

  frame.clear();
  server().errorReply(frame, 14, proto::ErrorCode::PermissionDenied);
  m = decodeOne(frame);
  ASSERT_TRUE(m.error);
  EXPECT_EQ(m.error->code, 103u);
  EXPECT_EQ(m.error->message, "permission denied");
  EXPECT_FALSE(m.error->temporary);
}

// --- pushes and pings ------------------------------------------------------

TEST_P(CodecContractTest, PublicationPush) {
  const proto::Tag tags[] = {{"a", "b"}};
  std::string frame;
  server().publicationPush(frame, "chat:p", {.data = R"({"x":[1,2]})", .info = &kAlice, .offset = 42, .tags = tags});
  ServerMessage m = decodeOne(frame);
  EXPECT_EQ(m.kind, ServerMessage::Kind::Push);
  EXPECT_EQ(m.channel, "chat:p");
  EXPECT_EQ(m.key, "pub");
  Publication p;
  ASSERT_TRUE(codec().decodePublication(m.body, m.channel, p));
  EXPECT_EQ(p.channel, "chat:p");
  EXPECT_EQ(p.offset, 42u);
  EXPECT_EQ(p.data, R"({"x":[1,2]})");
  ASSERT_TRUE(p.info);
  EXPECT_EQ(p.info->client, "c-1");
  EXPECT_EQ(p.info->connInfo, R"({"n":1})");
  ASSERT_EQ(p.tags.size(), 1u);
  EXPECT_EQ(p.tags[0].second, "b");
}

TEST_P(CodecContractTest, JoinAndLeavePushes) {
  std::string frame;
  server().joinPush(frame, "chat:j", kAlice);
  server().leavePush(frame, "chat:j", {.user = "bob", .client = "c-2"});
  auto all = decodeAll(frame);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "join");
  EXPECT_EQ(all[1].key, "leave");
  EXPECT_EQ(all[1].channel, "chat:j");
  ClientInfo join, leave;
  ASSERT_TRUE(codec().decodeJoinLeave(all[0].body, join));
  ASSERT_TRUE(codec().decodeJoinLeave(all[1].body, leave));
  EXPECT_EQ(join.user, "alice");
  EXPECT_EQ(join.chanInfo, "[2]");
  EXPECT_EQ(leave.user, "bob");
  EXPECT_EQ(leave.client, "c-2");
}

TEST_P(CodecContractTest, UnsubscribeDisconnectAndMessagePushes) {
  std::string frame;
  server().unsubscribePush(frame, "chat:u", {.code = 2500, .reason = "insufficient state"});
  server().disconnectPush(frame, {.code = 3503, .reason = "go away", .reconnect = false});
  server().disconnectPush(frame, {.code = 4000, .reason = "come back", .reconnect = true});
  server().messagePush(frame, R"({"m":true})");
  auto all = decodeAll(frame);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].key, "unsubscribe");
  EXPECT_EQ(all[0].channel, "chat:u");
  UnsubscribePushData u;
  ASSERT_TRUE(codec().decodeUnsubscribePush(all[0].body, u));
  EXPECT_EQ(u.code, 2500u);
  EXPECT_EQ(u.reason, "insufficient state");
  EXPECT_EQ(all[1].key, "disconnect");
  DisconnectPushData d;
  ASSERT_TRUE(codec().decodeDisconnectPush(all[1].body, d));
  EXPECT_EQ(d.code, 3503u);
  EXPECT_EQ(d.reason, "go away");
  EXPECT_FALSE(d.reconnect);
  DisconnectPushData d2;
  ASSERT_TRUE(codec().decodeDisconnectPush(all[2].body, d2));
  EXPECT_EQ(d2.code, 4000u);
  EXPECT_TRUE(d2.reconnect);
  EXPECT_EQ(all[3].key, "message");
  std::string data;
  ASSERT_TRUE(codec().decodeMessageData(all[3].body, data));
  EXPECT_EQ(data, R"({"m":true})");
}

TEST_P(CodecContractTest, ServerPingAmongOtherMessagesOfAFrame) {
  std::string frame;
  server().serverPing(frame);
  server().publicationPush(frame, "chat:p", {.data = "1", .offset = 1});
  server().serverPing(frame);
  server().publishReply(frame, 2);
  auto all = decodeAll(frame);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].kind, ServerMessage::Kind::Ping);
  EXPECT_EQ(all[1].kind, ServerMessage::Kind::Push);
  EXPECT_EQ(all[2].kind, ServerMessage::Kind::Ping);
  EXPECT_EQ(all[3].kind, ServerMessage::Kind::Reply);
  EXPECT_EQ(all[3].id, 2u);
}

// --- commands ----------------------------------------------------------------

TEST_P(CodecContractTest, CommandsDecodeOnTheServerAsMeant) {
  std::string f;
  codec().encodeConnect(f, 1, "tok", "herald-test", "9.9");
  auto c = serverReads(f);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].id, 1u);
  const auto& connect = std::get<proto::ConnectCommand>(c[0].body);
  EXPECT_EQ(connect.token, "tok");
  EXPECT_EQ(connect.name, "herald-test");
  EXPECT_EQ(connect.version, "9.9");

  f.clear();
  codec().encodeSubscribe(f, 2,
                          {.channel = "chat:s", .token = "st", .recover = true, .epoch = "ep", .offset = 77,
                           .recoverable = true, .joinLeave = true});
  c = serverReads(f);
  ASSERT_EQ(c.size(), 1u);
  const auto& s = std::get<proto::SubscribeCommand>(c[0].body);
  EXPECT_EQ(s.channel, "chat:s");
  EXPECT_EQ(s.token, "st");
  EXPECT_TRUE(s.recover);
  EXPECT_EQ(s.epoch, "ep");
  EXPECT_EQ(s.offset, 77u);
  EXPECT_TRUE(s.recoverable);
  EXPECT_TRUE(s.joinLeave);

  f.clear();
  codec().encodeSubscribe(f, 3, {.channel = "chat:t"});
  c = serverReads(f);
  const auto& plain = std::get<proto::SubscribeCommand>(c.at(0).body);
  EXPECT_FALSE(plain.recover);
  EXPECT_FALSE(plain.recoverable);
  EXPECT_FALSE(plain.joinLeave);

  f.clear();
  codec().encodePublish(f, 4, "chat:p", R"({"a":[1,"b"]})");
  c = serverReads(f);
  EXPECT_EQ(c.at(0).id, 4u);
  EXPECT_EQ(std::get<proto::PublishCommand>(c.at(0).body).channel, "chat:p");
  EXPECT_EQ(std::get<proto::PublishCommand>(c.at(0).body).data, R"({"a":[1,"b"]})");

  f.clear();
  codec().encodeHistory(f, 5, "chat:h", {.limit = -1, .since = StreamPosition{12, "ep"}, .reverse = true});
  c = serverReads(f);
  const auto& h = std::get<proto::HistoryCommand>(c.at(0).body);
  EXPECT_EQ(h.channel, "chat:h");
  EXPECT_EQ(h.limit, -1);
  EXPECT_TRUE(h.hasSince);
  EXPECT_EQ(h.since.offset, 12u);
  EXPECT_EQ(h.since.epoch, "ep");
  EXPECT_TRUE(h.reverse);

  f.clear();
  codec().encodeHistory(f, 6, "chat:h", {});
  c = serverReads(f);
  EXPECT_FALSE(std::get<proto::HistoryCommand>(c.at(0).body).hasSince);
  EXPECT_EQ(std::get<proto::HistoryCommand>(c.at(0).body).limit, 0);

  f.clear();
  codec().encodePresence(f, 7, "chat:x");
  EXPECT_EQ(std::get<proto::PresenceCommand>(serverReads(f).at(0).body).channel, "chat:x");
  f.clear();
  codec().encodePresenceStats(f, 8, "chat:y");
  EXPECT_EQ(std::get<proto::PresenceStatsCommand>(serverReads(f).at(0).body).channel, "chat:y");
  f.clear();
  codec().encodeUnsubscribe(f, 9, "chat:z");
  EXPECT_EQ(std::get<proto::UnsubscribeCommand>(serverReads(f).at(0).body).channel, "chat:z");
  f.clear();
  codec().encodeRefresh(f, 10, "new-token");
  EXPECT_EQ(std::get<proto::RefreshCommand>(serverReads(f).at(0).body).token, "new-token");

  f.clear();
  codec().encodePong(f);
  c = serverReads(f);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<proto::PongCommand>(c[0].body));
}

TEST_P(CodecContractTest, FrameKindAndSubprotocol) {
  if (GetParam() == Protocol::Protobuf) {
    EXPECT_EQ(codec().opcode(), ws::Opcode::Binary);
    EXPECT_EQ(codec().subprotocol(), "centrifuge-protobuf");
    std::string pong;
    codec().encodePong(pong);
    EXPECT_EQ(pong, std::string(1, '\0')) << "the empty Command";
  } else {
    EXPECT_EQ(codec().opcode(), ws::Opcode::Text);
    EXPECT_EQ(codec().subprotocol(), "");
  }
}

TEST_P(CodecContractTest, DataEachFormatCanPublish) {
  EXPECT_FALSE(codec().dataProblem(R"({"a":1})"));
  EXPECT_FALSE(codec().dataProblem("\"text\""));
  EXPECT_TRUE(codec().dataProblem(""));
  if (GetParam() == Protocol::Protobuf) {
    EXPECT_FALSE(codec().dataProblem(std::string("\0\xff binary", 9)));
    EXPECT_FALSE(codec().dataProblem("{not json"));
  } else {
    EXPECT_TRUE(codec().dataProblem("{not json"));
  }
}

}  // namespace
}  // namespace herald::client::detail
