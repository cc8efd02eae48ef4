// Replies and pushes, compared byte for byte with the JSON a Centrifugo
// server writes for the same values (keys in client.proto order, zero values
// left out), and parsed back with simdjson.

#include "herald/proto/reply_encoder.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "herald/proto/json_writer.hpp"

namespace herald::proto {
namespace {

template <typename F>
std::string encoded(F&& encode) {
  std::string out;
  encode(out);
  return out;
}

const ClientInfo kAlice{"alice", "c1", R"({"name":"Alice"})", ""};
const ClientInfo kBob{"bob", "c2", "", R"({"role":"mod"})"};

TEST(ReplyEncoderTest, ErrorReply) {
  EXPECT_EQ(encoded([](std::string& o) { encodeErrorReply(o, 3, ErrorCode::PermissionDenied); }),
            R"({"id":3,"error":{"code":103,"message":"permission denied"}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeErrorReply(o, 4, ErrorCode::TooManyRequests); }),
            R"({"id":4,"error":{"code":111,"message":"too many requests","temporary":true}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeErrorReply(o, 5, ReplyError{1000, "custom \"x\"", false}); }),
            R"({"id":5,"error":{"code":1000,"message":"custom \"x\""}})");
}

TEST(ReplyEncoderTest, ConnectReply) {
  const Publication pubs[] = {{R"({"n":1})", nullptr, 5, {}}};
  const ChannelSubscribeResult subs[] = {
      {"news", SubscribeResult{.recoverable = true, .epoch = "e", .publications = pubs, .recovered = true,
                               .offset = 5, .wasRecovering = true}},
      {"feed", SubscribeResult{}}};
  const ConnectResult r{.client = "c-1", .version = "0.1.0", .expires = true, .ttl = 60,
                        .data = R"({"hello":true})", .subs = subs, .ping = 25, .pong = true,
                        .session = "s", .node = "n1"};
  EXPECT_EQ(encoded([&](std::string& o) { encodeConnectReply(o, 1, r); }),
            R"({"id":1,"connect":{"client":"c-1","version":"0.1.0","expires":true,"ttl":60,)"
            R"("data":{"hello":true},"subs":{"news":{"recoverable":true,"epoch":"e",)"
            R"("publications":[{"data":{"n":1},"offset":5}],"recovered":true,"offset":5,"was_recovering":true},)"
            R"("feed":{}},"ping":25,"pong":true,"session":"s","node":"n1"}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeConnectReply(o, 1, ConnectResult{.client = "c"}); }),
            R"({"id":1,"connect":{"client":"c"}})");
}

TEST(ReplyEncoderTest, SubscribeReply) {
  const Tag tags[] = {{"k", "v"}, {"q\"", "\n"}};
  const Publication pubs[] = {{R"("a")", &kAlice, 7, tags}, {R"("b")", nullptr, 8, {}}};
  const SubscribeResult r{.expires = true, .ttl = 30, .recoverable = true, .epoch = "ep",
                          .publications = pubs, .recovered = true, .offset = 8, .positioned = true,
                          .data = "[1]", .wasRecovering = true};
  EXPECT_EQ(encoded([&](std::string& o) { encodeSubscribeReply(o, 2, r); }),
            R"({"id":2,"subscribe":{"expires":true,"ttl":30,"recoverable":true,"epoch":"ep","publications":[)"
            R"({"data":"a","info":{"user":"alice","client":"c1","conn_info":{"name":"Alice"}},"offset":7,)"
            R"("tags":{"k":"v","q\"":"\n"}},{"data":"b","offset":8}],"recovered":true,"offset":8,)"
            R"("positioned":true,"data":[1],"was_recovering":true}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeSubscribeReply(o, 2, {}); }), R"({"id":2,"subscribe":{}})");
}

