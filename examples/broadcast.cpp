// broadcast: every message a client sends goes to every *other* client.
//
//   ./broadcast --port 9001 --threads 2
//
// Each connection subscribes to one topic when it opens. ws.publish() serializes
// the frame once and queues that one buffer to every subscriber, on every
// event loop; the sender itself is skipped.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

#include "herald/engine/app.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"Herald broadcast server: relays each message to every other client"};
  std::string host = "127.0.0.1";
  std::uint16_t port = 9001;
  unsigned threads = 0;
  std::size_t maxMessageBytes = 64 * 1024;
  bool compression = false;
  cli.add_option("--host", host, "address to listen on");
  cli.add_option("--port", port, "port to listen on (0 picks a free one)");
  cli.add_option("--threads", threads, "event loops (0: one per core)");
  cli.add_option("--max-message-bytes", maxMessageBytes, "larger messages are refused with close code 1009");
  cli.add_flag("--compression", compression, "accept permessage-deflate from clients that offer it");
  CLI11_PARSE(cli, argc, argv);

  herald::App app({.threads = threads});
  app.ws("/", {
      .open = [](herald::WebSocket& ws) { ws.subscribe("room"); },
      .message = [](herald::WebSocket& ws, std::string_view payload,
                    herald::ws::Opcode opcode) { ws.publish("room", payload, opcode); },
      // Closed connections leave their topics by themselves.
      .maxMessageBytes = maxMessageBytes,
      // Echoing a large message needs room for it in the write queue.
      .maxBackpressureBytes = std::max<std::size_t>(4 << 20, 2 * maxMessageBytes),
      .compression = compression,
  });

  try {
    port = app.listen(host, port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "broadcast: %s\n", e.what());
    return 1;
  }
  std::printf("listening on %s:%u\n", host.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);
  app.run();
  return 0;
}
