#include "write_queue.hpp"

#include <algorithm>
#include <bit>

namespace herald::detail {

namespace {

constexpr std::size_t kMaxIov = 64;
// The largest owned block (see appendOwn).
constexpr std::size_t kBlockBytes = 16 * 1024;
// What a pooled state may keep: a few blocks per thread, each with a short
// segment array; anything bigger goes back to the allocator.
constexpr std::size_t kPoolBlocks = 1024;
constexpr std::size_t kPooledSegments = 8;
// Written buffers the pool keeps, in all, and the largest it keeps.
constexpr std::size_t kPoolSpareBytes = 256 * 1024;
constexpr std::size_t kMaxSpareBytes = 16 * 1024;

// The heap memory a string holds (none while its bytes fit inside it).
std::size_t heapBytes(const std::string& s) { return s.capacity() > std::string().capacity() ? s.capacity() : 0; }

// Set once this thread's pool is destroyed (thread exit): queues cleared
// after that, by objects destroyed later, free their state directly.
thread_local bool tlsPoolGone = false;

}  // namespace

class WriteQueue::Pool {
 public:
  ~Pool() {
    for (State* s : free_) delete s;
    tlsPoolGone = true;
  }
  State* take() {
    if (free_.empty()) return new State;
    State* s = free_.back();
    free_.pop_back();
    spareBytes_ -= heapBytes(s->spare);
    return s;
  }
  void give(State* s) {
    if (free_.size() >= kPoolBlocks || s->segments.capacity() > kPooledSegments) {
      delete s;
      return;
    }
    // Shared frames and owned bytes go now; one written buffer may stay as
    // the block's spare, while the pool's spares stay within their budget.
    if (!s->segments.empty() && !s->segments.front().shared) {
      std::string& own = s->segments.front().own;
      if (own.capacity() <= kMaxSpareBytes && own.capacity() > s->spare.capacity()) own.swap(s->spare);
    }
    s->segments.clear();
    s->head = 0;
    s->bytes = 0;
    if (spareBytes_ + heapBytes(s->spare) > kPoolSpareBytes) std::string().swap(s->spare);
    spareBytes_ += heapBytes(s->spare);
    free_.push_back(s);
  }
  std::size_t size() const { return free_.size(); }
  std::size_t spareBytes() const { return spareBytes_; }

  // This thread's pool, or null once it is gone.
  static Pool* mine() {
    if (tlsPoolGone) return nullptr;
    thread_local Pool pool;
    return &pool;
  }

 private:
  std::vector<State*> free_;
  std::size_t spareBytes_ = 0;  // capacity of the spare buffers in free_
};

std::size_t WriteQueue::pooledOnThisThread() {
  Pool* pool = Pool::mine();
  return pool ? pool->size() : 0;
}

std::size_t WriteQueue::pooledSpareBytesOnThisThread() {
  Pool* pool = Pool::mine();
  return pool ? pool->spareBytes() : 0;
}

WriteQueue::State& WriteQueue::state() {
  if (!q_) {
    Pool* pool = Pool::mine();
    q_ = pool ? pool->take() : new State;
  }
  return *q_;
}

void WriteQueue::append(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return;
  State& q = state();
  appendOwn(q, a);
  appendOwn(q, b);
  q.bytes += a.size() + b.size();
}

// Owned bytes go into blocks of at most kBlockBytes, each filled before the
// next starts: a block grows by doubling up to that size and no further, so
// a long backlog of small frames holds its own size plus at most one
// partly used block, not the up-to-2x of one ever-doubling string.
std::size_t WriteQueue::heldBytes() const {
  if (!q_) return 0;
  std::size_t n = sizeof(State) + q_->segments.capacity() * sizeof(Segment) + heapBytes(q_->spare);
  for (const Segment& s : q_->segments) n += heapBytes(s.own);
  return n;
}

std::size_t WriteQueue::blockRoom(const State& q) {
  if (q.segments.empty() || q.segments.back().shared) return 0;
  const std::size_t used = q.segments.back().own.size();
  return used >= kBlockBytes ? 0 : kBlockBytes - used;
}

void WriteQueue::appendOwn(State& q, std::string_view bytes) {
  while (!bytes.empty()) {
    if (blockRoom(q) == 0) {
      q.segments.emplace_back();
      std::string& fresh = q.segments.back().own;
      fresh.swap(q.spare);  // empty, or a buffer written before
      fresh.clear();
    }
    std::string& own = q.segments.back().own;
    const std::size_t take = std::min(bytes.size(), blockRoom(q));
    // Powers of two, at least doubling: the allocator then gets exactly
    // what is asked (a smaller step would be rounded up to twice the old
    // capacity, past the block size).
    if (own.size() + take > own.capacity())
      own.reserve(std::min(kBlockBytes, std::bit_ceil(std::max(own.size() + take, 2 * own.capacity()))));
    own.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
  }
}

void WriteQueue::appendMasked(std::string_view header, std::string_view payload, const ws::MaskKey& key) {
  State& q = state();
  appendOwn(q, header);
  // Masked where it lands, one block's piece at a time; the mask's phase
  // runs on across blocks.
  for (std::size_t done = 0; done < payload.size();) {
    const std::size_t room = blockRoom(q);
    const std::string_view piece = payload.substr(done, room == 0 ? kBlockBytes : room);
    appendOwn(q, piece);
    std::string& own = q.segments.back().own;
    ws::applyMask(own.data() + own.size() - piece.size(), piece.size(), key, done % 4);
    done += piece.size();
  }
  q.bytes += header.size() + payload.size();
}

void WriteQueue::append(SharedFrame frame) {
  if (frame->empty()) return;
  State& q = state();
  q.bytes += frame->size();
  q.segments.push_back(Segment{std::move(frame), {}, 0});
}

WriteQueue::FlushResult WriteQueue::flushTo(net::Stream& stream) {
  while (q_) {
    State& q = *q_;
    iovec iov[kMaxIov];
    std::size_t n = 0;
    for (std::size_t i = q.head; i < q.segments.size() && n < kMaxIov; ++i) {
      std::string_view rest = q.segments[i].rest();
      if (rest.empty()) continue;
      iov[n].iov_base = const_cast<char*>(rest.data());
      iov[n].iov_len = rest.size();
      ++n;
    }
    net::IoResult r = stream.write(iov, n);
    if (r.status == net::IoResult::WouldBlock) return FlushResult::Partial;
    if (r.status != net::IoResult::Ok) return FlushResult::Error;
    std::size_t left = r.bytes;
    q.bytes -= left;
    while (left > 0 && q.head < q.segments.size()) {
      Segment& s = q.segments[q.head];
      std::size_t avail = s.rest().size();
      if (left < avail) {
        s.offset += left;
        left = 0;
      } else {
        left -= avail;
        ++q.head;
      }
    }
    dropWritten();
  }
  return FlushResult::Done;
}

void WriteQueue::dropWritten() {
  State& q = *q_;
  if (q.bytes > 0) {
    // Release shared frames as soon as they are written.
    for (std::size_t i = 0; i < q.head; ++i) q.segments[i].shared.reset();
    return;
  }
  // Everything written: the state goes back to the pool, so an idle
  // connection holds no write memory.
  clear();
}

void WriteQueue::clear() {
  if (!q_) return;
  if (Pool* pool = Pool::mine()) pool->give(q_);
  else delete q_;
  q_ = nullptr;
}

}  // namespace herald::detail
