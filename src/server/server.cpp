#include "server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <vector>
#include <unistd.h>

#include "app_host.hpp"
#include "auth_gate.hpp"
#include "config/options.hpp"
#include "client_protocol.hpp"
#include "demo.hpp"
#include "herald/broker/redis_broker.hpp"
#include "herald/proto/json_writer.hpp"
#include "herald/redis/keys.hpp"
#include "herald/store/memory_history.hpp"
#include "herald/store/sqlite_history.hpp"
#include "metrics.hpp"
#include "admin_gate.hpp"
#include "server_api.hpp"
#include "shared_files.hpp"
#include "static_files.hpp"

namespace herald::server {

namespace {

std::int64_t wallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool anyDurableHistory(const ServerConfig& c) {
  if (c.channel.historyEnabled() && c.channel.durable) return true;
  for (const auto& ns : c.namespaces)
    if (ns.options.historyEnabled() && ns.options.durable) return true;
  return false;
}

// One loud line each: what the history store found, what it did, where to read on.
constexpr const char* kDamageAdvice = "See docs/operations.md, \"A damaged history file\".";

std::string joinPaths(const std::vector<std::filesystem::path>& paths) {
  std::string out;
  for (const auto& p : paths) {
    if (!out.empty()) out += ", ";
    out += p.string();
  }
  return out;
}

std::unique_ptr<store::SqliteHistory> openSqliteHistory(const std::string& dataDirSetting) {
  // Absolute, so that the log says where the files are whatever the reader's
  // working directory.
  const std::filesystem::path dataDir = std::filesystem::absolute(dataDirSetting);
  store::SqliteHistory::Options options;
  const std::string path = (dataDir / options.fileName).string();
  options.onCorruption = [path](const std::string& error) {
    spdlog::error("history store damaged while running: {}. Channels whose history is in the damaged part fail "
                  "with error 100 from now on. Stop the server: {} is damaged, and the next start moves it aside "
                  "and starts history afresh. {}",
                  error, path, kDamageAdvice);
  };
  auto sqlite = std::make_unique<store::SqliteHistory>(dataDir, std::move(options));
  if (const auto& d = sqlite->damage()) {
    spdlog::error("history store damaged: {}: {}. Moved aside, untouched, to {}; history starts afresh in a new {}: "
                  "every channel gets a new epoch, and clients recovering an older position are told "
                  "recovered: false. {}",
                  path, d->problem, joinPaths(d->movedTo), path, kDamageAdvice);
  }
  return sqlite;
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
                       .maxConnectionsPerAddress = config.maxConnectionsPerAddress,
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
  broker::RedisBroker* redisBroker = nullptr;  // with [engine] type = "redis"
  std::unique_ptr<ClientProtocol> clients;
  std::unique_ptr<ServerApi> api;
  std::unique_ptr<AdminGate> admin;  // [admin] enabled
  std::unique_ptr<StaticFiles> web;
  std::unique_ptr<SharedFiles> files;  // [files] enabled
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
            .engineRefusals = app.refusals(),
            .redis = redisBroker ? std::optional(redisBroker->redisStats()) : std::nullopt,
            .historyStoreDamaged = historyStoreDamaged(),
            .historyWriteFailures = sqlite ? sqlite->failedBatchCount() : 0,
            .sharedFiles = files ? std::optional(Metrics::Snapshot::Files{files->usage().files, files->usage().bytes,
                                                                          config.filesQuota})
                                 : std::nullopt};
  }
  bool historyStoreDamaged() const { return sqlite && (sqlite->damage() || sqlite->corruptionSeen()); }

