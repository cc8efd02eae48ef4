#pragma once
// A bench scenario, as the driver (bench.cpp) runs it:
//
//   setUp          control thread, before the loops start
//   start          each loop: open this loop's connections (a Ramp)
//   ready?         control thread, polled: the connecting phase is over
//   go             each loop: traffic starts; warm-up, then the window is
//                  reset and measuring starts
//   tick           each loop, every tickInterval() (0: never)
//   done?          control thread, polled: may end measuring early
//   stopTraffic    each loop: the measured window is over
//   drained?       control thread, polled: in-flight traffic has arrived
//   finish         each loop: final accounting, before the last collect
//   report         control thread: metrics, failures
//
// Loop-thread hooks run on one Worker's thread and touch only that worker's
// state, so per-connection state needs no lock.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "herald/engine/app.hpp"
#include "loadgen/options.hpp"
#include "loadgen/proc_stats.hpp"
#include "loadgen/report.hpp"
#include "loadgen/targets.hpp"
#include "loadgen/worker_pool.hpp"

namespace herald::loadgen {

struct RunResult {
  WorkerStats stats;           // every worker's, at the end
  double connectSeconds = 0;   // start to ready
  double measuredSeconds = 0;  // the window
  bool interrupted = false;
  // The server (--server-pid) before connecting, once connected, and around
  // the window; this process once connected.
  std::optional<ProcSample> serverBefore, serverReady, serverWindowStart, serverWindowEnd, selfBefore, selfReady;
  // The server once the first ~5% of connections were open, and how many.
  std::optional<ProcSample> serverWarm;
  std::uint64_t warmOpened = 0;
};

class Scenario {
 public:
  Scenario(const BenchOptions& options, TargetPlan plan) : o_(options), plan_(std::move(plan)) {}
  virtual ~Scenario() = default;

  virtual void setUp(WorkerPool& pool) = 0;
  virtual void start(Worker& w) = 0;
  virtual bool ready(const WorkerStats& s) const = 0;
  virtual void go(Worker&) {}
  virtual std::chrono::microseconds tickInterval() const { return {}; }
  virtual void tick(Worker&) {}
  virtual bool done(const WorkerStats&) const { return false; }
  virtual double warmupSeconds() const { return o_.warmup; }
  virtual const char* measurePhase() const { return "measuring"; }
  virtual void stopTraffic(Worker&) {}
  virtual bool drained(const WorkerStats&) const { return true; }
  virtual void finish(Worker&) {}
  virtual void report(const RunResult& result, Report& report) const = 0;

 protected:
  const std::string& urlFor(std::size_t connection) const { return plan_.urls[connection % plan_.urls.size()]; }
  // Limits for a client connection: room for the payload and the window in
  // the write queue, no drop on backpressure (the scenarios wait for drain),
  // no idle pings of our own.
  WsBehavior clientBehavior() const;
  // How connection number `connection` connects (its source address, when spread).
  ClientOptions clientOptions(std::size_t connection, std::function<void(std::string_view)> onError) const;
  // Split `total` over `workers`: worker w's share.
  static std::size_t shareOf(std::size_t total, unsigned workers, unsigned w) {
    return total / workers + (w < total % workers ? 1 : 0);
  }
  // An unexpected close, as an error reason.
  static std::string closeReason(std::uint16_t code, std::string_view reason);
  // Server CPU per million `units` over the window, and its CPU use in %.
  void serverMetrics(const RunResult& r, Report& report, double units, const std::string& perWhat) const;

  const BenchOptions& o_;
  TargetPlan plan_;
};

std::unique_ptr<Scenario> makeEchoScenario(const BenchOptions& o, TargetPlan plan);
std::unique_ptr<Scenario> makeFanoutScenario(const BenchOptions& o, TargetPlan plan);
std::unique_ptr<Scenario> makeConnectScenario(const BenchOptions& o, TargetPlan plan);
std::unique_ptr<Scenario> makeIdleScenario(const BenchOptions& o, TargetPlan plan);

}  // namespace herald::loadgen
