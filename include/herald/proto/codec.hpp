#pragma once
// The client protocol's wire formats behind one interface (DESIGN.md
// section 8): a session decodes its frames and encodes its replies and
// pushes through the Codec of its format, and never looks at bytes itself.
//
//   JSON      text frames; messages separated by '\n'; `data` is raw JSON
//   Protobuf  binary frames; each message preceded by its varint length;
//             `data` is any bytes
//
// An Encoder call appends one message to `out` as the next message of a
// frame (JSON puts the '\n' between messages), so an empty `out` gets a
// frame of one message and a batch gets one more. Encoders are stateless
// singletons (encoderFor); decoders keep buffers and belong to one loop.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/proto/codes.hpp"
#include "herald/proto/command_decoder.hpp"
#include "herald/proto/reply.hpp"

namespace herald::proto {

enum class Format : std::uint8_t { Json, Protobuf };
inline constexpr std::size_t kFormatCount = 2;
inline constexpr Format kFormats[kFormatCount] = {Format::Json, Format::Protobuf};
// "json" or "protobuf", as the SDKs and the subprotocol names say it.
std::string_view formatName(Format format);
// The WebSocket subprotocol that selects each format.
inline constexpr std::string_view kJsonSubprotocol = "centrifuge-json";
inline constexpr std::string_view kProtobufSubprotocol = "centrifuge-protobuf";

// Whether `data` is one JSON value (RFC 8259), the only thing the JSON
// format can carry in `data` and info fields.
bool isJsonValue(std::string_view data);

class Encoder {
 public:
  virtual ~Encoder() = default;
  virtual Format format() const = 0;
  // Whether a publication's data (or an info field) can travel in this
  // format: JSON carries JSON values only, Protobuf any bytes.
  virtual bool carries(std::string_view data) const = 0;

  virtual void errorReply(std::string& out, std::uint32_t id, const ReplyError& error) const = 0;
  virtual void errorReply(std::string& out, std::uint32_t id, ErrorCode code) const = 0;
  virtual void connectReply(std::string& out, std::uint32_t id, const ConnectResult& result) const = 0;
  virtual void subscribeReply(std::string& out, std::uint32_t id, const SubscribeResult& result) const = 0;
  virtual void unsubscribeReply(std::string& out, std::uint32_t id) const = 0;
  virtual void publishReply(std::string& out, std::uint32_t id) const = 0;
  virtual void presenceReply(std::string& out, std::uint32_t id, std::span<const ClientInfo> clients) const = 0;
  virtual void presenceStatsReply(std::string& out, std::uint32_t id, const PresenceStatsResult& result) const = 0;
  virtual void historyReply(std::string& out, std::uint32_t id, const HistoryResult& result) const = 0;
  virtual void pingReply(std::string& out, std::uint32_t id) const = 0;
  virtual void rpcReply(std::string& out, std::uint32_t id, std::string_view data) const = 0;
  virtual void refreshReply(std::string& out, std::uint32_t id, const RefreshResult& result) const = 0;
  virtual void subRefreshReply(std::string& out, std::uint32_t id, const SubRefreshResult& result) const = 0;

  virtual void publicationPush(std::string& out, std::string_view channel, const Publication& pub) const = 0;
  virtual void joinPush(std::string& out, std::string_view channel, const ClientInfo& info) const = 0;
  virtual void leavePush(std::string& out, std::string_view channel, const ClientInfo& info) const = 0;
  virtual void unsubscribePush(std::string& out, std::string_view channel, const UnsubscribePush& push) const = 0;
  virtual void subscribePush(std::string& out, std::string_view channel, const SubscribePush& push) const = 0;
  virtual void messagePush(std::string& out, std::string_view data) const = 0;
  virtual void connectPush(std::string& out, const ConnectResult& push) const = 0;
  virtual void disconnectPush(std::string& out, const DisconnectPush& push) const = 0;
  virtual void refreshPush(std::string& out, const RefreshPush& push) const = 0;
  virtual void serverPing(std::string& out) const = 0;
};

const Encoder& encoderFor(Format format);

// A loop's decoders and the encoders, by format.
class Codecs {
 public:
  explicit Codecs(DecodeLimits limits);
  ~Codecs();
  FrameDecoder& decoder(Format format) { return *decoders_[static_cast<std::size_t>(format)]; }
  static const Encoder& encoder(Format format) { return encoderFor(format); }

 private:
  std::unique_ptr<FrameDecoder> decoders_[kFormatCount];
};

}  // namespace herald::proto
