#include "herald/engine/app.hpp"

#include <csignal>
#include <thread>

#include "app_state.hpp"
#include "connection.hpp"
#include "herald/net/signal_watcher.hpp"
#include "herald/net/socket.hpp"

namespace herald {

namespace detail {

void publishFrame(AppState& app, std::string_view topic, const SharedFrame& frame, const Connection* exclude) {
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
  for (unsigned i = 0; i < n; ++i) state_->loops.push_back(std::make_unique<detail::LoopContext>(*state_, i));
}

App::~App() = default;

App& App::ws(std::string path, WsBehavior behavior) {
  auto e = std::make_unique<detail::Endpoint>();
  e->path = std::move(path);
  e->handshake.subprotocols = behavior.subprotocols;
  e->handshake.allowOrigin = behavior.allowOrigin;
  e->behavior = std::move(behavior);
  state_->endpoints.push_back(std::move(e));
  return *this;
}

std::uint16_t App::listen(const std::string& host, std::uint16_t port) {
  // Every loop gets its own socket on the same port (SO_REUSEPORT); the
  // kernel spreads new connections between them.
  for (auto& ctx : state_->loops) {
    int fd = net::listenTcp(host, port, true);
    if (port == 0) port = net::localPort(fd);
    ctx->addListener(fd);
  }
  return port;
}

void App::run() {
  std::optional<sigset_t> previous;
  if (state_->options.handleSignals) previous = net::SignalWatcher::block({SIGINT, SIGTERM});

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
    if (previous) signals.emplace(first.loop(), std::initializer_list<int>{SIGINT, SIGTERM}, [this](int) { stop(); });
    first.bindToThisThread();
    first.loop().run();
  }
  for (auto& t : threads) t.join();
  if (previous) net::SignalWatcher::restore(*previous);
}

void App::stop() {
  for (auto& ctx : state_->loops) ctx->loop().defer([c = ctx.get()] { c->beginShutdown(); });
}

void App::publish(std::string_view topic, std::string_view payload, ws::Opcode opcode) {
  detail::publishFrame(*state_, topic, detail::makeSharedFrame(opcode, payload), nullptr);
}

unsigned App::threads() const { return state_->options.threads; }

std::size_t App::connectionCount() const { return state_->connections.load(std::memory_order_relaxed); }

}  // namespace herald
