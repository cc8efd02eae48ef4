#pragma once
// Delivers POSIX signals to a loop through a signalfd. The signals must be
// blocked in every thread (block() before starting threads) so that only the
// signalfd sees them.

#include <csignal>
#include <functional>
#include <initializer_list>

#include "herald/net/loop.hpp"

namespace herald::net {

class SignalWatcher final : public IoHandler {
 public:
  SignalWatcher(Loop& loop, std::initializer_list<int> signals, std::function<void(int)> onSignal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Blocks `signals` in the calling thread (and the threads it starts later);
  // returns the previous mask for restoring.
  static sigset_t block(std::initializer_list<int> signals);
  static void restore(const sigset_t& previous);

  void onIo(std::uint32_t events) override;

 private:
  Loop& loop_;
  int fd_ = -1;
  std::function<void(int)> onSignal_;
};

}  // namespace herald::net
