#include "loop_context.hpp"

#include <algorithm>

#include <sys/socket.h>

#include "app_state.hpp"
#include "client_phase.hpp"
#include "connection.hpp"
#include "herald/http/response_writer.hpp"
#include "herald/net/socket.hpp"
#include "herald/ws/frame_writer.hpp"

namespace herald::detail {

namespace {

thread_local LoopContext* tlsCurrent = nullptr;

std::string overloadResponse() {
  return http::errorResponse(http::Status::ServiceUnavailable, "the server is at its connection limit; retry later");
}

std::string perAddressResponse() {
  return http::errorResponse(http::Status::ServiceUnavailable,
                             "too many connections from this address; close some, or retry later");
}

}  // namespace

SharedFrame makeSharedFrame(ws::Opcode opcode, std::string_view payload) {
  auto frame = std::make_shared<std::string>();
  ws::appendFrame(*frame, opcode, payload);
  return frame;
}

SharedPublication makePublication(const AppState& app, ws::Opcode opcode, std::string_view payload) {
  auto p = std::make_shared<Publication>();
  p->opcode = opcode;
  p->payload = std::string(payload);
  p->plain = makeSharedFrame(opcode, payload);
  if (app.sharedDeflate) {
    // Reset after every message, so one per publishing thread serves all.
    thread_local ws::Deflater deflater({.windowBits = 15, .noContextTakeover = true});
    thread_local std::string compressed;
    compressed.clear();
    if (deflater.compress(payload, compressed)) {
      auto frame = std::make_shared<std::string>();
      ws::appendFrame(*frame, opcode, compressed, {.rsv1 = true});
      p->deflated = std::move(frame);
    }
  }
  return p;
}

LoopContext::LoopContext(AppState& app, unsigned index)
    : app_(app), index_(index), readBuffer_(new char[kReadBufferSize]) {
  loop_.addTimer(std::chrono::seconds(1), [this] { sweep(); });
  loop_.onIterationEnd([this] { endIteration(); });
}

LoopContext::~LoopContext() {
  for (Connection* c : connections_) delete c;  // closes its stream
  for (Connection* c : graveyard_) delete c;
}

LoopContext* LoopContext::current() { return tlsCurrent; }
void LoopContext::bindToThisThread() { tlsCurrent = this; }

ws::Deflater& LoopContext::sharedDeflater(const ws::DeflaterOptions& options) {
  for (auto& d : sharedDeflaters_) {
    const ws::DeflaterOptions& o = d->options();
    if (o.windowBits == options.windowBits && o.memLevel == options.memLevel && o.level == options.level) return *d;
  }
  sharedDeflaters_.push_back(std::make_unique<ws::Deflater>(options));
  return *sharedDeflaters_.back();
}

void LoopContext::addListener(int fd, std::shared_ptr<net::TlsContext> tls) {
  const net::TlsContext* context = tls.get();
  if (tls) tlsContexts_.push_back(std::move(tls));
  acceptors_.push_back(
      std::make_unique<net::Acceptor>(loop_, fd, [this, context](int c) { accept(c, context); }, overloadResponse()));
}

void LoopContext::accept(int fd, const net::TlsContext* tls) {
  if (shuttingDown_ || app_.connections.load(std::memory_order_relaxed) >= app_.options.maxConnections) {
    std::string refusal = overloadResponse();
    counters.refuse(RefusalReason::Overloaded503);
    net::sendBestEffort(fd, refusal);
    net::closeFd(fd);
    return;
  }
  const std::size_t perAddress = app_.options.maxConnectionsPerAddress;
  if (perAddress > 0 && !app_.perAddress.admit(fd, net::peerHostKey(fd), perAddress)) {
    counters.refuse(RefusalReason::PerAddress503);
    net::sendBestEffort(fd, perAddressResponse());
    net::closeFd(fd);
    return;
  }
  net::setNoDelay(fd);
  SSL* ssl = nullptr;
  if (tls && !(ssl = tls->newServerSession(fd))) {
    releaseAddress(fd);
    net::closeFd(fd);
    return;
  }
  auto* c = new Connection(*this, net::Stream(fd, ssl));
  c->index = static_cast<std::uint32_t>(connections_.size());
  connections_.push_back(c);
  app_.connections.fetch_add(1, std::memory_order_relaxed);
  loop_.add(fd, c);
}

void LoopContext::releaseAddress(int fd) {
  if (app_.options.maxConnectionsPerAddress > 0) app_.perAddress.release(fd);
}

bool AddressCounts::admit(int fd, std::string key, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::size_t& open = open_[key];  // limit > 0: a refused address already has an entry
  if (open >= limit) return false;
  ++open;
  addressOf_[fd] = std::move(key);
  return true;
}

void AddressCounts::release(int fd) {
  std::lock_guard lock(mutex_);
  auto it = addressOf_.find(fd);
  if (it == addressOf_.end()) return;
  auto count = open_.find(it->second);
  if (count != open_.end() && --count->second == 0) open_.erase(count);
  addressOf_.erase(it);
}

void LoopContext::connectClient(const sockaddr_storage& addr, std::unique_ptr<ClientPhase> client) {
  std::string error;
  int fd = net::connectTcp(addr, error, client->source ? &*client->source : nullptr);
  SSL* ssl = nullptr;
  if (fd >= 0 && client->tls && !(ssl = client->tls->newClientSession(fd, client->host))) {
    error = "TLS: cannot create a session: " + net::tlsErrorText();
    net::closeFd(fd);
    fd = -1;
  }
  if (fd < 0) {
    if (client->onError) client->onError("cannot connect to " + client->host + ": " + error);
    return;
  }
  auto* c = new Connection(*this, net::Stream(fd, ssl), std::move(client));
  c->index = static_cast<std::uint32_t>(connections_.size());
  connections_.push_back(c);
  app_.connections.fetch_add(1, std::memory_order_relaxed);
  loop_.add(fd, c);
}

void LoopContext::remove(Connection* c) {
  Connection* last = connections_.back();
  connections_[c->index] = last;
  last->index = c->index;
  connections_.pop_back();
  graveyard_.push_back(c);
  app_.connections.fetch_sub(1, std::memory_order_relaxed);
}

bool LoopContext::subscribe(Connection* c, std::string_view topic) {
  auto& mine = c->topics();
  if (std::find(mine.begin(), mine.end(), topic) != mine.end()) return false;
  mine.emplace_back(topic);
  auto it = topics_.find(topic);
  if (it == topics_.end()) it = topics_.emplace(std::string(topic), std::vector<Connection*>{}).first;
  it->second.push_back(c);
  return true;
}

bool LoopContext::unsubscribe(Connection* c, std::string_view topic) {
  if (!c->topicsIfAny()) return false;
  auto& mine = c->topics();
  auto own = std::find(mine.begin(), mine.end(), topic);
  if (own == mine.end()) return false;
  auto it = topics_.find(topic);
  if (it != topics_.end()) {
    auto& subs = it->second;
    auto pos = std::find(subs.begin(), subs.end(), c);
    if (pos != subs.end()) {
      *pos = subs.back();
      subs.pop_back();
    }
    if (subs.empty()) topics_.erase(it);
  }
  *own = std::move(mine.back());
  mine.pop_back();
  return true;
}

std::vector<Connection*> LoopContext::subscribersOf(std::string_view topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? std::vector<Connection*>() : it->second;
}

void LoopContext::deliver(std::string_view topic, const SharedPublication& publication, const Connection* exclude) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return;
  // sendShared never runs application code nor unsubscribes synchronously
  // (a slow consumer is dropped at the end of the iteration), so the list
  // cannot change under this loop.
  for (Connection* c : it->second) {
    if (c == exclude) continue;
    if (c->deliver(*publication) == SendResult::Dropped && c->wantsDropNotices() &&
        (drops_.empty() || drops_.back().first != c || drops_.back().second != topic))
      drops_.emplace_back(c, std::string(topic));
  }
}

