#pragma once
// A small blocking client of the server HTTP API (`POST /api/<method>` with
// X-API-Key, Centrifugo's server API shapes), for tools and tests. Plain
// http:// only; each call opens one connection and waits on a private
// event loop (no threads, no curl).
//
//   herald::client::ApiClient api("http://127.0.0.1:8080", "secret");
//   auto r = api.publish("chat:lobby", R"({"text":"hi"})");
//   if (r.ok()) std::printf("offset %llu\n", (unsigned long long)r.value.offset);
//
// Not thread-safe: one ApiClient per thread (it holds no connection, so
// several are cheap).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/client/types.hpp"

namespace herald::client {

struct HttpResponse {
  int status = 0;
  std::string body{};
};

// One blocking POST to `url` (http://host[:port]/path). On failure (bad URL,
// name resolution, refused, timeout, malformed response) returns nullopt
// with a readable `error`.
std::optional<HttpResponse> httpPost(const std::string& url, std::string_view body,
                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                     std::chrono::milliseconds timeout, std::string& error);

// Why `text` is not one valid JSON value, or nullopt when it is.
std::optional<std::string> jsonError(std::string_view text);
// `text` without the whitespace between its tokens (on one line) when it is
// one valid JSON value (UTF-8 included), else nullopt. For showing bytes a
// Protobuf client received: JSON as JSON, anything else some other way.
std::optional<std::string> minifiedJson(std::string_view text);

class ApiClient {
 public:
  // `baseUrl`: http://host:port (a path prefix is kept: http://h/herald).
  ApiClient(std::string baseUrl, std::string apiKey,
            std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // POSTs `body` (a JSON object) to /api/<method>. The value is the raw
  // JSON of the reply's "result"; a reply "error", an HTTP error status or a
  // transport failure become the error (transport failures with
  // error_code::ConnectFailed).
  Result<std::string> call(std::string_view method, std::string_view body);

  // publish: `data` is raw JSON. The value is the publication's position
  // (offset 0 and no epoch when the channel keeps no history).
  Result<StreamPosition> publish(std::string_view channel, std::string_view data);
  // disconnect a user's connections (client "" : all of them) with `code`.
  Result<std::string> disconnect(std::string_view user, std::string_view client, std::uint32_t code,
                                 std::string_view reason);

 private:
  std::string baseUrl_{};
  std::string apiKey_{};
  std::chrono::milliseconds timeout_{};
};

}  // namespace herald::client
