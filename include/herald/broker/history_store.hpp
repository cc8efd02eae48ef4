#pragma once
// The contract between the broker and a channel history backend (SQLite by
// default, memory for channels that opt out of durability, Redis later).
//
// What an offset is: a channel's publications are numbered 1, 2, 3, ... in
// the order its owner loop accepted them; `top` is the offset of the last
// durable one (0 for a channel that never had one). Offsets never go back and
// are never reused once durable, even after every publication has been
// trimmed away: the channel's top offset is kept with its epoch.
//
// What an epoch is: a short random string naming one unbroken life of a
// channel's offsets. A backend creates it the first time it sees a channel
// and keeps it for as long as it keeps the channel's offsets; it changes only
// when that continuity is really lost (a memory store restarted, a database
// file replaced). A subscriber that remembers (offset, epoch) can be told
// truthfully whether the publications after `offset` are still there.
//
// Threads: the broker calls a store from its channels' owner loops (several
// threads at once, never two at once for the same channel). load() blocks the
// caller; append() and removeHistory() return at once and report later from
// any thread (the store's writer thread, or synchronously inside the call).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::broker {

// Who published (absent for publications from the server API).
struct PublisherInfo {
  std::string user{};
  std::string client{};
  std::string connInfo{};  // raw JSON, or empty
  std::string chanInfo{};  // raw JSON, or empty
};

struct StoredPublication {
  std::uint64_t offset = 0;
  std::int64_t timeMs = 0;       // Unix milliseconds when accepted (for TTL trimming)
  std::string data{};            // raw JSON, exactly as published
  bool hasInfo = false;          // false: `info` is absent
  PublisherInfo info{};
  std::vector<std::pair<std::string, std::string>> tags{};
  // Go out as a fossil delta to the subscribers that asked (the API's
  // publish `delta`). Live delivery only: stores need not keep it.
  bool delta = false;
};

// How much of a channel's history to keep. size 0 or ttl 0 mean keep no
// publications at all (only the channel's top offset and epoch).
struct HistoryLimits {
  std::size_t size = 0;
  std::chrono::seconds ttl{0};
};

// A channel as a store knows it.
struct ChannelStream {
  std::string epoch{};
  std::uint64_t top = 0;
  // The retained publications, oldest first: at most limits.size of them,
  // none older than limits.ttl at `nowMs`, with offsets ending at `top` when
  // any are kept (a store never keeps a hole in the middle).
  std::vector<StoredPublication> publications{};
};

struct StoreResult {
  bool ok = true;
  std::string error{};  // why not, one readable line
};

class HistoryStore {
 public:
  virtual ~HistoryStore() = default;

  // The channel's epoch, top offset and retained publications, creating the
  // channel (with a fresh epoch and top 0) when the store has never seen it.
  // Blocks; the broker calls it once per channel, when it first needs it, and
  // then keeps the channel's recent history itself. Throws std::runtime_error
  // only when the backend itself fails (unreadable database).
  virtual ChannelStream load(std::string_view channel, const HistoryLimits& limits, std::int64_t nowMs) = 0;

  // Makes `publications` durable. Their offsets were assigned by the caller
  // and continue the channel's top without a gap (top+1, top+2, ...), and
  // `epoch` is the one load() returned. Appends are applied in call order
  // for a channel; after them the store trims the channel to `limits`, and
  // its top offset is the last appended offset. `done` runs exactly once,
  // after the publications are durable (ok) or definitely not stored (error,
  // e.g. disk full, or an epoch or offset that does not continue the
  // channel), on any thread. A store may batch appends from many channels into
  // one commit (group commit); `done` of every append in a batch runs after
  // that batch's commit.
  virtual void append(std::string channel, std::string epoch, std::vector<StoredPublication> publications,
                      HistoryLimits limits, std::function<void(StoreResult)> done) = 0;

  // Removes every publication of `channel` but keeps its top offset and epoch
  // (so later publications continue the numbering). `done` as for append,
  // ordered after every earlier append of the channel.
  virtual void removeHistory(std::string channel, std::function<void(StoreResult)> done) = 0;

  // Completes every append and removal already requested, then returns.
  // Called at shutdown, before the store is destroyed.
  virtual void flush() = 0;
};

}  // namespace herald::broker
