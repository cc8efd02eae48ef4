// fanout: P publishers and N subscribers against a broadcast server (every
// message reaches every *other* client). Publishers are separate connections
// that ignore what they receive.
//
// A payload is [u32 publisher][u64 sequence][u64 steady-clock send time, ns]
// followed by a fixed pattern. Each subscriber keeps, per publisher, the next
// sequence number it expects, so it measures end-to-end latency and checks
// that every message of every publisher arrives once and in order:
//   seq == next   in order
//   seq >  next   a gap: counted out of order, and seq - next missing
//   seq <  next   a duplicate (or a late arrival after a gap)
// At the end, what a subscriber never got (up to each publisher's last
// sequence number) is missing too. Any of these fails the run.
//
// Pacing: with --rate R each publisher sends R messages/s on a 1 ms tick
// (more than 100 ms behind schedule, it forgives the backlog rather than
// burst). With --rate 0 it sends as fast as backpressure allows: at most
// --inflight messages not yet seen by a subscriber on its own loop (its
// pacer), or 64 per tick when its loop has no subscriber; always stopping on
// Buffered/Dropped until the drain callback.
#include <atomic>
#include <cstring>

#include "loadgen/centrifugo_wire.hpp"
#include "loadgen/scenario.hpp"

namespace herald::loadgen {

namespace {

constexpr std::size_t kHeaderBytes = 20;

struct Subscriber {
  WebSocket* ws = nullptr;
  bool opened = false;
  bool helloDone = false;  // --protocol centrifugo: connected and subscribed
  std::vector<std::uint64_t> next;  // per publisher: the sequence number expected next
};

struct Publisher {
  std::uint32_t id = 0;
  WebSocket* ws = nullptr;
  std::uint64_t nextSeq = 0;
  bool blocked = false;          // waiting for drain
  std::uint64_t scheduleStartNs = 0;
  std::uint64_t sentOnSchedule = 0;
  Subscriber* pacer = nullptr;  // --rate 0: a subscriber on the same loop
  std::uint32_t commandId = 2;  // --protocol centrifugo: the next publish's id
  bool helloDone = false;
};

struct FanoutLoop {
  std::vector<std::unique_ptr<Publisher>> pubs;
  std::vector<std::unique_ptr<Subscriber>> subs;
  std::vector<Publisher*> byId;  // publishers of this loop, by id (null elsewhere)
  std::unique_ptr<Ramp> ramp;
  std::string payload;
  std::string frame;  // --protocol centrifugo: the publish command being sent
  bool sending = false;
};

class FanoutScenario final : public Scenario {
 public:
  FanoutScenario(const BenchOptions& o, TargetPlan plan)
      : Scenario(o, std::move(plan)), finalSent_(new std::atomic<std::uint64_t>[o.publishers]) {
    for (std::size_t p = 0; p < o.publishers; ++p) finalSent_[p] = 0;
  }

  void setUp(WorkerPool& pool) override {
    workers_ = pool.size();
    for (unsigned i = 0; i < workers_; ++i) {
      auto L = std::make_unique<FanoutLoop>();
      L->byId.assign(o_.publishers, nullptr);
      L->payload.assign(o_.size, 'x');
      for (std::size_t b = kHeaderBytes; b < o_.size; ++b) L->payload[b] = static_cast<char>('a' + (b * 7 + 3) % 26);
      loops_.push_back(std::move(L));
    }
  }

  void start(Worker& w) override {
    FanoutLoop& L = *loops_[w.index];
    std::size_t pubs = shareOf(o_.publishers, workers_, w.index);
    std::size_t subs = shareOf(o_.connections, workers_, w.index);
    L.ramp = std::make_unique<Ramp>(pubs + subs, shareOf(o_.concurrency, workers_, w.index),
                                    [this, &w, &L, pubs](std::size_t i) {
                                      if (i < pubs) return launchPublisher(w, L, w.index + i * workers_);
                                      launchSubscriber(w, L, o_.publishers + w.index + (i - pubs) * workers_);
                                    });
    L.ramp->pump();
  }

  bool ready(const WorkerStats& s) const override { return s.settled >= o_.publishers + o_.connections; }

  std::chrono::microseconds tickInterval() const override { return std::chrono::milliseconds(1); }

