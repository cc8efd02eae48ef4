// libFuzzer target: the HTTP/1.1 request-head parser, fed its input cut at
// random points (STYLE.md point 3). The input is the raw bytes a client sends;
// the cuts come from a hash of it (fuzz_support.hpp).
//
// Checks: feeding in chunks gives the same answer as feeding it whole (kind,
// consumed, status, reason, and every field at the same offset); a complete
// head ends at the first blank line, inside the buffer; no view leaves the
// head or holds CR/LF; never more than 100 headers.

#include <cstddef>
#include <cstdint>

#include "request_feeder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald::fuzz;
  FedRequest whole = feedWhole(data, size);
  FedRequest chunked = feedChunked(data, size, chunkPlan(data, size));
  checkParsed(whole, chunked);
  return 0;
}
