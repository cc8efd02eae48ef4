#pragma once
// The broker over a FakeBrokerHost, with the real MemoryHistory and (on
// demand) SqliteHistory in a temporary directory as its stores, and small
// helpers that make one call and take its outcome.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fake_broker_host.hpp"
#include "herald/broker/broker.hpp"
#include "herald/store/memory_history.hpp"
#include "herald/store/sqlite_history.hpp"
#include "store/temp_dir.hpp"

namespace herald::broker::test {

using namespace std::chrono_literals;

inline const HistoryLimits kKeepAll{1000, std::chrono::hours(24)};

// One outcome, filled in by the callback when it runs (on whichever loop).
template <class T>
struct Slot {
  std::optional<T> value;
  int calls = 0;
  int loop = -2;  // the loop the callback ran on
  auto sink(const FakeBrokerHost& host) {
    return [this, &host](T v) {
      value = std::move(v);
      ++calls;
      loop = host.currentLoop();
    };
  }
};

inline store::SqliteHistory::Options fastSqlite() {
  store::SqliteHistory::Options o;
  o.syncEveryCommit = false;  // WAL commits still ordered; no fsync wait in unit tests
  o.trimInterval = 0ms;
  return o;
}

class BrokerHarness {
 public:
  explicit BrokerHarness(unsigned loops = 3) : host(loops) { reset(); }

  // What every channel gets unless a test says otherwise.
  ChannelSetup setup{};
  FakeBrokerHost host;
  store::MemoryHistory memory;
  store::test::TempDir dir;
  std::unique_ptr<store::SqliteHistory> sqlite;
  std::unique_ptr<LocalBroker> broker;

  // A fresh broker (the stores stay).
  void reset() {
    broker = std::make_unique<LocalBroker>(host, [this](std::string_view) { return setup; });
  }
  void useMemory(HistoryLimits limits = kKeepAll, bool presence = false) {
    setup = ChannelSetup{&memory, limits, presence};
  }
  void useSqlite(HistoryLimits limits = kKeepAll) {
    if (!sqlite) sqlite = std::make_unique<store::SqliteHistory>(dir.path(), fastSqlite());
    setup = ChannelSetup{sqlite.get(), limits, false};
  }
  // Closes the database and opens it again, as a restarted server would.
  void reopenSqlite() {
    sqlite.reset();
    sqlite = std::make_unique<store::SqliteHistory>(dir.path(), fastSqlite());
    setup.store = sqlite.get();
  }

  // Runs every loop and the store until nothing is left to do.
  void settle() {
    for (;;) {
      host.drain();
      if (sqlite) sqlite->flush();
      if (host.idle()) return;
    }
  }

  // --- one call from `loop`, its outcome after settle() -------------------
  PublishOutcome publish(unsigned loop, const std::string& channel, std::string data = R"({"x":1})") {
    Slot<PublishOutcome> slot;
    publishAsync(loop, channel, std::move(data), slot);
    settle();
    EXPECT_EQ(slot.calls, 1) << "publish to " << channel;
    return slot.value.value_or(PublishOutcome{Failure{proto::ErrorCode::Internal, "no reply"}});
  }
  void publishAsync(unsigned loop, const std::string& channel, std::string data, Slot<PublishOutcome>& slot) {
    host.setCurrentLoop(static_cast<int>(loop));
    broker->publish(PublishRequest{channel, std::move(data), std::nullopt, {}}, loop, slot.sink(host));
    host.setCurrentLoop(-1);
  }

  SubscribeOutcome subscribe(unsigned loop, SubscribeRequest request) {
    Slot<SubscribeOutcome> slot;
    host.setCurrentLoop(static_cast<int>(loop));
    broker->subscribe(std::move(request), loop, slot.sink(host));
    host.setCurrentLoop(-1);
    settle();
    EXPECT_EQ(slot.calls, 1);
    return slot.value.value_or(SubscribeOutcome{Failure{proto::ErrorCode::Internal, "no reply"}});
  }
  SubscribeOutcome subscribe(unsigned loop, const std::string& channel, const std::string& client,
                             const std::string& user = "u") {
    return subscribe(loop, SubscribeRequest{channel, {client, user, {}, {}}});
  }
  SubscribeOutcome recover(unsigned loop, const std::string& channel, std::uint64_t offset, std::string epoch,
                           std::size_t maxRecovered = 0) {
    SubscribeRequest r{channel, {"recoverer", "u", {}, {}}};
    r.maxRecovered = maxRecovered;
    r.recover = true;
    r.offset = offset;
    r.epoch = std::move(epoch);
    return subscribe(loop, std::move(r));
  }
  void unsubscribe(unsigned loop, const std::string& channel, const std::string& client, bool leavePush = false) {
    host.setCurrentLoop(static_cast<int>(loop));
    broker->unsubscribe(channel, client, leavePush);
    host.setCurrentLoop(-1);
    settle();
  }

  HistoryOutcome history(unsigned loop, HistoryQuery query) {
    Slot<HistoryOutcome> slot;
    host.setCurrentLoop(static_cast<int>(loop));
    broker->history(std::move(query), loop, slot.sink(host));
    host.setCurrentLoop(-1);
    settle();
    EXPECT_EQ(slot.calls, 1);
    return slot.value.value_or(HistoryOutcome{Failure{proto::ErrorCode::Internal, "no reply"}});
  }

  PresenceOutcome presence(unsigned loop, const std::string& channel) {
    Slot<PresenceOutcome> slot;
    host.setCurrentLoop(static_cast<int>(loop));
    broker->presence(channel, loop, slot.sink(host));
    host.setCurrentLoop(-1);
    settle();
    EXPECT_EQ(slot.calls, 1);
    return slot.value.value_or(PresenceOutcome{Failure{proto::ErrorCode::Internal, "no reply"}});
  }

  std::vector<ChannelSummary> channels(unsigned loop) {
    Slot<std::vector<ChannelSummary>> slot;
    host.setCurrentLoop(static_cast<int>(loop));
    broker->channels(loop, slot.sink(host));
    host.setCurrentLoop(-1);
    settle();
    EXPECT_EQ(slot.calls, 1);
    return slot.value.value_or(std::vector<ChannelSummary>{});
  }

  void sweepEveryLoop(std::chrono::milliseconds idle) {
    for (unsigned l = 0; l < host.loopCount(); ++l) {
      host.setCurrentLoop(static_cast<int>(l));
      broker->sweep(idle);
    }
    host.setCurrentLoop(-1);
    settle();
  }
};

}  // namespace herald::broker::test
