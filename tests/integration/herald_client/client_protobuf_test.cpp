// What only the Protobuf format of herald::client does: binary data byte for
// byte through the real `herald serve` (from another client and from the
// HTTP API's b64data), and against small servers of the engine itself, a
// server that does not select the subprotocol and one that sends hostile
// frames.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client_test_support.hpp"
#include "herald/engine/app.hpp"
#include "herald/proto/protobuf_decoder.hpp"
#include "herald/proto/protobuf_encoder.hpp"

namespace herald::client {
namespace {

// Every byte value, and not JSON.
std::string allBytes() {
  std::string b(256, '\0');
  for (int i = 0; i < 256; ++i) b[static_cast<std::size_t>(i)] = static_cast<char>(i);
  return b;
}

class ProtobufClientTest : public HeraldServerTest {
 protected:
  Options options(Recorder& r, Protocol p = Protocol::Protobuf) {
    Options o = r.options(server_->wsUrl());
    o.protocol = p;
    return o;
  }
};

TEST_F(ProtobufClientTest, BinaryDataTravelsByteForByte) {
  Recorder a, b;
  Client ca(options(a));
  Client cb(options(b));
  ca.subscribe("chat:bin", a.handlers());
  ca.connect();
  cb.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.subscribed.size() == 1; })) << server_->log();
  ASSERT_TRUE(b.waitFor([&] { return b.connected == 1; }));

  const std::string bytes = allBytes();
  auto r = cb.publish("chat:bin", bytes).get();
  ASSERT_TRUE(r.ok()) << r.error->message;
  apiPublishBytes("chat:bin", std::string("\0\xff", 2));
  auto j = cb.publish("chat:bin", R"({"json":"too"})").get();
  ASSERT_TRUE(j.ok()) << j.error->message;

  ASSERT_TRUE(a.waitFor([&] { return a.pubs.size() == 3; })) << a.history();
  {
    std::lock_guard lock(a.m);
    EXPECT_EQ(a.pubs[0].data, bytes);
    EXPECT_EQ(a.pubs[0].offset, 1u);
    ASSERT_TRUE(a.pubs[0].info);
    EXPECT_EQ(a.pubs[0].info->client, b.clientId);
    EXPECT_EQ(a.pubs[1].data, std::string("\0\xff", 2));
    EXPECT_FALSE(a.pubs[1].info);
    EXPECT_EQ(a.pubs[2].data, R"({"json":"too"})");
  }
  auto h = ca.history("chat:bin", {.limit = -1}).get();
  ASSERT_TRUE(h.ok()) << h.error->message;
  ASSERT_EQ(h.value.publications.size(), 3u);
  EXPECT_EQ(h.value.publications[0].data, bytes);
  EXPECT_EQ(h.value.publications[1].data, std::string("\0\xff", 2));
  EXPECT_EQ(h.value.offset, 3u);
}

// A JSON client cannot be given bytes: the server disconnects it (3506),
// and the client takes the code as final.
TEST_F(ProtobufClientTest, JsonClientOfABinaryChannelStopsWith3506) {
  Recorder a;
  Client c(options(a, Protocol::Json));
  c.subscribe("chat:mixed", a.handlers());
  c.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.subscribed.size() == 1; })) << server_->log();
  apiPublishBytes("chat:mixed", "\x01\x02\x03");
  ASSERT_TRUE(a.waitFor([&] { return a.disconnected.size() == 1; })) << a.history();
  std::lock_guard lock(a.m);
  EXPECT_EQ(a.disconnected[0].code, 3506u) << a.disconnected[0].reason;
  EXPECT_FALSE(a.disconnected[0].reconnect);
  EXPECT_EQ(c.state(), State::Disconnected);
}

// --- against servers of the engine ------------------------------------------------

