// connect: open connections as fast as possible, --concurrency handshakes in
// flight, each closed (1000) as soon as it opens; connections/s, the
// connect + upgrade latency, and failures by reason. Runs for --duration
// after --warmup, or until --connections have been opened when given.
#include "loadgen/scenario.hpp"

namespace herald::loadgen {

namespace {

struct ConnectLoop {
  std::unique_ptr<Ramp> ramp;
};

class ConnectScenario final : public Scenario {
 public:
  using Scenario::Scenario;

  void setUp(WorkerPool& pool) override {
    workers_ = pool.size();
    for (unsigned i = 0; i < workers_; ++i) loops_.push_back(std::make_unique<ConnectLoop>());
  }

  void start(Worker&) override {}  // nothing to hold open: the churn starts with go()

  bool ready(const WorkerStats&) const override { return true; }

  void go(Worker& w) override {
    ConnectLoop& L = *loops_[w.index];
    std::size_t count = o_.connectionsGiven ? shareOf(o_.connections, workers_, w.index) : SIZE_MAX;
    L.ramp = std::make_unique<Ramp>(count, shareOf(o_.concurrency, workers_, w.index),
                                    [this, &w, &L](std::size_t i) { launch(w, L, w.index + i * workers_); });
    L.ramp->pump();
  }

  bool done(const WorkerStats& s) const override { return o_.connectionsGiven && s.settled >= o_.connections; }

  void stopTraffic(Worker& w) override {
    if (auto& ramp = loops_[w.index]->ramp) ramp->stop();
  }

  void report(const RunResult& r, Report& rep) const override {
    const WorkerStats& s = r.stats;
    double secs = r.measuredSeconds > 0 ? r.measuredSeconds : 1;
    rep.metric("measured_seconds", "measured for", secs, 2, "s");
    rep.metric("connections_per_second", "connections/s (opened and closed)",
               static_cast<double>(s.window.opened) / secs);
    rep.metric("connections_opened", "opened in the window", static_cast<double>(s.window.opened));
    rep.metric("connections_failed", "failed in the window", static_cast<double>(s.window.failed));
    rep.metric("connections_opened_total", "opened in all (with warm-up)", static_cast<double>(s.total.opened));
    rep.metric("connections_failed_total", "failed in all (with warm-up)", static_cast<double>(s.total.failed));
    serverMetrics(r, rep, static_cast<double>(s.window.opened), "connections");
    rep.latency = summarize(s.latency, "TCP connect + upgrade");
  }

 private:
  struct Attempt {
    std::uint64_t startNs = 0;
    bool closedByUs = false;
  };

  void launch(Worker& w, ConnectLoop& L, std::size_t id) {
    auto attempt = std::make_shared<Attempt>();
    attempt->startNs = nowNs();
    WsBehavior b = clientBehavior();
    b.open = [&w, &L, attempt](WebSocket& ws) {
      if (w.recording) w.stats.latency.record(nowNs() - attempt->startNs);
      w.count(&Counters::opened);
      ++w.stats.open;
      w.settle();
      attempt->closedByUs = true;
      ws.close(ws::close_code::Normal);
      L.ramp->settled();
    };
    b.close = [&w, attempt](WebSocket&, std::uint16_t code, std::string_view reason) {
      --w.stats.open;
      if (!attempt->closedByUs && !w.stopping) w.stats.error(closeReason(code, reason));
    };
    w.app.connect(urlFor(id), std::move(b), clientOptions(id, [&w, &L](std::string_view error) {
                    w.count(&Counters::failed);
                    w.stats.error(error);
                    w.settle();
                    L.ramp->settled();
                  }));
  }

  std::vector<std::unique_ptr<ConnectLoop>> loops_;
  unsigned workers_ = 1;
};

}  // namespace

std::unique_ptr<Scenario> makeConnectScenario(const BenchOptions& o, TargetPlan plan) {
  return std::make_unique<ConnectScenario>(o, std::move(plan));
}

}  // namespace herald::loadgen
