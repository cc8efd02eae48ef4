// libFuzzer target: the C++ client's reading of what a server sends, in
// both formats (src/client/codec.hpp). The first input byte picks the
// format (even: JSON, odd: Protobuf); the rest is one WebSocket message.
//
// The frame is cut into messages, each message decoded, and its body read
// by the decoder its key names, as the client does. Checks: nothing
// crashes, leaks or reads out of bounds (ASan/UBSan); the cut messages lie
// inside the frame, in order, and cover it when no error is reported; every
// decode is deterministic (a second pass gives the same answers); and a
// publication push that decodes is written back by the server's own
// encoder of that format and decodes to the same publication (offset, data,
// publisher, tags).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/codec.hpp"
#include "fuzz_support.hpp"
#include "herald/proto/codec.hpp"

namespace {

using namespace herald::client;
using namespace herald::client::detail;

// One message read fully, as comparable text.
std::string readBack(const Codec& codec, std::string_view message) {
  std::string error;
  auto m = codec.decodeMessage(message, error);
  if (!m) return "refused";
  std::string out = std::to_string(static_cast<int>(m->kind)) + "|" + std::to_string(m->id) + "|" + m->channel + "|" +
                    m->key + "|" + (m->error ? std::to_string(m->error->code) : "-") + "|";
  const std::string& body = m->body;
  bool ok = true;
  if (m->kind == ServerMessage::Kind::Push) {
    if (m->key == "pub") {
      Publication p;
      ok = codec.decodePublication(body, m->channel, p);
      if (ok) out += std::to_string(p.offset) + ":" + p.data + ":" + (p.info ? p.info->client : "") + ":" +
                     std::to_string(p.tags.size());
    } else if (m->key == "join" || m->key == "leave") {
      ClientInfo info;
      ok = codec.decodeJoinLeave(body, info);
      out += info.user + ":" + info.client;
    } else if (m->key == "unsubscribe") {
      UnsubscribePushData u;
      ok = codec.decodeUnsubscribePush(body, u);
      out += std::to_string(u.code) + ":" + u.reason;
    } else if (m->key == "disconnect") {
      DisconnectPushData d;
      ok = codec.decodeDisconnectPush(body, d);
      out += std::to_string(d.code) + ":" + d.reason;
    } else if (m->key == "message") {
      std::string data;
      ok = codec.decodeMessageData(body, data);
      out += data;
    }
  } else if (m->kind == ServerMessage::Kind::Reply && !m->error) {
    if (m->key == "connect") {
      ConnectResultData r;
      ok = codec.decodeConnectResult(body, r);
      out += r.client + ":" + std::to_string(r.ping);
    } else if (m->key == "subscribe") {
      SubscribeResultData r;
      ok = codec.decodeSubscribeResult(body, "ch", r);
      out += r.epoch + ":" + std::to_string(r.publications.size()) + ":" + std::to_string(r.offset);
    } else if (m->key == "refresh") {
      RefreshResultData r;
      ok = codec.decodeRefreshResult(body, r);
    } else if (m->key == "presence") {
      PresenceResult r;
      ok = codec.decodePresenceResult(body, r);
      out += std::to_string(r.clients.size());
    } else if (m->key == "presence_stats") {
      PresenceStatsResult r;
      ok = codec.decodePresenceStatsResult(body, r);
      out += std::to_string(r.numClients);
    } else if (m->key == "history") {
      HistoryResult r;
      ok = codec.decodeHistoryResult(body, "ch", r);
      out += std::to_string(r.publications.size());
    }
  }
  return out + (ok ? "|ok" : "|bad");
}

// A decoded publication, written back by the server's encoder and read again.
void checkPublicationRoundTrip(const Codec& codec, herald::proto::Format format, std::string_view message) {
  std::string error;
  auto m = codec.decodeMessage(message, error);
  if (!m || m->kind != ServerMessage::Kind::Push || m->key != "pub") return;
  Publication p;
  if (!codec.decodePublication(m->body, m->channel, p)) return;
  const herald::proto::Encoder& encoder = herald::proto::encoderFor(format);
  if (!encoder.carries(p.data)) return;
  herald::proto::ClientInfo info;
  if (p.info) info = {p.info->user, p.info->client, p.info->connInfo, p.info->chanInfo};
  std::vector<herald::proto::Tag> tags;
  for (const auto& [k, v] : p.tags) tags.push_back({k, v});
  std::string frame;
  encoder.publicationPush(frame, m->channel,
                          {.data = p.data, .info = p.info ? &info : nullptr, .offset = p.offset, .tags = tags});
  std::vector<std::string_view> parts = codec.splitFrame(frame, error);
  HERALD_FUZZ_CHECK(parts.size() == 1 && error.empty(), "the server's push does not split: %s", error.c_str());
  auto again = codec.decodeMessage(parts[0], error);
  HERALD_FUZZ_CHECK(again && again->key == "pub", "the server's push does not decode: %s", error.c_str());
  Publication q;
  HERALD_FUZZ_CHECK(codec.decodePublication(again->body, again->channel, q), "the server's publication is refused");
  HERALD_FUZZ_CHECK(q.offset == p.offset && q.channel == p.channel, "offset or channel changed in a round trip");
  // JSON data is written as raw JSON (newlines dropped): compare it so.
  if (format == herald::proto::Format::Protobuf || p.data.find('\n') == std::string::npos)
    HERALD_FUZZ_CHECK(q.data == p.data, "data changed in a round trip");
  HERALD_FUZZ_CHECK(q.info.has_value() == p.info.has_value() && q.tags == p.tags, "publisher or tags changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool protobuf = data[0] & 1;
  const Codec& codec = protobuf ? protobufCodec() : jsonCodec();
  const auto format = protobuf ? herald::proto::Format::Protobuf : herald::proto::Format::Json;
  const std::string_view frame(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::string error;
  std::vector<std::string_view> messages = codec.splitFrame(frame, error);
  const char* previousEnd = frame.data();
  for (std::string_view m : messages) {
    HERALD_FUZZ_CHECK(m.data() >= previousEnd && m.data() + m.size() <= frame.data() + frame.size(),
                      "a message outside the frame, or out of order");
    previousEnd = m.data() + m.size();
  }
  std::string error2;
  std::vector<std::string_view> again = codec.splitFrame(frame, error2);
  HERALD_FUZZ_CHECK(again == messages && error2 == error, "splitting the same frame twice differs");

  for (std::string_view m : messages) {
    HERALD_FUZZ_CHECK(readBack(codec, m) == readBack(codec, m), "decoding the same message twice differs");
    checkPublicationRoundTrip(codec, format, m);
  }
  return 0;
}
