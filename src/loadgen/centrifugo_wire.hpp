#pragma once
// The Centrifugo client protocol as `herald bench --protocol centrifugo`
// speaks it to `herald serve`, in either wire format (--format): just enough
// to connect, subscribe, publish and read publication pushes, written and
// scanned by hand so the load generator spends its time on load, not on
// parsing.
//
// A bench message's data is the same JSON document in both formats: the
// fan-out header (publisher, sequence, send time; 20 bytes) as 40 hex
// digits, and padding to the requested size,
//   {"h":"<40 hex>","p":"<pad>"}
// JSON:     {"id":N,"publish":{"channel":"bench","data":{...}}}, arriving as
//           {"push":{"channel":"bench","pub":{"data":{...},"offset":N}}}
// Protobuf: Command{id, publish{channel, data}} and Reply{push{channel,
//           pub{data, offset}}}, each preceded by its varint length, with
//           the document as the data bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "herald/ws/opcode.hpp"

namespace herald::loadgen::centrifugo {

enum class Format : std::uint8_t { Json, Protobuf };

// The WebSocket subprotocol to ask for ("" for JSON) and the frames' opcode.
std::string_view subprotocol(Format format);
ws::Opcode opcode(Format format);

// The first frame a client sends: connect, and subscribe when `channel` is set.
std::string hello(Format format, std::string_view channel);
// The reply that ends the hello: the connect reply (id 1) without a channel,
// else the subscribe reply (id 2). An error reply is reported in `error`.
bool isHelloDone(Format format, std::string_view frame, bool subscribing, std::string& error);
// A server ping (`{}` / the empty Reply), answered with pong().
bool isPing(Format format, std::string_view frame);
std::string_view pong(Format format);

// Calls fn(message) for each message of a frame; false if the frame's
// framing is broken (Protobuf: a bad or overlong length).
template <class Fn>
bool forEachMessage(Format format, std::string_view frame, Fn&& fn);

// A reply to a command (not a push).
bool isReply(Format format, std::string_view message);

void encodePublish(Format format, std::string& out, std::uint32_t id, std::string_view channel,
                   const unsigned char* header, std::size_t headerBytes, std::size_t padBytes);
// The header bytes of a publication push (false when the message is not one,
// or its padding is not `padBytes` long).
bool decodePublication(Format format, std::string_view message, unsigned char* header, std::size_t headerBytes,
                       std::size_t padBytes);

// --- implementation of the template ---------------------------------------
// A varint at the front of `in`, consumed; nullopt when broken.
std::optional<std::uint64_t> readVarint(std::string_view& in);

template <class Fn>
bool forEachMessage(Format format, std::string_view frame, Fn&& fn) {
  if (format == Format::Json) {
    while (!frame.empty()) {
      std::size_t nl = frame.find('\n');
      fn(frame.substr(0, nl));
      if (nl == std::string_view::npos) break;
      frame.remove_prefix(nl + 1);
    }
    return true;
  }
  while (!frame.empty()) {
    auto length = readVarint(frame);
    if (!length || *length > frame.size()) return false;
    fn(frame.substr(0, *length));
    frame.remove_prefix(*length);
  }
  return true;
}

}  // namespace herald::loadgen::centrifugo
