#pragma once
// The Centrifugo client protocol as `herald bench --protocol centrifugo`
// speaks it to `herald serve`: just enough JSON to connect, subscribe,
// publish and read publication pushes, written and scanned by hand so the
// load generator spends its time on load, not on parsing.
//
// A bench message is the fan-out header (publisher, sequence, send time; 20
// bytes) as 40 hex digits, and padding to the requested size:
//   {"id":N,"publish":{"channel":"bench","data":{"h":"<40 hex>","p":"<pad>"}}}
// and arrives as
//   {"push":{"channel":"bench","pub":{"data":{"h":"..","p":".."},"offset":N}}}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::loadgen::centrifugo {

// The first frame a client sends: connect, and subscribe when `channel` is set.
std::string hello(std::string_view channel);
// The reply that ends the hello: the connect reply (id 1) without a channel,
// else the subscribe reply (id 2). An error reply is reported in `error`.
bool isHelloDone(std::string_view frame, bool subscribing, std::string& error);
// A server ping: `{}`, to be answered with `{}`.
inline bool isPing(std::string_view frame) { return frame == "{}"; }

void encodePublish(std::string& out, std::uint32_t id, std::string_view channel, const unsigned char* header,
                   std::size_t headerBytes, std::size_t padBytes);
// The header bytes of a publication push (false when the frame is not one,
// or its padding is not `padBytes` long).
bool decodePublication(std::string_view frame, unsigned char* header, std::size_t headerBytes, std::size_t padBytes);

}  // namespace herald::loadgen::centrifugo
