#pragma once
// Everything `herald bench` can be told, as the command line fills it in.

#include <cstddef>
#include <string>

namespace herald::loadgen {

struct BenchOptions {
  std::string scenario = "echo";  // echo | fanout | connect | idle
  std::string url = "ws://127.0.0.1:9001/";
  std::size_t connections = 100;  // echo, idle: connections; fanout: subscribers; connect: total to open
  bool connectionsGiven = false;  // connect: without --connections, no limit but the duration
  std::size_t size = 64;          // payload bytes (echo, fanout)
  std::size_t inflight = 1;       // echo: messages in flight per connection; fanout --rate 0: window
  double duration = 10;           // seconds measured (idle: seconds held)
  double warmup = 2;              // seconds of traffic before measuring starts
  double rate = 1000;             // fanout: messages/s per publisher, 0 = as fast as backpressure allows
  std::size_t publishers = 1;     // fanout
  std::size_t concurrency = 100;  // connection handshakes in flight (all scenarios)
  unsigned threads = 0;           // client loops; 0: half the cores
  bool compression = false;
  std::string caFile;
  bool insecure = false;
  bool json = false;
  bool quiet = false;            // no progress line
  int serverPid = 0;             // 0: do not sample the server
  unsigned sourceAddresses = 0;  // 0: ceil(connections / 25000)
  // raw: the engine's example servers (echo, broadcast); centrifugo: the
  // client protocol of `herald serve` (idle and fanout), on `channel`.
  std::string protocol = "raw";
  std::string channel = "bench";
  std::string format = "json";  // centrifugo: json | protobuf
};

// Runs one bench scenario: progress on stderr, the report on stdout. Returns
// the exit code: 0, 1 when a check failed (or nothing connected), 2 for
// options that make no sense.
int runBench(const BenchOptions& options);

}  // namespace herald::loadgen
