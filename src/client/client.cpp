// herald::client::Client: the public face of ClientCore. Every call is
// posted to the client's loop thread, where ClientCore does the work.
#include "herald/client/client.hpp"

#include <algorithm>
#include <cmath>

#include "client_core.hpp"
#include "codec.hpp"

namespace herald::client {

using detail::ClientCore;
using detail::ServerMessage;

std::chrono::milliseconds backoffDelay(unsigned attempt, std::chrono::milliseconds min, std::chrono::milliseconds max,
                                       double random01) {
  const double lo = static_cast<double>(std::max<std::int64_t>(min.count(), 0));
  const double hi = static_cast<double>(std::max<std::int64_t>(max.count(), 0));
  const double window = std::min(hi, lo * std::ldexp(1.0, static_cast<int>(std::min(attempt, 31u))));
  const double r = std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(hi, lo + r * window)));
}

namespace {

AppOptions ownAppOptions() {
  return {.threads = 1,
          .closeTimeout = std::chrono::seconds(2),
          .shutdownTimeout = std::chrono::seconds(2),
          .handleSignals = false};
}

// Builds the reply handler of a command whose result decodes into T.
template <class T, class Decode>
ClientCore::ReplyFn replyHandler(std::function<void(Result<T>)> done, Decode decode) {
  return [done = std::move(done), decode](const ServerMessage* reply, const Error* error) {
    Result<T> r;
    if (error) r.error = *error;
    else if (reply->error) r.error = *reply->error;
    else if (!decode(reply->body, r.value)) r.error = Error{error_code::BadReply, "unreadable reply", false};
    if (done) done(std::move(r));
  };
}

template <class T>
std::pair<std::function<void(Result<T>)>, std::future<Result<T>>> promised() {
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto f = p->get_future();
  return {[p](Result<T> r) { p->set_value(std::move(r)); }, std::move(f)};
}

}  // namespace

Client::Client(Options options) : ownApp_(std::make_unique<App>(ownAppOptions())) {
  core_ = std::make_shared<ClientCore>(*ownApp_, 0, std::move(options));
  core_->post([c = core_] { c->start(); });  // runs once the loop starts
  thread_ = std::thread([app = ownApp_.get()] { app->run(); });
}

Client::Client(App& app, Options options, unsigned loopIndex) {
  core_ = std::make_shared<ClientCore>(app, loopIndex, std::move(options));
  core_->post([c = core_] { c->start(); });
}

Client::~Client() {
  if (core_->app().currentLoop() == static_cast<int>(core_->loopIndex())) {
    core_->shutdown();
  } else {
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    core_->post([c = core_, done] {
      c->shutdown();
      done->set_value();
    });
    f.wait_for(std::chrono::seconds(10));
  }
  if (ownApp_) {
    ownApp_->stop();
    thread_.join();
  }
}

void Client::connect() {
  core_->post([c = core_] { c->connect(); });
}

void Client::disconnect() {
  core_->post([c = core_] { c->disconnect(); });
}

State Client::state() const { return core_->state(); }

std::shared_ptr<Subscription> Client::subscribe(std::string channel, SubscriptionHandlers handlers,
                                                SubscriptionOptions options) {
  auto sub = core_->addSubscription(std::move(channel), std::move(handlers), std::move(options));
  if (!sub) return nullptr;
  core_->post([c = core_, sub] { c->startSubscription(sub); });
  return std::make_shared<Subscription>(sub, core_);
}

namespace {

// Refuses data the format cannot carry (JSON: not one JSON value;
// Protobuf: empty) before it reaches the server, which would close the
// whole connection (3501 bad request) or refuse it (107) for it.
bool refuseBadData(const detail::Codec& codec, std::string_view data,
                   const std::function<void(Result<PublishResult>)>& done) {
  auto problem = codec.dataProblem(data);
  if (!problem) return false;
  if (done) done({Error{107, "bad request: " + *problem, false}, {}});
  return true;
}

}  // namespace

