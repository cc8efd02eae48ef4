#pragma once
// A client-side subscription to one channel, made by Client::subscribe().
//
// Delivery contract: within one Subscription, onPublication sees each
// offset at most once and in increasing order, across reconnects. On every
// reconnect the client subscribes again with recover=true from the last
// offset it delivered (and that epoch), so publications made while it was
// away arrive before live ones. Publications at or below the last delivered
// offset are dropped (duplicates); a jump forward, an incomplete recovery or
// a changed epoch is reported through onGap (or onError with
// error_code::Gap when there is no onGap) - never a silent loss.
//
// Threads: every callback runs on the client's loop thread. The methods
// here may be called from any thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "herald/client/types.hpp"

namespace herald::client {

namespace detail {
class ClientCore;
struct SubState;
}  // namespace detail

struct SubscriptionOptions {
  // Ask the server for a recoverable stream (needs history on the channel's
  // namespace) and recover from it after reconnects.
  bool recoverable = true;
  // Receive join/leave pushes (needs presence and join_leave on the namespace).
  bool joinLeave = false;
  // Start from this position: the first subscribe recovers what came after
  // it. Without an epoch, the offset is taken to be in the channel's current
  // epoch: the client learns it from a first subscribe and subscribes again.
  std::optional<StreamPosition> since{};
  // A subscription token (JWT) when the namespace needs one.
  std::string token{};
};

struct SubscribedContext {
  std::string channel{};
  bool recoverable = false;    // the server keeps a stream for this subscription
  bool wasRecovering = false;  // this subscribe asked to recover
  bool recovered = false;      // ... and got exactly what was missed
  std::string epoch{};
  std::uint64_t offset = 0;    // the stream's top when subscribed; live follows after it
};

struct UnsubscribedContext {
  std::string channel{};
  // 0: unsubscribe() was called; 2000..2499: the server unsubscribed us;
  // otherwise the reply error code that refused the subscribe (e.g. 103).
  std::uint32_t code = 0;
  std::string reason{};
};

// Publications that will never be delivered.
struct GapInfo {
  std::string channel{};
  std::uint64_t lastOffset = 0;  // the last offset delivered before the gap
  std::uint64_t nextOffset = 0;  // the next one delivered (0: none yet)
  std::string epochBefore{};
  std::string epochNow{};          // differs from epochBefore when history was lost
  std::string reason{};
};

struct SubscriptionHandlers {
  std::function<void(const Publication&)> onPublication{};
  std::function<void(const SubscribedContext&)> onSubscribed{};
  std::function<void(const UnsubscribedContext&)> onUnsubscribed{};
  std::function<void(const ClientInfo&)> onJoin{};
  std::function<void(const ClientInfo&)> onLeave{};
  std::function<void(const Error&)> onError{};
  std::function<void(const GapInfo&)> onGap{};
};

enum class SubscriptionState : std::uint8_t {
  Subscribing,   // waiting for the client to connect, or for the server's reply
  Subscribed,
  Unsubscribed,  // for good: unsubscribe() or a refusal; make a new one to retry
};

class Subscription {
 public:
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();

  const std::string& channel() const;
  SubscriptionState state() const;
  // The last delivered position, once there is one.
  std::optional<StreamPosition> position() const;
  // Ends the subscription (onUnsubscribed with code 0). Any thread.
  void unsubscribe();

  // Made by Client::subscribe().
  Subscription(std::shared_ptr<detail::SubState> state, std::weak_ptr<detail::ClientCore> core);

 private:
  std::shared_ptr<detail::SubState> state_{};
  std::weak_ptr<detail::ClientCore> core_{};
};

}  // namespace herald::client
