#pragma once
// A connection's outgoing bytes, written with one sendmsg() per flush.
//
// Bytes a connection produces itself (echoes, pongs, close frames) are
// appended to owned blocks of up to 16 KiB, so consecutive small frames
// coalesce into one buffer and a backlog holds little more than its bytes. Published frames are shared: the queue holds a reference to the one
// serialized copy instead of copying it.
//
// An empty queue is one null pointer: most connections of a big server are
// idle, and an idle connection holds no write memory at all. The state of a
// non-empty queue comes from a small per-thread pool and goes back to it once
// everything is written, so a busy loop reuses the same few blocks (their
// segment arrays, and a bounded number of written buffers) instead of asking
// the allocator on every send. A queue is
// used on one thread at a time (its connection's loop); the pool is that
// thread's.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herald/net/stream.hpp"
#include "herald/ws/mask.hpp"

namespace herald::detail {

using SharedFrame = std::shared_ptr<const std::string>;

class WriteQueue {
 public:
  enum class FlushResult { Done, Partial, Error };

  WriteQueue() = default;
  ~WriteQueue() { clear(); }
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  void append(std::string_view a, std::string_view b = {});
  // Appends `header` then `payload` masked with `key` (a client's frame).
  void appendMasked(std::string_view header, std::string_view payload, const ws::MaskKey& key);
  void append(SharedFrame frame);

  // Writes as much as the stream takes.
  FlushResult flushTo(net::Stream& stream);

  std::size_t size() const { return q_ ? q_->bytes : 0; }
  // Heap bytes the queue holds for itself: its state, segment array and
  // owned blocks (capacity, not content). Shared frames are not counted:
  // one copy serves every subscriber.
  std::size_t heldBytes() const;
  bool empty() const { return size() == 0; }
  // Drops everything queued and gives the state back.
  void clear();

  // Blocks the calling thread's pool keeps for reuse (for tests).
  static std::size_t pooledOnThisThread();
  // Bytes of written buffers that pool keeps for reuse (for tests).
  static std::size_t pooledSpareBytesOnThisThread();

 private:
  struct Segment {
    SharedFrame shared;  // set for a shared frame
    std::string own;     // otherwise the bytes live here
    std::size_t offset = 0;
    std::string_view rest() const {
      std::string_view all = shared ? std::string_view(*shared) : std::string_view(own);
      return all.substr(offset);
    }
  };
  struct State {
    std::vector<Segment> segments;
    std::size_t head = 0;   // first segment not fully written
    std::size_t bytes = 0;  // unwritten bytes
    std::string spare;      // a written buffer kept for the next owned segment (pooled states only)
  };
  class Pool;

  State& state();
  // Copies `bytes` into owned blocks (q.bytes is the caller's to update).
  static void appendOwn(State& q, std::string_view bytes);
  // Bytes the last owned block can still take; 0 when a new one is needed.
  static std::size_t blockRoom(const State& q);
  void dropWritten();

  State* q_ = nullptr;  // null when nothing is queued
};

}  // namespace herald::detail
