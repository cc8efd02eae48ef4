#include "server_api.hpp"

#include <chrono>

#include <openssl/crypto.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "channel_rules.hpp"
#include "control_message.hpp"
#include "herald/auth/base64.hpp"
#include "herald/broker/publication_views.hpp"
#include "herald/proto/codec.hpp"
#include "herald/proto/json_writer.hpp"
#include "herald/proto/reply_encoder.hpp"

namespace herald::server {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;
using Outcome = ServerApi::Outcome;
using Done = ServerApi::Done;

Outcome errorOutcome(proto::ErrorCode code, std::string_view detail = {}) {
  const proto::ErrorInfo& info = proto::errorInfo(code);
  std::string j = "{\"code\":";
  proto::appendUint(j, static_cast<std::uint32_t>(code));
  j += ",\"message\":";
  proto::appendJsonString(j, detail.empty() ? std::string(info.message) : std::string(info.message) + ": " + std::string(detail));
  j += "}";
  return {true, std::move(j)};
}

Outcome failureOutcome(const broker::Failure& f) { return errorOutcome(f.code, f.message); }

// Field readers: absent fields are empty; a field of the wrong type is a
// bad request, reported through `bad`.
struct Params {
  object obj;
  std::string bad{};

  std::string str(std::string_view key, bool required = false) {
    element e;
    if (obj[key].get(e)) {
      if (required && bad.empty()) bad = "missing \"" + std::string(key) + "\"";
      return {};
    }
    std::string_view v;
    if (e.get(v)) {
      if (bad.empty()) bad = "\"" + std::string(key) + "\" must be a string";
      return {};
    }
    return std::string(v);
  }
  std::int64_t integer(std::string_view key, std::int64_t fallback) {
    element e;
    if (obj[key].get(e)) return fallback;
    std::int64_t v = 0;
    if (e.get(v)) {
      if (bad.empty()) bad = "\"" + std::string(key) + "\" must be an integer";
      return fallback;
    }
    return v;
  }
  bool boolean(std::string_view key) {
    element e;
    if (obj[key].get(e)) return false;
    bool v = false;
    if (e.get(v) && bad.empty()) bad = "\"" + std::string(key) + "\" must be true or false";
    return v;
  }
  // The publication's data: `b64data` (base64 of any bytes, as Centrifugo's
  // API takes it) when present and not empty, else the raw JSON of `data`.
  std::string data() {
    std::string b64 = str("b64data", false);
    if (b64.empty()) return raw("data", true);
    auto bytes = auth::base64Decode(b64);
    if (!bytes && bad.empty()) bad = "\"b64data\" is not valid base64 (RFC 4648, standard alphabet, padded)";
    if (bytes && bytes->empty() && bad.empty()) bad = "\"b64data\" decodes to no bytes";
    return bytes ? std::move(*bytes) : std::string();
  }
  // The raw JSON of a value, e.g. `data`.
  std::string raw(std::string_view key, bool required) {
    element e;
    if (obj[key].get(e) || e.is_null()) {
      if (required && bad.empty()) bad = "missing \"" + std::string(key) + "\"";
      return {};
    }
    return simdjson::to_string(e);
  }
  std::vector<std::pair<std::string, std::string>> tags() {
    std::vector<std::pair<std::string, std::string>> out;
    element e;
    if (obj["tags"].get(e) || e.is_null()) return out;
    object t;
    if (e.get(t)) {
      bad = "\"tags\" must be an object of strings";
      return out;
    }
    for (auto [k, v] : t) {
      std::string_view sv;
      if (v.get(sv)) {
        bad = "\"tags\" must be an object of strings";
        return {};
      }
      out.emplace_back(std::string(k), std::string(sv));
    }
    return out;
  }
};

// Data that is not JSON (published as bytes: `b64data`, a Protobuf client)
// is given as "b64data", base64 of the bytes, in place of "data".
std::string publicationsJson(const std::vector<broker::StoredPublication>& pubs) {
  broker::PublicationViews views(pubs);
  std::string j = "[";
  for (const proto::Publication& p : views.views()) {
    if (j.size() > 1) j += ',';
    if (p.data.empty() || proto::isJsonValue(p.data)) {
      proto::encodePublication(j, p);
      continue;
    }
    proto::Publication rest = p;
    rest.data = {};
    std::string tail;
    proto::encodePublication(tail, rest);  // {...} without "data"
    j += "{\"b64data\":";
    proto::appendJsonString(j, auth::base64Encode(p.data));
    if (tail.size() > 2) j += ',';
    j.append(tail, 1);
  }
  j += ']';
  return j;
}

std::string positionJson(std::uint64_t offset, std::string_view epoch) {
  std::string j = "{\"offset\":";
  proto::appendUint(j, offset);
  j += ",\"epoch\":";
  proto::appendJsonString(j, epoch);
  j += '}';
  return j;
}

}  // namespace

