#pragma once
// What a client connection keeps while it connects and upgrades, and after:
// it owns the behaviour its connection runs (server endpoints live in the App).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "endpoint.hpp"
#include "herald/http/response_parser.hpp"
#include "herald/net/tls_context.hpp"

namespace herald::detail {

struct ClientPhase {
  std::unique_ptr<Endpoint> endpoint;
  std::shared_ptr<net::TlsContext> tls;  // null for ws://
  std::string host;
  std::string key;
  std::vector<std::string> subprotocols;
  std::string request;  // the upgrade request, sent once connected
  std::string buffer;   // the response head as it arrives
  http::ResponseParser parser;
  std::function<void(std::string_view)> onError;
  std::int64_t timeoutMs = 10000;
  std::optional<ws::DeflateClientOptions> deflate;  // offered when set
  std::size_t minCompressBytes = 64;
  std::optional<sockaddr_storage> source;  // ClientOptions::sourceAddress, resolved
  bool failed = false;
};

}  // namespace herald::detail
