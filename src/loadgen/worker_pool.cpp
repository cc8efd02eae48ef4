#include "loadgen/worker_pool.hpp"

namespace herald::loadgen {

Worker::Worker(unsigned i)
    : index(i),
      app({.threads = 1, .shutdownTimeout = std::chrono::seconds(3), .handleSignals = false}) {}

WorkerPool::WorkerPool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>(i));
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::post(unsigned i, std::function<void(Worker&)> fn) {
  Worker* w = workers_[i].get();
  w->app.defer([w, fn = std::move(fn)] { fn(*w); });
}

void WorkerPool::postAll(const std::function<void(Worker&)>& fn) {
  for (unsigned i = 0; i < size(); ++i) post(i, fn);
}

void WorkerPool::start() {
  for (auto& w : workers_) threads_.emplace_back([w = w.get()] { w->app.run(); });
}

void WorkerPool::startTicker(std::chrono::microseconds interval, std::function<void(Worker&)> tick) {
  tick_ = std::move(tick);
  ticker_ = std::thread([this, interval] {
    auto next = std::chrono::steady_clock::now();
    while (!tickerStop_.load(std::memory_order_relaxed)) {
      next += interval;
      auto now = std::chrono::steady_clock::now();
      if (next < now - 10 * interval) next = now;  // we were descheduled: do not burst
      std::this_thread::sleep_until(next);
      // Two pointers: std::function keeps them inline, so a tick allocates nothing.
      for (auto& w : workers_) w->app.defer([this, w = w.get()] { tick_(*w); });
    }
  });
}

WorkerStats WorkerPool::collect(std::chrono::milliseconds wait) {
  std::uint64_t g;
  {
    std::lock_guard lock(mutex_);
    g = ++generation_;
  }
  postAll([this, g](Worker& w) {
    std::lock_guard lock(mutex_);
    w.snapshot = w.stats;
    w.generation = g;
    answered_.notify_all();
  });
  std::unique_lock lock(mutex_);
  answered_.wait_for(lock, wait, [&] {
    for (auto& w : workers_)
      if (w->generation < g) return false;
    return true;
  });
  WorkerStats sum;
  for (auto& w : workers_) sum.merge(w->snapshot);
  return sum;
}

void WorkerPool::stop() {
  if (stopped_) return;
  stopped_ = true;
  tickerStop_ = true;
  if (ticker_.joinable()) ticker_.join();
  postAll([](Worker& w) {
    w.stopping = true;
    w.recording = false;
    w.app.stop();
  });
  for (auto& t : threads_) t.join();
}

}  // namespace herald::loadgen