struct ApiMethods {
  ServerApi& api;
  unsigned loop;

  // A channel the configuration knows, or the error to answer.
  std::optional<Outcome> checkChannel(const std::string& channel) {
    if (checkChannelName(channel, api.config_.maxChannelLength) != NameProblem::None)
      return errorOutcome(proto::ErrorCode::BadRequest, describe(checkChannelName(channel, api.config_.maxChannelLength)));
    if (!api.config_.optionsFor(channel)) return errorOutcome(proto::ErrorCode::UnknownChannel);
    return std::nullopt;
  }

  void publishOne(std::string channel, std::string data, std::vector<std::pair<std::string, std::string>> tags,
                  bool delta, Done done) {
    if (auto e = checkChannel(channel)) return done(*e);
    api.metrics_.publications.fetch_add(1, std::memory_order_relaxed);
    broker::PublishRequest req{std::move(channel), std::move(data), std::nullopt, std::move(tags), delta};
    api.broker_.publish(std::move(req), loop, [done = std::move(done)](broker::PublishOutcome out) {
      if (out.failure) return done(failureOutcome(*out.failure));
      done({false, out.offset ? positionJson(out.offset, out.epoch) : "{}"});
    });
  }

  void run(std::string_view method, Params& p, Done done) {
    if (method == "publish") {
      std::string channel = p.str("channel", true);
      std::string data = p.data();
      auto tags = p.tags();
      bool delta = p.boolean("delta");
      if (!p.bad.empty()) return done(errorOutcome(proto::ErrorCode::BadRequest, p.bad));
      return publishOne(std::move(channel), std::move(data), std::move(tags), delta, std::move(done));
    }
    if (method == "broadcast") {
      std::vector<std::string> channels;
      element e;
      simdjson::dom::array arr;
      if (p.obj["channels"].get(e) || e.get(arr)) return done(errorOutcome(proto::ErrorCode::BadRequest, "\"channels\" must be an array of strings"));
      for (element c : arr) {
        std::string_view sv;
        if (c.get(sv)) return done(errorOutcome(proto::ErrorCode::BadRequest, "\"channels\" must be an array of strings"));
        channels.emplace_back(sv);
      }
      std::string data = p.data();
      auto tags = p.tags();
      bool delta = p.boolean("delta");
      if (!p.bad.empty()) return done(errorOutcome(proto::ErrorCode::BadRequest, p.bad));
      struct Gather {
        std::vector<Outcome> replies;
        std::size_t pending;
        Done done;
      };
      auto g = std::make_shared<Gather>(Gather{std::vector<Outcome>(channels.size()), channels.size(), std::move(done)});
      auto finish = [](Gather& g2) {
        std::string j = "{\"responses\":[";
        for (std::size_t i = 0; i < g2.replies.size(); ++i) {
          if (i) j += ',';
          j += g2.replies[i].error ? "{\"error\":" : "{\"result\":";
          j += g2.replies[i].json;
          j += '}';
        }
        j += "]}";
        g2.done({false, std::move(j)});
      };
      if (channels.empty()) return finish(*g);
      for (std::size_t i = 0; i < channels.size(); ++i) {
        publishOne(channels[i], data, tags, delta, [g, i, finish](Outcome o) {
          g->replies[i] = std::move(o);
          if (--g->pending == 0) finish(*g);
        });
      }
      return;
    }
    if (method == "presence" || method == "presence_stats") {
      std::string channel = p.str("channel", true);
      if (!p.bad.empty()) return done(errorOutcome(proto::ErrorCode::BadRequest, p.bad));
      if (auto e = checkChannel(channel)) return done(*e);
      bool stats = method == "presence_stats";
      return api.broker_.presence(channel, loop, [stats, done = std::move(done)](broker::PresenceOutcome out) {
        if (out.failure) return done(failureOutcome(*out.failure));
        std::string j;
        if (stats) {
          j = "{\"num_clients\":";
          proto::appendUint(j, out.clients.size());
          j += ",\"num_users\":";
          proto::appendUint(j, out.numUsers);
          j += '}';
          return done({false, std::move(j)});
        }
        // The same shape as the client protocol's presence result.
        std::vector<proto::ClientInfo> infos;
        for (const auto& c : out.clients) infos.push_back({c.user, c.client, c.connInfo, c.chanInfo});
        std::string reply;
        proto::encodePresenceReply(reply, 0, infos);
        // {"presence":{"presence":{...}}} -> {"presence":{...}}
        std::size_t start = reply.find(':') + 1;
        done({false, reply.substr(start, reply.size() - start - 1)});
      });
    }
    if (method == "history") {
      broker::HistoryQuery q;
      q.channel = p.str("channel", true);
      q.limit = static_cast<std::int32_t>(p.integer("limit", 0));
      q.reverse = p.boolean("reverse");
      element since;
      if (!p.obj["since"].get(since) && !since.is_null()) {
        Params sp{};
        if (since.get(sp.obj)) return done(errorOutcome(proto::ErrorCode::BadRequest, "\"since\" must be an object"));
        q.hasSince = true;
        q.sinceOffset = static_cast<std::uint64_t>(sp.integer("offset", 0));
        q.sinceEpoch = sp.str("epoch");
        if (!sp.bad.empty()) p.bad = sp.bad;
      }
      if (!p.bad.empty()) return done(errorOutcome(proto::ErrorCode::BadRequest, p.bad));
      if (auto e = checkChannel(q.channel)) return done(*e);
      return api.broker_.history(std::move(q), loop, [done = std::move(done)](broker::HistoryOutcome out) {
        if (out.failure) return done(failureOutcome(*out.failure));
        std::string j = "{\"publications\":" + publicationsJson(out.publications) + ",\"offset\":";
        proto::appendUint(j, out.top);
        j += ",\"epoch\":";
        proto::appendJsonString(j, out.epoch);
        j += '}';
        done({false, std::move(j)});
      });
    }
    if (method == "history_remove") {
      std::string channel = p.str("channel", true);
      if (!p.bad.empty()) return done(errorOutcome(proto::ErrorCode::BadRequest, p.bad));
      if (auto e = checkChannel(channel)) return done(*e);
      return api.broker_.removeHistory(channel, loop, [done = std::move(done)](std::optional<broker::Failure> f) {
        done(f ? failureOutcome(*f) : Outcome{false, "{}"});
      });
    }
    if (method == "channels") {
      std::string pattern = p.str("pattern");
      if (!p.bad.empty()) return done(errorOutcome(proto::ErrorCode::BadRequest, p.bad));
      return api.broker_.channels(loop, [pattern, done = std::move(done)](std::vector<broker::ChannelSummary> all) {
        std::string j = "{\"channels\":{";
        bool first = true;
        for (const auto& c : all) {
          if (!pattern.empty() && c.channel.find(pattern) == std::string::npos) continue;
          if (!first) j += ',';
          first = false;
          proto::appendJsonString(j, c.channel);
          j += ":{\"num_clients\":";
          proto::appendUint(j, c.numClients);
          j += '}';
        }
        j += "}}";
        done({false, std::move(j)});
      });
    }
    if (method == "disconnect" || method == "unsubscribe" || method == "subscribe" || method == "refresh") {
      std::string user = p.str("user", true);
      std::string client = p.str("client");
      std::string channel = method == "disconnect" || method == "refresh" ? "" : p.str("channel", true);
      std::uint32_t code = static_cast<std::uint32_t>(proto::DisconnectCode::ForceNoReconnect);
      std::string reason = "force disconnect";
      element d;
      if (method == "disconnect" && !p.obj["disconnect"].get(d) && !d.is_null()) {
        Params dp{};
        if (d.get(dp.obj)) return done(errorOutcome(proto::ErrorCode::BadRequest, "\"disconnect\" must be an object"));
        code = static_cast<std::uint32_t>(dp.integer("code", code));
        std::string r = dp.str("reason");
        if (!r.empty()) reason = r;
        if (!dp.bad.empty()) p.bad = dp.bad;
        if (code < 3000 || code > 4999) p.bad = "disconnect code must be in 3000..4999";
      }
      if (!p.bad.empty()) return done(errorOutcome(proto::ErrorCode::BadRequest, p.bad));
      if (!channel.empty())
        if (auto e = checkChannel(channel)) return done(*e);
      std::int64_t expireAt = method == "refresh" ? p.integer("expire_at", 0) : 0;
      bool expired = method == "refresh" && p.boolean("expired");
      if (!p.bad.empty()) return done(errorOutcome(proto::ErrorCode::BadRequest, p.bad));
      // Every node applies it to its own clients, this one included.
      ControlMessage m{.user = user, .client = client, .channel = channel, .code = code, .reason = reason,
                       .expireAt = expireAt, .expired = expired};
      m.op = method == "disconnect"    ? ControlMessage::Op::Disconnect
             : method == "unsubscribe" ? ControlMessage::Op::Unsubscribe
             : method == "subscribe"   ? ControlMessage::Op::Subscribe
                                       : ControlMessage::Op::Refresh;
      return api.broker_.control(encodeControl(m), loop, [done = std::move(done)](std::optional<broker::Failure> f) {
        done(f ? failureOutcome(*f) : Outcome{false, "{}"});
      });
    }
    if (method == "config") {
      std::string j = "{\"toml\":";
      proto::appendJsonString(j, renderConfig(api.config_));
      j += '}';
      return done({false, std::move(j)});
    }
    if (method == "info") {
      return api.broker_.nodes(loop, [done = std::move(done)](std::vector<broker::NodeDescription> nodes) {
        std::string j = "{\"nodes\":[";
        for (std::size_t i = 0; i < nodes.size(); ++i) {
          if (i) j += ',';
          j += nodes[i].info;
        }
        j += "]}";
        done({false, std::move(j)});
      });
    }
    done(errorOutcome(proto::ErrorCode::MethodNotFound, method));
  }
};