void Client::publish(std::string channel, std::string data, std::function<void(Result<PublishResult>)> done) {
  core_->post([c = core_, channel = std::move(channel), data = std::move(data), done = std::move(done)]() mutable {
    if (refuseBadData(c->codec(), data, done)) return;
    c->command([&](std::string& out, std::uint32_t id) { c->codec().encodePublish(out, id, channel, data); },
               replyHandler<PublishResult>(std::move(done), [](std::string_view, PublishResult&) { return true; }));
  });
}

void Client::presence(std::string channel, std::function<void(Result<PresenceResult>)> done) {
  core_->post([c = core_, channel = std::move(channel), done = std::move(done)]() mutable {
    const detail::Codec* codec = &c->codec();
    c->command([&](std::string& out, std::uint32_t id) { codec->encodePresence(out, id, channel); },
               replyHandler<PresenceResult>(std::move(done), [codec](std::string_view body, PresenceResult& r) {
                 return codec->decodePresenceResult(body, r);
               }));
  });
}

void Client::presenceStats(std::string channel, std::function<void(Result<PresenceStatsResult>)> done) {
  core_->post([c = core_, channel = std::move(channel), done = std::move(done)]() mutable {
    const detail::Codec* codec = &c->codec();
    c->command([&](std::string& out, std::uint32_t id) { codec->encodePresenceStats(out, id, channel); },
               replyHandler<PresenceStatsResult>(std::move(done),
                                                 [codec](std::string_view body, PresenceStatsResult& r) {
                                                   return codec->decodePresenceStatsResult(body, r);
                                                 }));
  });
}

void Client::history(std::string channel, HistoryOptions options, std::function<void(Result<HistoryResult>)> done) {
  core_->post([c = core_, channel = std::move(channel), options = std::move(options), done = std::move(done)]() mutable {
    const detail::Codec* codec = &c->codec();
    c->command([&](std::string& out, std::uint32_t id) { codec->encodeHistory(out, id, channel, options); },
               replyHandler<HistoryResult>(std::move(done), [codec, channel](std::string_view body, HistoryResult& r) {
                 return codec->decodeHistoryResult(body, channel, r);
               }));
  });
}

std::future<Result<PublishResult>> Client::publish(std::string channel, std::string data) {
  auto [fn, f] = promised<PublishResult>();
  publish(std::move(channel), std::move(data), std::move(fn));
  return std::move(f);
}

std::future<Result<PresenceResult>> Client::presence(std::string channel) {
  auto [fn, f] = promised<PresenceResult>();
  presence(std::move(channel), std::move(fn));
  return std::move(f);
}

std::future<Result<PresenceStatsResult>> Client::presenceStats(std::string channel) {
  auto [fn, f] = promised<PresenceStatsResult>();
  presenceStats(std::move(channel), std::move(fn));
  return std::move(f);
}

std::future<Result<HistoryResult>> Client::history(std::string channel, HistoryOptions options) {
  auto [fn, f] = promised<HistoryResult>();
  history(std::move(channel), std::move(options), std::move(fn));
  return std::move(f);
}

// --- Subscription --------------------------------------------------------------

Subscription::Subscription(std::shared_ptr<detail::SubState> state, std::weak_ptr<detail::ClientCore> core)
    : state_(std::move(state)), core_(std::move(core)) {}

Subscription::~Subscription() = default;

const std::string& Subscription::channel() const { return state_->channel; }

SubscriptionState Subscription::state() const { return state_->state.load(); }

std::optional<StreamPosition> Subscription::position() const {
  std::lock_guard lock(state_->positionMutex);
  return state_->position;
}

void Subscription::unsubscribe() {
  auto core = core_.lock();
  if (!core) return;
  core->post([core, s = state_] { core->unsubscribe(s); });
}

}  // namespace herald::client
