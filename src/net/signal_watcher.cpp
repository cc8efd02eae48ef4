#include "herald/net/signal_watcher.hpp"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace herald::net {

namespace {

sigset_t setOf(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  return set;
}

}  // namespace

sigset_t SignalWatcher::block(std::initializer_list<int> signals) {
  sigset_t set = setOf(signals), previous;
  pthread_sigmask(SIG_BLOCK, &set, &previous);
  return previous;
}

void SignalWatcher::restore(const sigset_t& previous) { pthread_sigmask(SIG_SETMASK, &previous, nullptr); }

SignalWatcher::SignalWatcher(Loop& loop, std::initializer_list<int> signals, std::function<void(int)> onSignal)
    : loop_(loop), onSignal_(std::move(onSignal)) {
  sigset_t set = setOf(signals);
  fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
  loop_.add(fd_, this, false);
}

SignalWatcher::~SignalWatcher() {
  loop_.remove(fd_);
  ::close(fd_);
}

void SignalWatcher::onIo(std::uint32_t) {
  signalfd_siginfo info;
  while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) onSignal_(static_cast<int>(info.ssi_signo));
}

}  // namespace herald::net
