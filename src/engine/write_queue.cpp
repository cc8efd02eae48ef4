#include "write_queue.hpp"

namespace herald::detail {

namespace {

constexpr std::size_t kMaxIov = 64;

}  // namespace

void WriteQueue::append(std::string_view a, std::string_view b) {
  if (segments_.empty() || segments_.back().shared) segments_.emplace_back();
  std::string& own = segments_.back().own;
  own.append(a);
  own.append(b);
  bytes_ += a.size() + b.size();
}

void WriteQueue::appendMasked(std::string_view header, std::string_view payload, const ws::MaskKey& key) {
  append(header, payload);
  std::string& own = segments_.back().own;
  ws::applyMask(own.data() + own.size() - payload.size(), payload.size(), key, 0);
}

void WriteQueue::append(SharedFrame frame) {
  bytes_ += frame->size();
  segments_.push_back(Segment{std::move(frame), {}, 0});
}

WriteQueue::FlushResult WriteQueue::flushTo(net::Stream& stream) {
  while (bytes_ > 0) {
    iovec iov[kMaxIov];
    std::size_t n = 0;
    for (std::size_t i = head_; i < segments_.size() && n < kMaxIov; ++i) {
      std::string_view rest = segments_[i].rest();
      if (rest.empty()) continue;
      iov[n].iov_base = const_cast<char*>(rest.data());
      iov[n].iov_len = rest.size();
      ++n;
    }
    net::IoResult r = stream.write(iov, n);
    if (r.status == net::IoResult::WouldBlock) return FlushResult::Partial;
    if (r.status != net::IoResult::Ok) return FlushResult::Error;
    std::size_t left = r.bytes;
    bytes_ -= left;
    while (left > 0 && head_ < segments_.size()) {
      Segment& s = segments_[head_];
      std::size_t avail = s.rest().size();
      if (left < avail) {
        s.offset += left;
        left = 0;
      } else {
        left -= avail;
        ++head_;
      }
    }
    dropWritten();
  }
  return FlushResult::Done;
}

void WriteQueue::dropWritten() {
  if (head_ < segments_.size()) {
    // Release shared frames as soon as they are written.
    for (std::size_t i = 0; i < head_; ++i) segments_[i].shared.reset();
    return;
  }
  // Everything written: give the memory back. Most connections of a big
  // server are idle between bursts, and keeping a buffer each costs more
  // than the allocator's cheap reuse of freed blocks for a busy one.
  std::vector<Segment>().swap(segments_);
  head_ = 0;
}

void WriteQueue::release() {
  std::vector<Segment>().swap(segments_);
  head_ = 0;
  bytes_ = 0;
}

void WriteQueue::clear() {
  segments_.clear();
  head_ = 0;
  bytes_ = 0;
}

}  // namespace herald::detail
