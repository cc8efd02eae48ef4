#pragma once
// A byte buffer that grows without zero-filling and keeps its memory between
// uses: the decoder's padded frame copy and its unescaped-string arena.

#include <algorithm>
#include <cstddef>
#include <memory>

namespace herald::proto::detail {

class RawBuffer {
 public:
  // At least `size` bytes; the contents are not kept when it grows.
  char* reserve(std::size_t size) {
    if (size > capacity_) {
      capacity_ = std::max(size, capacity_ * 2);
      data_.reset(new char[capacity_]);
    }
    return data_.get();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
};

}  // namespace herald::proto::detail
