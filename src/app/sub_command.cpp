// `herald sub CHANNEL`: follow a channel from a terminal. One JSON line per
// publication on stdout; everything else (connection trouble, gaps,
// refusals) on stderr. Survives reconnects, recovering what it missed.
//
// With --protocol protobuf, data is bytes: data that is one JSON value is
// printed as JSON ("data", minified, as the JSON protocol shows it); any
// other bytes as "b64data", their standard base64 (RFC 4648, padded), the
// name and encoding the server HTTP API uses for binary data. conn_info and
// chan_info follow the same rule ("b64conn_info", "b64chan_info").
#include <CLI/CLI.hpp>
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>

#include "cli.hpp"
#include "herald/auth/base64.hpp"
#include "herald/client/client.hpp"
#include "herald/client/http_api.hpp"
#include "herald/proto/json_writer.hpp"

namespace herald::cli {

namespace {

struct SubFlags {
  std::string channel;
  std::string url = "ws://127.0.0.1:8080/connection/websocket";
  std::string token;
  std::string since;
  long long count = 0;
  bool joinLeave = false;
  std::string protocol = "json";
};

// "OFFSET" or "OFFSET:EPOCH".
bool parseSince(const std::string& text, client::StreamPosition& out) {
  std::string_view s = text;
  std::size_t colon = s.find(':');
  std::string_view num = s.substr(0, colon);
  auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), out.offset);
  if (ec != std::errc() || end != num.data() + num.size() || num.empty()) return false;
  if (colon != std::string_view::npos) out.epoch.assign(s.substr(colon + 1));
  return true;
}

// Appends `,"key":value`. With JSON, `value` is raw JSON already. With
// Protobuf it is bytes: JSON ones are written minified under `key`, the
// others as base64 under "b64" + `key`.
void appendField(std::string& line, std::string_view key, const std::string& value, client::Protocol protocol) {
  line += ",\"";
  if (protocol == client::Protocol::Json) {
    line.append(key).append("\":").append(value);
    return;
  }
  if (auto json = client::minifiedJson(value)) {
    line.append(key).append("\":").append(*json);
    return;
  }
  line.append("b64").append(key).append("\":");
  proto::appendJsonString(line, auth::base64Encode(value));
}

std::string publicationLine(const client::Publication& p, client::Protocol protocol) {
  std::string line = "{\"channel\":";
  proto::appendJsonString(line, p.channel);
  line += ",\"offset\":";
  proto::appendUint(line, p.offset);
  if (p.data.empty()) line += ",\"data\":null";
  else appendField(line, "data", p.data, protocol);
  if (p.info) {
    line += ",\"info\":{\"user\":";
    proto::appendJsonString(line, p.info->user);
    line += ",\"client\":";
    proto::appendJsonString(line, p.info->client);
    if (!p.info->connInfo.empty()) appendField(line, "conn_info", p.info->connInfo, protocol);
    if (!p.info->chanInfo.empty()) appendField(line, "chan_info", p.info->chanInfo, protocol);
    line += '}';
  }
  line += "}\n";
  return line;
}

std::string describe(const client::Error& e) { return e.message + " (" + std::to_string(e.code) + ")"; }

// What a refusal means for the person at the terminal.
std::string hintFor(std::uint32_t code, client::Protocol protocol) {
  switch (code) {
    case 3506:
      return protocol == client::Protocol::Json
                 ? "; the channel carries data JSON cannot (binary): follow it with --protocol protobuf"
                 : "; try --protocol json";
    case 101: return "; connect with a token (--token, see `herald token`) or enable [client] allow_anonymous";
    case 102: return "; the channel's namespace is not in the server's configuration";
    case 103: return "; give a token that allows it (--token), or allow subscribing in the namespace's options";
    case 109: return "; the token expired: mint a new one";
    default: return "";
  }
}

