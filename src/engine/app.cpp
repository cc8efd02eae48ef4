#include "herald/engine/app.hpp"

#include <csignal>
#include <thread>

#include <sys/socket.h>

#include "app_state.hpp"
#include "client_phase.hpp"
#include "connection.hpp"
#include "herald/engine/url.hpp"
#include "herald/ws/client_handshake.hpp"
#include "herald/ws/handshake.hpp"
#include "herald/net/signal_watcher.hpp"
#include "herald/net/socket.hpp"

namespace herald {

namespace detail {

void publishFrame(AppState& app, std::string_view topic, const SharedPublication& frame, const Connection* exclude) {
  LoopContext* here = LoopContext::current();
  for (auto& ctx : app.loops) {
    if (ctx.get() == here) {
      ctx->deliver(topic, frame, exclude);
      continue;
    }
    ctx->loop().defer([c = ctx.get(), t = std::string(topic), frame] { c->deliver(t, frame, nullptr); });
  }
}

}  // namespace detail

App::App(AppOptions options) : state_(std::make_unique<detail::AppState>(options)) {
  unsigned n = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  state_->options.threads = n;
  // Block SIGINT/SIGTERM from here on (threads started later inherit the
  // mask), so one that arrives before run() waits for the signalfd instead
  // of killing the process.
  if (options.handleSignals) state_->previousSignalMask = net::SignalWatcher::block({SIGINT, SIGTERM});
  for (unsigned i = 0; i < n; ++i) state_->loops.push_back(std::make_unique<detail::LoopContext>(*state_, i));
  // A fixed process cost, paid here rather than by the first handshakes.
  ws::prepareHandshakeCrypto();
}

App::~App() {
  if (state_->previousSignalMask) net::SignalWatcher::restore(*state_->previousSignalMask);
}

App& App::ws(std::string path, WsBehavior behavior) {
  auto e = std::make_unique<detail::Endpoint>();
  e->path = std::move(path);
  e->handshake.subprotocols = behavior.subprotocols;
  e->handshake.allowOrigin = behavior.allowOrigin;
  if (behavior.compression) e->handshake.deflate = behavior.deflate;
  if (behavior.compression && behavior.deflate.serverNoContextTakeover) state_->sharedDeflate = true;
  e->behavior = std::move(behavior);
  state_->endpoints.push_back(std::move(e));
  return *this;
}

App& App::http(std::string path, HttpHandler handler, HttpRouteOptions options) {
  state_->routes.push_back({std::move(path), std::move(handler), options});
  return *this;
}

std::uint16_t App::listen(const std::string& host, std::uint16_t port) {
  // Every loop gets its own socket on the same port (SO_REUSEPORT); the
  // kernel spreads new connections between them.
  for (auto& ctx : state_->loops) {
    int fd = net::listenTcp(host, port, true);
    if (port == 0) port = net::localPort(fd);
    ctx->addListener(fd, nullptr);
  }
  return port;
}

std::uint16_t App::listenTls(const std::string& host, std::uint16_t port, const std::string& certFile,
                             const std::string& keyFile) {
  auto tls = net::TlsContext::server(certFile, keyFile);
  for (auto& ctx : state_->loops) {
    int fd = net::listenTcp(host, port, true);
    if (port == 0) port = net::localPort(fd);
    ctx->addListener(fd, tls);
  }
  return port;
}

void App::connect(const std::string& url, WsBehavior behavior, ClientOptions options) {
  detail::LoopContext* here = detail::LoopContext::current();
  detail::LoopContext* target = state_->loops[0].get();
  for (auto& ctx : state_->loops)
    if (ctx.get() == here) target = here;

  auto fail = [&](std::string why) {
    if (!options.onError) return;
    target->loop().defer([onError = std::move(options.onError), why = std::move(why)] { onError(why); });
  };
  std::string error;
  std::optional<WsUrl> parsed = parseWsUrl(url, error);
  if (!parsed) return fail("invalid URL '" + url + "': " + error);
  std::vector<sockaddr_storage> addresses;
  if (!net::resolve(parsed->host, parsed->port, addresses, error)) return fail(error);

  auto client = std::make_unique<detail::ClientPhase>();
  if (parsed->tls) {
    try {
      client->tls = state_->clientTls(options.caFile, options.verifyCertificate);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }
  if (!options.sourceAddress.empty()) {
    std::vector<sockaddr_storage> sources;
    if (!net::resolve(options.sourceAddress, 0, sources, error)) return fail("source address: " + error);
    client->source = sources.front();
  }
  client->host = parsed->host;
  client->key = ws::makeClientKey();
  client->subprotocols = options.subprotocols;
  if (options.compression) client->deflate = options.deflate;
  client->minCompressBytes = options.minCompressBytes;
  client->request = ws::buildUpgradeRequest({.host = parsed->hostHeader(),
                                             .target = parsed->target,
                                             .key = client->key,
                                             .subprotocols = options.subprotocols,
                                             .extensions = options.compression ? ws::deflateOffer(options.deflate) : "",
                                             .origin = options.origin,
                                             .extraHeaders = options.headers});
  client->onError = std::move(options.onError);
  client->timeoutMs = static_cast<std::int64_t>(options.timeout.count()) * 1000;
  client->endpoint = std::make_unique<detail::Endpoint>();
  client->endpoint->behavior = std::move(behavior);

  sockaddr_storage address = addresses.front();
  if (target == here) return target->connectClient(address, std::move(client));
  auto shared = std::make_shared<std::unique_ptr<detail::ClientPhase>>(std::move(client));
  target->loop().defer([target, address, shared] { target->connectClient(address, std::move(*shared)); });
}

void App::defer(std::function<void()> fn) { state_->loops[0]->loop().defer(std::move(fn)); }

void App::deferTo(unsigned index, std::function<void()> fn) {
  state_->loops.at(index)->loop().defer(std::move(fn));
}

int App::currentLoop() const {
  detail::LoopContext* here = detail::LoopContext::current();
  if (!here || &here->app() != state_.get()) return -1;
  return static_cast<int>(here->index());
}

net::Loop& App::loop(unsigned index) { return state_->loops.at(index)->loop(); }

void App::run() {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < state_->loops.size(); ++i) {
    threads.emplace_back([ctx = state_->loops[i].get()] {
      ctx->bindToThisThread();
      ctx->loop().run();
    });
  }
  {
    detail::LoopContext& first = *state_->loops[0];
    std::optional<net::SignalWatcher> signals;
    if (state_->options.handleSignals) signals.emplace(first.loop(), std::initializer_list<int>{SIGINT, SIGTERM}, [this](int) { stop(); });
    first.bindToThisThread();
    first.loop().run();
  }
  for (auto& t : threads) t.join();
}

void App::stop() {
  for (auto& ctx : state_->loops) ctx->loop().defer([c = ctx.get()] { c->beginShutdown(); });
}

void App::publish(std::string_view topic, std::string_view payload, ws::Opcode opcode) {
  detail::publishFrame(*state_, topic, detail::makePublication(*state_, opcode, payload), nullptr);
}

void App::forEachSubscriber(std::string_view topic, std::function<void(WebSocket&)> fn) {
  auto visit = [](detail::LoopContext& ctx, std::string_view t, const std::function<void(WebSocket&)>& f) {
    // Closed connections stay allocated until the loop iteration ends.
    for (detail::Connection* c : ctx.subscribersOf(t)) f(*c);
  };
  detail::LoopContext* here = detail::LoopContext::current();
  for (auto& ctx : state_->loops) {
    if (ctx.get() == here) {
      visit(*ctx, topic, fn);
      continue;
    }
    ctx->loop().defer([c = ctx.get(), t = std::string(topic), fn, visit] { visit(*c, t, fn); });
  }
}

unsigned App::threads() const { return state_->options.threads; }

std::vector<std::pair<std::string_view, std::uint64_t>> App::refusals() const {
  std::vector<std::pair<std::string_view, std::uint64_t>> out;
  for (std::size_t i = 0; i < detail::kRefusalReasons; ++i) {
    std::uint64_t n = 0;
    for (const auto& ctx : state_->loops) n += ctx->counters.refusals[i].load(std::memory_order_relaxed);
    if (static_cast<detail::RefusalReason>(i) == detail::RefusalReason::Overloaded503)
      for (const auto& ctx : state_->loops) n += ctx->acceptorRefusals();
    out.emplace_back(detail::kRefusalNames[i], n);
  }
  return out;
}

App::Counters App::counters() const {
  Counters c;
  for (const auto& ctx : state_->loops) {
    c.messagesIn += ctx->counters.messagesIn.load(std::memory_order_relaxed);
    c.bytesIn += ctx->counters.bytesIn.load(std::memory_order_relaxed);
    c.messagesOut += ctx->counters.messagesOut.load(std::memory_order_relaxed);
    c.bytesOut += ctx->counters.bytesOut.load(std::memory_order_relaxed);
  }
  return c;
}

std::size_t App::connectionCount() const { return state_->connections.load(std::memory_order_relaxed); }

}  // namespace herald
