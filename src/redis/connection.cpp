#include "herald/redis/connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdexcept>
#include <vector>

#include "herald/net/socket.hpp"
#include "link.hpp"

namespace herald::redis {

namespace {

bool isNumericAddress(const std::string& host) {
  in6_addr v6;
  in_addr v4;
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

Options checked(Options options) {
  if (!isNumericAddress(options.host))
    throw std::invalid_argument("redis: host \"" + options.host +
                                "\" is not a numeric IP address (resolve it with resolveHost() at start-up)");
  return options;
}

}  // namespace

std::string_view stateName(State state) {
  switch (state) {
    case State::Idle:
      return "idle";
    case State::Connecting:
      return "connecting";
    case State::Connected:
      return "connected";
    case State::Disconnected:
      return "disconnected";
    case State::Stopped:
      return "stopped";
  }
  return "?";
}

std::optional<std::string> resolveHost(const std::string& host, std::string& error) {
  if (isNumericAddress(host)) return host;
  std::vector<sockaddr_storage> addresses;
  if (!net::resolve(host, 0, addresses, error) || addresses.empty()) {
    if (error.empty()) error = "no address for " + host;
    return std::nullopt;
  }
  char text[INET6_ADDRSTRLEN] = {};
  const sockaddr_storage& a = addresses.front();
  const void* raw = a.ss_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr)
                                            : static_cast<const void*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr);
  if (inet_ntop(a.ss_family, raw, text, sizeof text) == nullptr) {
    error = "cannot format the address of " + host;
    return std::nullopt;
  }
  return std::string(text);
}

// --- Connection ---

Connection::Connection(net::Loop& loop, Options options)
    : link_(std::make_shared<detail::Link>(loop, checked(std::move(options)), detail::Link::Mode::Commands)) {}

Connection::~Connection() { link_->shutdown(); }

void Connection::start() { link_->start(); }
void Connection::stop() { link_->stop("connection closed"); }

void Connection::command(std::initializer_list<std::string_view> args, ReplyCallback done) {
  link_->command(std::span<const std::string_view>(args.begin(), args.size()), std::move(done));
}

void Connection::command(std::span<const std::string> args, ReplyCallback done) {
  std::vector<std::string_view> views(args.begin(), args.end());
  link_->command(views, std::move(done));
}

State Connection::state() const { return link_->state(); }
const std::string& Connection::lastError() const { return link_->lastError(); }
std::size_t Connection::pending() const { return link_->pending(); }
const ConnectionStats& Connection::stats() const { return link_->stats(); }
void Connection::onStateChange(StateCallback fn) { link_->setOnState(std::move(fn)); }
void Connection::onReconnected(std::function<void()> fn) { link_->setOnReconnected(std::move(fn)); }

// --- Subscriber ---

Subscriber::Subscriber(net::Loop& loop, Options options)
    : link_(std::make_shared<detail::Link>(loop, checked(std::move(options)), detail::Link::Mode::PubSub)) {}

Subscriber::~Subscriber() { link_->shutdown(); }

void Subscriber::start() { link_->start(); }
void Subscriber::stop() { link_->stop("connection closed"); }

bool Subscriber::subscribe(std::string channel, MessageHandler onMessage, ReplyCallback onConfirmed) {
  return link_->subscribe(false, std::move(channel), std::move(onMessage), std::move(onConfirmed));
}
bool Subscriber::unsubscribe(std::string_view channel) { return link_->unsubscribe(false, channel); }
bool Subscriber::psubscribe(std::string pattern, MessageHandler onMessage, ReplyCallback onConfirmed) {
  return link_->subscribe(true, std::move(pattern), std::move(onMessage), std::move(onConfirmed));
}
bool Subscriber::punsubscribe(std::string_view pattern) { return link_->unsubscribe(true, pattern); }
bool Subscriber::isSubscribed(std::string_view channel) const { return link_->isSubscribed(false, channel); }
std::size_t Subscriber::confirmedCount() const { return link_->confirmedCount(); }

State Subscriber::state() const { return link_->state(); }
const std::string& Subscriber::lastError() const { return link_->lastError(); }
const ConnectionStats& Subscriber::stats() const { return link_->stats(); }
void Subscriber::onStateChange(StateCallback fn) { link_->setOnState(std::move(fn)); }
void Subscriber::onReconnected(std::function<void()> fn) { link_->setOnReconnected(std::move(fn)); }

}  // namespace herald::redis