  // This node as /api/info and the node registry show it. Loop 0.
  std::string nodeUid = redis::newEpoch() + redis::newEpoch();
  std::int64_t startedMs = wallMs();
  App::Counters lastCounters{};
  std::int64_t lastRateMs = wallMs();
  std::atomic<double> inRate{0}, outRate{0};  // written on loop 0, read wherever /api/info is answered
  void measureRates() {
    App::Counters c = app.counters();
    std::int64_t now = wallMs();
    double seconds = static_cast<double>(std::max<std::int64_t>(now - lastRateMs, 1)) / 1000.0;
    inRate.store(static_cast<double>(c.messagesIn - lastCounters.messagesIn) / seconds, std::memory_order_relaxed);
    outRate.store(static_cast<double>(c.messagesOut - lastCounters.messagesOut) / seconds, std::memory_order_relaxed);
    lastCounters = c;
    lastRateMs = now;
  }
  std::string describe() const {
    std::string j = "{\"uid\":";
    proto::appendJsonString(j, nodeUid);
    j += ",\"name\":";
    proto::appendJsonString(j, config.nodeName);
    j += ",\"version\":\"herald 0.1\",\"engine\":";
    proto::appendJsonString(j, config.engineType);
    j += ",\"num_clients\":";
    proto::appendInt(j, metrics.sessions.load(std::memory_order_relaxed));
    j += ",\"num_subs\":";
    proto::appendInt(j, metrics.subscriptions.load(std::memory_order_relaxed));
    j += ",\"num_channels\":";
    proto::appendUint(j, broker->stats().channels);
    j += ",\"uptime\":";
    proto::appendInt(j, (wallMs() - startedMs) / 1000);
    j += ",\"messages_in_per_second\":";
    proto::appendUint(j, static_cast<std::uint64_t>(inRate.load(std::memory_order_relaxed) + 0.5));
    j += ",\"messages_out_per_second\":";
    proto::appendUint(j, static_cast<std::uint64_t>(outRate.load(std::memory_order_relaxed) + 0.5));
    if (historyStoreDamaged()) j += ",\"history_store_damaged\":true";
    j += '}';
    return j;
  }