ServerApi::ServerApi(const ServerConfig& config, App& app, broker::Broker& broker, ClientProtocol& clients,
                     Metrics& metrics)
    : config_(config), app_(app), broker_(broker), clients_(clients), metrics_(metrics) {}

bool ServerApi::authorized(const HttpRequest& request) const {
  if (config_.apiInsecure) return true;
  if (config_.apiKey.empty()) return false;
  std::string_view given;
  if (auto k = request.header("X-API-Key")) given = *k;
  else if (auto a = request.header("Authorization"); a && a->size() > 7 && http::equalsIgnoreCase(a->substr(0, 7), "apikey "))
    given = a->substr(7);
  return given.size() == config_.apiKey.size() && CRYPTO_memcmp(given.data(), config_.apiKey.data(), given.size()) == 0;
}

namespace {

std::string wrap(const Outcome& o) { return std::string(o.error ? "{\"error\":" : "{\"result\":") + o.json + "}"; }

}  // namespace

void ServerApi::refuse(HttpResponder& responder, http::Status status, proto::ErrorCode code, std::string_view detail,
                       std::string_view reason) {
  if (metrics_.refuse(reason)) spdlog::info("server API refused a request: {} {}", reason, detail);
  responder.respond(status, wrap(errorOutcome(code, detail)), "application/json");
}

