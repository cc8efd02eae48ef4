#include "link.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "reply_conversion.hpp"

namespace herald::redis::detail {

namespace {

// Reads of up to 16 KiB (hiredis' buffer) per readable edge before yielding
// to the rest of the loop; the remainder is read on the next iteration.
constexpr int kMaxReads = 64;
// Channels per SUBSCRIBE command when re-subscribing many at once.
constexpr std::size_t kSubscribeBatch = 512;

}  // namespace

// The IoHandler registered with the loop for one hiredis context (one TCP
// connection), and the `ev.data` of that context.
struct Link::Events final : net::IoHandler {
  Events(Link* l, redisAsyncContext* c, int f) : link(l), ac(c), fd(f) {}
  void onIo(std::uint32_t io) override {
    if (!dead) link->onIo(*this, io);
  }

  Link* link;
  redisAsyncContext* ac;
  int fd;
  bool writing = false;      // hiredis has bytes to send
  bool dead = false;         // hiredis freed the context: ignore everything
  bool flushQueued = false;  // a deferred write is scheduled
  bool readQueued = false;   // a deferred read is scheduled
};

namespace {

using Events = Link::Events;
Events* eventsOf(const void* p) { return static_cast<Events*>(const_cast<void*>(p)); }

// Reading is always on (edge-triggered, see link.hpp), so these are no-ops.
void hookAddRead(void*) {}
void hookDelRead(void*) {}
void hookAddWrite(void* p) {
  Events* e = eventsOf(p);
  e->writing = true;
  if (!e->dead) e->link->scheduleFlush(*e);
}
void hookDelWrite(void* p) { eventsOf(p)->writing = false; }
void hookCleanup(void* p) {
  Events* e = eventsOf(p);
  if (!e->dead) e->link->onContextGone(*e);
}
void onConnectC(const redisAsyncContext* ac, int status) {
  Events* e = eventsOf(ac->data);
  if (!e->dead) e->link->onConnect(*e, status);
}
void onReplyC(redisAsyncContext*, void* reply, void* privdata) {
  Events* e = eventsOf(privdata);
  if (!e->dead) e->link->onReply(*e, static_cast<redisReply*>(reply));
}
void onPubSubC(redisAsyncContext*, void* reply, void* privdata) {
  Events* e = eventsOf(privdata);
  if (!e->dead) e->link->onPubSub(*e, static_cast<redisReply*>(reply));
}

std::string_view element(const redisReply* r, std::size_t i) {
  const redisReply* el = r->element[i];
  if (el == nullptr || (el->type != REDIS_REPLY_STRING && el->type != REDIS_REPLY_STATUS)) return {};
  return {el->str, el->len};
}

std::string resyncKey(bool pattern, std::string_view name) {
  std::string key = pattern ? "p:" : "c:";
  key += name;
  return key;
}

}  // namespace

Link::Link(net::Loop& loop, Options options, Mode mode)
    : loop_(loop), options_(std::move(options)), mode_(mode), random_(std::random_device{}()) {}

Link::~Link() {
  // shutdown() ran already (the fronts call it); this is a safety net.
  silent_ = true;
  state_ = State::Stopped;
  if (ac_ != nullptr) redisAsyncFree(ac_);
}

void Link::start() {
  if (state_ != State::Idle && state_ != State::Stopped) return;
  if (timer_ < 0) {
    timer_ = loop_.addTimer(options_.tick, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->tick();
    });
  }
  if (ac_ != nullptr) {
    // stop() inside a callback: hiredis frees the old context when the
    // callback returns; connect again at the next tick after that.
    state_ = State::Disconnected;
    reconnectAtMs_ = loop_.nowMs();
    return;
  }
  connectNow();
}

void Link::stop(std::string reason) {
  if (state_ == State::Stopped) return;
  state_ = State::Stopped;
  if (ac_ != nullptr) freeContext(std::move(reason));
}

void Link::shutdown() {
  silent_ = true;
  onState_ = nullptr;
  onReconnected_ = nullptr;
  stop("connection closed");
  if (timer_ >= 0) {
    // Not at once: an event of the timer may still be in the current epoll
    // batch (see retire()); the callback itself only holds a weak pointer.
    loop_.defer([&loop = loop_, id = timer_] { loop.defer([&loop, id] { loop.cancelTimer(id); }); });
    timer_ = -1;
  }
}

