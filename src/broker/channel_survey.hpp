#pragma once
// The `channels` survey of nodes sharing Redis: one node asks every node
// which channels have subscribers there, and sums the answers. Both travel
// as control messages (redis::kControlChannel), which every node reads;
// a node answers every request and keeps only the answers addressed to it.
//
//   request: "\x01survey <id> <requester>"
//   answer:  "\x01answer <requester> <id> <responder>\n" then, per channel,
//            "<subscribers> <name length> <name>" (names may hold any byte)
//
// Node names are registry names (no spaces); ids are decimal. Decoding
// never throws and takes nothing it does not fully understand (nullopt).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/broker/broker.hpp"

namespace herald::broker {

struct SurveyRequest {
  std::uint64_t id = 0;
  std::string requester;
};

struct SurveyAnswer {
  std::string requester;
  std::uint64_t id = 0;
  std::string responder;
  std::vector<ChannelSummary> channels;
};

// Whether a control payload is a survey message at all (the rest goes to
// the server's control handler).
bool isSurveyMessage(std::string_view payload);

std::string encodeSurveyRequest(const SurveyRequest& request);
std::optional<SurveyRequest> decodeSurveyRequest(std::string_view payload);
std::string encodeSurveyAnswer(const SurveyAnswer& answer);
std::optional<SurveyAnswer> decodeSurveyAnswer(std::string_view payload);

// Adds `part` into `sums`, channel by channel (subscribers summed); keeps
// `sums` sorted by name.
void mergeChannels(std::vector<ChannelSummary>& sums, const std::vector<ChannelSummary>& part);

}  // namespace herald::broker