TEST(ReplyEncoderTest, EmptyResults) {
  EXPECT_EQ(encoded([](std::string& o) { encodeUnsubscribeReply(o, 4); }), R"({"id":4,"unsubscribe":{}})");
  EXPECT_EQ(encoded([](std::string& o) { encodePublishReply(o, 5); }), R"({"id":5,"publish":{}})");
  EXPECT_EQ(encoded([](std::string& o) { encodePingReply(o, 6); }), R"({"id":6,"ping":{}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeRpcReply(o, 7, ""); }), R"({"id":7,"rpc":{}})");
}

TEST(ReplyEncoderTest, PresenceReplies) {
  const ClientInfo clients[] = {kAlice, kBob};
  EXPECT_EQ(encoded([&](std::string& o) { encodePresenceReply(o, 8, clients); }),
            R"({"id":8,"presence":{"presence":{"c1":{"user":"alice","client":"c1","conn_info":{"name":"Alice"}},)"
            R"("c2":{"user":"bob","client":"c2","chan_info":{"role":"mod"}}}}})");
  EXPECT_EQ(encoded([](std::string& o) { encodePresenceReply(o, 8, {}); }),
            R"({"id":8,"presence":{"presence":{}}})");
  EXPECT_EQ(encoded([](std::string& o) { encodePresenceStatsReply(o, 9, {}); }),
            R"({"id":9,"presence_stats":{"num_clients":0,"num_users":0}})");
  EXPECT_EQ(encoded([](std::string& o) { encodePresenceStatsReply(o, 9, {3, 2}); }),
            R"({"id":9,"presence_stats":{"num_clients":3,"num_users":2}})");
}

TEST(ReplyEncoderTest, HistoryReply) {
  const Publication pubs[] = {{"1", nullptr, 1, {}}, {"2", nullptr, 2, {}}};
  EXPECT_EQ(encoded([&](std::string& o) { encodeHistoryReply(o, 10, {pubs, "ep", 2}); }),
            R"({"id":10,"history":{"publications":[{"data":1,"offset":1},{"data":2,"offset":2}],)"
            R"("epoch":"ep","offset":2}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeHistoryReply(o, 10, {}); }),
            R"({"id":10,"history":{"publications":[],"epoch":"","offset":0}})");
}

TEST(ReplyEncoderTest, RpcRefreshSubRefreshReplies) {
  EXPECT_EQ(encoded([](std::string& o) { encodeRpcReply(o, 11, R"({"ok":1})"); }),
            R"({"id":11,"rpc":{"data":{"ok":1}}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeRefreshReply(o, 12, {"c", "1.0", true, 90}); }),
            R"({"id":12,"refresh":{"client":"c","version":"1.0","expires":true,"ttl":90}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeRefreshReply(o, 12, {}); }), R"({"id":12,"refresh":{}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeSubRefreshReply(o, 13, {true, 10}); }),
            R"({"id":13,"sub_refresh":{"expires":true,"ttl":10}})");
}

TEST(ReplyEncoderTest, PublicationPush) {
  const Tag tags[] = {{"kind", "chat"}};
  EXPECT_EQ(encoded([&](std::string& o) { encodePublicationPush(o, "chat", {R"({"t":"hi"})", &kBob, 42, tags}); }),
            R"({"push":{"channel":"chat","pub":{"data":{"t":"hi"},"info":{"user":"bob","client":"c2",)"
            R"("chan_info":{"role":"mod"}},"offset":42,"tags":{"kind":"chat"}}}})");
  EXPECT_EQ(encoded([](std::string& o) { encodePublicationPush(o, "c", {"1", nullptr, 0, {}}); }),
            R"({"push":{"channel":"c","pub":{"data":1}}})");
  EXPECT_EQ(encoded([](std::string& o) { encodePublication(o, {"1", nullptr, 3, {}}); }),
            R"({"data":1,"offset":3})");
}

TEST(ReplyEncoderTest, JoinLeavePushes) {
  EXPECT_EQ(encoded([](std::string& o) { encodeJoinPush(o, "room", kAlice); }),
            R"({"push":{"channel":"room","join":{"info":{"user":"alice","client":"c1","conn_info":{"name":"Alice"}}}}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeLeavePush(o, "room", ClientInfo{}); }),
            R"({"push":{"channel":"room","leave":{"info":{"user":"","client":""}}}})");
}

TEST(ReplyEncoderTest, UnsubscribeAndSubscribePushes) {
  EXPECT_EQ(encoded([](std::string& o) { encodeUnsubscribePush(o, "c", {2500, "insufficient state"}); }),
            R"({"push":{"channel":"c","unsubscribe":{"code":2500,"reason":"insufficient state"}}})");
  EXPECT_EQ(encoded([](std::string& o) {
              encodeSubscribePush(o, "c", {.recoverable = true, .epoch = "e", .offset = 3, .positioned = true,
                                           .data = R"({"x":1})"});
            }),
            R"({"push":{"channel":"c","subscribe":{"recoverable":true,"epoch":"e","offset":3,"positioned":true,)"
            R"("data":{"x":1}}}})");
}

TEST(ReplyEncoderTest, ChannelLessPushes) {
  EXPECT_EQ(encoded([](std::string& o) { encodeMessagePush(o, R"("ping me")"); }),
            R"({"push":{"message":{"data":"ping me"}}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeConnectPush(o, {.client = "c", .version = "v", .expires = true,
                                                                   .ttl = 5, .data = "1"}); }),
            R"({"push":{"connect":{"client":"c","version":"v","data":1,"expires":true,"ttl":5}}})");
  const auto& shutdown = disconnectInfo(DisconnectCode::Shutdown);
  EXPECT_EQ(encoded([&](std::string& o) {
              encodeDisconnectPush(o, {static_cast<std::uint32_t>(shutdown.code), shutdown.reason, shutdown.reconnect});
            }),
            R"({"push":{"disconnect":{"code":3001,"reason":"shutdown","reconnect":true}}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeDisconnectPush(o, {3501, "bad request", false}); }),
            R"({"push":{"disconnect":{"code":3501,"reason":"bad request"}}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeRefreshPush(o, {true, 60}); }),
            R"({"push":{"refresh":{"expires":true,"ttl":60}}})");
  EXPECT_EQ(encoded([](std::string& o) { encodeServerPing(o); }), "{}");
}

