// idle: open --connections and hold them for --duration, sending nothing.
// With --server-pid: the server's RSS before connecting and once all are
// open (so its memory per connection), and its CPU time while connecting
// and while holding. This process's own RSS per connection too.
#include "loadgen/centrifugo_wire.hpp"
#include "loadgen/scenario.hpp"

namespace herald::loadgen {

namespace {

struct IdleLoop {
  std::unique_ptr<Ramp> ramp;
};

class IdleScenario final : public Scenario {
 public:
  using Scenario::Scenario;

  void setUp(WorkerPool& pool) override {
    workers_ = pool.size();
    for (unsigned i = 0; i < workers_; ++i) loops_.push_back(std::make_unique<IdleLoop>());
  }

  void start(Worker& w) override {
    IdleLoop& L = *loops_[w.index];
    L.ramp = std::make_unique<Ramp>(shareOf(o_.connections, workers_, w.index),
                                    shareOf(o_.concurrency, workers_, w.index),
                                    [this, &w, &L](std::size_t i) { launch(w, L, w.index + i * workers_); });
    L.ramp->pump();
  }

  bool ready(const WorkerStats& s) const override { return s.settled >= o_.connections; }
  double warmupSeconds() const override { return 0; }
  const char* measurePhase() const override { return "holding"; }

  void report(const RunResult& r, Report& rep) const override {
    const WorkerStats& s = r.stats;
    const double opened = static_cast<double>(s.total.opened);
    rep.metric("connections_opened", "connections opened", opened);
    rep.metric("connections_failed", "connections failed", static_cast<double>(s.total.failed));
    rep.metric("connect_seconds", "time to open all", r.connectSeconds, 2, "s");
    if (r.connectSeconds > 0) rep.metric("connections_per_second", "connections/s while opening", opened / r.connectSeconds);
    rep.metric("held_seconds", "held for", r.measuredSeconds, 2, "s");
    rep.metric("connections_open_at_end", "still open at the end", static_cast<double>(s.open));
    const double mib = 1048576.0;
    if (r.serverBefore && r.serverReady) {
      double before = static_cast<double>(r.serverBefore->rssBytes), after = static_cast<double>(r.serverReady->rssBytes);
      rep.metric("server_rss_before_mib", "server RSS before connecting", before / mib, 1, "MiB");
      rep.metric("server_rss_open_mib", "server RSS with all open", after / mib, 1, "MiB");
      if (opened > 0)
        rep.metric("server_rss_bytes_per_connection", "server RSS per connection", (after - before) / opened, 0,
                   "bytes");
      if (r.serverWarm && opened > static_cast<double>(r.warmOpened))
        rep.metric("server_rss_bytes_per_connection_marginal",
                   "  after the first " + std::to_string(r.warmOpened) + " (one-time costs out)",
                   (after - static_cast<double>(r.serverWarm->rssBytes)) / (opened - static_cast<double>(r.warmOpened)),
                   0, "bytes");
      rep.metric("server_cpu_connecting_seconds", "server CPU, user+sys (connecting)",
                 r.serverReady->cpuSeconds - r.serverBefore->cpuSeconds, 2, "s");
    }
    if (r.serverWindowStart && r.serverWindowEnd) {
      double cpu = r.serverWindowEnd->cpuSeconds - r.serverWindowStart->cpuSeconds;
      double wall = r.serverWindowEnd->wallSeconds - r.serverWindowStart->wallSeconds;
      rep.metric("server_cpu_holding_seconds", "server CPU, user+sys (holding)", cpu, 2, "s");
      if (wall > 0) rep.metric("server_cpu_holding_percent", "server CPU use (holding)", 100.0 * cpu / wall, 2, "% of a core");
      rep.metric("server_rss_end_mib", "server RSS at the end", static_cast<double>(r.serverWindowEnd->rssBytes) / mib,
                 1, "MiB");
    }
    if (r.selfBefore && r.selfReady && opened > 0) {
      double grown = static_cast<double>(r.selfReady->rssBytes) - static_cast<double>(r.selfBefore->rssBytes);
      rep.metric("client_rss_bytes_per_connection", "this client's RSS per connection", grown / opened, 0, "bytes");
    }
    if (r.serverBefore && r.serverReady)
      rep.notes.push_back("server RSS per connection is the growth of its RSS: memory it had freed before and reuses "
                          "is not counted (use a fresh server), nor are kernel socket buffers; the first figure "
                          "includes what the server pays once (library pages its first handshakes fault in), the "
                          "second does not");
    if (s.total.opened < o_.connections)
      rep.failures.push_back("only " + std::to_string(s.total.opened) + " of " + std::to_string(o_.connections) +
                             " connections opened");
    if (s.open < s.total.opened)
      rep.failures.push_back(std::to_string(s.total.opened - s.open) + " connections closed while held");
  }

 private:
  void launch(Worker& w, IdleLoop& L, std::size_t id) {
    WsBehavior b = clientBehavior();
    auto opened = [&w, &L] {
      w.count(&Counters::opened);
      ++w.stats.open;
      w.settle();
      L.ramp->settled();
    };
    // With --protocol centrifugo a connection counts as open once it is
    // connected and subscribed to --channel, and it answers server pings.
    bool centrifugo = o_.protocol == "centrifugo";
    const auto format = o_.format == "protobuf" ? centrifugo::Format::Protobuf : centrifugo::Format::Json;
    b.open = [this, centrifugo, format, opened](WebSocket& ws) {
      if (centrifugo) return void(ws.send(centrifugo::hello(format, o_.channel), centrifugo::opcode(format)));
      opened();
    };
    if (centrifugo) {
      auto done = std::make_shared<bool>(false);
      b.message = [&w, &L, opened, done, format](WebSocket& ws, std::string_view msg, ws::Opcode) {
        if (centrifugo::isPing(format, msg)) return void(ws.send(centrifugo::pong(format), centrifugo::opcode(format)));
        std::string error;
        if (*done || !centrifugo::isHelloDone(format, msg, true, error)) return;
        *done = true;
        if (error.empty()) return opened();
        w.count(&Counters::failed);
        w.stats.error(error);
        w.settle();
        L.ramp->settled();
        ws.close();
      };
    }
    b.close = [&w](WebSocket&, std::uint16_t code, std::string_view reason) {
      --w.stats.open;
      if (!w.stopping) w.stats.error(closeReason(code, reason));
    };
    w.app.connect(urlFor(id), std::move(b), clientOptions(id, [&w, &L](std::string_view error) {
                    w.count(&Counters::failed);
                    w.stats.error(error);
                    w.settle();
                    L.ramp->settled();
                  }));
  }

  std::vector<std::unique_ptr<IdleLoop>> loops_;
  unsigned workers_ = 1;
};

}  // namespace

std::unique_ptr<Scenario> makeIdleScenario(const BenchOptions& o, TargetPlan plan) {
  return std::make_unique<IdleScenario>(o, std::move(plan));
}

}  // namespace herald::loadgen
