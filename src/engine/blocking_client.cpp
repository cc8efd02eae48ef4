#include "herald/engine/blocking_client.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace herald {

// State shared between the caller's thread and the loop thread. Everything
// the loop touches goes through `mutex`; the WebSocket pointer is used only
// on the loop thread, inside deferred functions.
struct BlockingClient::Shared {
  App app{{.threads = 1,
           .closeTimeout = std::chrono::seconds(2),
           .shutdownTimeout = std::chrono::seconds(2),
           .handleSignals = false}};
  std::thread thread;

  std::mutex mutex;
  std::condition_variable changed;
  WebSocket* ws = nullptr;  // loop thread only
  bool opened = false;
  bool closed = false;
  std::optional<std::string> error;
  std::string subprotocol;
  CloseStatus closeStatus;
  std::deque<Message> messages;
  std::deque<std::string> pongs;

  template <class Pred>
  bool waitFor(std::chrono::milliseconds timeout, Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, pred);
  }
};

BlockingClient::BlockingClient() : shared_(std::make_shared<Shared>()) {
  shared_->thread = std::thread([s = shared_.get()] { s->app.run(); });
}

BlockingClient::~BlockingClient() {
  shared_->app.stop();
  shared_->thread.join();
}

void BlockingClient::connect(const std::string& url, ClientOptions options, WsBehavior limits,
                             std::chrono::milliseconds timeout) {
  Shared* s = shared_.get();
  limits.open = [s](WebSocket& ws) {
    std::lock_guard lock(s->mutex);
    s->ws = &ws;
    s->opened = true;
    s->subprotocol = std::string(ws.subprotocol());
    s->changed.notify_all();
  };
  limits.message = [s](WebSocket&, std::string_view payload, ws::Opcode opcode) {
    std::lock_guard lock(s->mutex);
    s->messages.push_back({std::string(payload), opcode});
    s->changed.notify_all();
  };
  limits.pong = [s](WebSocket&, std::string_view payload) {
    std::lock_guard lock(s->mutex);
    s->pongs.emplace_back(payload);
    s->changed.notify_all();
  };
  limits.close = [s](WebSocket&, std::uint16_t code, std::string_view reason) {
    std::lock_guard lock(s->mutex);
    s->ws = nullptr;
    s->closed = true;
    s->closeStatus = {code, std::string(reason)};
    s->changed.notify_all();
  };
  options.onError = [s](std::string_view error) {
    std::lock_guard lock(s->mutex);
    s->error = std::string(error);
    s->changed.notify_all();
  };
  options.timeout = std::chrono::duration_cast<std::chrono::seconds>(timeout) + std::chrono::seconds(1);
  s->app.connect(url, std::move(limits), std::move(options));
  if (!s->waitFor(timeout, [s] { return s->opened || s->error; }))
    throw std::runtime_error("timed out connecting to " + url);
  std::lock_guard lock(s->mutex);
  if (s->error) throw std::runtime_error(*s->error);
}

bool BlockingClient::send(std::string_view payload, ws::Opcode opcode) {
  if (!isOpen()) return false;
  Shared* s = shared_.get();
  s->app.defer([s, data = std::string(payload), opcode] {
    if (s->ws) s->ws->send(data, opcode);  // loop thread: ws is current here
  });
  return true;
}

bool BlockingClient::ping(std::string_view payload) {
  if (!isOpen()) return false;
  Shared* s = shared_.get();
  s->app.defer([s, data = std::string(payload)] {
    if (s->ws) s->ws->ping(data);
  });
  return true;
}

std::optional<BlockingClient::Message> BlockingClient::receive(std::chrono::milliseconds timeout) {
  Shared* s = shared_.get();
  std::unique_lock lock(s->mutex);
  if (!s->changed.wait_for(lock, timeout, [s] { return !s->messages.empty() || s->closed; })) return std::nullopt;
  if (s->messages.empty()) return std::nullopt;
  Message m = std::move(s->messages.front());
  s->messages.pop_front();
  return m;
}

std::optional<std::string> BlockingClient::receivePong(std::chrono::milliseconds timeout) {
  Shared* s = shared_.get();
  std::unique_lock lock(s->mutex);
  if (!s->changed.wait_for(lock, timeout, [s] { return !s->pongs.empty() || s->closed; })) return std::nullopt;
  if (s->pongs.empty()) return std::nullopt;
  std::string p = std::move(s->pongs.front());
  s->pongs.pop_front();
  return p;
}

BlockingClient::CloseStatus BlockingClient::close(std::uint16_t code, std::string_view reason,
                                                  std::chrono::milliseconds timeout) {
  Shared* s = shared_.get();
  s->app.defer([s, code, r = std::string(reason)] {
    if (s->ws) s->ws->close(code, r);
  });
  return waitClosed(timeout).value_or(CloseStatus{});
}

std::optional<BlockingClient::CloseStatus> BlockingClient::waitClosed(std::chrono::milliseconds timeout) {
  Shared* s = shared_.get();
  if (!s->waitFor(timeout, [s] { return s->closed; })) return std::nullopt;
  std::lock_guard lock(s->mutex);
  return s->closeStatus;
}

bool BlockingClient::isOpen() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->opened && !shared_->closed;
}

std::string BlockingClient::subprotocol() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->subprotocol;
}

}  // namespace herald
