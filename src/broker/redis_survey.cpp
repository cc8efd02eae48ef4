// RedisBroker::channels: the channels with subscribers on every node that
// shares Redis, subscribers summed (as Centrifugo's `channels` API answers).
// The node asks through the control channel, every node (itself included)
// answers there, and the call completes when every node in the registry
// answered or after kSurveyTimeout with what came (a node that just died
// is still listed for a few seconds). Wire format: channel_survey.hpp.
// Surveys live on loop 0, where control messages arrive.
#include <set>

#include "broker_calls.hpp"
#include "channel_survey.hpp"
#include "herald/broker/redis_broker.hpp"
#include "herald/redis/keys.hpp"
#include "herald/redis/operations.hpp"
#include "redis_channel.hpp"

namespace herald::broker {

namespace {
constexpr std::int64_t kSurveyTimeoutMs = 2000;
}

struct RedisBroker::Survey {
  unsigned replyLoop = 0;
  std::size_t expected = 1;
  std::set<std::string> answered{};
  std::vector<ChannelSummary> sums{};
  std::int64_t deadlineMs = 0;
  std::function<void(std::vector<ChannelSummary>)> done{};
};

void RedisBroker::localChannels(unsigned replyLoop, std::function<void(std::vector<ChannelSummary>)> done) {
  detail::gatherFromLoops<ChannelSummary>(
      host_, replyLoop,
      [this](unsigned loop) {
        std::vector<ChannelSummary> part;
        for (const auto& [name, ch] : loops_[loop]->channels)
          if (ch->state.subscribers > 0) part.push_back({name, ch->state.subscribers});
        return part;
      },
      std::move(done));
}

void RedisBroker::channels(unsigned replyLoop, std::function<void(std::vector<ChannelSummary>)> done) {
  host_.dispatch(0, [this, replyLoop, done = std::move(done)]() mutable {
    redis::listNodes(connection(0, 0), [this, replyLoop, done = std::move(done)](redis::EntriesResult r) mutable {
      // Redis down: this node still knows its own channels.
      if (!r.ok()) return localChannels(replyLoop, std::move(done));
      auto survey = std::make_shared<Survey>();
      survey->replyLoop = replyLoop;
      survey->expected = r.entries.size();
      bool listed = false;
      for (const auto& [name, info] : r.entries) listed = listed || name == nodeName_;
      if (!listed) ++survey->expected;
      survey->deadlineMs = host_.nowMs() + kSurveyTimeoutMs;
      survey->done = std::move(done);
      std::uint64_t id = ++nextSurvey_;
      surveys_[id] = survey;
      std::string request = encodeSurveyRequest({id, nodeName_});
      connection(0, 0).command(
          {"PUBLISH", redis::kControlChannel, redis::encodeEnvelope(redis::kind::Control, 0, "-", host_.nowMs(), request)},
          [this, id](redis::Reply reply) {
            if (!reply.isError()) return;
            // Nobody will answer: this node's own channels, at once.
            auto it = surveys_.find(id);
            if (it == surveys_.end()) return;
            auto s = it->second;
            surveys_.erase(it);
            localChannels(s->replyLoop, std::move(s->done));
          });
    });
  });
}

void RedisBroker::onSurveyMessage(std::string_view payload) {
  if (auto request = decodeSurveyRequest(payload)) {
    localChannels(0, [this, request = *request](std::vector<ChannelSummary> mine) {
      std::string answer = encodeSurveyAnswer({request.requester, request.id, nodeName_, std::move(mine)});
      connection(0, 0).command(
          {"PUBLISH", redis::kControlChannel, redis::encodeEnvelope(redis::kind::Control, 0, "-", host_.nowMs(), answer)},
          [](redis::Reply) {});
    });
    return;
  }
  auto answer = decodeSurveyAnswer(payload);
  if (!answer || answer->requester != nodeName_) return;
  auto it = surveys_.find(answer->id);
  if (it == surveys_.end()) return;  // answered after the timeout
  Survey& s = *it->second;
  if (!s.answered.insert(answer->responder).second) return;
  mergeChannels(s.sums, answer->channels);
  if (s.answered.size() >= s.expected) finishSurvey(answer->id);
}

void RedisBroker::finishSurvey(std::uint64_t id) {
  auto it = surveys_.find(id);
  if (it == surveys_.end()) return;
  auto s = it->second;
  surveys_.erase(it);
  host_.dispatch(s->replyLoop, [s] { s->done(std::move(s->sums)); });
}

void RedisBroker::expireSurveys(std::int64_t nowMs) {
  std::vector<std::uint64_t> late;
  for (const auto& [id, s] : surveys_)
    if (nowMs >= s->deadlineMs) late.push_back(id);
  for (std::uint64_t id : late) finishSurvey(id);
}

}  // namespace herald::broker
