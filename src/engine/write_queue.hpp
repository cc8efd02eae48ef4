#pragma once
// A connection's outgoing bytes, written with one sendmsg() per flush.
//
// Bytes a connection produces itself (echoes, pongs, close frames) are
// appended to an owned segment, so consecutive small frames coalesce into one
// buffer; once everything is written the memory is given back. Published frames are shared: the queue holds
// a reference to the one serialized copy instead of copying it.

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

  void append(std::string_view a, std::string_view b = {});
  // Appends `header` then `payload` masked with `key` (a client's frame).
  void appendMasked(std::string_view header, std::string_view payload, const ws::MaskKey& key);
  void append(SharedFrame frame);

  // Writes as much as the stream takes.
  FlushResult flushTo(net::Stream& stream);

  std::size_t size() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }
  void clear();
  // clear(), and give back the memory kept for reuse as well.
  void release();

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
  void dropWritten();

  std::vector<Segment> segments_;
  std::size_t head_ = 0;   // first segment not fully written
  std::size_t bytes_ = 0;  // unwritten bytes
};

}  // namespace herald::detail
