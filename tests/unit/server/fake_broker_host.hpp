#pragma once
// A BrokerHost for tests: N "loops" that are queues run by the test thread.
//
// The host is the broker's boundary, so a test double of it is fair; the
// broker under test is the real one. What the fake models, from the
// BrokerHost contract:
//   - dispatch(loop, fn) runs fn at once when the current loop is `loop`,
//     else queues it from the current loop to `loop`;
//   - publish(topic, frame) records the frame on the current loop at once
//     and queues a delivery to every other loop;
//   - the only ordering promised is per pair of loops, so there is one FIFO
//     per (from, to) pair, and the test chooses which pair runs next.
// Calls from any other thread (a store's writer thread) come from
// `external()`, a source of its own, guarded by a mutex.
//
// Each loop keeps the deliveries it received, in order, so a test can see
// what a subscriber on that loop got after a given moment (its reply).

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "herald/broker/broker.hpp"

namespace herald::broker::test {

struct Delivery {
  std::string topic;
  std::string frame;
};

class FakeBrokerHost final : public BrokerHost {
 public:
  explicit FakeBrokerHost(unsigned loops) : loops_(loops), delivered_(loops), testThread_(std::this_thread::get_id()) {}

  // --- BrokerHost -------------------------------------------------------
  unsigned loopCount() const override { return loops_; }
  int currentLoop() const override { return std::this_thread::get_id() == testThread_ ? current_ : -1; }
  void dispatch(unsigned loop, std::function<void()> fn) override {
    int from = currentLoop();
    if (from == static_cast<int>(loop)) return fn();
    enqueue(source(from), loop, Item{std::move(fn), {}});
  }
  void publish(std::string_view topic, std::string_view frame, proto::Format = proto::Format::Json) override {
    int from = currentLoop();
    {
      std::lock_guard lock(mutex_);
      published_.push_back({std::string(topic), std::string(frame)});
    }
    if (onPublish) onPublish(topic, frame);
    for (unsigned l = 0; l < loops_; ++l) {
      if (static_cast<int>(l) == from) delivered_[l].push_back({std::string(topic), std::string(frame)});
      else enqueue(source(from), l, Item{nullptr, Delivery{std::string(topic), std::string(frame)}});
    }
  }
  std::int64_t nowMs() const override { return now; }
  bool formatInUse(proto::Format format) const override {
    return format == proto::Format::Json ? jsonInUse : protobufInUse;
  }
  void refuseFormat(std::string_view channel, proto::Format format) override {
    std::lock_guard lock(mutex_);
    refused.emplace_back(std::string(channel), format);
  }
  // Which formats "connections speak"; and what refuseFormat() was told.
  bool jsonInUse = true;
  bool protobufInUse = false;
  std::vector<std::pair<std::string, proto::Format>> refused;

  // --- driving ----------------------------------------------------------
  // The source index of calls from outside the loops.
  unsigned external() const { return loops_; }
  // While held, what other threads queue stays invisible to ready() and
  // drain() until releaseExternal(): a test that explores interleavings
  // decides when a store's answers arrive, whatever the store's thread did.
  void holdExternal(bool hold) {
    std::lock_guard lock(mutex_);
    holdExternal_ = hold;
  }
  void releaseExternal() {
    std::lock_guard lock(mutex_);
    for (auto& [to, item] : held_) queues_[{loops_, to}].push_back(std::move(item));
    held_.clear();
  }

  // Which loop the test's own calls into the broker come from (-1: none).
  void setCurrentLoop(int loop) { current_ = loop; }
  int current() const { return current_; }

  // The (from, to) pairs with queued work, in a fixed order.
  std::vector<std::pair<unsigned, unsigned>> ready() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<unsigned, unsigned>> out;
    for (const auto& [pair, q] : queues_)
      if (!q.empty()) out.push_back(pair);
    return out;
  }
  bool idle() const { return ready().empty(); }

  // Runs the oldest item queued from `from` to `to`, on loop `to`.
  void runOne(unsigned from, unsigned to) {
    Item item;
    {
      std::lock_guard lock(mutex_);
      auto& q = queues_[{from, to}];
      if (q.empty()) return;
      item = std::move(q.front());
      q.pop_front();
    }
    int saved = current_;
    current_ = static_cast<int>(to);
    if (item.fn) item.fn();
    else delivered_[to].push_back(std::move(*item.delivery));
    current_ = saved;
  }

