// echo: N connections, each keeping --inflight messages of --size bytes in
// flight against an echo server; round-trip latency and messages/s.
//
// Every echo is checked against what was sent, without keeping copies: a
// payload is a 16-byte header (connection id, sequence number) followed by
// the loop's fixed pattern, and an echo server answers a connection's
// messages in order, so the oldest outstanding message is the one expected.
// The loop's one payload buffer is rewritten and reused for every send.
#include <cstring>

#include "loadgen/scenario.hpp"

namespace herald::loadgen {

namespace {

constexpr std::size_t kHeaderBytes = 16;

struct EchoConn {
  std::uint64_t id = 0;
  WebSocket* ws = nullptr;
  std::uint64_t nextSeq = 0;    // next to send
  std::uint64_t oldestSeq = 0;  // next echo expected
  std::vector<std::uint64_t> sentAtNs;  // ring of --inflight send times
  bool blocked = false;  // a send was Buffered or Dropped: wait for drain
};

struct EchoLoop {
  std::vector<std::unique_ptr<EchoConn>> conns;
  std::unique_ptr<Ramp> ramp;
  std::string payload;  // header rewritten per send, pattern fixed
  bool sending = false;
};

void writeHeader(char* out, std::size_t size, std::uint64_t id, std::uint64_t seq) {
  char header[kHeaderBytes];
  std::memcpy(header, &id, 8);
  std::memcpy(header + 8, &seq, 8);
  std::memcpy(out, header, std::min(size, kHeaderBytes));
}

class EchoScenario final : public Scenario {
 public:
  using Scenario::Scenario;

  void setUp(WorkerPool& pool) override {
    for (unsigned i = 0; i < pool.size(); ++i) {
      auto loop = std::make_unique<EchoLoop>();
      loop->payload.resize(o_.size);
      std::uint64_t x = 0x9E3779B97F4A7C15ull * (i + 1);
      for (std::size_t b = kHeaderBytes; b < o_.size; ++b) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        loop->payload[b] = static_cast<char>('a' + x % 26);  // text-like, so --compression has work to do
      }
      loops_.push_back(std::move(loop));
    }
    workers_ = pool.size();
  }

  void start(Worker& w) override {
    EchoLoop& L = *loops_[w.index];
    std::size_t share = shareOf(o_.connections, workers_, w.index);
    L.ramp = std::make_unique<Ramp>(share, shareOf(o_.concurrency, workers_, w.index),
                                    [this, &w, &L](std::size_t i) { launch(w, L, w.index + i * workers_); });
    L.ramp->pump();
  }

  bool ready(const WorkerStats& s) const override { return s.settled >= o_.connections; }

  void go(Worker& w) override {
    EchoLoop& L = *loops_[w.index];
    L.sending = true;
    for (auto& c : L.conns) fill(w, L, *c);
  }

  void stopTraffic(Worker& w) override { loops_[w.index]->sending = false; }

  void report(const RunResult& r, Report& rep) const override {
    const WorkerStats& s = r.stats;
    double secs = r.measuredSeconds > 0 ? r.measuredSeconds : 1;
    rep.metric("connections_opened", "connections opened", static_cast<double>(s.total.opened));
    rep.metric("connections_failed", "connections failed", static_cast<double>(s.total.failed));
    rep.metric("connect_seconds", "time to connect all", r.connectSeconds, 2, "s");
    rep.metric("measured_seconds", "measured for", secs, 2, "s");
    rep.metric("messages_per_second", "round trips/s", static_cast<double>(s.window.received) / secs);
    rep.metric("payload_mib_per_second", "payload each way", static_cast<double>(s.window.bytes) / secs / 1048576.0,
               2, "MiB/s");
    rep.metric("round_trips", "round trips measured", static_cast<double>(s.window.received));
    rep.metric("echo_mismatches", "echoes differing from the message", static_cast<double>(s.mismatches));
    rep.metric("send_stalls", "sends that waited for drain", static_cast<double>(s.stalls));
    serverMetrics(r, rep, static_cast<double>(s.window.received), "messages");
    rep.latency = summarize(s.latency, "round trip");
    if (s.mismatches)
      rep.failures.push_back(std::to_string(s.mismatches) + " echoes differed from the message sent");
    if (s.total.opened < o_.connections)
      rep.failures.push_back("only " + std::to_string(s.total.opened) + " of " + std::to_string(o_.connections) +
                             " connections opened");
    if (s.open < s.total.opened)
      rep.failures.push_back(std::to_string(s.total.opened - s.open) + " connections closed during the run");
  }

