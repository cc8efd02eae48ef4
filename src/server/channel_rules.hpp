#pragma once
// Channel names and who may do what on a channel: pure decisions, tested
// without a server.
//
// Names (Centrifugo's conventions):
//   "news"            a channel without a namespace ([channel] options)
//   "chat:room1"      channel "room1" in namespace "chat"
//   "dialog#42,43"    user-limited: only users 42 and 43 may subscribe
//                     (when the namespace allows user-limited channels)
//   "$secret"         private: subscribing needs a subscription token;
//   "$chat:room1"     the namespace is read after the '$' ("chat")

#include <string_view>

#include "config/config.hpp"

namespace herald::server {

enum class NameProblem : std::uint8_t { None, Empty, TooLong, ControlCharacter };

// Whether `channel` can be a channel name at all.
NameProblem checkChannelName(std::string_view channel, std::size_t maxLength);
std::string_view describe(NameProblem problem);

// Whether `channel` is private: its name starts with '$', and subscribing
// needs a subscription token (unless its namespace relaxes that).
inline bool isPrivate(std::string_view channel) { return channel.starts_with('$'); }

// Whether `channel` is user-limited ('#' then a comma-separated user list)
// and `user` is in its list.
bool isUserLimited(std::string_view channel);
bool userInChannel(std::string_view channel, std::string_view user);

enum class Action : std::uint8_t { Subscribe, Publish, History, Presence };

struct Requester {
  bool anonymous = false;   // connected without a user id
  bool subscribed = false;  // subscribed to the channel
  bool insecure = false;    // the server runs in development `insecure` mode
};

// Whether the options let the requester do `action` without a token.
bool allowedByOptions(Action action, const ChannelOptions& options, const Requester& who);

// Whether `user` ("" when anonymous) may subscribe to `channel` without a
// subscription token: the options, then a user-limited channel's list, then
// the '$' rule. The one subscribe decision, for a WebSocket subscribe and
// for a download of a file shared in the channel (GET /files/<id>).
bool maySubscribeWithoutToken(std::string_view channel, const ChannelOptions& options, std::string_view user,
                              bool insecure);

}  // namespace herald::server
