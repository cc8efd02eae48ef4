// The bench driver: phases, progress, server samples, the report.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "loadgen/scenario.hpp"

namespace herald::loadgen {

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> interrupted{false};
extern "C" void onInterrupt(int) { interrupted.store(true); }

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class Driver {
 public:
  Driver(const BenchOptions& o, WorkerPool& pool) : o_(o), pool_(pool) {
    tty_ = isatty(STDERR_FILENO) == 1;
  }

  // Polls every 100 ms until `until` holds, `seconds` pass or Ctrl-C; prints
  // progress once a second. With `stallSeconds`, also gives up when nothing
  // was received for that long.
  template <class Until>
  WorkerStats phase(const char* name, double seconds, Until until, double stallSeconds = 0) {
    const Clock::time_point begin = Clock::now();
    WorkerStats s = pool_.collect();
    std::uint64_t lastReceived = s.total.received;
    Clock::time_point lastChange = begin;
    while (!until(s) && secondsSince(begin) < seconds && !interrupted.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      s = pool_.collect();
      if (s.total.received != lastReceived) {
        lastReceived = s.total.received;
        lastChange = Clock::now();
      }
      if (stallSeconds > 0 && secondsSince(lastChange) >= stallSeconds) break;
      if (secondsSince(lastPrint_) >= 1.0) progress(name, s);
    }
    return s;
  }

  void progress(const char* name, const WorkerStats& s) {
    double dt = secondsSince(lastPrint_);
    Progress p{.elapsedSeconds = secondsSince(start_),
               .phase = name,
               .messagesPerSecond = static_cast<double>(s.total.received - last_.received) / dt,
               .connectionsPerSecond = static_cast<double>(s.total.opened - last_.opened) / dt,
               .p99Ns = s.latency.percentile(99),
               .open = s.open,
               .errors = s.errorCount};
    last_ = s.total;
    lastPrint_ = Clock::now();
    if (o_.quiet) return;
    std::string line = formatProgress(p);
    std::fprintf(stderr, tty_ ? "\r%s\033[K" : "%s\n", line.c_str());
    std::fflush(stderr);
    printed_ = true;
  }

  void endProgress() {
    if (printed_ && tty_ && !o_.quiet) std::fputc('\n', stderr);
  }

  Clock::time_point start_ = Clock::now(), lastPrint_ = start_;

 private:
  const BenchOptions& o_;
  WorkerPool& pool_;
  Counters last_;
  bool tty_ = false, printed_ = false;
};

std::optional<ProcSample> sampleServer(int pid, Report& report) {
  if (pid <= 0) return std::nullopt;
  std::string error;
  auto s = sampleProcess(pid, error);
  if (!s && std::find(report.notes.begin(), report.notes.end(), error) == report.notes.end())
    report.notes.push_back(error);
  return s;
}

std::unique_ptr<Scenario> makeScenario(const BenchOptions& o, TargetPlan plan) {
  if (o.scenario == "echo") return makeEchoScenario(o, std::move(plan));
  if (o.scenario == "fanout") return makeFanoutScenario(o, std::move(plan));
  if (o.scenario == "connect") return makeConnectScenario(o, std::move(plan));
  if (o.scenario == "idle") return makeIdleScenario(o, std::move(plan));
  return nullptr;
}

// Options that make no sense; empty when all is well.
std::string invalid(const BenchOptions& o) {
  if (o.duration <= 0) return "--duration must be positive";
  if (o.warmup < 0) return "--warmup cannot be negative";
  if (o.scenario == "fanout" && o.size < 20) return "fanout needs --size >= 20 (id, sequence and timestamp)";
  if (o.scenario == "fanout" && o.publishers == 0) return "fanout needs at least one publisher";
  if (o.format != "json" && o.format != "protobuf") return "--format is json or protobuf";
  if (o.format == "protobuf" && o.protocol != "centrifugo") return "--format protobuf needs --protocol centrifugo";
  if (o.protocol == "centrifugo" && o.scenario != "fanout" && o.scenario != "idle")
    return "--protocol centrifugo works with the fanout and idle scenarios";
  if (o.protocol == "centrifugo" && (o.channel.empty() || o.channel.find_first_of("\"\\") != std::string::npos))
    return "--channel must be a plain channel name";
  if (o.rate < 0) return "--rate cannot be negative";
  if (o.inflight == 0) return "--inflight must be at least 1";
  if (o.scenario != "connect" && o.connections == 0) return "--connections must be at least 1";
  return {};
}

void addSettings(const BenchOptions& o, Report& r) {
  r.setting("threads", std::to_string(o.threads));
  if (o.scenario == "fanout") {
    r.setting("publishers", std::to_string(o.publishers));
    r.setting("subscribers", std::to_string(o.connections));
    r.setting("rate", std::to_string(static_cast<long long>(o.rate)));
  } else if (o.scenario != "connect" || o.connectionsGiven) {
    r.setting("connections", std::to_string(o.connections));
  }
  if (o.scenario == "echo" || o.scenario == "fanout") r.setting("size", std::to_string(o.size));
  if (o.protocol != "raw") r.setting("protocol", o.protocol + " " + o.format + " (channel " + o.channel + ")");
  if (o.scenario == "echo" || (o.scenario == "fanout" && o.rate == 0))
    r.setting("inflight", std::to_string(o.inflight));
  r.setting("concurrency", std::to_string(o.concurrency));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", o.duration);
  r.setting("duration", buf);
  std::snprintf(buf, sizeof buf, "%g", o.warmup);
  if (o.scenario != "idle") r.setting("warmup", buf);
  if (o.compression) r.setting("compression", "on");
}

}  // namespace

