#pragma once
// The event loop: one per thread, over an edge-triggered epoll instance.
//
// Thread-safety contract: a Loop and everything registered with it belong to
// the thread that calls run(). The ONLY member that another thread may call is
// defer(), which queues a function to run on the loop's thread and wakes the
// loop through an eventfd. Everything else must be called from the loop's own
// thread (or before run() starts). See docs/event-loop.md.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace herald::net {

// Readiness bits passed to IoHandler::onIo (the epoll values).
namespace io_event {
inline constexpr std::uint32_t Readable = 0x001;     // EPOLLIN
inline constexpr std::uint32_t Writable = 0x004;     // EPOLLOUT
inline constexpr std::uint32_t Error = 0x008;        // EPOLLERR
inline constexpr std::uint32_t Hangup = 0x010;       // EPOLLHUP
inline constexpr std::uint32_t PeerClosed = 0x2000;  // EPOLLRDHUP
}  // namespace io_event

// Something that wants readiness events for a file descriptor.
class IoHandler {
 public:
  virtual void onIo(std::uint32_t events) = 0;

 protected:
  ~IoHandler() = default;
};

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Registers `fd` for edge-triggered input, output and peer hang-up. The
  // handler must stay valid until the fd is closed (closing removes it).
  void add(int fd, IoHandler* handler, bool output = true);
  void remove(int fd);

  // Calls `fn` every `interval`, first after one interval; returns an id for
  // cancelTimer(). Timers are timerfds, meant for a handful of periodic jobs.
  using TimerId = int;
  TimerId addTimer(std::chrono::milliseconds interval, std::function<void()> fn);
  void cancelTimer(TimerId id);

  // Runs `fn` at the end of every iteration, after all I/O events and
  // deferred functions: the place to flush write queues in one batch.
  void onIterationEnd(std::function<void()> fn);

  // Handles the events already pending, without waiting, and returns how
  // many there were: for a long iteration-end job (a big batch of writes)
  // that wants the input which arrived meanwhile. Loop thread only, and only
  // from an iteration-end function; handlers run as they would in run().
  int pollNow();

  // Runs iterations until stop(). Must be called from the thread that owns
  // the loop from then on.
  void run();
  // Makes run() return after the current iteration. Loop thread only.
  void stop() { running_ = false; }

  // The one thread-safe entry: queue `fn` to run on this loop's thread.
  void defer(std::function<void()> fn);

  // Milliseconds on the monotonic clock, read once per iteration.
  std::int64_t nowMs() const { return nowMs_; }
  bool inLoopThread() const;

 private:
  class Waker;
  class Timer;
  void runDeferred();
  void updateClock();

  int epfd_ = -1;
  bool running_ = false;
  std::int64_t nowMs_ = 0;
  std::uint64_t threadId_ = 0;
  std::unique_ptr<Waker> waker_;
  std::vector<std::unique_ptr<Timer>> timers_;
  std::vector<std::unique_ptr<Timer>> retiredTimers_;  // cancelled, freed at iteration end
  std::vector<std::function<void()>> iterationEnd_;

  std::mutex deferMutex_;
  std::vector<std::function<void()>> deferred_;  // guarded by deferMutex_
  std::vector<std::function<void()>> runningDeferred_;
};

}  // namespace herald::net