// An App on 127.0.0.1:0 serving `behavior` at /connection/websocket, run on
// its own thread until the end of the test.
class EngineServer {
 public:
  explicit EngineServer(WsBehavior behavior) : app_(AppOptions{.threads = 1, .handleSignals = false}) {
    app_.ws("/connection/websocket", std::move(behavior));
    port_ = app_.listen("127.0.0.1", 0);
    thread_ = std::thread([this] { app_.run(); });
  }
  ~EngineServer() {
    app_.stop();
    thread_.join();
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/connection/websocket"; }

 private:
  App app_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST(ProtobufClientSubprotocolTest, StopsWhenTheServerDoesNotSelectIt) {
  std::atomic<int> messages{0};
  EngineServer server({.message = [&](WebSocket&, std::string_view, ws::Opcode) { ++messages; }});
  Recorder a;
  Options o = a.options(server.url());
  o.protocol = Protocol::Protobuf;
  Client c(o);
  c.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.disconnected.size() == 1; })) << a.history();
  std::this_thread::sleep_for(500ms);  // room for a retry that must not come
  std::lock_guard lock(a.m);
  EXPECT_EQ(a.disconnected[0].code, 3506u);
  EXPECT_NE(a.disconnected[0].reason.find("centrifuge-protobuf"), std::string::npos) << a.disconnected[0].reason;
  EXPECT_FALSE(a.disconnected[0].reconnect);
  EXPECT_EQ(a.connecting.size(), 1u) << "no retry: " << a.history();
  EXPECT_EQ(a.connected, 0);
  EXPECT_EQ(messages.load(), 0) << "no command was sent in a format the server would misread";
  EXPECT_EQ(c.state(), State::Disconnected);
}

TEST(ProtobufClientSubprotocolTest, JsonClientRefusesAServerThatChoseProtobuf) {
  EngineServer server({.subprotocols = {"centrifuge-protobuf"}});
  Recorder a;
  Options o = a.options(server.url());
  o.transport.subprotocols = {"centrifuge-protobuf"};  // JSON keeps what the caller offers
  Client c(o);
  c.connect();
  ASSERT_TRUE(a.waitFor([&] { return a.disconnected.size() == 1; })) << a.history();
  std::lock_guard lock(a.m);
  EXPECT_EQ(a.disconnected[0].code, 3506u);
  EXPECT_EQ(a.connected, 0);
}

// A server that answers connect properly and then sends frames no server
// should: each is reported (BadReply) and skipped, the messages around them
// still arrive, and the connection stays up.
TEST(ProtobufClientHostileServerTest, ReportsBadFramesAndGoesOn) {
  WsBehavior b;
  b.subprotocols = {"centrifuge-protobuf"};
  b.message = [](WebSocket& ws, std::string_view payload, ws::Opcode) {
    proto::ProtobufCommandDecoder decoder;
    std::vector<proto::Command> commands;
    if (decoder.decode(payload, commands).kind != proto::DecodeResult::Ok || commands.empty()) return;
    if (!std::holds_alternative<proto::ConnectCommand>(commands[0].body)) return;
    std::string reply;
    proto::pb::encodeConnectReply(reply, commands[0].id, {.client = "hostile", .version = "0", .pong = true});
    ws.sendBinary(reply);

    std::string ok1, ok2, damaged;
    proto::pb::encodeMessagePush(ok1, "first");
    proto::pb::encodeMessagePush(ok2, std::string("\0second", 7));
    ws.sendBinary("\xff\xff\xff");                       // a length that is not a varint
    ws.sendBinary(std::string("\x03\x0a\x01x", 4));      // an id of the wrong wire type
    proto::pb::encodeServerPing(damaged);
    damaged += ok1;                                      // two good messages ...
    damaged += "\x7f";                                   // ... then a length past the end
    ws.sendBinary(damaged);
    ws.sendBinary(std::string("\x02\x22\x00", 3));       // a push without a body
    ws.sendBinary(ok2);
  };
  EngineServer server(std::move(b));
  Recorder a;
  std::vector<std::string> messages;  // guarded by a.m
  Options o = a.options(server.url());
  o.protocol = Protocol::Protobuf;
  o.onMessage = [&](std::string_view data) { a.record([&] { messages.emplace_back(data); }); };
  Client c(o);
  c.connect();
  ASSERT_TRUE(a.waitFor([&] { return messages.size() == 2 && a.errors.size() >= 4; })) << a.history();
  std::this_thread::sleep_for(200ms);  // room for anything more to show up
  std::lock_guard lock(a.m);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], "first");
  EXPECT_EQ(messages[1], std::string("\0second", 7));
  EXPECT_EQ(a.errors.size(), 4u) << a.history();
  for (const Error& e : a.errors) EXPECT_EQ(e.code, error_code::BadReply) << e.message;
  EXPECT_EQ(a.connected, 1);
  EXPECT_EQ(a.connecting.size(), 1u) << a.history();
  EXPECT_EQ(c.state(), State::Connected);
}

}  // namespace
}  // namespace herald::client