int runBench(const BenchOptions& in) {
  BenchOptions o = in;
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency() / 2);
  if (std::string why = invalid(o); !why.empty()) {
    std::fprintf(stderr, "herald bench: %s\n", why.c_str());
    return 2;
  }
  std::string error;
  std::size_t planned = o.scenario == "fanout" ? o.connections + o.publishers : o.connections;
  std::optional<TargetPlan> plan = planTargets(o.url, o.sourceAddresses, planned, error);
  if (!plan) {
    std::fprintf(stderr, "herald bench: %s\n", error.c_str());
    return 2;
  }
  Report report;
  report.scenario = o.scenario;
  report.url = o.url;
  if (!plan->note.empty()) report.notes.push_back(plan->note);
  std::unique_ptr<Scenario> scenario = makeScenario(o, std::move(*plan));
  if (!scenario) {
    std::fprintf(stderr, "herald bench: unknown scenario '%s' (echo, fanout, connect, idle)\n", o.scenario.c_str());
    return 2;
  }
  interrupted = false;
  // A TLS write to a peer that just reset would raise SIGPIPE (OpenSSL writes
  // with write(), not send(MSG_NOSIGNAL)); the failure is handled as an error.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);

  RunResult r;
  r.serverBefore = sampleServer(o.serverPid, report);
  r.selfBefore = sampleServer(static_cast<int>(getpid()), report);
  WorkerPool pool(o.threads);  // after the scenario: its loops' callbacks use the scenario's state
  scenario->setUp(pool);
  pool.start();
  if (auto interval = scenario->tickInterval(); interval.count() > 0)
    pool.startTicker(interval, [s = scenario.get()](Worker& w) { s->tick(w); });
  Driver driver(o, pool);

  pool.postAll([s = scenario.get()](Worker& w) { s->start(w); });
  constexpr double kForever = 1e18;
  const std::uint64_t startNs = nowNs();
  // A second server sample once the first connections are open: what the
  // server spends once (library pages its first handshakes fault in, e.g.
  // libcrypto's SHA-1; its buffers' first growth) is then out of the
  // per-connection figure.
  const std::uint64_t warmAt = std::max<std::uint64_t>(100, planned / 20);
  WorkerStats connected = driver.phase("connecting", kForever, [&](const WorkerStats& s) {
    if (o.serverPid && !r.serverWarm && s.settled >= warmAt && s.settled < planned) {
      r.serverWarm = sampleServer(o.serverPid, report);
      r.warmOpened = s.total.opened;
    }
    return scenario->ready(s);
  });
  // The loops' own clock, not this thread's 100 ms polling.
  r.connectSeconds = connected.lastSettledNs > startNs ? static_cast<double>(connected.lastSettledNs - startNs) / 1e9
                                                       : secondsSince(driver.start_);
  r.serverReady = sampleServer(o.serverPid, report);
  r.selfReady = sampleServer(static_cast<int>(getpid()), report);

  pool.postAll([s = scenario.get()](Worker& w) {
    w.recording = true;
    s->go(w);
  });
  if (scenario->warmupSeconds() > 0)
    driver.phase("warm-up", scenario->warmupSeconds(), [](const WorkerStats&) { return false; });
  pool.postAll([](Worker& w) {
    w.stats.window = {};
    w.stats.latency.reset();
  });
  const Clock::time_point windowStart = Clock::now();
  const std::uint64_t windowStartNs = nowNs();
  r.serverWindowStart = sampleServer(o.serverPid, report);
  WorkerStats measured =
      driver.phase(scenario->measurePhase(), o.duration, [&](const WorkerStats& s) { return scenario->done(s); });
  pool.postAll([s = scenario.get()](Worker& w) {
    w.recording = false;
    s->stopTraffic(w);
  });
  r.measuredSeconds = secondsSince(windowStart);
  if (scenario->done(measured) && measured.lastSettledNs > windowStartNs)  // ended by itself, between two polls
    r.measuredSeconds = static_cast<double>(measured.lastSettledNs - windowStartNs) / 1e9;
  r.serverWindowEnd = sampleServer(o.serverPid, report);
  r.interrupted = interrupted.load();

  if (!r.interrupted)
    driver.phase("draining", 10.0, [&](const WorkerStats& s) { return scenario->drained(s); }, 1.0);
  pool.postAll([s = scenario.get()](Worker& w) { s->finish(w); });
  r.stats = pool.collect(std::chrono::seconds(3));
  driver.endProgress();
  pool.stop();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  addSettings(o, report);
  scenario->report(r, report);
  for (const auto& [reason, n] : r.stats.errors) report.errors.emplace_back(reason, n);
  std::stable_sort(report.errors.begin(), report.errors.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (r.stats.total.opened == 0 && report.failures.empty()) report.failures.push_back("no connection opened");
  if (r.interrupted) report.notes.push_back("interrupted: the window was cut short");

  std::string out = o.json ? formatJson(report) : formatTable(report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return report.ok() ? 0 : 1;
}

}  // namespace herald::loadgen