void Link::connectNow() {
  state_ = State::Connecting;
  connectDeadlineMs_ = loop_.nowMs() + options_.connectTimeout.count();
  std::string why;
  redisAsyncContext* ac = redisAsyncConnect(options_.host.c_str(), options_.port);
  if (ac == nullptr) {
    why = "out of memory";
  } else if (ac->err) {
    why = ac->errstr;
    redisAsyncFree(ac);
    ac = nullptr;
  }
  if (ac != nullptr) {
    redisEnableKeepAlive(&ac->c);
    auto events = std::make_shared<Events>(this, ac, ac->c.fd);
    ac->ev.addRead = hookAddRead;
    ac->ev.delRead = hookDelRead;
    ac->ev.addWrite = hookAddWrite;
    ac->ev.delWrite = hookDelWrite;
    ac->ev.cleanup = hookCleanup;
    ac->ev.data = events.get();
    ac->data = events.get();
    redisAsyncSetConnectCallback(ac, onConnectC);
    try {
      // The end of the connect is the first EPOLLOUT edge (onIo).
      loop_.add(ac->c.fd, events.get(), true);
      ac_ = ac;
      events_ = std::move(events);
      return;
    } catch (const std::system_error& error) {
      why = error.what();
      events->dead = true;
      redisAsyncFree(ac);
    }
  }
  state_ = State::Disconnected;
  lastError_ = why;
  scheduleReconnect();
  notifyState(State::Disconnected, why);
}

void Link::scheduleReconnect() {
  const std::int64_t base = std::max<std::int64_t>(1, options_.reconnectMin.count());
  const std::int64_t cap = std::max<std::int64_t>(base, options_.reconnectMax.count());
  std::int64_t delay = base << std::min(attempt_, 20u);
  delay = std::min(delay, cap);
  std::uniform_int_distribution<std::int64_t> jitter(delay / 2, delay);
  reconnectAtMs_ = loop_.nowMs() + jitter(random_);
  ++attempt_;
}

void Link::tick() {
  auto self = shared_from_this();
  const std::int64_t now = loop_.nowMs();
  if (ac_ != nullptr && state_ == State::Connecting && now >= connectDeadlineMs_) {
    freeContext("connect timed out");
  } else if (ac_ != nullptr && state_ == State::Connected && options_.commandTimeout.count() > 0 && !pending_.empty() &&
             now >= pending_.front().deadlineMs) {
    freeContext("command timed out");
  }
  if (state_ == State::Disconnected && ac_ == nullptr && now >= reconnectAtMs_) connectNow();
}

void Link::freeContext(std::string reason) {
  closeReason_ = std::move(reason);
  // Immediate, or (inside a hiredis callback) when the callback returns;
  // either way the cleanup hook (onContextGone) follows.
  redisAsyncFree(ac_);
}

std::string Link::lostReason() const {
  if (!closeReason_.empty()) return closeReason_;
  if (ac_ != nullptr && ac_->err && ac_->errstr != nullptr && ac_->errstr[0] != '\0')
    return std::string("connection lost: ") + ac_->errstr;
  return "connection lost";
}

void Link::onIo(Events& e, std::uint32_t io) {
  auto self = shared_from_this();
  redisAsyncContext* ac = e.ac;
  if (!(ac->c.flags & REDIS_CONNECTED)) {
    // The connect finished (or failed): hiredis checks SO_ERROR, calls
    // onConnect, and writes whatever was queued meanwhile.
    redisAsyncHandleWrite(ac);
    if (e.dead || !(ac->c.flags & REDIS_CONNECTED)) return;
  } else if ((io & (net::io_event::Writable | net::io_event::Error | net::io_event::Hangup)) && e.writing) {
    redisAsyncHandleWrite(ac);
    if (e.dead) return;
  }
  if (io & (net::io_event::Readable | net::io_event::Error | net::io_event::Hangup | net::io_event::PeerClosed))
    readAvailable(e);
}

