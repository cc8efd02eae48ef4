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

}  // namespace
}  // namespace herald