  // Runs everything queued (and everything that queues), pairs taken in
  // turn, until nothing is left. Returns how many items ran. With
  // `external` false, what other threads queued waits.
  std::size_t drain(bool external = true) {
    std::size_t ran = 0;
    for (;;) {
      bool any = false;
      for (auto [from, to] : ready()) {
        if (!external && from == loops_) continue;
        runOne(from, to);
        ++ran;
        any = true;
      }
      if (!any) return ran;
    }
  }

  // --- what happened ----------------------------------------------------
  // Deliveries received by `loop`, in order (all topics).
  const std::vector<Delivery>& deliveredOn(unsigned loop) const { return delivered_[loop]; }
  // The frames `loop` received on `topic` from position `from` of its
  // delivery log on.
  std::vector<std::string> framesOn(unsigned loop, std::string_view topic, std::size_t from = 0) const {
    std::vector<std::string> out;
    for (std::size_t i = from; i < delivered_[loop].size(); ++i)
      if (delivered_[loop][i].topic == topic) out.push_back(delivered_[loop][i].frame);
    return out;
  }
  // Every publish() call, in order.
  std::vector<Delivery> published() const {
    std::lock_guard lock(mutex_);
    return published_;
  }
  std::size_t publishCount(std::string_view topic) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& d : published_) n += d.topic == topic;
    return n;
  }

  std::int64_t now = 1'700'000'000'000;  // Unix ms; tests move it
  // Called inside publish(), on the publishing thread.
  std::function<void(std::string_view topic, std::string_view frame)> onPublish;

 private:
  struct Item {
    std::function<void()> fn;
    std::optional<Delivery> delivery;
  };
  unsigned source(int from) const { return from < 0 ? loops_ : static_cast<unsigned>(from); }
  void enqueue(unsigned from, unsigned to, Item item) {
    std::lock_guard lock(mutex_);
    if (from == loops_ && holdExternal_) held_.emplace_back(to, std::move(item));
    else queues_[{from, to}].push_back(std::move(item));
  }

  unsigned loops_;
  int current_ = -1;
  mutable std::mutex mutex_;  // queues_ and published_: the store's thread may call in
  std::map<std::pair<unsigned, unsigned>, std::deque<Item>> queues_;
  bool holdExternal_ = false;
  std::deque<std::pair<unsigned, Item>> held_;  // from other threads, not yet visible
  std::vector<Delivery> published_;
  std::vector<std::vector<Delivery>> delivered_;  // per loop, touched by the test thread only
  std::thread::id testThread_;
};

// The offset in a publication push frame, 0 when it has none.
inline std::uint64_t offsetOf(std::string_view frame) {
  // {"push":{"channel":..,"pub":{"data":..,"offset":N}}}: the last "offset"
  // key of the frame is the publication's (data is ours and has none).
  std::size_t at = frame.rfind("\"offset\":");
  if (at == std::string_view::npos) return 0;
  std::uint64_t v = 0;
  for (std::size_t i = at + 9; i < frame.size() && frame[i] >= '0' && frame[i] <= '9'; ++i) v = v * 10 + (frame[i] - '0');
  return v;
}

inline std::vector<std::uint64_t> offsetsOf(const std::vector<std::string>& frames) {
  std::vector<std::uint64_t> out;
  for (const auto& f : frames) out.push_back(offsetOf(f));
  return out;
}

inline std::vector<std::uint64_t> offsetsOf(const std::vector<StoredPublication>& pubs) {
  std::vector<std::uint64_t> out;
  for (const auto& p : pubs) out.push_back(p.offset);
  return out;
}

inline std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

// Channel names owned by a given loop (owners are a hash of the name).
inline std::string channelOwnedBy(const LocalBroker& broker, unsigned loop, std::string_view prefix = "ch") {
  for (int i = 0;; ++i) {
    std::string name = std::string(prefix) + std::to_string(i);
    if (broker.ownerOf(name) == loop) return name;
  }
}

}  // namespace herald::broker::test