void Link::readAvailable(Events& e) {
  for (int round = 0; round < kMaxReads; ++round) {
    redisAsyncHandleRead(e.ac);
    if (e.dead) return;
    // Edge-triggered: no new edge comes for bytes already there, so keep
    // going until the socket is drained. 0 (EOF) and errors other than
    // EAGAIN go round once more so that hiredis itself sees them.
    char probe;
    ssize_t n = ::recv(e.fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  }
  if (e.readQueued) return;
  e.readQueued = true;
  loop_.defer([weak = weak_from_this(), events = std::weak_ptr<Events>(events_)] {
    auto self = weak.lock();
    auto ev = events.lock();
    if (!self || !ev) return;
    ev->readQueued = false;
    if (!ev->dead) self->readAvailable(*ev);
  });
}

void Link::scheduleFlush(Events& e) {
  if (e.flushQueued || &e != events_.get()) return;
  e.flushQueued = true;
  loop_.defer([weak = weak_from_this(), events = std::weak_ptr<Events>(events_)] {
    auto self = weak.lock();
    auto ev = events.lock();
    if (!self || !ev) return;
    ev->flushQueued = false;
    if (ev->dead || !ev->writing) return;
    // Not connected yet: the connect's EPOLLOUT edge writes everything.
    if (!(ev->ac->c.flags & REDIS_CONNECTED)) return;
    redisAsyncHandleWrite(ev->ac);
  });
}

void Link::retire(std::shared_ptr<Events> events) {
  if (!events) return;
  // An event for this handler may still be in the current epoll batch, and
  // a function deferred now may run in this same batch; the one it defers
  // runs in a later batch, after the fd left epoll.
  loop_.defer([&loop = loop_, events]() mutable { loop.defer([events] {}); });
}

void Link::onContextGone(Events& e) {
  e.dead = true;
  loop_.remove(e.fd);
  std::string reason = lostReason();
  ac_ = nullptr;
  retire(std::move(events_));
  closeReason_.clear();
  // hiredis ran every reply callback already; this is only a safety net.
  while (!pending_.empty()) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    failLater(std::move(p.done), reason);
  }
  for (auto& [name, sub] : channels_) sub->confirmed = false;
  for (auto& [name, sub] : patterns_) sub->confirmed = false;
  awaitingResync_.clear();
  resyncing_ = false;
  if (state_ == State::Stopped) return;
  state_ = State::Disconnected;
  lastError_ = reason;
  scheduleReconnect();
  notifyState(State::Disconnected, std::move(reason));
}

void Link::onConnect(Events&, int status) {
  if (status != REDIS_OK) return;  // the cleanup hook follows with the reason
  state_ = State::Connected;
  attempt_ = 0;
  ++stats_.connects;
  lastError_.clear();
  const bool again = everConnected_;
  everConnected_ = true;
  notifyState(State::Connected, {});
  if (mode_ == Mode::PubSub) {
    std::vector<std::string> channels, patterns;
    for (auto& [name, sub] : channels_) channels.push_back(name);
    for (auto& [name, sub] : patterns_) patterns.push_back(name);
    if (again) {
      resyncing_ = true;
      for (auto& name : channels) awaitingResync_.insert(resyncKey(false, name));
      for (auto& name : patterns) awaitingResync_.insert(resyncKey(true, name));
    }
    sendSubscriptions(false, channels);
    sendSubscriptions(true, patterns);
    if (resyncing_ && awaitingResync_.empty()) {
      resyncing_ = false;
      notifyReconnected();
    }
  } else if (again) {
    notifyReconnected();
  }
}

void Link::sendSubscriptions(bool pattern, const std::vector<std::string>& names) {
  const char* verb = pattern ? "PSUBSCRIBE" : "SUBSCRIBE";
  for (std::size_t first = 0; first < names.size(); first += kSubscribeBatch) {
    const std::size_t count = std::min(kSubscribeBatch, names.size() - first);
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(count + 1);
    lengths.reserve(count + 1);
    argv.push_back(verb);
    lengths.push_back(std::char_traits<char>::length(verb));
    for (std::size_t i = first; i < first + count; ++i) {
      argv.push_back(names[i].data());
      lengths.push_back(names[i].size());
    }
    redisAsyncCommandArgv(ac_, onPubSubC, events_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data());
  }
}