  void go(Worker& w) override {
    FanoutLoop& L = *loops_[w.index];
    L.sending = true;
    Subscriber* pacer = nullptr;
    for (auto& s : L.subs)
      if (s->ws && !pacer) pacer = s.get();
    const std::uint64_t now = nowNs();
    for (auto& p : L.pubs) {
      p->pacer = o_.rate == 0 ? pacer : nullptr;
      p->scheduleStartNs = now;
      pump(w, L, *p);
    }
  }

  void tick(Worker& w) override {
    FanoutLoop& L = *loops_[w.index];
    for (auto& p : L.pubs) pump(w, L, *p);
  }

  void stopTraffic(Worker& w) override {
    FanoutLoop& L = *loops_[w.index];
    L.sending = false;
    for (auto& p : L.pubs) finalSent_[p->id].store(p->nextSeq, std::memory_order_relaxed);
  }

  bool drained(const WorkerStats& s) const override { return s.total.received >= s.total.sent * s.receivers; }

  void finish(Worker& w) override {
    for (auto& s : loops_[w.index]->subs) {
      if (!s->opened) continue;
      for (std::size_t p = 0; p < o_.publishers; ++p) {
        std::uint64_t last = finalSent_[p].load(std::memory_order_relaxed);
        if (s->next[p] < last) w.stats.missing += last - s->next[p];
      }
    }
  }

  void report(const RunResult& r, Report& rep) const override;

 private:
  void launchPublisher(Worker& w, FanoutLoop& L, std::size_t id) {
    auto pub = std::make_unique<Publisher>();
    Publisher* p = pub.get();
    p->id = static_cast<std::uint32_t>(id);
    L.pubs.push_back(std::move(pub));
    L.byId[id] = p;
    WsBehavior b = clientBehavior();
    b.open = [this, &w, &L, p](WebSocket& ws) {
      p->ws = &ws;
      if (!centrifugo()) return opened(w, L);
      ws.send(centrifugo::hello(format(), {}), centrifugo::opcode(format()));
    };
    if (centrifugo()) {
      b.message = [this, &w, &L, p](WebSocket& ws, std::string_view msg, ws::Opcode) {
        if (centrifugo::isPing(format(), msg)) return void(ws.send(centrifugo::pong(format()), centrifugo::opcode(format())));
        std::string error;
        if (!p->helloDone && centrifugo::isHelloDone(format(), msg, false, error)) {
          p->helloDone = true;
          if (!error.empty()) return failed(w, L, "publisher " + error);
          opened(w, L);
        }
        // Publish replies are not waited for: the subscribers see the result.
      };
    }
    b.drain = [this, &w, &L, p](WebSocket&) {
      p->blocked = false;
      pump(w, L, *p);
    };
    b.close = [&w, p](WebSocket&, std::uint16_t code, std::string_view reason) {
      p->ws = nullptr;
      closed(w, "publisher", code, reason);
    };
    // With the raw protocol b.message stays empty: publishers ignore what they receive.
    w.app.connect(urlFor(id), std::move(b), clientOptions(id, [&w, &L](std::string_view e) { failed(w, L, e); }));
  }

  void launchSubscriber(Worker& w, FanoutLoop& L, std::size_t id) {
    auto sub = std::make_unique<Subscriber>();
    Subscriber* s = sub.get();
    s->next.assign(o_.publishers, 0);
    L.subs.push_back(std::move(sub));
    WsBehavior b = clientBehavior();
    b.open = [this, &w, &L, s](WebSocket& ws) {
      s->ws = &ws;
      if (centrifugo()) return void(ws.send(centrifugo::hello(format(), o_.channel), centrifugo::opcode(format())));
      s->opened = true;
      ++w.stats.receivers;
      opened(w, L);
    };
    b.message = [this, &w, &L, s](WebSocket& ws, std::string_view msg, ws::Opcode) {
      if (!centrifugo()) return onDelivery(w, L, *s, msg);
      if (centrifugo::isPing(format(), msg)) return void(ws.send(centrifugo::pong(format()), centrifugo::opcode(format())));
      if (!s->helloDone) {
        std::string error;
        if (!centrifugo::isHelloDone(format(), msg, true, error)) return;
        s->helloDone = true;
        if (!error.empty()) return failed(w, L, "subscriber " + error);
        s->opened = true;
        ++w.stats.receivers;
        return opened(w, L);
      }
      // Publications may share a frame.
      if (!centrifugo::forEachMessage(format(), msg, [&](std::string_view m) { onDelivery(w, L, *s, m); })) {
        ++w.stats.corrupt;
        w.stats.error("a frame's message lengths do not add up");
      }
    };
    b.close = [&w, s](WebSocket&, std::uint16_t code, std::string_view reason) {
      s->ws = nullptr;
      closed(w, "subscriber", code, reason);
    };
    w.app.connect(urlFor(id), std::move(b), clientOptions(id, [&w, &L](std::string_view e) { failed(w, L, e); }));
  }

