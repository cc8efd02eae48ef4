#pragma once
// The broker's view of the App: its loops, their queues and pub/sub.

#include <atomic>
#include <chrono>

#include "herald/broker/broker.hpp"
#include "herald/engine/app.hpp"
#include "metrics.hpp"

namespace herald::server {

class AppHost final : public broker::BrokerHost {
 public:
  explicit AppHost(App& app) : app_(app) {}

  unsigned loopCount() const override { return app_.threads(); }
  int currentLoop() const override { return app_.currentLoop(); }
  void dispatch(unsigned loop, std::function<void()> fn) override {
    if (app_.currentLoop() == static_cast<int>(loop)) return fn();
    app_.deferTo(loop, std::move(fn));
  }
  void publish(std::string_view topic, std::string_view frame, proto::Format format) override {
    app_.publish(topic, frame, format == proto::Format::Protobuf ? ws::Opcode::Binary : ws::Opcode::Text);
  }
  // A publication made while the first session of a format subscribes is
  // still encoded in it: sessions count from the upgrade, before any subscribe.
  bool formatInUse(proto::Format format) const override {
    if (!metrics) return format == proto::Format::Json;
    return metrics->openByFormat[static_cast<std::size_t>(format)].load(std::memory_order_relaxed) > 0;
  }
  void refuseFormat(std::string_view channel, proto::Format format) override {
    if (onRefuse) onRefuse(std::string(channel), format);
  }
  void resetChannel(std::string_view channel, std::string_view why) override {
    if (onReset) onReset(std::string(channel), why);
  }
  bool deltaInUse() const override {
    return metrics && metrics->deltaSubscriptions.load(std::memory_order_relaxed) > 0;
  }
  void publishDelta(std::string_view channel, proto::Format format, std::uint64_t seq,
                    std::shared_ptr<const DeltaFrames> frames) override {
    if (onDelta) onDelta(std::string(channel), format, seq, std::move(frames));
  }
  std::function<void(std::string, proto::Format, std::uint64_t, std::shared_ptr<const DeltaFrames>)> onDelta{};
  // Set once the client protocol exists (before the loops run).
  std::function<void(std::string, std::string_view)> onReset{};
  std::function<void(std::string, proto::Format)> onRefuse{};
  const Metrics* metrics = nullptr;  // its per-format session counts

  std::int64_t nowMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

 private:
  App& app_;
};

}  // namespace herald::server
