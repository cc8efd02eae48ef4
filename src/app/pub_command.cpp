// `herald pub CHANNEL DATA`: publish from a terminal, through the server
// HTTP API (default) or, with --ws, through the client protocol, in its
// JSON format (DATA must be one JSON value) or, with --protocol protobuf,
// its Protobuf one (DATA is taken as bytes: any non-empty text).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>

#include "cli.hpp"
#include "herald/client/client.hpp"
#include "herald/client/http_api.hpp"
#include "herald/proto/json_writer.hpp"

namespace herald::cli {

namespace {

struct PubFlags {
  std::string channel;
  std::string data;
  std::string url = "http://127.0.0.1:8080";
  std::string apiKey;
  std::string ws;
  std::string token;
  std::string protocol = "json";
  double timeout = 10;
};

std::string hintFor(std::uint32_t code) {
  switch (code) {
    case 101: return "\n  give the server's [api] key with --api-key or HERALD_API_KEY (or a --token with --ws)";
    case 102: return "\n  the channel's namespace is not in the server's configuration";
    case 103: return "\n  the namespace does not allow publishing from clients (allow_publish_for_client / _for_anonymous)";
    case 108: return "\n  the namespace has that feature off";
    default: return "";
  }
}

int fail(const client::Error& e) {
  std::cerr << "herald pub: " << e.message << " (" << e.code << ")" << hintFor(e.code) << "\n";
  return 1;
}

int publishHttp(const PubFlags& f, std::chrono::milliseconds timeout) {
  std::string key = f.apiKey;
  if (key.empty())
    if (const char* env = std::getenv("HERALD_API_KEY")) key = env;
  client::ApiClient api(f.url, key, timeout);
  std::string body = "{\"channel\":";
  proto::appendJsonString(body, f.channel);
  body += ",\"data\":";
  proto::appendRawJson(body, f.data);
  body += '}';
  client::Result<std::string> r = api.call("publish", body);
  if (!r.ok()) return fail(*r.error);
  std::cout << r.value << "\n";
  return 0;
}

int publishWs(const PubFlags& f) {
  std::mutex m;
  std::string lastProblem;  // why the connection failed, if it did
  client::Options options{.url = f.ws, .token = f.token};
  options.name = "herald-pub";
  if (f.protocol == "protobuf") options.protocol = client::Protocol::Protobuf;
  options.onError = [&](const client::Error& e) {
    std::lock_guard lock(m);
    lastProblem = e.message;
  };
  client::Client c(options);
  c.connect();
  client::Result<client::PublishResult> r = c.publish(f.channel, f.data).get();
  if (!r.ok()) {
    client::Error e = *r.error;
    std::lock_guard lock(m);
    if (!lastProblem.empty() && e.code < 100) e.message += ": " + lastProblem;
    return fail(e);
  }
  std::cout << "{}\n";
  return 0;
}

int publish(const PubFlags& f) {
  const bool bytes = f.protocol == "protobuf";
  if (bytes && f.ws.empty()) {
    std::cerr << "herald pub: --protocol is the client protocol's format: it goes with --ws\n"
              << "  (the HTTP API takes JSON; binary data goes there as base64 in \"b64data\")\n";
    return 2;
  }
  if (bytes && f.data.empty()) {
    std::cerr << "herald pub: the data is empty: publish one byte or more\n";
    return 2;
  }
  if (auto problem = bytes ? std::nullopt : client::jsonError(f.data)) {
    std::string shown = f.data.size() > 60 ? f.data.substr(0, 60) + "..." : f.data;
    std::cerr << "herald pub: the data is not valid JSON (" << *problem << "): " << shown << "\n"
              << "  give one JSON value, quoted for the shell, e.g.\n"
              << "    herald pub " << f.channel << " '{\"text\":\"hello\"}'\n"
              << "    herald pub " << f.channel << " '\"a plain string\"'\n"
              << "  or publish it as bytes: --ws URL --protocol protobuf\n";
    return 2;
  }
  if (f.timeout <= 0) {
    std::cerr << "herald pub: --timeout must be positive\n";
    return 2;
  }
  auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(f.timeout * 1000));
  if (!f.ws.empty()) return publishWs(f);
  return publishHttp(f, timeout);
}

}  // namespace

void addPubCommand(CLI::App& app, std::function<int()>& action) {
  auto flags = std::make_shared<PubFlags>();
  CLI::App* cmd = app.add_subcommand(
      "pub", "publish one JSON message to a channel (HTTP API, or --ws client protocol; bytes with --protocol protobuf)");
  cmd->add_option("channel", flags->channel, "the channel, e.g. chat:lobby")->required();
  cmd->add_option("data", flags->data,
                  "the data: one JSON value, e.g. '{\"text\":\"hi\"}' (with --ws --protocol protobuf: any bytes)")
      ->required();
  cmd->add_option("--url", flags->url, "the server's HTTP address (server API)")->capture_default_str();
  cmd->add_option("--api-key", flags->apiKey, "the server's [api] key (default: $HERALD_API_KEY)");
  cmd->add_option("--ws", flags->ws, "publish as a client instead: the WebSocket endpoint, e.g. ws://127.0.0.1:8080/connection/websocket");
  cmd->add_option("--token", flags->token, "with --ws: the connection JWT; default: anonymous");
  cmd->add_option("--protocol", flags->protocol,
                  "with --ws: the client protocol's format: json, or protobuf (binary frames; the data is sent "
                  "as bytes, JSON or not)")
      ->check(CLI::IsMember({"json", "protobuf"}))
      ->capture_default_str();
  cmd->add_option("--timeout", flags->timeout, "seconds to wait for the server (HTTP API)")->capture_default_str();
  cmd->callback([flags, &action] { action = [flags] { return publish(*flags); }; });
}

}  // namespace herald::cli
