#pragma once
// What the tests of herald::client against the real `herald serve` share: the
// server's configuration, a Recorder of everything a client reports, and a
// fixture that starts a server per test.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "herald/auth/base64.hpp"
#include "herald/client/client.hpp"
#include "herald/client/http_api.hpp"
#include "herald_process.hpp"

namespace herald::client {

using namespace std::chrono_literals;
using test::HeraldProcess;

inline constexpr const char* kApiKey = "test-api-key";

inline const std::string kConfig = R"(
[client]
allow_anonymous = true
token_hmac_secret = "test-secret"
ping_interval = "2s"
pong_timeout = "1s"
[api]
key = "test-api-key"
[[namespace]]
name = "chat"
presence = true
join_leave = true
history_size = 1000
history_ttl = "1h"
durable = true
allow_subscribe_for_anonymous = true
allow_publish_for_anonymous = true
allow_history_for_subscriber = true
allow_presence_for_subscriber = true
allow_history_for_client = true
allow_presence_for_client = true
[[namespace]]
name = "closed"
)";

// Everything a client and its subscription report, for the test thread.
struct Recorder {
  std::mutex m;
  std::condition_variable cv;
  std::vector<Publication> pubs;
  std::vector<GapInfo> gaps;
  std::vector<Error> errors;
  std::vector<ClientInfo> joins;
  std::vector<DisconnectEvent> connecting;
  std::vector<DisconnectEvent> disconnected;
  std::vector<UnsubscribedContext> unsubscribed;
  std::vector<SubscribedContext> subscribed;
  int connected = 0;
  std::string clientId;

  template <class Pred>
  bool waitFor(Pred pred, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, timeout, [&] { return pred(); });
  }
  template <class Fn>
  void record(Fn fn) {
    {
      std::lock_guard lock(m);
      fn();
    }
    cv.notify_all();
  }

  Options options(const std::string& url) {
    Options o{.url = url};
    o.onConnected = [this](const ConnectedEvent& e) {
      record([&] {
        ++connected;
        clientId = e.client;
      });
    };
    o.onConnecting = [this](const DisconnectEvent& e) { record([&] { connecting.push_back(e); }); };
    o.onDisconnected = [this](const DisconnectEvent& e) { record([&] { disconnected.push_back(e); }); };
    o.onError = [this](const Error& e) { record([&] { errors.push_back(e); }); };
    return o;
  }
  SubscriptionHandlers handlers() {
    SubscriptionHandlers h;
    h.onPublication = [this](const Publication& p) { record([&] { pubs.push_back(p); }); };
    h.onGap = [this](const GapInfo& g) { record([&] { gaps.push_back(g); }); };
    h.onJoin = [this](const ClientInfo& i) { record([&] { joins.push_back(i); }); };
    h.onSubscribed = [this](const SubscribedContext& s) { record([&] { subscribed.push_back(s); }); };
    h.onUnsubscribed = [this](const UnsubscribedContext& u) { record([&] { unsubscribed.push_back(u); }); };
    return h;
  }
  std::size_t pubCount() {
    std::lock_guard lock(m);
    return pubs.size();
  }
  // What the client went through, for failure messages: each reconnect's
  // code and reason, and each error (says whether the client or the server
  // gave up on the connection).
  std::string history() {
    std::string out;
    for (const DisconnectEvent& e : connecting)
      out += "connecting " + std::to_string(e.code) + " \"" + e.reason + "\"; ";
    for (const Error& e : errors) out += "error " + std::to_string(e.code) + " \"" + e.message + "\"; ";
    return out;
  }
  std::size_t connectFailures() {
    std::lock_guard lock(m);
    return static_cast<std::size_t>(std::count_if(errors.begin(), errors.end(), [](const Error& e) {
      return e.code == error_code::ConnectFailed;
    }));
  }
};

class HeraldServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HeraldProcess>(kConfig);
    server_->start();
  }

  ApiClient api() { return ApiClient(server_->apiUrl(), kApiKey); }

  StreamPosition apiPublish(const std::string& channel, const std::string& data) {
    auto r = api().publish(channel, data);
    EXPECT_TRUE(r.ok()) << (r.error ? r.error->message : "");
    return r.value;
  }
  // Publishes any bytes through the HTTP API's b64data.
  StreamPosition apiPublishBytes(const std::string& channel, const std::string& bytes) {
    std::string body = R"({"channel":")" + channel + R"(","b64data":")" + auth::base64Encode(bytes) + "\"}";
    auto r = api().call("publish", body);
    EXPECT_TRUE(r.ok()) << (r.error ? r.error->message : "");
    return {};
  }

  std::unique_ptr<HeraldProcess> server_;
};


inline std::string protocolName(const ::testing::TestParamInfo<Protocol>& info) {
  return info.param == Protocol::Protobuf ? "Protobuf" : "Json";
}
// How GoogleTest shows a Protocol parameter.
inline void PrintTo(Protocol p, std::ostream* os) { *os << (p == Protocol::Protobuf ? "Protobuf" : "Json"); }

}  // namespace herald::client