void Link::command(std::span<const std::string_view> args, ReplyCallback done) {
  if (mode_ != Mode::Commands) {
    failLater(std::move(done), "commands are not allowed on a pub/sub connection");
    return;
  }
  if (ac_ == nullptr || (state_ != State::Connected && state_ != State::Connecting)) {
    failLater(std::move(done), "not connected" + (lastError_.empty() ? std::string() : ": " + lastError_));
    return;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAsyncCommandArgv(ac_, onReplyC, events_.get(), static_cast<int>(argv.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    failLater(std::move(done), "not connected: the connection is closing");
    return;
  }
  ++stats_.commands;
  pending_.push_back(Pending{std::move(done), loop_.nowMs() + options_.commandTimeout.count()});
}

void Link::onReply(Events&, redisReply* reply) {
  if (pending_.empty()) return;
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  Reply r;
  if (reply != nullptr) {
    r = fromHiredis(reply);
    ++stats_.replies;
    if (r.isError()) ++stats_.serverErrors;
  } else {
    r = Reply::transportError(lostReason());
    ++stats_.transportErrors;
  }
  if (!silent_ && p.done) p.done(std::move(r));
}

void Link::onPubSub(Events&, redisReply* reply) {
  // NULL: the context is being freed; the state change says so.
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) return;
  const std::string_view kind = element(reply, 0);
  if (kind == "message" && reply->elements >= 3) {
    auto it = channels_.find(element(reply, 1));
    if (it == channels_.end()) return;  // unsubscribed meanwhile
    auto sub = it->second;              // the handler may unsubscribe itself
    ++stats_.messages;
    if (!silent_ && sub->onMessage) sub->onMessage(element(reply, 1), element(reply, 2));
  } else if (kind == "pmessage" && reply->elements >= 4) {
    auto it = patterns_.find(element(reply, 1));
    if (it == patterns_.end()) return;
    auto sub = it->second;
    ++stats_.messages;
    if (!silent_ && sub->onMessage) sub->onMessage(element(reply, 2), element(reply, 3));
  } else if (kind == "subscribe" || kind == "psubscribe") {
    const bool pattern = kind[0] == 'p';
    const std::string_view name = element(reply, 1);
    auto& m = map(pattern);
    auto it = m.find(name);
    if (it == m.end()) return;
    auto sub = it->second;
    if (!sub->confirmed) {
      sub->confirmed = true;
      if (sub->onConfirmed) {
        ReplyCallback confirmed = std::move(sub->onConfirmed);
        sub->onConfirmed = nullptr;
        if (!silent_) confirmed(fromHiredis(reply));
      }
    }
    if (resyncing_) {
      if (auto key = awaitingResync_.find(resyncKey(pattern, name)); key != awaitingResync_.end())
        awaitingResync_.erase(key);
      if (awaitingResync_.empty()) {
        resyncing_ = false;
        notifyReconnected();
      }
    }
  }
}

bool Link::subscribe(bool pattern, std::string name, MessageHandler onMessage, ReplyCallback onConfirmed) {
  auto& m = map(pattern);
  if (m.find(name) != m.end()) return false;
  auto sub = std::make_shared<Subscription>();
  sub->onMessage = std::move(onMessage);
  sub->onConfirmed = std::move(onConfirmed);
  auto [it, inserted] = m.emplace(std::move(name), std::move(sub));
  // Connecting: onConnect sends every subscription.
  if (connected() && ac_ != nullptr) sendSubscriptions(pattern, {it->first});
  return inserted;
}

bool Link::unsubscribe(bool pattern, std::string_view name) {
  auto& m = map(pattern);
  auto it = m.find(name);
  if (it == m.end()) return false;
  const std::string owned = it->first;
  m.erase(it);
  if (connected() && ac_ != nullptr) {
    const char* argv[2] = {pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", owned.data()};
    const std::size_t lengths[2] = {std::char_traits<char>::length(argv[0]), owned.size()};
    // No callback: the ["unsubscribe", ...] reply needs no answer.
    redisAsyncCommandArgv(ac_, nullptr, nullptr, 2, argv, lengths);
  }
  if (resyncing_) {
    if (auto key = awaitingResync_.find(resyncKey(pattern, owned)); key != awaitingResync_.end())
      awaitingResync_.erase(key);
    if (awaitingResync_.empty()) {
      resyncing_ = false;
      notifyReconnected();
    }
  }
  return true;
}

bool Link::isSubscribed(bool pattern, std::string_view name) const {
  const auto& m = map(pattern);
  return m.find(name) != m.end();
}

std::size_t Link::confirmedCount() const {
  std::size_t n = 0;
  for (const auto& [name, sub] : channels_) n += sub->confirmed ? 1 : 0;
  for (const auto& [name, sub] : patterns_) n += sub->confirmed ? 1 : 0;
  return n;
}

void Link::failLater(ReplyCallback done, std::string message) {
  ++stats_.transportErrors;
  if (!done) return;
  loop_.defer([weak = weak_from_this(), done = std::move(done), message = std::move(message)] {
    auto self = weak.lock();
    if (!self || self->silent_) return;
    done(Reply::transportError(message));
  });
}

void Link::notifyState(State state, std::string reason) {
  if (reportedState_ == state) return;
  reportedState_ = state;
  loop_.defer([weak = weak_from_this(), state, reason = std::move(reason)] {
    auto self = weak.lock();
    if (!self || self->silent_ || !self->onState_) return;
    auto fn = self->onState_;
    fn(state, reason);
  });
}

void Link::notifyReconnected() {
  loop_.defer([weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self || self->silent_ || !self->onReconnected_) return;
    auto fn = self->onReconnected_;
    fn();
  });
}

}  // namespace herald::redis::detail