  // Logs failing history writes: the first at once, then at most one line
  // every 10 s with how many more (they are counted in /metrics). Loop 0.
  std::uint64_t loggedWriteFailures = 0;
  std::int64_t lastWriteFailureLogMs = 0;
  void logWriteFailures() {
    if (!sqlite) return;
    std::uint64_t failed = sqlite->failedBatchCount();
    std::int64_t now = wallMs();
    if (failed == loggedWriteFailures || now - lastWriteFailureLogMs < 10'000) return;
    spdlog::error("history writes failing: {} more write batch(es) not stored ({} in all); last error: {}; their "
                  "publications were refused with error 100 (herald_history_write_failures_total)",
                  failed - loggedWriteFailures, failed, sqlite->lastWriteFailure());
    loggedWriteFailures = failed;
    lastWriteFailureLogMs = now;
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
  broker::ChannelResolver resolver = [&p](std::string_view channel) {
    broker::ChannelSetup setup;
    const ChannelOptions* o = p.config.optionsFor(channel);
    if (!o) return setup;
    setup.presence = o->presence;
    setup.delta = !o->allowedDeltaTypes.empty();
    if (o->historyEnabled()) {
      // With Redis the store is Redis itself; the broker only needs to know
      // that the channel keeps history.
      bool durable = o->durable && p.sqlite;
      setup.store = durable ? static_cast<broker::HistoryStore*>(p.sqlite.get()) : &p.memory;
      setup.limits = {o->historySize, o->historyTtl};
    }
    return setup;
  };
  if (p.config.engineType == "redis") {
    broker::RedisBrokerOptions options;
    for (const std::string& address : p.config.redisAddresses) {
      auto [host, port] = *splitHostPort(address);
      std::string error;
      auto numeric = redis::resolveHost(host, error);
      if (!numeric) throw ConfigError("engine.redis_addresses: cannot resolve \"" + address + "\": " + error);
      redis::Options o;
      o.host = *numeric;
      o.port = port;
      options.shards.push_back(o);
    }
    options.presenceTtl = p.config.presenceTtl;
    options.metaTtl = p.config.historyMetaTtl;
    auto redisBroker = std::make_unique<broker::RedisBroker>(
        p.host, [&p](unsigned i) -> net::Loop& { return p.app.loop(i); }, resolver, options);
    redisBroker->onPublishLatency([&m = p.metrics](std::chrono::microseconds l) { m.redisPublishLatency.observe(l); });
    redisBroker->onLinkChange([addresses = p.config.redisAddresses](unsigned shard, bool up, const std::string& reason) {
      if (up) return spdlog::info("redis {} connected", addresses[shard]);
      spdlog::warn("redis {} unreachable: {}; publishes, history and presence fail with 100 until it is back",
                   addresses[shard], reason);
    });
    p.redisBroker = redisBroker.get();
    p.broker = std::move(redisBroker);
    // First in every loop's queue: the connections exist before any call.
    p.redisBroker->start();
  } else {
    if (anyDurableHistory(p.config)) {
      p.sqlite = openSqliteHistory(p.config.dataDir);
      p.sqlite->setCommitObserver([&m = p.metrics](std::chrono::microseconds latency, std::size_t) {
        m.historyCommits.fetch_add(1, std::memory_order_relaxed);
        m.commitLatency.observe(latency);
      });
    }
    p.broker = std::make_unique<broker::LocalBroker>(p.host, resolver);
  }
  p.broker->describeNode(p.nodeUid, [&p] { return p.describe(); });
  p.clients = std::make_unique<ClientProtocol>(p.config, p.app, *p.broker, p.auth, p.metrics);
  p.api = std::make_unique<ServerApi>(p.config, p.app, *p.broker, *p.clients, p.metrics);
  p.host.metrics = &p.metrics;
  p.host.onRefuse = [&p](std::string channel, proto::Format format) {
    p.clients->refuseFormat(std::move(channel), format);
  };
  p.host.onDelta = [&p](std::string channel, proto::Format format, std::uint64_t seq,
                        std::shared_ptr<const broker::BrokerHost::DeltaFrames> frames) {
    p.clients->deliverDelta(std::move(channel), format, seq, std::move(frames));
  };
  p.host.onReset = [&p](std::string channel, std::string_view why) {
    spdlog::warn("channel {}: {}; its subscribers here are told to subscribe again (2500)", channel, why);
    p.clients->resetChannel(std::move(channel));
  };
  p.broker->onControl([&p](std::string_view text) {
    if (auto m = decodeControl(text)) return p.clients->apply(*m);
    spdlog::warn("ignored a control message this version does not understand ({} bytes)", text.size());
  });

  p.app.ws("/connection/websocket", p.clients->behavior());
  p.app.http("/api/", [&p](const HttpRequest& r, HttpResponder out) { p.api->handle(r, std::move(out)); },
             {.maxBodyBytes = p.config.apiMaxBodyBytes});
  p.app.http("/health", [](const HttpRequest&, HttpResponder out) {
    out.respond(http::Status::Ok, "{}", "application/json");
  });
  p.app.http("/metrics", [&p](const HttpRequest&, HttpResponder out) {
    out.respond(http::Status::Ok, p.metrics.render(p.snapshot()), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (p.config.adminEnabled) {
    p.admin = std::make_unique<AdminGate>(p.config, *p.api, p.metrics);
    p.app.http("/admin/auth", [&p](const HttpRequest& r, HttpResponder out) { p.admin->signIn(r, std::move(out)); },
               {.maxBodyBytes = 4096});
    p.app.http("/admin/api/", [&p](const HttpRequest& r, HttpResponder out) { p.admin->api(r, std::move(out)); },
               {.maxBodyBytes = p.config.apiMaxBodyBytes});
  } else {
    for (const char* path : {"/admin", "/admin/", "/admin.html"}) p.app.http(path, AdminGate::closed());
  }
  if (p.config.filesEnabled) {
    p.files = std::make_unique<SharedFiles>(p.config, p.app, p.auth, p.metrics);
    p.app.http("/files", [&p](const HttpRequest& r, HttpResponder out) { p.files->handleUpload(r, std::move(out)); },
               {.maxBodyBytes = p.config.filesMaxFileSize,
                .tooLargeAdvice = "files are limited to " + detail::formatBytes(p.config.filesMaxFileSize) +
                                  " ([files] max_file_size)"});
    p.app.http("/files/", [&p](const HttpRequest& r, HttpResponder out) { p.files->handleDownload(r, std::move(out)); },
               {.maxBodyBytes = 1024});  // a download has no body; a wrong method still gets its 405
  }
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
  p.app.deferTo(0, [&p] {
    p.app.loop(0).addTimer(std::chrono::seconds(1), [&p] {
      p.logNewRefusals();
      p.logWriteFailures();
      p.measureRates();
    });
  });
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

void Server::stop() {
  if (parts_->redisBroker) parts_->redisBroker->stop();
  parts_->app.stop();
}

}  // namespace herald::server
