// libFuzzer target: what one node reads from Redis that another node wrote
// (herald_broker's publication and client codecs and the `channels`
// survey, herald_redis' envelope, the server's control messages). A Redis shared with something else, or a
// node of another version, may put anything there.
//
// Checks: nothing crashes, reads past the input or throws; whatever decodes
// encodes back to exactly the same bytes (the formats have one spelling),
// and what we encode always decodes to the same value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/channel_survey.hpp"
#include "fuzz_support.hpp"
#include "herald/broker/publication_codec.hpp"
#include "herald/redis/keys.hpp"
#include "server/control_message.hpp"

using namespace herald;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto p = broker::decodePublication(in)) {
    std::string again = broker::encodePublication(*p);
    HERALD_FUZZ_CHECK(again == in, "publication re-encodes differently (%zu vs %zu bytes)", again.size(), in.size());
  }
  if (auto c = broker::decodeClient(in)) {
    HERALD_FUZZ_CHECK(broker::encodeClient(*c) == in, "client re-encodes differently");
  }
  if (auto m = server::decodeControl(in)) {
    auto round = server::decodeControl(server::encodeControl(*m));
    HERALD_FUZZ_CHECK(round && round->user == m->user && round->client == m->client && round->channel == m->channel &&
                          round->code == m->code && round->reason == m->reason && round->expireAt == m->expireAt &&
                          round->expired == m->expired && round->op == m->op,
                      "control message does not survive a round trip");
  }
  if (auto r = broker::decodeSurveyRequest(in)) {
    HERALD_FUZZ_CHECK(broker::encodeSurveyRequest(*r) == in, "survey request re-encodes differently");
  }
  if (auto a = broker::decodeSurveyAnswer(in)) {
    HERALD_FUZZ_CHECK(broker::encodeSurveyAnswer(*a) == in, "survey answer re-encodes differently");
  }
  if (auto e = redis::decodeEnvelope(in)) {
    std::string again = redis::encodeEnvelope(e->kind, e->offset, e->epoch, e->timeMs, e->payload);
    auto round = redis::decodeEnvelope(again);
    HERALD_FUZZ_CHECK(round && round->offset == e->offset && round->epoch == e->epoch && round->payload == e->payload,
                      "envelope does not survive a round trip");
  }

  // The input as a field of everything we encode.
  broker::StoredPublication p{.data = std::string(in), .hasInfo = size % 2 == 0};
  if (p.hasInfo) p.info.user = std::string(in.substr(0, size / 2));  // info travels only with hasInfo
  p.tags = {{std::string(in.substr(size / 3)), std::string(in)}};
  auto back = broker::decodePublication(broker::encodePublication(p));
  HERALD_FUZZ_CHECK(back && back->data == p.data && back->hasInfo == p.hasInfo && back->info.user == p.info.user &&
                        back->tags == p.tags,
                    "publication does not survive a round trip");
  server::ControlMessage m{.user = std::string(in), .reason = std::string(in.substr(size / 2))};
  auto mback = server::decodeControl(server::encodeControl(m));
  HERALD_FUZZ_CHECK(mback && mback->user == m.user && mback->reason == m.reason, "control round trip");
  return 0;
}
