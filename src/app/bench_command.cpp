// `herald bench SCENARIO [options]`: the load generator's command line. The
// work is in src/loadgen (runBench); this file only maps flags to options.
#include <CLI/CLI.hpp>
#include <memory>

#include "cli.hpp"
#include "loadgen/options.hpp"

namespace herald::cli {

namespace {

constexpr const char* kFooter = R"(Scenarios:
  echo     --connections N, each keeping --inflight D messages of --size S bytes in
           flight against an echo server (examples/echo_server); every echo is
           compared with what was sent. Round trips/s and round-trip latency.
  fanout   --publishers P and --connections N subscribers against a broadcast
           server (examples/broadcast: a message reaches every OTHER client). Each
           publisher sends --rate messages/s (0: as fast as backpressure allows,
           with --inflight messages unseen by a subscriber on its loop). Subscribers
           measure end-to-end latency and check that every message of every
           publisher arrived once and in order; any miss, duplicate, gap or
           corrupt delivery is reported loudly and makes the exit code 1.
  connect  open connections as fast as possible, --concurrency handshakes in flight,
           each closed once open; connections/s, connect+upgrade latency and
           failures by reason. Stops after --duration, or after --connections
           when given.
  idle     open --connections and hold them for --duration. With --server-pid,
           the server's RSS per connection and its CPU while connecting and holding.

Output: a progress line on stderr once a second; a table at the end on stdout,
or JSON with --json. With --server-pid PID: server CPU (user+sys, from
/proc/PID/stat) per million messages (connections for connect) and RSS.
Exit code: 0, 1 when a check failed or nothing connected, 2 for bad options.

More than ~28,000 connections: one address pair runs out of ephemeral ports.
For a 127.x URL, --source-addresses N connects from the SOURCE addresses
127.0.0.1 .. 127.0.0.N, round-robin (every 127.x address is local on Linux),
so one server address takes N x 28,000. Also raise the descriptor limit
(ulimit -n) on both sides.)";

}  // namespace

void addBenchCommand(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<loadgen::BenchOptions>();
  CLI::App* sub = app.add_subcommand("bench", "load generator: echo, fanout, connect and idle scenarios");
  sub->footer(kFooter);
  sub->add_option("scenario", o->scenario, "echo | fanout | connect | idle")
      ->required()
      ->check(CLI::IsMember({"echo", "fanout", "connect", "idle"}));
  sub->add_option("--url", o->url, "ws:// or wss:// URL of the server; several, comma-separated: connections round-robin")->capture_default_str();
  CLI::Option* connections =
      sub->add_option("-c,--connections", o->connections,
                      "connections (fanout: subscribers; connect: stop after opening this many)")
          ->capture_default_str();
  sub->add_option("-s,--size", o->size, "payload bytes (fanout: at least 20)")->capture_default_str();
  sub->add_option("--inflight", o->inflight, "echo: messages in flight per connection; fanout --rate 0: window")
      ->capture_default_str();
  sub->add_option("-d,--duration", o->duration, "seconds measured (idle: held)")->capture_default_str();
  sub->add_option("--warmup", o->warmup, "seconds of traffic before measuring")->capture_default_str();
  sub->add_option("--rate", o->rate, "fanout: messages/s per publisher, 0 = as fast as backpressure allows")
      ->capture_default_str();
  sub->add_option("--publishers", o->publishers, "fanout: publisher connections")->capture_default_str();
  sub->add_option("--concurrency", o->concurrency, "connection handshakes in flight")->capture_default_str();
  sub->add_option("-t,--threads", o->threads, "client event loops (0: half the cores)")->capture_default_str();
  sub->add_flag("--compression", o->compression, "offer permessage-deflate");
  sub->add_option("--ca-file", o->caFile, "wss: trust only this CA certificate (PEM)")->check(CLI::ExistingFile);
  sub->add_flag("--insecure", o->insecure, "wss: do not verify the server's certificate (tests only)");
  sub->add_option("--protocol", o->protocol,
                  "raw (example servers) or centrifugo (herald serve's client protocol; idle and fanout)")
      ->check(CLI::IsMember({"raw", "centrifugo"}))
      ->capture_default_str();
  sub->add_option("--format", o->format, "--protocol centrifugo: the wire format, json (default) or protobuf");
  sub->add_option("--channel", o->channel, "--protocol centrifugo: the channel to subscribe and publish to")
      ->capture_default_str();
  sub->add_flag("--json", o->json, "print the report as JSON on stdout");
  sub->add_flag("-q,--quiet", o->quiet, "no progress line on stderr");
  sub->add_option("--server-pid", o->serverPid, "the server's PID, to report its CPU and memory from /proc");
  sub->add_option("--source-addresses", o->sourceAddresses,
                  "connect from source addresses 127.0.0.1..N (0: connections/25000, rounded up)")
      ->capture_default_str();
  sub->callback([o, connections, &action] {
    o->connectionsGiven = connections->count() > 0;
    action = [o] { return loadgen::runBench(*o); };
  });
}

}  // namespace herald::cli
