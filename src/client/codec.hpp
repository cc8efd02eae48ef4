#pragma once
// The client's side of the protocol codec, sans-I/O: encode commands, decode
// the server's replies and pushes. The mirror image of herald_proto's
// command decoders and reply encoders, in both of the protocol's formats:
//
//   JSON      text frames; messages separated by '\n'; `data` is raw JSON
//             (json_codec.cpp, simdjson)
//   Protobuf  binary frames; each message preceded by its varint length;
//             `data` is any bytes (protobuf_codec.cpp, the classes protoc
//             generates from src/proto/client.proto)
//
// ClientCore holds one Codec, chosen by Options::protocol, and never looks
// at bytes itself: the reconnect, recovery and command logic is the same
// for both formats.
//
// Decoding is in three steps. splitFrame() cuts a frame into its messages;
// decodeMessage() reads one message into what it is (ping, reply, push)
// with the result or push body kept in its encoded form (a JSON object's
// text, or the bytes of a Protobuf sub-message); the client then decodes
// that body by what it expects (it knows a reply's method from the command
// it sent). Every decoder returns false, or an error with a reason, on
// input it cannot read; nothing throws, whatever the bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/client/client.hpp"
#include "herald/client/types.hpp"
#include "herald/ws/opcode.hpp"

namespace herald::client::detail {

struct SubscribeFields {
  std::string_view channel{};
  std::string_view token{};
  bool recover = false;
  std::string_view epoch{};
  std::uint64_t offset = 0;
  bool recoverable = false;
  bool joinLeave = false;
};

// --- one server message --------------------------------------------------
struct ServerMessage {
  enum class Kind : std::uint8_t { Ping, Reply, Push };
  Kind kind = Kind::Ping;
  // Reply
  std::uint32_t id = 0;
  std::optional<Error> error;
  // Push: the channel (may be empty) and which push it is
  std::string channel;
  // Reply: the method key ("connect", "subscribe", ...); Push: the push key
  // ("pub", "join", "leave", "unsubscribe", "subscribe", "message",
  // "disconnect", "connect", "refresh"). The same names in both formats.
  std::string key;
  // The result or push body in the codec's format: a JSON object's text
  // ("{}" when absent), or a Protobuf message's bytes (empty when absent,
  // which Protobuf reads as every field at its default).
  std::string body;
};

// --- bodies ----------------------------------------------------------------
struct ConnectResultData {
  std::string client;
  std::string version;
  std::string data;
  bool expires = false;
  std::uint32_t ttl = 0;
  std::uint32_t ping = 0;
  bool pong = false;
};
struct SubscribeResultData {
  bool expires = false;
  std::uint32_t ttl = 0;
  bool recoverable = false;
  std::string epoch;
  std::vector<Publication> publications;
  bool recovered = false;
  std::uint64_t offset = 0;
  bool positioned = false;
  bool wasRecovering = false;
};
struct RefreshResultData {
  bool expires = false;
  std::uint32_t ttl = 0;
};
struct UnsubscribePushData {
  std::uint32_t code = 0;
  std::string reason;
};
struct DisconnectPushData {
  std::uint32_t code = 0;
  std::string reason;
  bool reconnect = false;
};

// One format of the protocol. Implementations are stateless singletons
// (codecFor); every method may be called from any thread. A decoder must
// return false (or nullopt with a reason) on any input it cannot read,
// never throw, crash or read outside its argument; what it fills before
// failing is unspecified.
class Codec {
 public:
  virtual ~Codec() = default;
  virtual Protocol protocol() const = 0;
  // The opcode of the frames this format sends.
  virtual ws::Opcode opcode() const = 0;
  // The WebSocket subprotocol that selects this format, or empty when the
  // server takes the format without one (JSON).
  virtual std::string_view subprotocol() const = 0;
  // Why `data` cannot be published in this format (JSON: not one JSON
  // value; Protobuf: empty), or nullopt when it can.
  virtual std::optional<std::string> dataProblem(std::string_view data) const = 0;

  // --- commands (client -> server): each appends one whole frame ---------
  virtual void encodeConnect(std::string& out, std::uint32_t id, std::string_view token, std::string_view name,
                             std::string_view version) const = 0;
  virtual void encodeSubscribe(std::string& out, std::uint32_t id, const SubscribeFields& f) const = 0;
  virtual void encodeUnsubscribe(std::string& out, std::uint32_t id, std::string_view channel) const = 0;
  // `data` passed dataProblem().
  virtual void encodePublish(std::string& out, std::uint32_t id, std::string_view channel,
                             std::string_view data) const = 0;
  virtual void encodePresence(std::string& out, std::uint32_t id, std::string_view channel) const = 0;
  virtual void encodePresenceStats(std::string& out, std::uint32_t id, std::string_view channel) const = 0;
  virtual void encodeHistory(std::string& out, std::uint32_t id, std::string_view channel,
                             const HistoryOptions& o) const = 0;
  virtual void encodeRefresh(std::string& out, std::uint32_t id, std::string_view token) const = 0;
  // The answer to a server ping.
  virtual void encodePong(std::string& out) const = 0;

  // --- server messages -----------------------------------------------------
  // Cuts a frame into its messages, in order. When the frame cannot be cut
  // to its end, returns the messages before the fault and says why in
  // `error` (left empty otherwise).
  virtual std::vector<std::string_view> splitFrame(std::string_view frame, std::string& error) const = 0;
  // Decodes one message; on failure returns nullopt and says why in `error`.
  virtual std::optional<ServerMessage> decodeMessage(std::string_view message, std::string& error) const = 0;

  // --- bodies (ServerMessage::body) ----------------------------------------
  virtual bool decodeConnectResult(std::string_view body, ConnectResultData& out) const = 0;
  virtual bool decodeSubscribeResult(std::string_view body, std::string_view channel,
                                     SubscribeResultData& out) const = 0;
  virtual bool decodeRefreshResult(std::string_view body, RefreshResultData& out) const = 0;
  virtual bool decodePresenceResult(std::string_view body, PresenceResult& out) const = 0;
  virtual bool decodePresenceStatsResult(std::string_view body, PresenceStatsResult& out) const = 0;
  virtual bool decodeHistoryResult(std::string_view body, std::string_view channel, HistoryResult& out) const = 0;
  virtual bool decodePublication(std::string_view body, std::string_view channel, Publication& out) const = 0;
  // join and leave pushes: the ClientInfo in their `info`
  virtual bool decodeJoinLeave(std::string_view body, ClientInfo& out) const = 0;
  virtual bool decodeUnsubscribePush(std::string_view body, UnsubscribePushData& out) const = 0;
  virtual bool decodeDisconnectPush(std::string_view body, DisconnectPushData& out) const = 0;
  // message push: its `data`
  virtual bool decodeMessageData(std::string_view body, std::string& out) const = 0;
};

const Codec& jsonCodec();
const Codec& protobufCodec();
inline const Codec& codecFor(Protocol protocol) {
  return protocol == Protocol::Protobuf ? protobufCodec() : jsonCodec();
}

}  // namespace herald::client::detail
