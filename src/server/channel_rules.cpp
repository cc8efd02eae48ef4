#include "channel_rules.hpp"

namespace herald::server {

NameProblem checkChannelName(std::string_view channel, std::size_t maxLength) {
  if (channel.empty()) return NameProblem::Empty;
  if (channel.size() > maxLength) return NameProblem::TooLong;
  for (unsigned char c : channel)
    if (c < 0x20 || c == 0x7f) return NameProblem::ControlCharacter;
  return NameProblem::None;
}

std::string_view describe(NameProblem problem) {
  switch (problem) {
    case NameProblem::None: return "";
    case NameProblem::Empty: return "channel name is empty";
    case NameProblem::TooLong: return "channel name is too long";
    case NameProblem::ControlCharacter: return "channel name contains a control character";
  }
  return "";
}

bool isUserLimited(std::string_view channel) { return channel.find('#') != std::string_view::npos; }

bool userInChannel(std::string_view channel, std::string_view user) {
  std::size_t hash = channel.rfind('#');
  if (hash == std::string_view::npos || user.empty()) return false;
  std::string_view list = channel.substr(hash + 1);
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    if (list.substr(0, comma) == user) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool allowedByOptions(Action action, const ChannelOptions& o, const Requester& who) {
  if (who.insecure) return true;
  switch (action) {
    case Action::Subscribe:
      return who.anonymous ? o.allowSubscribeForAnonymous : o.allowSubscribeForClient;
    case Action::Publish:
      if (o.allowPublishForSubscriber && who.subscribed) return true;
      return who.anonymous ? o.allowPublishForAnonymous : o.allowPublishForClient;
    case Action::History:
      return (o.allowHistoryForClient && !who.anonymous) || (o.allowHistoryForSubscriber && who.subscribed);
    case Action::Presence:
      return (o.allowPresenceForClient && !who.anonymous) || (o.allowPresenceForSubscriber && who.subscribed);
  }
  return false;
}

bool maySubscribeWithoutToken(std::string_view channel, const ChannelOptions& o, std::string_view user, bool insecure) {
  bool allowed = allowedByOptions(Action::Subscribe, o, {.anonymous = user.empty(), .insecure = insecure});
  if (o.allowUserLimitedChannels && isUserLimited(channel)) allowed = userInChannel(channel, user);
  if (isPrivate(channel) && !o.allowPrivateSubscribeWithoutToken && !insecure) allowed = false;
  return allowed;
}

}  // namespace herald::server