void ServerApi::handle(const HttpRequest& request, HttpResponder responder) {
  metrics_.apiRequests.fetch_add(1, std::memory_order_relaxed);
  auto fail = [&](http::Status status, proto::ErrorCode code, std::string_view detail, std::string_view reason) {
    refuse(responder, status, code, detail, reason);
  };
  if (request.method() != "POST")
    return fail(http::Status::MethodNotAllowed, proto::ErrorCode::BadRequest, "the server API takes POST requests",
                "api_method_not_allowed");
  if (!authorized(request)) {
    std::string_view why = config_.apiKey.empty() && !config_.apiInsecure
                               ? "the HTTP API is disabled: set [api] key in the configuration"
                               : "send the API key in X-API-Key or Authorization: apikey <key>";
    return fail(http::Status::Unauthorized, proto::ErrorCode::Unauthorized, why, "api_unauthorized");
  }
  serve(request.path().substr(std::string_view("/api/").size()), request, std::move(responder));
}

void ServerApi::serve(std::string_view method, const HttpRequest& request, HttpResponder responder) {
  auto fail = [&](http::Status status, proto::ErrorCode code, std::string_view detail, std::string_view reason) {
    refuse(responder, status, code, detail, reason);
  };
  static constexpr std::string_view kMethods[] = {"publish", "broadcast", "subscribe", "unsubscribe", "disconnect",
                                                  "refresh", "presence", "presence_stats", "history",
                                                  "history_remove", "channels", "info", "config", "batch"};
  if (std::find(std::begin(kMethods), std::end(kMethods), method) == std::end(kMethods))
    return fail(http::Status::NotFound, proto::ErrorCode::MethodNotFound, method, "api_unknown_method");
  thread_local simdjson::dom::parser parser;
  element root;
  std::string_view body = request.body.empty() ? std::string_view("{}") : request.body;
  if (auto err = parser.parse(body.data(), body.size()).get(root))
    return fail(http::Status::BadRequest, proto::ErrorCode::BadRequest, simdjson::error_message(err), "api_bad_json");
  Params params{};
  if (root.get(params.obj))
    return fail(http::Status::BadRequest, proto::ErrorCode::BadRequest, "the body must be a JSON object", "api_bad_json");

  ApiMethods methods{*this, responder.loopIndex()};
  if (method == "batch") {
    // {"commands":[{"publish":{...}}, ...]} -> {"replies":[{"publish":{...}} | {"error":{...}}, ...]}
    simdjson::dom::array commands;
    element e;
    if (params.obj["commands"].get(e) || e.get(commands))
      return fail(http::Status::BadRequest, proto::ErrorCode::BadRequest, "\"commands\" must be an array", "api_bad_request");
    struct Gather {
      std::vector<std::string> replies;
      std::size_t pending;
      HttpResponder responder;
    };
    auto g = std::make_shared<Gather>(Gather{std::vector<std::string>(commands.size()), commands.size(), responder});
    auto finish = [](Gather& g2) {
      std::string j = "{\"replies\":[";
      for (std::size_t i = 0; i < g2.replies.size(); ++i) {
        if (i) j += ',';
        j += g2.replies[i];
      }
      j += "]}";
      g2.responder.respond(http::Status::Ok, j, "application/json");
    };
    if (commands.size() == 0) return finish(*g);
    std::size_t i = 0;
    for (element c : commands) {
      object cmd;
      std::string name;
      Params sub{};
      if (!c.get(cmd) && cmd.size() == 1) {
        auto field = *cmd.begin();
        name = std::string(field.key);
        if (field.value.get(sub.obj)) name.clear();
      }
      auto reply = [g, i, name, finish](Outcome o) {
        g->replies[i] = o.error ? "{\"error\":" + o.json + "}" : "{\"" + name + "\":" + o.json + "}";
        if (--g->pending == 0) finish(*g);
      };
      if (name.empty() || name == "batch") reply(errorOutcome(proto::ErrorCode::BadRequest, "each command is {\"<method>\":{...}}"));
      else methods.run(name, sub, reply);
      ++i;
    }
    return;
  }
  methods.run(method, params, [responder](Outcome o) mutable {
    responder.respond(http::Status::Ok, wrap(o), "application/json");
  });
}

}  // namespace herald::server
