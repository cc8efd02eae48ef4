#include "server.hpp"

#include <spdlog/spdlog.h>
#include <set>
#include <unistd.h>

#include "app_host.hpp"
#include "auth_gate.hpp"
#include "client_protocol.hpp"
#include "demo.hpp"
#include "herald/store/memory_history.hpp"
#include "herald/store/sqlite_history.hpp"
#include "metrics.hpp"
#include "server_api.hpp"
#include "static_files.hpp"

namespace herald::server {

namespace {

bool anyDurableHistory(const ServerConfig& c) {
  if (c.channel.historyEnabled() && c.channel.durable) return true;
  for (const auto& ns : c.namespaces)
    if (ns.options.historyEnabled() && ns.options.durable) return true;
  return false;
}

std::string hostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "herald";
  return buf;
}

}  // namespace

struct Server::Parts {
  explicit Parts(ServerConfig c)
      : config(std::move(c)),
        app(AppOptions{.threads = config.threads,
                       .maxConnections = config.maxConnections,
                       .handshakeTimeout = config.handshakeTimeout,
                       .shutdownCloseCode = static_cast<std::uint16_t>(proto::DisconnectCode::Shutdown),
                       .shutdownReason = "shutdown"}),
        host(app),
        auth(config) {}

  ServerConfig config;
  App app;
  AppHost host;
  AuthGate auth;
  Metrics metrics;
  std::unique_ptr<store::SqliteHistory> sqlite;
  store::MemoryHistory memory;
  std::unique_ptr<broker::Broker> broker;
  std::unique_ptr<ClientProtocol> clients;
  std::unique_ptr<ServerApi> api;
  std::unique_ptr<StaticFiles> web;
  std::unique_ptr<DemoFeed> demo;

  Metrics::Snapshot snapshot() const {
    App::Counters c = app.counters();
    broker::BrokerStats b = broker->stats();
    return {.connections = app.connectionCount(),
            .channels = b.channels,
            .fanoutPublications = b.publications,
            .messagesIn = c.messagesIn,
            .bytesIn = c.bytesIn,
            .messagesOut = c.messagesOut,
            .bytesOut = c.bytesOut,
            .engineRefusals = app.refusals()};
  }

  // Logs each kind of engine refusal the first time it happens (they are
  // all counted in /metrics); runs once a second on loop 0.
  std::set<std::string_view> loggedRefusals;
  void logNewRefusals() {
    for (const auto& [reason, count] : app.refusals())
      if (count && loggedRefusals.insert(reason).second)
        spdlog::info("refused: {} (logged once; counted in /metrics as herald_refusals_total{{reason=\"{}\"}})", reason,
                     reason);
  }
};

Server::Server(ServerConfig config) {
  if (config.nodeName.empty()) config.nodeName = hostName();
  parts_ = std::make_unique<Parts>(std::move(config));
  Parts& p = *parts_;
  if (anyDurableHistory(p.config)) {
    p.sqlite = std::make_unique<store::SqliteHistory>(p.config.dataDir);
    p.sqlite->setCommitObserver([&m = p.metrics](std::chrono::microseconds latency, std::size_t) {
      m.historyCommits.fetch_add(1, std::memory_order_relaxed);
      m.commitLatency.observe(latency);
    });
  }
  p.broker = std::make_unique<broker::Broker>(p.host, [&p](std::string_view channel) {
    broker::ChannelSetup setup;
    const ChannelOptions* o = p.config.optionsFor(channel);
    if (!o) return setup;
    setup.presence = o->presence;
    if (o->historyEnabled()) {
      setup.store = o->durable ? static_cast<broker::HistoryStore*>(p.sqlite.get()) : &p.memory;
      setup.limits = {o->historySize, o->historyTtl};
    }
    return setup;
  });
  p.clients = std::make_unique<ClientProtocol>(p.config, p.app, *p.broker, p.auth, p.metrics);
  p.api = std::make_unique<ServerApi>(p.config, p.app, *p.broker, *p.clients, p.metrics);

  p.app.ws("/connection/websocket", p.clients->behavior());
  p.app.http("/api/", [&p](const HttpRequest& r, HttpResponder out) { p.api->handle(r, std::move(out)); },
             {.maxBodyBytes = p.config.apiMaxBodyBytes});
  p.app.http("/health", [](const HttpRequest&, HttpResponder out) {
    out.respond(http::Status::Ok, "{}", "application/json");
  });
  p.app.http("/metrics", [&p](const HttpRequest&, HttpResponder out) {
    out.respond(http::Status::Ok, p.metrics.render(p.snapshot()), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (!p.config.webRoot.empty()) {
    p.web = std::make_unique<StaticFiles>(p.config.webRoot);
    p.app.http("/", [&p](const HttpRequest& r, HttpResponder out) { p.web->handle(r, std::move(out)); });
  }
  if (p.config.demoTokens) p.app.http("/demo/token", demoTokenRoute(p.config), {.maxBodyBytes = 1024});
  if (p.config.demoFeed) {
    p.demo = std::make_unique<DemoFeed>(p.app, *p.broker, [&p] { return p.snapshot(); }, p.metrics);
    p.demo->start();
  }
  p.clients->startTimers();
  p.app.deferTo(0, [&p] { p.app.loop(0).addTimer(std::chrono::seconds(1), [&p] { p.logNewRefusals(); }); });
}

Server::~Server() = default;

std::uint16_t Server::listen() {
  Parts& p = *parts_;
  if (!p.config.tlsCert.empty())
    return p.app.listenTls(p.config.host, p.config.port, p.config.tlsCert, p.config.tlsKey);
  return p.app.listen(p.config.host, p.config.port);
}

void Server::run() {
  Parts& p = *parts_;
  if (p.config.insecure) spdlog::warn("client.insecure is on: anyone may subscribe, publish and read anything");
  if (p.config.apiInsecure) spdlog::warn("api.insecure is on: the server API takes requests without a key");
  p.app.run();
  if (p.sqlite) p.sqlite->flush();
}

void Server::stop() { parts_->app.stop(); }

}  // namespace herald::server