  static void opened(Worker& w, FanoutLoop& L) {
    w.count(&Counters::opened);
    ++w.stats.open;
    w.settle();
    L.ramp->settled();
  }
  static void failed(Worker& w, FanoutLoop& L, const std::string& error) { failed(w, L, std::string_view(error)); }
  static void failed(Worker& w, FanoutLoop& L, std::string_view error) {
    w.count(&Counters::failed);
    w.stats.error(error);
    w.settle();
    L.ramp->settled();
  }
  static void closed(Worker& w, const char* who, std::uint16_t code, std::string_view reason) {
    --w.stats.open;
    if (!w.stopping) w.stats.error(std::string(who) + " " + closeReason(code, reason));
  }

  void pump(Worker& w, FanoutLoop& L, Publisher& p) {
    if (!L.sending || !p.ws || p.blocked) return;
    if (o_.rate > 0) {
      const std::uint64_t now = nowNs();
      auto due = static_cast<std::uint64_t>(static_cast<double>(now - p.scheduleStartNs) * o_.rate / 1e9);
      if (due > p.sentOnSchedule + static_cast<std::uint64_t>(o_.rate / 10) + 1) {
        // More than 100 ms behind: start the schedule again from now.
        p.scheduleStartNs = now;
        p.sentOnSchedule = 0;
        due = 1;
      }
      while (p.sentOnSchedule < due && sendOne(w, L, p)) {
      }
    } else if (p.pacer && p.pacer->ws) {
      while (p.nextSeq - p.pacer->next[p.id] < o_.inflight && sendOne(w, L, p)) {
      }
    } else {
      for (int i = 0; i < 64 && sendOne(w, L, p); ++i) {
      }
    }
  }

  // Sends the next message; false when the publisher must wait (drain).
  bool sendOne(Worker& w, FanoutLoop& L, Publisher& p) {
    char* out = L.payload.data();
    const std::uint64_t now = nowNs();
    std::memcpy(out, &p.id, 4);
    std::memcpy(out + 4, &p.nextSeq, 8);
    std::memcpy(out + 12, &now, 8);
    SendResult r;
    if (centrifugo()) {
      centrifugo::encodePublish(format(), L.frame, p.commandId++, o_.channel,
                                reinterpret_cast<const unsigned char*>(out), kHeaderBytes, o_.size - kHeaderBytes);
      r = p.ws->send(L.frame, centrifugo::opcode(format()));
    } else {
      r = p.ws->send(L.payload, ws::Opcode::Binary);
    }
    if (r == SendResult::Dropped) {
      p.blocked = true;
      ++w.stats.stalls;
      return false;
    }
    ++p.nextSeq;
    ++p.sentOnSchedule;
    w.count(&Counters::sent);
    if (r == SendResult::Buffered) {
      p.blocked = true;
      ++w.stats.stalls;
      return false;
    }
    return true;
  }

