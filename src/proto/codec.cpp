// The two encoders behind proto::Encoder, over the free functions of
// reply_encoder.hpp (JSON) and protobuf_encoder.hpp, and the JSON check that
// decides what the JSON format can carry.
#include "herald/proto/codec.hpp"

#include <simdjson.h>

#include "herald/proto/protobuf_decoder.hpp"
#include "herald/proto/protobuf_encoder.hpp"
#include "herald/proto/reply_encoder.hpp"

namespace herald::proto {

namespace {

// JSON messages of one frame are separated by '\n'.
void separate(std::string& out) {
  if (!out.empty()) out.push_back('\n');
}

class JsonEncoder final : public Encoder {
 public:
  Format format() const override { return Format::Json; }
  bool carries(std::string_view data) const override { return data.empty() || isJsonValue(data); }
  void errorReply(std::string& out, std::uint32_t id, const ReplyError& error) const override {
    separate(out);
    proto::encodeErrorReply(out, id, error);
  }
  void errorReply(std::string& out, std::uint32_t id, ErrorCode code) const override {
    separate(out);
    proto::encodeErrorReply(out, id, code);
  }
  void connectReply(std::string& out, std::uint32_t id, const ConnectResult& result) const override {
    separate(out);
    proto::encodeConnectReply(out, id, result);
  }
  void subscribeReply(std::string& out, std::uint32_t id, const SubscribeResult& result) const override {
    separate(out);
    proto::encodeSubscribeReply(out, id, result);
  }
  void unsubscribeReply(std::string& out, std::uint32_t id) const override {
    separate(out);
    proto::encodeUnsubscribeReply(out, id);
  }
  void publishReply(std::string& out, std::uint32_t id) const override {
    separate(out);
    proto::encodePublishReply(out, id);
  }
  void presenceReply(std::string& out, std::uint32_t id, std::span<const ClientInfo> clients) const override {
    separate(out);
    proto::encodePresenceReply(out, id, clients);
  }
  void presenceStatsReply(std::string& out, std::uint32_t id, const PresenceStatsResult& result) const override {
    separate(out);
    proto::encodePresenceStatsReply(out, id, result);
  }
  void historyReply(std::string& out, std::uint32_t id, const HistoryResult& result) const override {
    separate(out);
    proto::encodeHistoryReply(out, id, result);
  }
  void pingReply(std::string& out, std::uint32_t id) const override {
    separate(out);
    proto::encodePingReply(out, id);
  }
  void rpcReply(std::string& out, std::uint32_t id, std::string_view data) const override {
    separate(out);
    proto::encodeRpcReply(out, id, data);
  }
  void refreshReply(std::string& out, std::uint32_t id, const RefreshResult& result) const override {
    separate(out);
    proto::encodeRefreshReply(out, id, result);
  }
  void subRefreshReply(std::string& out, std::uint32_t id, const SubRefreshResult& result) const override {
    separate(out);
    proto::encodeSubRefreshReply(out, id, result);
  }
  void publicationPush(std::string& out, std::string_view channel, const Publication& pub) const override {
    separate(out);
    proto::encodePublicationPush(out, channel, pub);
  }
  void joinPush(std::string& out, std::string_view channel, const ClientInfo& info) const override {
    separate(out);
    proto::encodeJoinPush(out, channel, info);
  }
  void leavePush(std::string& out, std::string_view channel, const ClientInfo& info) const override {
    separate(out);
    proto::encodeLeavePush(out, channel, info);
  }
  void unsubscribePush(std::string& out, std::string_view channel, const UnsubscribePush& push) const override {
    separate(out);
    proto::encodeUnsubscribePush(out, channel, push);
  }
  void subscribePush(std::string& out, std::string_view channel, const SubscribePush& push) const override {
    separate(out);
    proto::encodeSubscribePush(out, channel, push);
  }
  void messagePush(std::string& out, std::string_view data) const override {
    separate(out);
    proto::encodeMessagePush(out, data);
  }
  void connectPush(std::string& out, const ConnectResult& push) const override {
    separate(out);
    proto::encodeConnectPush(out, push);
  }
  void disconnectPush(std::string& out, const DisconnectPush& push) const override {
    separate(out);
    proto::encodeDisconnectPush(out, push);
  }
  void refreshPush(std::string& out, const RefreshPush& push) const override {
    separate(out);
    proto::encodeRefreshPush(out, push);
  }
  void serverPing(std::string& out) const override {
    separate(out);
    proto::encodeServerPing(out);
  }
};

class ProtobufEncoder final : public Encoder {
 public:
  Format format() const override { return Format::Protobuf; }
  bool carries(std::string_view data) const override { (void)data;
    return true; }
  void errorReply(std::string& out, std::uint32_t id, const ReplyError& error) const override {
    pb::encodeErrorReply(out, id, error);
  }
  void errorReply(std::string& out, std::uint32_t id, ErrorCode code) const override {
    pb::encodeErrorReply(out, id, code);
  }
  void connectReply(std::string& out, std::uint32_t id, const ConnectResult& result) const override {
    pb::encodeConnectReply(out, id, result);
  }
  void subscribeReply(std::string& out, std::uint32_t id, const SubscribeResult& result) const override {
    pb::encodeSubscribeReply(out, id, result);
  }
  void unsubscribeReply(std::string& out, std::uint32_t id) const override {
    pb::encodeUnsubscribeReply(out, id);
  }
  void publishReply(std::string& out, std::uint32_t id) const override {
    pb::encodePublishReply(out, id);
  }
  void presenceReply(std::string& out, std::uint32_t id, std::span<const ClientInfo> clients) const override {
    pb::encodePresenceReply(out, id, clients);
  }
  void presenceStatsReply(std::string& out, std::uint32_t id, const PresenceStatsResult& result) const override {
    pb::encodePresenceStatsReply(out, id, result);
  }
  void historyReply(std::string& out, std::uint32_t id, const HistoryResult& result) const override {
    pb::encodeHistoryReply(out, id, result);
  }
  void pingReply(std::string& out, std::uint32_t id) const override {
    pb::encodePingReply(out, id);
  }
  void rpcReply(std::string& out, std::uint32_t id, std::string_view data) const override {
    pb::encodeRpcReply(out, id, data);
  }
  void refreshReply(std::string& out, std::uint32_t id, const RefreshResult& result) const override {
    pb::encodeRefreshReply(out, id, result);
  }
  void subRefreshReply(std::string& out, std::uint32_t id, const SubRefreshResult& result) const override {
    pb::encodeSubRefreshReply(out, id, result);
  }
  void publicationPush(std::string& out, std::string_view channel, const Publication& pub) const override {
    pb::encodePublicationPush(out, channel, pub);
  }
  void joinPush(std::string& out, std::string_view channel, const ClientInfo& info) const override {
    pb::encodeJoinPush(out, channel, info);
  }
  void leavePush(std::string& out, std::string_view channel, const ClientInfo& info) const override {
    pb::encodeLeavePush(out, channel, info);
  }
  void unsubscribePush(std::string& out, std::string_view channel, const UnsubscribePush& push) const override {
    pb::encodeUnsubscribePush(out, channel, push);
  }
  void subscribePush(std::string& out, std::string_view channel, const SubscribePush& push) const override {
    pb::encodeSubscribePush(out, channel, push);
  }
  void messagePush(std::string& out, std::string_view data) const override {
    pb::encodeMessagePush(out, data);
  }
  void connectPush(std::string& out, const ConnectResult& push) const override {
    pb::encodeConnectPush(out, push);
  }
  void disconnectPush(std::string& out, const DisconnectPush& push) const override {
    pb::encodeDisconnectPush(out, push);
  }
  void refreshPush(std::string& out, const RefreshPush& push) const override {
    pb::encodeRefreshPush(out, push);
  }
  void serverPing(std::string& out) const override {
    pb::encodeServerPing(out);
  }
};

const JsonEncoder kJson;
const ProtobufEncoder kProtobuf;

}  // namespace

std::string_view formatName(Format format) { return format == Format::Protobuf ? "protobuf" : "json"; }

bool isJsonValue(std::string_view data) {
  // One parser per thread; it copies `data` into its own padded buffer.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  return !parser.parse(data.data(), data.size(), true).get(root);
}

const Encoder& encoderFor(Format format) {
  if (format == Format::Protobuf) return kProtobuf;
  return kJson;
}

Codecs::Codecs(DecodeLimits limits) {
  decoders_[static_cast<std::size_t>(Format::Json)] = std::make_unique<CommandDecoder>(limits);
  decoders_[static_cast<std::size_t>(Format::Protobuf)] = std::make_unique<ProtobufCommandDecoder>(limits);
}

Codecs::~Codecs() = default;

}  // namespace herald::proto
