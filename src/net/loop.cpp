#include "herald/net/loop.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <system_error>

namespace herald::net {

namespace {

constexpr int kMaxEvents = 512;

[[noreturn]] void throwErrno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

std::uint64_t currentThreadId() { return static_cast<std::uint64_t>(pthread_self()); }

static_assert(io_event::Readable == EPOLLIN && io_event::Writable == EPOLLOUT && io_event::Error == EPOLLERR &&
              io_event::Hangup == EPOLLHUP && io_event::PeerClosed == EPOLLRDHUP);

}  // namespace

// The eventfd that defer() writes to wake the loop.
class Loop::Waker final : public IoHandler {
 public:
  explicit Waker(Loop& loop) : loop_(loop) {
    fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd_ < 0) throwErrno("eventfd");
  }
  ~Waker() { ::close(fd_); }
  int fd() const { return fd_; }
  void wake() {
    std::uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the loop will wake anyway.
    [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
  }
  void onIo(std::uint32_t) override {
    std::uint64_t value;
    while (::read(fd_, &value, sizeof value) > 0) {
    }
    loop_.runDeferred();
  }

 private:
  Loop& loop_;
  int fd_ = -1;
};

class Loop::Timer final : public IoHandler {
 public:
  Timer(std::chrono::milliseconds interval, std::function<void()> fn) : fn_(std::move(fn)) {
    fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd_ < 0) throwErrno("timerfd_create");
    itimerspec spec{};
    spec.it_interval.tv_sec = interval.count() / 1000;
    spec.it_interval.tv_nsec = (interval.count() % 1000) * 1000000;
    spec.it_value = spec.it_interval;
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    timerfd_settime(fd_, 0, &spec, nullptr);
  }
  ~Timer() { ::close(fd_); }
  int fd() const { return fd_; }
  void cancel() { cancelled_ = true; }
  void onIo(std::uint32_t) override {
    if (cancelled_) return;
    std::uint64_t expirations;
    if (::read(fd_, &expirations, sizeof expirations) > 0) fn_();
  }

 private:
  std::function<void()> fn_;
  bool cancelled_ = false;
  int fd_ = -1;
};

Loop::Loop() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throwErrno("epoll_create1");
  waker_ = std::make_unique<Waker>(*this);
  add(waker_->fd(), waker_.get(), false);
  threadId_ = currentThreadId();
  updateClock();
}

Loop::~Loop() {
  timers_.clear();
  waker_.reset();
  ::close(epfd_);
}

void Loop::add(int fd, IoHandler* handler, bool output) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (output ? static_cast<std::uint32_t>(EPOLLOUT) : 0u);
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) throwErrno("epoll_ctl(ADD)");
}

void Loop::remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

Loop::TimerId Loop::addTimer(std::chrono::milliseconds interval, std::function<void()> fn) {
  auto timer = std::make_unique<Timer>(interval, std::move(fn));
  add(timer->fd(), timer.get(), false);
  timers_.push_back(std::move(timer));
  return static_cast<TimerId>(timers_.size() - 1);
}

void Loop::cancelTimer(TimerId id) {
  if (id < 0 || static_cast<std::size_t>(id) >= timers_.size() || !timers_[id]) return;
  remove(timers_[id]->fd());
  // Freed at the end of the iteration: this iteration's events may still
  // name it (or it may be cancelling itself from its own callback).
  timers_[id]->cancel();
  retiredTimers_.push_back(std::move(timers_[id]));
}

void Loop::onIterationEnd(std::function<void()> fn) { iterationEnd_.push_back(std::move(fn)); }

bool Loop::inLoopThread() const { return currentThreadId() == threadId_; }

void Loop::defer(std::function<void()> fn) {
  bool wasEmpty;
  {
    std::lock_guard lock(deferMutex_);
    wasEmpty = deferred_.empty();
    deferred_.push_back(std::move(fn));
  }
  if (wasEmpty) waker_->wake();
}

void Loop::runDeferred() {
  {
    std::lock_guard lock(deferMutex_);
    runningDeferred_.swap(deferred_);
  }
  for (auto& fn : runningDeferred_) fn();
  runningDeferred_.clear();
}

void Loop::updateClock() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  nowMs_ = static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int Loop::pollNow() {
  epoll_event events[64];
  int n = epoll_wait(epfd_, events, 64, 0);
  if (n <= 0) return 0;  // nothing pending, or EINTR: the next run() turn sees it
  updateClock();
  for (int i = 0; i < n; ++i) static_cast<IoHandler*>(events[i].data.ptr)->onIo(events[i].events);
  return n;
}

void Loop::run() {
  threadId_ = currentThreadId();
  running_ = true;
  // A write to a socket the peer has closed must be an EPIPE, never a
  // SIGPIPE that kills the process: plain sockets use MSG_NOSIGNAL, but
  // OpenSSL writes with write(). SIGPIPE is raised in the writing thread,
  // so blocking it here covers every write this loop makes.
  sigset_t pipe, previous;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, &previous);
  epoll_event events[kMaxEvents];
  // Work deferred before run() started was signalled on the eventfd, so the
  // first epoll_wait returns at once to run it.
  while (running_) {
    int n = epoll_wait(epfd_, events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throwErrno("epoll_wait");
    }
    updateClock();
    for (int i = 0; i < n; ++i) static_cast<IoHandler*>(events[i].data.ptr)->onIo(events[i].events);
    for (auto& fn : iterationEnd_) fn();
    retiredTimers_.clear();
  }
  // Discard SIGPIPEs that arrived while blocked before unblocking.
  timespec zero{};
  while (sigtimedwait(&pipe, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

}  // namespace herald::net
