#include "demo.hpp"

#include <chrono>

#include <fmt/format.h>
#include <simdjson.h>

#include "herald/auth/claims.hpp"
#include "herald/auth/token_signer.hpp"
#include "herald/proto/json_writer.hpp"

namespace herald::server {

namespace {

std::int64_t wallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

constexpr const char* kTickers[] = {"HRLD", "WSKT", "CPPX"};

}  // namespace

DemoFeed::DemoFeed(App& app, broker::Broker& broker, std::function<Metrics::Snapshot()> snapshot,
                   const Metrics& metrics)
    : app_(app), broker_(broker), snapshot_(std::move(snapshot)), metrics_(metrics) {}

void DemoFeed::start() {
  app_.deferTo(0, [this] {
    app_.loop(0).addTimer(std::chrono::milliseconds(100), [this] { publishPrices(); });
    app_.loop(0).addTimer(std::chrono::seconds(1), [this] { publishStats(); });
  });
}

void DemoFeed::publishPrices() {
  // A random walk per ticker, a few basis points a tick.
  std::normal_distribution<double> step(0.0, 0.0015);
  std::string data = fmt::format("{{\"t\":{},\"prices\":{{", wallMs());
  for (int i = 0; i < 3; ++i) {
    prices_[i] *= 1.0 + step(rng_);
    data += fmt::format("{}\"{}\":{:.2f}", i ? "," : "", kTickers[i], prices_[i]);
  }
  data += "}}";
  broker_.publish({"demo:prices", std::move(data), std::nullopt, {}}, 0, [](broker::PublishOutcome) {});
}

void DemoFeed::publishStats() {
  Metrics::Snapshot now = snapshot_();
  std::int64_t t = wallMs();
  double secs = lastMs_ ? static_cast<double>(t - lastMs_) / 1000.0 : 0;
  auto rate = [&](std::uint64_t a, std::uint64_t b) { return secs > 0 ? static_cast<double>(a - b) / secs : 0.0; };
  std::string data = fmt::format(
      "{{\"t\":{},\"connections\":{},\"clients\":{},\"subscriptions\":{},\"channels\":{},"
      "\"messages_in_per_second\":{:.1f},\"messages_out_per_second\":{:.1f},\"publications_per_second\":{:.1f}}}",
      t, now.connections, metrics_.sessions.load(std::memory_order_relaxed),
      metrics_.subscriptions.load(std::memory_order_relaxed), now.channels, rate(now.messagesIn, last_.messagesIn),
      rate(now.messagesOut, last_.messagesOut), rate(now.fanoutPublications, last_.fanoutPublications));
  last_ = now;
  lastMs_ = t;
  broker_.publish({"demo:stats", std::move(data), std::nullopt, {}}, 0, [](broker::PublishOutcome) {});
}

HttpHandler demoTokenRoute(const ServerConfig& config) {
  std::string secret = config.tokenHmacSecret;
  return [secret](const HttpRequest& request, HttpResponder responder) {
    auto refuse = [&](http::Status status, std::string_view why) {
      std::string body = "{\"error\":";
      proto::appendJsonString(body, why);
      body += "}";
      responder.respond(status, body, "application/json");
    };
    if (request.method() != "POST") return refuse(http::Status::MethodNotAllowed, "POST {\"name\":\"...\"}");
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string_view name;
    if (parser.parse(request.body.data(), request.body.size()).get(root) || root["name"].get(name))
      return refuse(http::Status::BadRequest, "send {\"name\":\"your nickname\"}");
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    std::size_t chars = 0;
    for (unsigned char c : name) {
      if (c < 0x20 || c == 0x7f) return refuse(http::Status::BadRequest, "a nickname cannot hold control characters");
      if ((c & 0xc0) != 0x80) ++chars;
    }
    if (chars == 0 || chars > 32) return refuse(http::Status::BadRequest, "a nickname has 1 to 32 characters");

    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string user = fmt::format("u-{:012x}", rng() & 0xffffffffffffull);
    std::int64_t now = wallMs() / 1000;
    auth::ClaimsSpec claims;
    claims.sub = user;
    claims.iat = now;
    claims.exp = now + 24 * 3600;
    std::string info = "{\"name\":";
    proto::appendJsonString(info, name);
    info += "}";
    claims.info = info;
    std::string token = auth::signToken(auth::Algorithm::HS256, auth::buildClaimsJson(claims), secret);
    std::string body = "{\"token\":";
    proto::appendJsonString(body, token);
    body += ",\"user\":";
    proto::appendJsonString(body, user);
    body += ",\"name\":";
    proto::appendJsonString(body, name);
    body += "}";
    responder.respond(http::Status::Ok, body, "application/json", "Cache-Control: no-store\r\n");
  };
}

}  // namespace herald::server