 private:
  void launch(Worker& w, EchoLoop& L, std::uint64_t id) {
    auto conn = std::make_unique<EchoConn>();
    EchoConn* c = conn.get();
    c->id = id;
    c->sentAtNs.assign(o_.inflight, 0);
    L.conns.push_back(std::move(conn));
    WsBehavior b = clientBehavior();
    b.open = [this, &w, &L, c](WebSocket& ws) {
      c->ws = &ws;
      w.count(&Counters::opened);
      ++w.stats.open;
      w.settle();
      L.ramp->settled();
      if (L.sending) fill(w, L, *c);
    };
    b.message = [this, &w, &L, c](WebSocket&, std::string_view msg, ws::Opcode) { onEcho(w, L, *c, msg); };
    b.drain = [this, &w, &L, c](WebSocket&) {
      c->blocked = false;
      fill(w, L, *c);
    };
    b.close = [&w, c](WebSocket&, std::uint16_t code, std::string_view reason) {
      c->ws = nullptr;
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

  void fill(Worker& w, EchoLoop& L, EchoConn& c) {
    while (L.sending && c.ws && !c.blocked && c.nextSeq - c.oldestSeq < o_.inflight) {
      writeHeader(L.payload.data(), L.payload.size(), c.id, c.nextSeq);
      std::uint64_t t = nowNs();
      SendResult r = c.ws->send(L.payload, ws::Opcode::Binary);
      if (r == SendResult::Dropped) {  // not queued: the connection is closing or its queue is full
        c.blocked = true;
        ++w.stats.stalls;
        return;
      }
      c.sentAtNs[c.nextSeq % o_.inflight] = t;
      ++c.nextSeq;
      w.count(&Counters::sent);
      if (r == SendResult::Buffered) {
        c.blocked = true;
        ++w.stats.stalls;
      }
    }
  }

  void onEcho(Worker& w, EchoLoop& L, EchoConn& c, std::string_view msg) {
    if (c.oldestSeq == c.nextSeq) {
      ++w.stats.mismatches;
      w.stats.error("a message arrived with nothing outstanding");
      return;
    }
    const std::uint64_t now = nowNs();
    char expected[kHeaderBytes];
    writeHeader(expected, kHeaderBytes, c.id, c.oldestSeq);
    const std::size_t head = std::min(L.payload.size(), kHeaderBytes);
    bool same = msg.size() == L.payload.size() && std::memcmp(msg.data(), expected, head) == 0 &&
                std::memcmp(msg.data() + head, L.payload.data() + head, msg.size() - head) == 0;
    if (!same) {
      ++w.stats.mismatches;
      w.stats.error("an echo differed from the message sent");
    }
    if (w.recording) w.stats.latency.record(now - c.sentAtNs[c.oldestSeq % o_.inflight]);
    ++c.oldestSeq;
    w.count(&Counters::received);
    w.count(&Counters::bytes, msg.size());
    fill(w, L, c);
  }

  std::vector<std::unique_ptr<EchoLoop>> loops_;
  unsigned workers_ = 1;
};

}  // namespace

std::unique_ptr<Scenario> makeEchoScenario(const BenchOptions& o, TargetPlan plan) {
  return std::make_unique<EchoScenario>(o, std::move(plan));
}

}  // namespace herald::loadgen
