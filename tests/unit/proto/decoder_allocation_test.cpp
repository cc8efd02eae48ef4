// Steady-state decoding allocates nothing: 10k typical publish frames through
// one CommandDecoder, with the heap counted. This file replaces the global
// operator new/delete of unit_proto with counting ones (they only count; the
// memory still comes from malloc).

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "herald/proto/command_decoder.hpp"
#include "herald/proto/reply_encoder.hpp"

namespace {
std::atomic<std::size_t> gAllocations{0};
}  // namespace

// Every non-aligned form is replaced, so that no allocation made by one of
// these is freed by a sanitizer's own operator delete (or the other way round).
namespace {
void* counted(std::size_t size) noexcept {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size ? size : 1);
}
}  // namespace

// g++ -O1 and above inline gtest's `new TestClass` and then take the
// replaced delete's free() for a mismatch with the builtin new; both sides
// are replaced here and both use malloc/free, so the warning does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  if (void* p = counted(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace herald::proto {
namespace {

TEST(DecoderAllocationTest, TenThousandPublishesAllocateNothing) {
  std::vector<std::string> frames;
  frames.reserve(10000);
  for (int i = 0; i < 10000; ++i)
    frames.push_back(R"({"id":)" + std::to_string(i + 1) + R"(,"publish":{"channel":"chat:lobby","data":)" +
                     R"({"text":"message number )" + std::to_string(i) + R"(","from":"user\u0031"}}})");
  CommandDecoder decoder;
  std::vector<Command> out;
  std::string encoded;
  encoded.reserve(1024);
  // Warm up: the decoder's buffers and simdjson's parser grow to the frame size.
  ASSERT_EQ(decoder.decode(frames.back(), out).kind, DecodeResult::Ok);

  const std::size_t before = gAllocations.load();
  std::size_t decoded = 0;
  for (const std::string& frame : frames) {
    if (decoder.decode(frame, out).kind != DecodeResult::Ok) break;
    const auto& p = std::get<PublishCommand>(out[0].body);
    encoded.clear();
    encodePublicationPush(encoded, p.channel, Publication{p.data, nullptr, out[0].id, {}});
    decoded += out.size();
  }
  const std::size_t allocations = gAllocations.load() - before;
  EXPECT_EQ(decoded, frames.size());
  EXPECT_EQ(allocations, 0u);
}

}  // namespace
}  // namespace herald::proto