int follow(const SubFlags& f) {
  client::SubscriptionOptions subOptions{.joinLeave = f.joinLeave};
  if (!f.since.empty()) {
    client::StreamPosition pos;
    if (!parseSince(f.since, pos)) {
      std::cerr << "herald sub: --since '" << f.since << "' is not OFFSET or OFFSET:EPOCH (e.g. --since 42:xyz)\n";
      return 2;
    }
    subOptions.since = pos;
  }
  if (f.count < 0) {
    std::cerr << "herald sub: --count must be positive\n";
    return 2;
  }

  // SIGINT/SIGTERM are taken by this thread (sigtimedwait below); the
  // client's loop thread inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::atomic<int> exitCode{-1};
  std::atomic<long long> printed{0};
  auto finish = [&exitCode](int code) {
    int expected = -1;
    exitCode.compare_exchange_strong(expected, code);
  };
  auto say = [](const std::string& line) { std::cerr << "herald sub: " << line << "\n"; };

  const client::Protocol protocol = f.protocol == "protobuf" ? client::Protocol::Protobuf : client::Protocol::Json;
  client::Options options{.url = f.url, .token = f.token, .protocol = protocol};
  options.name = "herald-sub";
  bool everConnected = false;  // loop thread only
  options.onConnected = [&](const client::ConnectedEvent&) {
    if (everConnected) say("reconnected");
    everConnected = true;
  };
  options.onConnecting = [&](const client::DisconnectEvent& e) {
    if (e.code != 0 && everConnected) say("connection lost (" + std::to_string(e.code) + " " + e.reason + "); reconnecting");
  };
  options.onError = [&](const client::Error& e) {
    if (e.code == client::error_code::ConnectFailed) say("cannot connect to " + f.url + ": " + e.message + "; retrying");
    else if (e.code < 100 || e.temporary) say(describe(e));
    // A refused connect ends the client: onDisconnected says it.
  };
  options.onDisconnected = [&](const client::DisconnectEvent& e) {
    if (exitCode.load() >= 0) return;
    // "connect refused: ..." (by the server), "connect failed: ..." (the
    // server cannot speak --protocol): said as they are.
    const std::string code = " (" + std::to_string(e.code) + ")" + hintFor(e.code, protocol);
    if (e.reason.rfind("connect ", 0) == 0) say(e.reason + code);
    else say("disconnected by the server for good: " + e.reason + code);
    finish(1);
  };
  client::Client c(options);

  client::SubscriptionHandlers handlers;
  handlers.onPublication = [&](const client::Publication& p) {
    if (exitCode.load() >= 0) return;
    std::string line = publicationLine(p, protocol);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
    if (f.count > 0 && ++printed >= f.count) finish(0);
  };
  handlers.onSubscribed = [&](const client::SubscribedContext& ctx) {
    if (ctx.wasRecovering && ctx.recovered) say("subscribed to " + ctx.channel + ": recovered every publication missed");
  };
  handlers.onUnsubscribed = [&](const client::UnsubscribedContext& u) {
    if (u.code == 0) return;
    say("cannot subscribe to \"" + u.channel + "\": " + u.reason + " (" + std::to_string(u.code) + ")" + hintFor(u.code, protocol));
    finish(1);
  };
  handlers.onGap = [&](const client::GapInfo& g) {
    std::string msg = "warning: publications lost in " + g.channel + ": " + g.reason + " (after offset " +
                      std::to_string(g.lastOffset);
    if (g.nextOffset) msg += ", next " + std::to_string(g.nextOffset);
    say(msg + ")");
  };
  handlers.onError = [&](const client::Error& e) {
    if (e.code >= 100 && !e.temporary) return;  // a refusal: onUnsubscribed says it
    say("subscription: " + describe(e));
  };
  handlers.onJoin = [&](const client::ClientInfo& i) { say("join: user \"" + i.user + "\" client " + i.client); };
  handlers.onLeave = [&](const client::ClientInfo& i) { say("leave: user \"" + i.user + "\" client " + i.client); };
  auto sub = c.subscribe(f.channel, std::move(handlers), subOptions);
  c.connect();

  while (exitCode.load() < 0) {
    timespec wait{0, 200'000'000};
    siginfo_t info;
    if (sigtimedwait(&signals, &info, &wait) > 0) finish(0);
  }
  return exitCode.load();
}

}  // namespace

void addSubCommand(CLI::App& app, std::function<int()>& action) {
  auto flags = std::make_shared<SubFlags>();
  CLI::App* cmd = app.add_subcommand("sub", "follow a channel: one JSON line per publication, recovering across reconnects");
  cmd->add_option("channel", flags->channel, "the channel, e.g. chat:lobby")->required();
  cmd->add_option("--url", flags->url, "the server's WebSocket endpoint")->capture_default_str();
  cmd->add_option("--token", flags->token, "connection JWT (see `herald token`); default: anonymous");
  cmd->add_option("--since", flags->since, "recover publications after OFFSET[:EPOCH] first");
  cmd->add_option("-n,--count", flags->count, "exit after this many publications");
  cmd->add_flag("--join-leave", flags->joinLeave, "report joins and leaves on stderr");
  cmd->add_option("--protocol", flags->protocol,
                  "the client protocol's format: json, or protobuf (binary frames; data is bytes: printed as "
                  "\"data\" when it is JSON, else as \"b64data\", its base64)")
      ->check(CLI::IsMember({"json", "protobuf"}))
      ->capture_default_str();
  cmd->callback([flags, &action] { action = [flags] { return follow(*flags); }; });
}

}  // namespace herald::cli
