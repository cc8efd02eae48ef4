// libFuzzer target: Fossil deltas (herald/proto/fossil_delta.hpp), the
// decoder fed anything and the encoder's output checked against it.
//
// The input is cut in two at a point chosen from its first byte: a source
// and a second part. Checks: applying the second part as a delta to the
// source never crashes or reads out of bounds, and what it produces has the
// length its header announced; the delta makeFossilDelta writes from the
// source to the second part (as a target) applies back to exactly it.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "herald/proto/fossil_delta.hpp"

using namespace herald;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t cut = in.empty() ? 0 : (static_cast<std::size_t>(data[0]) * in.size()) / 255;
  std::string_view source = in.substr(0, cut), second = in.substr(cut);

  proto::FossilResult applied = proto::applyFossilDelta(source, second, 1 << 16);
  HERALD_FUZZ_CHECK(applied.target || !applied.error.empty(), "a refusal without a reason");

  std::string delta = proto::makeFossilDelta(source, second);
  proto::FossilResult back = proto::applyFossilDelta(source, delta, second.size());
  HERALD_FUZZ_CHECK(back.target && *back.target == second, "a delta of ours does not apply back (%zu bytes)",
                    second.size());
  return 0;
}
