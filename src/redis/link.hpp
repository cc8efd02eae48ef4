#pragma once
// Private: one hiredis asynchronous context at a time, on a net::Loop, with
// connect and command timeouts, reconnects, and (for a Subscriber) the
// subscriptions to re-issue. Connection and Subscriber are thin fronts.
//
// Edge-triggered epoll under a library written for level-triggered loops:
//   - the socket is registered once for input, output and hang-up; hiredis'
//     addRead/delRead hooks are no-ops (we always read when readable);
//   - on a readable edge we call redisAsyncHandleRead (one read(2) of up to
//     16 KiB) again and again until a MSG_PEEK says the socket is drained
//     (or at EOF/error, one last time so hiredis sees it); after kMaxReads
//     rounds we yield and continue on the next iteration (fairness);
//   - addWrite is not "wait for writability" (the socket is already
//     writable, so no edge would come) but "there are bytes to send": it
//     schedules one redisAsyncHandleWrite through Loop::defer, so every
//     command queued in one iteration goes out in one write; a partial
//     write leaves hiredis' buffer non-empty and the next EPOLLOUT edge
//     resumes it;
//   - the end of a non-blocking connect is the first EPOLLOUT (or
//     EPOLLERR) edge, which runs hiredis' connect check.
//
// Lifetimes. hiredis may free its context inside any call into it (on an
// error, or when a callback asked for it); the cleanup hook tells us. The
// IoHandler given to the loop (Events) is then retired, not freed: an event
// for it may still sit in the current epoll batch, so it is destroyed two
// deferrals later. Every entry from the loop into hiredis holds a
// shared_ptr to the Link, so a callback may destroy its Connection.

#include <hiredis/async.h>

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "herald/net/loop.hpp"
#include "herald/redis/connection.hpp"

namespace herald::redis::detail {

class Link : public std::enable_shared_from_this<Link> {
 public:
  enum class Mode { Commands, PubSub };
  Link(net::Loop& loop, Options options, Mode mode);
  ~Link();

  void start();
  void stop(std::string reason);
  // The front is gone: close without calling anything back.
  void shutdown();

  void command(std::span<const std::string_view> args, ReplyCallback done);

  bool subscribe(bool pattern, std::string name, MessageHandler onMessage, ReplyCallback onConfirmed);
  bool unsubscribe(bool pattern, std::string_view name);
  bool isSubscribed(bool pattern, std::string_view name) const;
  std::size_t confirmedCount() const;

  State state() const { return state_; }
  const std::string& lastError() const { return lastError_; }
  std::size_t pending() const { return pending_.size(); }
  const ConnectionStats& stats() const { return stats_; }
  void setOnState(StateCallback fn) { onState_ = std::move(fn); }
  void setOnReconnected(std::function<void()> fn) { onReconnected_ = std::move(fn); }

  // hiredis hooks and callbacks (C linkage trampolines call these).
  struct Events;
  void onIo(Events& events, std::uint32_t io);
  void scheduleFlush(Events& events);
  void onContextGone(Events& events);
  void onConnect(Events& events, int status);
  void onReply(Events& events, redisReply* reply);
  void onPubSub(Events& events, redisReply* reply);

 private:
  struct Pending {
    ReplyCallback done;
    std::int64_t deadlineMs = 0;
  };
  struct Subscription {
    MessageHandler onMessage;
    ReplyCallback onConfirmed;  // emptied once called
    bool confirmed = false;     // on the current connection
  };
  using SubscriptionMap = std::map<std::string, std::shared_ptr<Subscription>, std::less<>>;

  void connectNow();
  void tick();
  void readAvailable(Events& events);
  void freeContext(std::string reason);
  void scheduleReconnect();
  void failLater(ReplyCallback done, std::string message);
  void notifyState(State state, std::string reason);
  void notifyReconnected();
  void sendSubscriptions(bool pattern, const std::vector<std::string>& names);
  void retire(std::shared_ptr<Events> events);
  std::string lostReason() const;
  bool connected() const { return state_ == State::Connected; }
  SubscriptionMap& map(bool pattern) { return pattern ? patterns_ : channels_; }
  const SubscriptionMap& map(bool pattern) const { return pattern ? patterns_ : channels_; }

  net::Loop& loop_;
  Options options_;
  Mode mode_;
  State state_ = State::Idle;
  State reportedState_ = State::Idle;
  bool silent_ = false;  // no more user callbacks (the front is gone)
  bool everConnected_ = false;
  std::string lastError_{};
  std::string closeReason_{};  // why we are freeing the context ourselves

  redisAsyncContext* ac_ = nullptr;
  std::shared_ptr<Events> events_{};
  std::int64_t connectDeadlineMs_ = 0;
  std::int64_t reconnectAtMs_ = 0;
  unsigned attempt_ = 0;
  std::minstd_rand random_;
  net::Loop::TimerId timer_ = -1;

  std::deque<Pending> pending_{};
  SubscriptionMap channels_{};
  SubscriptionMap patterns_{};
  // After a reconnect: subscriptions not confirmed again yet ("c:" / "p:" + name).
  std::set<std::string, std::less<>> awaitingResync_{};
  bool resyncing_ = false;

  ConnectionStats stats_{};
  StateCallback onState_{};
  std::function<void()> onReconnected_{};
};

}  // namespace herald::redis::detail
