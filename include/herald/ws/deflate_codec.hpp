#pragma once
// The DEFLATE side of permessage-deflate (RFC 7692 section 7.2): one
// compressor and one decompressor per connection direction.
//
// Deflater compresses a whole message (deflate, Z_SYNC_FLUSH, the trailing
// 00 00 FF FF removed). Inflater decompresses a message fed in pieces as the
// payload arrives, appends 00 00 FF FF at its end, and holds the inflated
// size of each message to a hard bound, so a small frame that inflates to
// gigabytes (a decompression bomb) costs at most the bound plus one chunk.
//
// Memory. zlib's state is allocated on first use, so an idle connection, or
// one whose peer never sends a compressed message, costs one pointer per
// direction. Once allocated, per zlib's zconf.h:
//   deflate: (1 << (windowBits + 2)) + (1 << (memLevel + 9)) bytes, plus ~6 KiB
//            = 256 KiB for windowBits 15 and memLevel 8 (128 KiB at memLevel 7,
//              windowBits 14);
//   inflate: (1 << windowBits) bytes, plus ~7 KiB = ~39 KiB (always 15, below).
// With no context takeover the state could be freed between messages; it is
// kept, to avoid an allocation per message.
//
// Window bits 8: zlib (since 1.2.9) refuses a 256-byte window for raw
// deflate, so the Deflater compresses with 9 when asked for 8;
// permessage_deflate.hpp never agrees to make this side compress with 8.
//
// The Inflater always inflates with the full 32 KiB window, whatever the
// peer's negotiated limit. zlib checks a back-reference only against the
// history it holds, and part of that is the current call's output, so with
// a smaller window a peer overstepping its limit would be accepted or refused
// depending on how its bytes were split into reads. With the full window the
// outcome depends on the bytes alone; a conforming stream is read either way.
//
// Neither class throws or aborts on bad input: corrupt data, an oversized
// message and zlib running out of memory are all a Status.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

struct z_stream_s;

namespace herald::ws {

struct DeflaterOptions {
  int windowBits = 15;  // 8..15 (8 compresses with 9, see above)
  int memLevel = 8;     // 1..9: zlib's hash table size, speed against memory
  int level = -1;       // 0..9, or -1 for zlib's default (6)
  // Reset the dictionary after each message (this side's *_no_context_takeover).
  bool noContextTakeover = false;
};

class Deflater {
 public:
  explicit Deflater(DeflaterOptions options = {});
  ~Deflater();
  Deflater(Deflater&&) noexcept;
  Deflater& operator=(Deflater&&) noexcept;

  // Compresses one whole message and appends the payload to send (in frames
  // whose first has RSV1 set) to `out`. An empty message compresses to one
  // byte, 00. Returns false only when zlib could not allocate its state or
  // failed; `out` is then as it was and the stream is reset, so the peer's
  // dictionary no longer matches ours: close the connection (1011).
  bool compress(std::string_view message, std::string& out);

  const DeflaterOptions& options() const { return options_; }
  // Whether zlib's state has been allocated (it is on the first compress()).
  bool allocated() const { return stream_ != nullptr; }

 private:
  struct StreamDeleter {
    void operator()(z_stream_s* s) const;
  };
  bool ensureStream();

  DeflaterOptions options_;
  std::unique_ptr<z_stream_s, StreamDeleter> stream_;
};

struct InflaterOptions {
  // The peer resets its dictionary after each message
  // (the peer's *_no_context_takeover): so does the Inflater.
  bool noContextTakeover = false;
  // Hard bound on the inflated size of one message.
  std::size_t maxMessageBytes = 64 * 1024;
};

// A non-owning reference to a callable bool(std::string_view), the check an
// Inflater runs on each chunk of output as it is produced (a UTF-8 validator,
// say). Like std::function_ref: it must not outlive the callable.
class InflateCheck {
 public:
  InflateCheck() = default;
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, InflateCheck> &&
             std::is_invocable_r_v<bool, F&, std::string_view>)
  InflateCheck(F&& f)  // NOLINT: implicit, like function_ref
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, std::string_view s) -> bool { return (*static_cast<std::remove_reference_t<F>*>(o))(s); }) {
  }

  bool operator()(std::string_view chunk) const { return call_ == nullptr || call_(object_, chunk); }

 private:
  void* object_ = nullptr;
  bool (*call_)(void*, std::string_view) = nullptr;
};

class Inflater {
 public:
  enum class Status : std::uint8_t {
    Ok,
    TooBig,    // the message inflates past maxMessageBytes
    Corrupt,   // not a valid DEFLATE stream, or a message that ends inside a block
    Rejected,  // the InflateCheck returned false
    NoMemory,  // zlib could not allocate its state
  };

  // Output is produced at most this many bytes at a time.
  static constexpr std::size_t kChunkBytes = 16 * 1024;

  explicit Inflater(InflaterOptions options = {});
  ~Inflater();
  Inflater(Inflater&&) noexcept;
  Inflater& operator=(Inflater&&) noexcept;

  // Inflates the next piece of the current message's payload and appends the
  // output to `out`, running `check` on each chunk as it is produced. Stops at
  // the first status other than Ok; the Inflater is then failed until reset().
  // A call grows `out` (its size and its capacity) by at most what is left
  // under maxMessageBytes plus kChunkBytes.
  Status feed(std::string_view compressed, std::string& out, InflateCheck check = {});

  // The end of the message: inflates the 00 00 FF FF tail, checks that the
  // stream stopped at a block boundary, and resets the dictionary when the
  // peer does not take over context. An empty payload is an empty message
  // (some peers send one for an empty message) and leaves zlib untouched.
  Status finish(std::string& out, InflateCheck check = {});

  // Forgets the current message and the dictionary (after an error).
  void reset();

  // Inflated bytes of the current message so far.
  std::size_t messageBytes() const { return total_; }
  const InflaterOptions& options() const { return options_; }
  void setMaxMessageBytes(std::size_t n) { options_.maxMessageBytes = n; }
  bool allocated() const { return stream_ != nullptr; }

 private:
  struct StreamDeleter {
    void operator()(z_stream_s* s) const;
  };
  bool ensureStream();
  Status run(std::string_view in, std::string& out, InflateCheck& check, bool tail);
  Status failWith(Status s);

  InflaterOptions options_;
  std::unique_ptr<z_stream_s, StreamDeleter> stream_;
  std::size_t total_ = 0;     // inflated bytes of the current message
  bool sawInput_ = false;     // the current message has payload bytes
  bool streamEnded_ = false;  // the peer closed the stream with a BFINAL block
  bool failed_ = false;
};

}  // namespace herald::ws
