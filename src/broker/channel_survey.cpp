#include "channel_survey.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace herald::broker {

namespace {

constexpr std::string_view kRequest = "\x01survey ";
constexpr std::string_view kAnswer = "\x01answer ";

// Reads a decimal number ended by `end`; advances `in` past it.
template <class T>
std::optional<T> number(std::string_view& in, char end) {
  T value{};
  auto [ptr, ec] = std::from_chars(in.data(), in.data() + in.size(), value);
  std::size_t used = static_cast<std::size_t>(ptr - in.data());
  if (ec != std::errc{} || used == 0 || used >= in.size() || in[used] != end) return std::nullopt;
  if (used > 1 && in[0] == '0') return std::nullopt;  // one spelling per number
  in.remove_prefix(used + 1);
  return value;
}

// A node name: non-empty, no spaces or newlines, ended by `end` (or the
// input's end when `end` is 0).
std::optional<std::string> word(std::string_view& in, char end) {
  std::size_t stop = end ? in.find(end) : in.size();
  if (stop == std::string_view::npos || stop == 0) return std::nullopt;
  std::string_view w = in.substr(0, stop);
  if (w.find_first_of(" \n") != std::string_view::npos) return std::nullopt;
  in.remove_prefix(end ? stop + 1 : stop);
  return std::string(w);
}

}  // namespace

bool isSurveyMessage(std::string_view payload) {
  return payload.starts_with(kRequest) || payload.starts_with(kAnswer);
}

std::string encodeSurveyRequest(const SurveyRequest& r) {
  return std::string(kRequest) + std::to_string(r.id) + ' ' + r.requester;
}

std::optional<SurveyRequest> decodeSurveyRequest(std::string_view in) {
  if (!in.starts_with(kRequest)) return std::nullopt;
  in.remove_prefix(kRequest.size());
  SurveyRequest r;
  auto id = number<std::uint64_t>(in, ' ');
  auto requester = id ? word(in, 0) : std::nullopt;
  if (!requester) return std::nullopt;
  r.id = *id;
  r.requester = std::move(*requester);
  return r;
}

std::string encodeSurveyAnswer(const SurveyAnswer& a) {
  std::string out = std::string(kAnswer) + a.requester + ' ' + std::to_string(a.id) + ' ' + a.responder + '\n';
  for (const ChannelSummary& c : a.channels) {
    out += std::to_string(c.numClients) + ' ' + std::to_string(c.channel.size()) + ' ';
    out += c.channel;
  }
  return out;
}

std::optional<SurveyAnswer> decodeSurveyAnswer(std::string_view in) {
  if (!in.starts_with(kAnswer)) return std::nullopt;
  in.remove_prefix(kAnswer.size());
  SurveyAnswer a;
  auto requester = word(in, ' ');
  auto id = requester ? number<std::uint64_t>(in, ' ') : std::nullopt;
  auto responder = id ? word(in, '\n') : std::nullopt;
  if (!responder) return std::nullopt;
  a.requester = std::move(*requester);
  a.id = *id;
  a.responder = std::move(*responder);
  while (!in.empty()) {
    auto count = number<std::uint32_t>(in, ' ');
    auto length = count ? number<std::size_t>(in, ' ') : std::nullopt;
    if (!length || *length == 0 || *length > in.size()) return std::nullopt;
    a.channels.push_back({std::string(in.substr(0, *length)), *count});
    in.remove_prefix(*length);
  }
  return a;
}

void mergeChannels(std::vector<ChannelSummary>& sums, const std::vector<ChannelSummary>& part) {
  std::map<std::string_view, std::uint32_t> merged;
  for (const auto& c : sums) merged[c.channel] += c.numClients;
  for (const auto& c : part) merged[c.channel] += c.numClients;
  std::vector<ChannelSummary> out;
  out.reserve(merged.size());
  for (const auto& [name, count] : merged) out.push_back({std::string(name), count});
  sums = std::move(out);
}

}  // namespace herald::broker
