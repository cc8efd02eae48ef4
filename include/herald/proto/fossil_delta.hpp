#pragma once
// Fossil deltas (the format of the Fossil SCM, which the centrifuge SDKs
// decode for subscriptions with `delta: "fossil"`), written from the
// format's public description (fossil-scm.org, www/delta_format.wiki):
//
//   <target length>\n                 a base-64 integer, then a newline
//   <count>@<offset>,                 copy count bytes of the source from offset
//   <count>:<count bytes>             insert these bytes
//   <checksum>;                       of the whole target, ends the delta
//
// Integers are written most significant digit first in the 64 digits
// 0-9 A-Z _ a-z ~. The checksum is the 32-bit wrapping sum of the target
// read as big-endian 32-bit words, a last partial word padded with zeros
// on the right.
//
// Sans-I/O: bytes in, bytes out. makeFossilDelta never splits a UTF-8
// sequence of the target between a copy and an insert, so the delta of
// one UTF-8 text to another is itself UTF-8 and can travel as a JSON
// string (what the JSON protocol does). applyFossilDelta checks
// everything and never reads or writes out of bounds.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace herald::proto {

// A delta that turns `source` into `target`. Deterministic: the same
// inputs give the same bytes.
std::string makeFossilDelta(std::string_view source, std::string_view target);

struct FossilResult {
  std::optional<std::string> target;  // set when the delta applied
  std::string_view error{};           // otherwise why not, one phrase
};

// Applies `delta` to `source`. Refuses (with a reason) a malformed delta,
// a copy outside `source`, an output that differs from the length the
// header announced or is over `maxTarget` bytes, and a wrong checksum.
FossilResult applyFossilDelta(std::string_view source, std::string_view delta, std::size_t maxTarget);

}  // namespace herald::proto