TEST(ReplyEncoderTest, BatchesMessagesWithNewlines) {
  std::string frame = "prefix";  // FrameBuilder only separates what it adds
  FrameBuilder b(frame);
  encodePublishReply(b.next(), 1);
  encodeServerPing(b.next());
  encodeErrorReply(b.next(), 2, ErrorCode::BadRequest);
  EXPECT_EQ(frame, "prefix{\"id\":1,\"publish\":{}}\n{}\n{\"id\":2,\"error\":{\"code\":107,\"message\":\"bad request\"}}");
}

TEST(ReplyEncoderTest, RawDataWithNewlinesKeepsTheFrameOneMessagePerLine) {
  EXPECT_EQ(encoded([](std::string& o) { encodeMessagePush(o, "{\n  \"a\": \"x\\ny\"\n}"); }),
            "{\"push\":{\"message\":{\"data\":{  \"a\": \"x\\ny\"}}}}");
}

TEST(ReplyEncoderTest, AppendsWithoutReallocatingAReservedBuffer) {
  std::string out;
  out.reserve(4096);
  const char* storage = out.data();
  for (int i = 0; i < 20; ++i) {
    out.clear();
    encodePublicationPush(out, "chat:lobby", {R"({"text":"hello"})", &kAlice, static_cast<std::uint64_t>(i), {}});
  }
  EXPECT_EQ(out.data(), storage);
}

// Everything the encoder writes is JSON that simdjson reads back to the values.
TEST(ReplyEncoderTest, RoundTripsThroughSimdjson) {
  const Tag tags[] = {{"t\x01", "caf\xC3\xA9"}};
  const Publication pub{R"({"msg":"a\"b","n":[1,2.5,null]})", &kAlice, 18446744073709551615u, tags};
  std::string out;
  FrameBuilder b(out);
  encodePublicationPush(b.next(), "chan \"quoted\" \\ \t", pub);
  encodeErrorReply(b.next(), 77, ReplyError{106, "limit\x7f exceeded \xF0\x9F\x98\x80", true});
  encodeHistoryReply(b.next(), 78, {{&pub, 1}, "ep", 9});

  // Error-code API only: herald_proto builds simdjson without exceptions.
  auto str = [](simdjson::dom::element e, const char* pointer) {
    std::string_view v;
    return e.at_pointer(pointer).get(v) == simdjson::SUCCESS ? std::string(v) : std::string("<missing>");
  };
  auto num = [](simdjson::dom::element e, const char* pointer) {
    std::uint64_t v = 0;
    return e.at_pointer(pointer).get(v) == simdjson::SUCCESS ? v : 0;
  };
  simdjson::dom::parser parser;
  simdjson::dom::document_stream stream;
  ASSERT_EQ(parser.parse_many(out).get(stream), simdjson::SUCCESS);
  int n = 0;
  for (auto doc : stream) {
    simdjson::dom::element e;
    ASSERT_EQ(doc.get(e), simdjson::SUCCESS) << out;
    if (n == 0) {
      EXPECT_EQ(str(e, "/push/channel"), "chan \"quoted\" \\ \t");
      EXPECT_EQ(str(e, "/push/pub/data/msg"), "a\"b");
      EXPECT_EQ(num(e, "/push/pub/offset"), 18446744073709551615u);
      EXPECT_EQ(str(e, "/push/pub/tags/t\x01"), "caf\xC3\xA9");
      EXPECT_EQ(str(e, "/push/pub/info/user"), "alice");
    } else if (n == 1) {
      EXPECT_EQ(num(e, "/id"), 77u);
      EXPECT_EQ(str(e, "/error/message"), "limit\x7f exceeded \xF0\x9F\x98\x80");
      bool temporary = false;
      EXPECT_EQ(e.at_pointer("/error/temporary").get(temporary), simdjson::SUCCESS);
      EXPECT_TRUE(temporary);
    } else {
      EXPECT_EQ(str(e, "/history/epoch"), "ep");
      simdjson::dom::array pubs;
      ASSERT_EQ(e.at_pointer("/history/publications").get(pubs), simdjson::SUCCESS);
      EXPECT_EQ(pubs.size(), 1u);
    }
    ++n;
  }
  EXPECT_EQ(n, 3);
}

}  // namespace
}  // namespace herald::proto