  void onDelivery(Worker& w, FanoutLoop& L, Subscriber& s, std::string_view msg) {
    const std::uint64_t now = nowNs();
    std::uint32_t id = 0;
    std::uint64_t seq = 0, sentAt = 0;
    unsigned char header[kHeaderBytes];
    if (centrifugo()) {
      if (!centrifugo::decodePublication(format(), msg, header, kHeaderBytes, o_.size - kHeaderBytes)) {
        if (centrifugo::isReply(format(), msg)) return;  // a late reply, not a delivery
        ++w.stats.corrupt;
        w.stats.error("a delivery was not a publication any publisher sent");
        return;
      }
      std::memcpy(&id, header, 4);
      std::memcpy(&seq, header + 4, 8);
      std::memcpy(&sentAt, header + 12, 8);
      if (id >= o_.publishers) {
        ++w.stats.corrupt;
        return;
      }
    } else if (msg.size() >= kHeaderBytes) {
      std::memcpy(&id, msg.data(), 4);
      std::memcpy(&seq, msg.data() + 4, 8);
      std::memcpy(&sentAt, msg.data() + 12, 8);
    }
    if (!centrifugo() && (msg.size() != o_.size || id >= o_.publishers ||
        std::memcmp(msg.data() + kHeaderBytes, L.payload.data() + kHeaderBytes, msg.size() - kHeaderBytes) != 0)) {
      ++w.stats.corrupt;
      w.stats.error("a delivery was not a message any publisher sent");
      return;
    }
    std::uint64_t& next = s.next[id];
    if (seq == next) {
      ++next;
    } else if (seq > next) {
      ++w.stats.outOfOrder;
      w.stats.missing += seq - next;
      next = seq + 1;
    } else {
      ++w.stats.duplicates;
    }
    if (w.recording && now > sentAt) w.stats.latency.record(now - sentAt);
    w.count(&Counters::received);
    w.count(&Counters::bytes, centrifugo() ? o_.size : msg.size());
    Publisher* p = L.byId[id];
    if (p && p->pacer == &s) pump(w, L, *p);
  }

  bool centrifugo() const { return o_.protocol == "centrifugo"; }
  centrifugo::Format format() const {
    return o_.format == "protobuf" ? centrifugo::Format::Protobuf : centrifugo::Format::Json;
  }

  std::vector<std::unique_ptr<FanoutLoop>> loops_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> finalSent_;  // per publisher, written at stopTraffic
  unsigned workers_ = 1;
};

void FanoutScenario::report(const RunResult& r, Report& rep) const {
  const WorkerStats& s = r.stats;
  double secs = r.measuredSeconds > 0 ? r.measuredSeconds : 1;
  std::uint64_t subs = s.receivers, pubs = s.total.opened - s.receivers;
  rep.metric("publishers_connected", "publishers connected", static_cast<double>(pubs));
  rep.metric("subscribers_connected", "subscribers connected", static_cast<double>(subs));
  rep.metric("connect_seconds", "time to connect all", r.connectSeconds, 2, "s");
  rep.metric("measured_seconds", "measured for", secs, 2, "s");
  rep.metric("published_per_second", "published/s (all publishers)", static_cast<double>(s.window.sent) / secs);
  if (o_.rate > 0)
    rep.metric("target_published_per_second", "  target", o_.rate * static_cast<double>(o_.publishers));
  rep.metric("delivered_per_second", "delivered/s (all subscribers)", static_cast<double>(s.window.received) / secs);
  rep.metric("delivered_mib_per_second", "delivered payload", static_cast<double>(s.window.bytes) / secs / 1048576.0,
             2, "MiB/s");
  rep.metric("messages_published", "published in all (with warm-up)", static_cast<double>(s.total.sent));
  rep.metric("deliveries_checked", "deliveries checked", static_cast<double>(s.total.received));
  rep.metric("missing", "missing", static_cast<double>(s.missing));
  rep.metric("duplicates", "duplicates", static_cast<double>(s.duplicates));
  rep.metric("out_of_order", "out of order", static_cast<double>(s.outOfOrder));
  rep.metric("corrupt", "corrupt", static_cast<double>(s.corrupt));
  rep.metric("send_stalls", "sends that waited for drain", static_cast<double>(s.stalls));
  serverMetrics(r, rep, static_cast<double>(s.window.received), "deliveries");
  rep.latency = summarize(s.latency, "end to end (publisher send to subscriber receive)");
  auto check = [&](std::uint64_t n, const char* what) {
    if (n) rep.failures.push_back(std::to_string(n) + " " + what);
  };
  check(s.missing, "messages missing at subscribers");
  check(s.duplicates, "duplicate deliveries");
  check(s.outOfOrder, "deliveries out of order (gaps)");
  check(s.corrupt, "corrupt deliveries");
  if (subs < o_.connections)
    rep.failures.push_back("only " + std::to_string(subs) + " of " + std::to_string(o_.connections) +
                           " subscribers connected: the others got nothing");
  if (pubs < o_.publishers)
    rep.failures.push_back("only " + std::to_string(pubs) + " of " + std::to_string(o_.publishers) +
                           " publishers connected");
}

}  // namespace

std::unique_ptr<Scenario> makeFanoutScenario(const BenchOptions& o, TargetPlan plan) {
  return std::make_unique<FanoutScenario>(o, std::move(plan));
}

}  // namespace herald::loadgen
