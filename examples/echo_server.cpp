// echo_server: every message a client sends comes straight back to it.
//
//   ./echo_server --port 9001            then connect to ws://127.0.0.1:9001/
//
// This is the whole of an embedding: describe an endpoint's behaviour, listen,
// run. Herald runs one event loop per thread; the callbacks of a connection
// always run on its own loop, so they need no locks.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "herald/engine/app.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"Herald echo server: echoes every WebSocket message back"};
  std::string host = "127.0.0.1";
  std::uint16_t port = 9001;
  unsigned threads = 0;
  std::size_t maxMessageBytes = 64 * 1024;
  cli.add_option("--host", host, "address to listen on");
  cli.add_option("--port", port, "port to listen on (0 picks a free one)");
  cli.add_option("--threads", threads, "event loops (0: one per core)");
  cli.add_option("--max-message-bytes", maxMessageBytes, "larger messages are refused with close code 1009");
  CLI11_PARSE(cli, argc, argv);

  herald::App app({.threads = threads});
  app.ws("/", {
      // The payload view is only valid during the call; send() copies it into
      // the connection's write queue, flushed once at the end of the loop
      // iteration together with everything else this connection has to say.
      .message = [](herald::WebSocket& ws, std::string_view payload,
                    herald::ws::Opcode opcode) { ws.send(payload, opcode); },
      .maxMessageBytes = maxMessageBytes,
  });

  try {
    port = app.listen(host, port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
  }
  std::printf("listening on %s:%u\n", host.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);
  app.run();  // returns after SIGINT/SIGTERM, once clients got their close frames
  return 0;
}
