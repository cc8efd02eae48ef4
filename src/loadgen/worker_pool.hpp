#pragma once
// The client loops: one herald::App with a single loop per thread.
//
// App::connect() opens a connection on the calling loop, or on the App's
// first loop when called from elsewhere, and App::defer() reaches only that
// first loop. So a multi-loop App cannot be told which loop to put a client
// connection on; one single-loop App per thread can. Each Worker's App, its
// connections and its WorkerStats belong to that worker's thread; the control
// thread reaches them only through post() (App::defer) and collect().

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "herald/engine/app.hpp"
#include "loadgen/worker_stats.hpp"

namespace herald::loadgen {

inline std::uint64_t nowNs() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

struct Worker {
  explicit Worker(unsigned i);

  const unsigned index;
  App app;
  // Loop thread only.
  WorkerStats stats;
  bool recording = false;  // traffic counts towards the window and the histogram
  bool stopping = false;   // the run is ending: closes are expected, not errors

  // A connection attempt finished: opened or failed.
  void settle() {
    ++stats.settled;
    stats.lastSettledNs = nowNs();
  }
  void count(std::uint64_t Counters::*field, std::uint64_t n = 1) {
    stats.total.*field += n;
    if (recording) stats.window.*field += n;
  }

  // Handed to the control thread under WorkerPool's mutex.
  WorkerStats snapshot;
  std::uint64_t generation = 0;
};

class WorkerPool {
 public:
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()); }
  Worker& operator[](unsigned i) { return *workers_[i]; }

  // Runs fn(worker) on worker i's loop thread; callable from any thread.
  void post(unsigned i, std::function<void(Worker&)> fn);
  void postAll(const std::function<void(Worker&)>& fn);

  // Starts one thread per worker, each running its App.
  void start();
  // From a ticker thread, queues tick(worker) on every loop every `interval`
  // until stop(). The engine has no public timer API; see the report.
  void startTicker(std::chrono::microseconds interval, std::function<void(Worker&)> tick);

  // Every worker's stats, each copied on its own loop thread, added up. A
  // worker that does not answer within `wait` contributes its previous copy.
  WorkerStats collect(std::chrono::milliseconds wait = std::chrono::milliseconds(500));

  // Marks every worker stopping, closes their connections (App::stop) and
  // waits for every loop to finish. Idempotent.
  void stop();

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::thread ticker_;
  std::atomic<bool> tickerStop_{false};
  std::function<void(Worker&)> tick_;
  std::mutex mutex_;
  std::condition_variable answered_;
  std::uint64_t generation_ = 0;
  bool stopped_ = false;
};

// Opens a loop's share of connections with at most `limit` handshakes in
// flight. launch(i) must call settled() exactly once per connection when it
// opens or fails, possibly from inside launch() itself.
class Ramp {
 public:
  Ramp(std::size_t count, std::size_t limit, std::function<void(std::size_t)> launch)
      : count_(count), limit_(limit ? limit : 1), launch_(std::move(launch)) {}

  void pump() {
    if (pumping_) return;  // a launch that failed at once: the loop below goes on
    pumping_ = true;
    while (!stopped_ && inFlight_ < limit_ && next_ < count_) {
      ++inFlight_;
      launch_(next_++);
    }
    pumping_ = false;
  }
  void settled() {
    --inFlight_;
    pump();
  }
  void stop() { stopped_ = true; }
  bool done() const { return (stopped_ || next_ == count_) && inFlight_ == 0; }
  std::size_t launched() const { return next_; }

 private:
  std::size_t count_, limit_;
  std::function<void(std::size_t)> launch_;
  std::size_t next_ = 0, inFlight_ = 0;
  bool pumping_ = false, stopped_ = false;
};

}  // namespace herald::loadgen
