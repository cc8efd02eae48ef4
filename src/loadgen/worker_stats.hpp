#pragma once
// What one client loop counts. Only its own loop thread writes it; the
// control thread gets copies (WorkerPool::collect) and adds them up.

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "loadgen/histogram.hpp"

namespace herald::loadgen {

struct Counters {
  std::uint64_t sent = 0;      // messages handed to WebSocket::send and queued
  std::uint64_t received = 0;  // messages that count: echoes, or subscribers' deliveries
  std::uint64_t bytes = 0;     // payload bytes of those received
  std::uint64_t opened = 0;    // connections that completed the upgrade
  std::uint64_t failed = 0;    // connections that failed before opening

  void add(const Counters& o) {
    sent += o.sent;
    received += o.received;
    bytes += o.bytes;
    opened += o.opened;
    failed += o.failed;
  }
};

struct WorkerStats {
  Counters total;    // the whole run
  Counters window;   // only while recording; reset when measuring starts
  Histogram latency;  // only while recording; reset when measuring starts
  std::uint64_t open = 0;  // connections open now
  std::uint64_t settled = 0;  // connection attempts finished, opened or failed (the ramp's progress)
  std::uint64_t receivers = 0;  // fan-out: subscribers that opened
  std::uint64_t lastSettledNs = 0;  // steady clock of the last attempt that settled
  std::uint64_t errorCount = 0;
  std::map<std::string, std::uint64_t, std::less<>> errors;  // by reason
  // Checks: echo mismatches; fan-out sequence anomalies.
  std::uint64_t mismatches = 0, missing = 0, duplicates = 0, outOfOrder = 0, corrupt = 0;
  std::uint64_t stalls = 0;  // sends answered Buffered/Dropped, after which the sender waited for drain

  void error(std::string_view reason) {
    ++errorCount;
    auto it = errors.find(reason);
    if (it == errors.end()) errors.emplace(std::string(reason), 1);
    else ++it->second;
  }

  void merge(const WorkerStats& o) {
    total.add(o.total);
    window.add(o.window);
    latency.merge(o.latency);
    open += o.open;
    settled += o.settled;
    receivers += o.receivers;
    lastSettledNs = std::max(lastSettledNs, o.lastSettledNs);
    errorCount += o.errorCount;
    for (const auto& [reason, n] : o.errors) errors[reason] += n;
    mismatches += o.mismatches;
    missing += o.missing;
    duplicates += o.duplicates;
    outOfOrder += o.outOfOrder;
    corrupt += o.corrupt;
    stalls += o.stalls;
  }
};

}  // namespace herald::loadgen
