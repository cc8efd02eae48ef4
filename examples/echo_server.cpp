// echo_server: every message a client sends comes straight back to it.
//
//   ./echo_server --port 9001            then connect to ws://127.0.0.1:9001/
//
// This is the whole of an embedding: describe an endpoint's behaviour, listen,
// run. Herald runs one event loop per thread; the callbacks of a connection
// always run on its own loop, so they need no locks.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

#include "herald/engine/app.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"Herald echo server: echoes every WebSocket message back"};
  std::string host = "127.0.0.1";
  std::uint16_t port = 9001;
  unsigned threads = 0;
  std::size_t maxMessageBytes = 64 * 1024;
  bool compression = false;
  bool noContextTakeover = false;
  std::string tlsCert, tlsKey;
  cli.add_option("--host", host, "address to listen on");
  cli.add_option("--port", port, "port to listen on (0 picks a free one)");
  cli.add_option("--threads", threads, "event loops (0: one per core)");
  cli.add_option("--max-message-bytes", maxMessageBytes, "larger messages are refused with close code 1009");
  cli.add_flag("--compression", compression, "accept permessage-deflate from clients that offer it");
  cli.add_flag("--no-context-takeover", noContextTakeover,
               "compress each message on its own (server_no_context_takeover): one compressor per loop, "
               "not per connection");
  cli.add_option("--tls-cert", tlsCert, "PEM certificate chain: serve wss:// instead of ws://")->check(CLI::ExistingFile);
  cli.add_option("--tls-key", tlsKey, "PEM private key for --tls-cert")->check(CLI::ExistingFile);
  CLI11_PARSE(cli, argc, argv);
  if (tlsCert.empty() != tlsKey.empty()) {
    std::fprintf(stderr, "echo_server: --tls-cert and --tls-key go together\n");
    return 2;
  }

  herald::App app({.threads = threads});
  app.ws("/", {
      // The payload view is only valid during the call; send() copies it into
      // the connection's write queue, flushed once at the end of the loop
      // iteration together with everything else this connection has to say.
      .message = [](herald::WebSocket& ws, std::string_view payload,
                    herald::ws::Opcode opcode) { ws.send(payload, opcode); },
      .maxMessageBytes = maxMessageBytes,
      // Echoing a large message needs room for it in the write queue.
      .maxBackpressureBytes = std::max<std::size_t>(4 << 20, 2 * maxMessageBytes),
      .compression = compression,
      .deflate = {.serverNoContextTakeover = noContextTakeover},
  });

  try {
    port = tlsCert.empty() ? app.listen(host, port) : app.listenTls(host, port, tlsCert, tlsKey);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
  }
  std::printf("listening on %s:%u%s\n", host.c_str(), static_cast<unsigned>(port), tlsCert.empty() ? "" : " (tls)");
  std::fflush(stdout);
  app.run();  // returns after SIGINT/SIGTERM, once clients got their close frames
  return 0;
}
