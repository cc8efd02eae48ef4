// Publish/subscribe across loop threads, over real sockets.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "raw_client.hpp"
#include "test_server.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using test::RawClient;
using test::TestServer;

void configureRoom(App& app) {
  app.ws("/", {.open = [](WebSocket& ws) { ws.subscribe("room"); },
               .message = [](WebSocket& ws, std::string_view m, ws::Opcode op) { ws.publish("room", m, op); }});
}

TEST(PubSubTest, PublishReachesEveryOtherSubscriberOnEveryLoop) {
  TestServer server({.threads = 2}, configureRoom);
  std::vector<std::unique_ptr<RawClient>> clients;
  // SO_REUSEPORT spreads these over both loops.
  for (int i = 0; i < 8; ++i) {
    clients.push_back(std::make_unique<RawClient>(server.port()));
    clients.back()->upgrade();
  }
  std::this_thread::sleep_for(100ms);  // every open callback has subscribed
  clients[0]->sendText("hello room");
  for (std::size_t i = 1; i < clients.size(); ++i) {
    auto f = clients[i]->readFrame(3s);
    ASSERT_TRUE(f) << "client " << i;
    EXPECT_EQ(f->payload, "hello room");
  }
  EXPECT_FALSE(clients[0]->readFrame(300ms)) << "the sender must not get its own message";
}

TEST(PubSubTest, MessagesFromOnePublisherArriveInOrder) {
  TestServer server({.threads = 2}, configureRoom);
  RawClient a(server.port()), b(server.port());
  a.upgrade();
  b.upgrade();
  std::this_thread::sleep_for(100ms);
  for (int i = 0; i < 500; ++i) a.sendText("m" + std::to_string(i));
  for (int i = 0; i < 500; ++i) {
    auto f = b.readFrame(3s);
    ASSERT_TRUE(f);
    ASSERT_EQ(f->payload, "m" + std::to_string(i));
  }
}

TEST(PubSubTest, AppPublishFromAForeignThreadReachesEveryone) {
  TestServer server({.threads = 2}, configureRoom);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<RawClient>(server.port()));
    clients.back()->upgrade();
  }
  std::this_thread::sleep_for(100ms);
  server.app().publish("room", std::string("\x00\x01binary", 8), ws::Opcode::Binary);
  for (auto& c : clients) {
    auto f = c->readFrame(3s);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x2);
    EXPECT_EQ(f->payload, std::string("\x00\x01binary", 8));
  }
}

// App::forEachSubscriber reaches the subscribers of a topic on every loop,
// and only them; the visitor may close them (herald serve closes the JSON
// subscribers of a channel whose data JSON cannot carry this way).
TEST(PubSubTest, ForEachSubscriberVisitsEverySubscriberOnEveryLoopAndNoOneElse) {
  TestServer server({.threads = 2}, [](App& app) {
    auto echo = [](WebSocket& ws, std::string_view m, ws::Opcode) { ws.sendText(m); };
    app.ws("/", {.open = [](WebSocket& ws) { ws.subscribe("room"); }, .message = echo});
    app.ws("/lobby", {.message = echo});
  });
  std::vector<std::unique_ptr<RawClient>> room;
  for (int i = 0; i < 6; ++i) {
    room.push_back(std::make_unique<RawClient>(server.port()));
    room.back()->upgrade();
    room.back()->sendText("opened?");  // answered after open() subscribed it
    auto f = room.back()->readFrame(3s);
    ASSERT_TRUE(f);
  }
  RawClient lobby(server.port());
  lobby.upgrade("/lobby");
  server.app().forEachSubscriber("room", [](WebSocket& ws) { ws.close(4001, "visited"); });
  for (auto& c : room) EXPECT_EQ(c->readCloseCode(3s), 4001);
  lobby.sendText("still open");
  auto f = lobby.readFrame(3s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, "still open");
}

TEST(PubSubTest, ClosedSubscribersLeaveTheirTopics) {
  TestServer server({.threads = 1}, configureRoom);
  RawClient a(server.port());
  a.upgrade();
  {
    RawClient gone(server.port());
    gone.upgrade();
  }
  std::this_thread::sleep_for(200ms);
  RawClient b(server.port());
  b.upgrade();
  std::this_thread::sleep_for(100ms);
  a.sendText("still here?");
  auto f = b.readFrame(3s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, "still here?");
}

TEST(PubSubTest, UnsubscribeStopsDelivery) {
  TestServer server({.threads = 1}, [](App& app) {
    app.ws("/", {.open = [](WebSocket& ws) { ws.subscribe("room"); },
                 .message = [](WebSocket& ws, std::string_view m, ws::Opcode op) {
                   if (m == "leave") ws.unsubscribe("room");
                   else ws.publish("room", m, op);
                 }});
  });
  RawClient a(server.port()), b(server.port());
  a.upgrade();
  b.upgrade();
  b.sendText("leave");
  std::this_thread::sleep_for(100ms);
  a.sendText("anyone?");
  EXPECT_FALSE(b.readFrame(300ms));
}

// A loop reads input between chunks of a long batch of writes (more than 32
// connections to flush), so a publication can arrive while the previous one
// is half written. Paced like `herald bench fanout --rate 0`: the publisher
// sends the next message as soon as the first subscriber has the previous
// one. Every subscriber must still get every message once and in order.
TEST(PubSubTest, PublicationsArrivingDuringALongFlushKeepTheirOrder) {
  TestServer server({.threads = 1}, configureRoom);
  constexpr int kSubscribers = 120;
  constexpr int kMessages = 200;
  RawClient publisher(server.port());
  publisher.upgrade();
  std::vector<std::unique_ptr<RawClient>> subs;
  for (int i = 0; i < kSubscribers; ++i) {
    subs.push_back(std::make_unique<RawClient>(server.port()));
    subs.back()->upgrade();
  }
  std::this_thread::sleep_for(200ms);
  for (int i = 0; i < kMessages; ++i) {
    publisher.sendText("m" + std::to_string(i));
    auto f = subs[0]->readFrame(3s);
    ASSERT_TRUE(f) << "message " << i;
    ASSERT_EQ(f->payload, "m" + std::to_string(i));
  }
  for (int s = 1; s < kSubscribers; ++s) {
    for (int i = 0; i < kMessages; ++i) {
      auto f = subs[s]->readFrame(3s);
      ASSERT_TRUE(f) << "subscriber " << s << ", message " << i;
      ASSERT_EQ(f->payload, "m" + std::to_string(i)) << "subscriber " << s;
    }
    EXPECT_FALSE(subs[s]->readFrame(0ms)) << "subscriber " << s << " got a duplicate";
  }
}

}  // namespace
}  // namespace herald
