#include "herald/ws/deflate_codec.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>

namespace herald::ws {

namespace {

// zlib counts bytes in uInt; longer inputs are given to it in slices.
constexpr std::size_t kMaxSlice = std::size_t{1} << 30;
constexpr char kTail[4] = {'\x00', '\x00', '\xFF', '\xFF'};  // RFC 7692 7.2.1

Bytef* bytes(const char* p) { return reinterpret_cast<Bytef*>(const_cast<char*>(p)); }

// Makes out.capacity() at least `need`, growing geometrically but never past
// `ceiling` (unless `need` itself is past it). libstdc++'s reserve() doubles
// whatever it is asked for below twice the old capacity, so a growth that
// must stop short of doubling goes through a fresh, exactly sized string.
void reserveWithin(std::string& out, std::size_t need, std::size_t ceiling) {
  const std::size_t cap = out.capacity();
  if (need <= cap) return;
  const std::size_t want = std::max(need, std::min(cap * 2, ceiling));
  if (want >= cap * 2) {
    out.reserve(want);
    return;
  }
  std::string bigger;
  bigger.reserve(want);
  bigger.append(out);
  out.swap(bigger);
}

}  // namespace

// ---- Deflater ---------------------------------------------------------------

void Deflater::StreamDeleter::operator()(z_stream_s* s) const {
  deflateEnd(s);
  delete s;
}

Deflater::Deflater(DeflaterOptions options) : options_(options) {
  options_.windowBits = std::clamp(options_.windowBits, 9, 15);
  options_.memLevel = std::clamp(options_.memLevel, 1, 9);
  options_.level = std::clamp(options_.level, -1, 9);
}

Deflater::~Deflater() = default;
Deflater::Deflater(Deflater&&) noexcept = default;
Deflater& Deflater::operator=(Deflater&&) noexcept = default;

bool Deflater::ensureStream() {
  if (stream_) return true;
  auto* s = new (std::nothrow) z_stream{};
  if (s == nullptr) return false;
  // Negative window bits: a raw DEFLATE stream, no zlib header or checksum.
  if (deflateInit2(s, options_.level, Z_DEFLATED, -options_.windowBits, options_.memLevel, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    delete s;
    return false;
  }
  stream_.reset(s);
  return true;
}

bool Deflater::compress(std::string_view message, std::string& out) {
  // An empty message is an empty stored block, 00 [00 00 FF FF]. zlib would
  // write nothing for it after an earlier flush (Z_BUF_ERROR), and an empty
  // payload would leave a receiver inside a stored block header.
  if (message.empty()) {
    out.push_back('\x00');
    return true;
  }
  if (!ensureStream()) return false;
  z_stream& z = *stream_;
  const std::size_t start = out.size();
  std::size_t used = start;
  std::size_t left = message.size();
  const char* next = message.data();
  do {
    const std::size_t slice = std::min(left, kMaxSlice);
    left -= slice;
    z.next_in = bytes(next);
    z.avail_in = static_cast<uInt>(slice);
    next += slice;
    const int flush = left == 0 ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    do {
      const std::size_t room = std::min<std::size_t>(deflateBound(&z, z.avail_in) + 16, kMaxSlice);
      out.resize(used + room);
      z.next_out = bytes(out.data() + used);
      z.avail_out = static_cast<uInt>(room);
      const int rc = deflate(&z, flush);
      used += room - z.avail_out;
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        out.resize(start);
        deflateReset(&z);
        return false;
      }
      // Done with this slice once its input is in and zlib had room to spare.
    } while (z.avail_in != 0 || z.avail_out == 0);
  } while (left != 0);
  out.resize(used);
  // A sync flush ends with an empty stored block, 00 00 FF FF; RFC 7692
  // 7.2.1 removes those four bytes (the receiver puts them back).
  if (used - start >= 4 && std::memcmp(out.data() + used - 4, kTail, 4) == 0) out.resize(used - 4);
  if (options_.noContextTakeover) deflateReset(&z);
  return true;
}

// ---- Inflater ---------------------------------------------------------------

void Inflater::StreamDeleter::operator()(z_stream_s* s) const {
  inflateEnd(s);
  delete s;
}

Inflater::Inflater(InflaterOptions options) : options_(options) {}

Inflater::~Inflater() = default;
Inflater::Inflater(Inflater&&) noexcept = default;
Inflater& Inflater::operator=(Inflater&&) noexcept = default;

bool Inflater::ensureStream() {
  if (stream_) return true;
  auto* s = new (std::nothrow) z_stream{};
  if (s == nullptr) return false;
  if (inflateInit2(s, -15) != Z_OK) {  // the full window: see the header
    delete s;
    return false;
  }
  stream_.reset(s);
  return true;
}

Inflater::Status Inflater::failWith(Status s) {
  failed_ = true;
  return s;
}

void Inflater::reset() {
  if (stream_) inflateReset(stream_.get());
  total_ = 0;
  sawInput_ = false;
  streamEnded_ = false;
  failed_ = false;
}

Inflater::Status Inflater::feed(std::string_view compressed, std::string& out, InflateCheck check) {
  if (failed_) return Status::Corrupt;
  if (compressed.empty()) return Status::Ok;
  sawInput_ = true;
  // After a block with BFINAL set the stream is over: what follows it in the
  // same message (RFC 7692 7.2.3.4 shows an extra 00) is not DEFLATE data.
  if (streamEnded_) return Status::Ok;
  if (!ensureStream()) return failWith(Status::NoMemory);
  while (!compressed.empty()) {
    const std::size_t slice = std::min(compressed.size(), kMaxSlice);
    Status s = run(compressed.substr(0, slice), out, check, false);
    if (s != Status::Ok || streamEnded_) return s;
    compressed.remove_prefix(slice);
  }
  return Status::Ok;
}

Inflater::Status Inflater::finish(std::string& out, InflateCheck check) {
  if (failed_) return Status::Corrupt;
  if (sawInput_ && !streamEnded_) {
    Status s = run(std::string_view(kTail, 4), out, check, true);
    if (s != Status::Ok) return s;
    // With Z_BLOCK, bit 128 of data_type says inflate stopped at the end of
    // a block: anything else is a message cut inside a block.
    if (!streamEnded_ && (stream_->data_type & 128) == 0) return failWith(Status::Corrupt);
  }
  if (stream_ && (streamEnded_ || options_.noContextTakeover)) inflateReset(stream_.get());
  total_ = 0;
  sawInput_ = false;
  streamEnded_ = false;
  return Status::Ok;
}

Inflater::Status Inflater::run(std::string_view in, std::string& out, InflateCheck& check, bool tail) {
  z_stream& z = *stream_;
  z.next_in = bytes(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  const std::size_t limit = options_.maxMessageBytes;
  // total_ <= limit here: a message past it has already failed.
  const std::size_t left = limit - total_;
  const std::size_t ceiling = out.size() + std::min(left, SIZE_MAX - out.size() - kChunkBytes) + kChunkBytes;
  // Output room starts near what the input may give and doubles up to a
  // chunk, so that a small piece does not zero a whole chunk of the string.
  std::size_t step = std::clamp<std::size_t>(in.size() * 4, 256, kChunkBytes);
  for (;; step = std::min(step * 2, kChunkBytes)) {
    // At most one byte more than the bound allows, to see whether there is more.
    const std::size_t room = limit - total_ >= step ? step : limit - total_ + 1;
    const std::size_t used = out.size();
    const uInt inBefore = z.avail_in;
    reserveWithin(out, used + room, ceiling);
    out.resize(used + room);
    z.next_out = bytes(out.data() + used);
    z.avail_out = static_cast<uInt>(room);
    // Z_BLOCK on the tail stops at block boundaries, so finish() can tell
    // whether the message ended on one.
    const int rc = inflate(&z, tail ? Z_BLOCK : Z_SYNC_FLUSH);
    const std::size_t produced = room - z.avail_out;
    out.resize(used + produced);

    // The output comes first, in the order a byte-at-a-time feed would see
    // it: the check over what fits the bound, then the bound, then the error.
    const std::size_t allowed = std::min(produced, limit - total_);
    if (allowed != 0 && !check(std::string_view(out.data() + used, allowed))) return failWith(Status::Rejected);
    total_ += produced;
    if (total_ > limit) return failWith(Status::TooBig);

    switch (rc) {
      case Z_OK:
        break;
      case Z_STREAM_END:
        streamEnded_ = true;
        return Status::Ok;
      case Z_BUF_ERROR:  // no progress possible: all input used
        if (z.avail_in == 0) return Status::Ok;
        if (produced == 0 && z.avail_in == inBefore) return failWith(Status::Corrupt);
        break;
      case Z_MEM_ERROR:
        return failWith(Status::NoMemory);
      default:  // Z_DATA_ERROR, Z_NEED_DICT (a raw stream has no dictionary), Z_STREAM_ERROR
        return failWith(Status::Corrupt);
    }
    if (z.avail_in == 0 && z.avail_out != 0) return Status::Ok;
  }
}

}  // namespace herald::ws