void LoopContext::endIteration() {
  // Input read while flushing (see flushDirty) may doom more connections or
  // drop more publications: go round until nothing is left. Only the first
  // round reads input, so an iteration ends however fast input comes.
  bool first = true;
  do {
    for (std::size_t i = 0; i < doomed_.size(); ++i) doomed_[i]->killSlowConsumer();
    doomed_.clear();
    // Application code may deliver more (and add drops) while this runs.
    for (std::size_t i = 0; i < drops_.size(); ++i) drops_[i].first->notifyDropped(drops_[i].second);
    drops_.clear();
    flushDirty(first);
    first = false;
  } while (!doomed_.empty() || !drops_.empty());
  for (Connection* c : graveyard_) delete c;
  graveyard_.clear();
  if (shuttingDown_ && connections_.empty()) loop_.stop();
}

void LoopContext::flushDirty(bool readInput) {
  // One write per connection with something queued. A long batch takes a
  // while (on loopback each write also runs the receiver's TCP path), and
  // input that arrives meanwhile, typically the next publication, is read
  // between chunks of it: what that queues for a connection not written yet
  // joins its pending write instead of costing a write of its own in the
  // next iteration. Only the connections listed when the batch started are
  // interleaved with polls, so the batch ends; those that input added are
  // written after them, still in this iteration.
  const std::size_t interleaved = readInput && dirty_.size() >= kInterleaveFrom ? dirty_.size() : 0;
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    if (i < interleaved && i % kPollEvery == kPollEvery - 1) loop_.pollNow();
    Connection* c = dirty_[i];
    c->inDirtyList = false;
    c->flush();
  }
  dirty_.clear();
}

void LoopContext::sweep() {
  const std::int64_t now = loop_.nowMs();
  if (shuttingDown_ && now >= shutdownDeadlineMs_) {
    while (!connections_.empty()) connections_.back()->destroy();
    return;
  }
  // Backwards, because destroy() moves the last connection into the hole.
  for (std::size_t i = connections_.size(); i-- > 0;) {
    if (i < connections_.size()) connections_[i]->checkTimers(now);
  }
}

void LoopContext::beginShutdown() {
  if (shuttingDown_) return;
  shuttingDown_ = true;
  shutdownDeadlineMs_ = loop_.nowMs() + static_cast<std::int64_t>(app_.options.shutdownTimeout.count()) * 1000;
  for (auto& a : acceptors_) a->close();
  for (std::size_t i = connections_.size(); i-- > 0;) {
    if (i < connections_.size()) connections_[i]->shutdownForServerStop();
  }
  if (connections_.empty()) loop_.stop();
}

}  // namespace herald::detail
