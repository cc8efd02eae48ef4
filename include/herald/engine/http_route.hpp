#pragma once
// Plain HTTP requests served beside the WebSocket endpoints (App::http):
// a server API, health and metrics, static files.
//
// A handler gets the request (head and whole body) and a responder. It may
// answer at once or later, from the connection's loop, once: a server API
// that waits for a database commit keeps the responder and answers when the
// commit is done. Requests on one connection are answered in order; the next
// one is read only after the current one was answered (HTTP/1.1 keep-alive,
// no pipelining in parallel). Bodies need a Content-Length; chunked request
// bodies are refused with 411.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "herald/http/request.hpp"
#include "herald/http/status.hpp"

namespace herald {

namespace detail {
struct HttpExchange;
}

// Valid only while the handler runs: copy what you keep.
struct HttpRequest {
  const http::Request& head;
  std::string_view body;
  std::string remoteAddress;

  std::string_view method() const { return head.method; }
  std::string_view path() const { return head.path; }
  std::string_view query() const { return head.query; }
  std::optional<std::string_view> header(std::string_view name) const { return head.header(name); }
};

class HttpResponder {
 public:
  explicit HttpResponder(std::shared_ptr<detail::HttpExchange> exchange) : exchange_(std::move(exchange)) {}

  // Sends the response. Call on the connection's loop (loopIndex()), at most
  // once; later calls, and calls after the client went away, do nothing.
  // `extraHeaders` are whole lines, "Name: value\r\n".
  void respond(http::Status status, std::string_view body, std::string_view contentType = "text/plain; charset=utf-8",
               std::string_view extraHeaders = {});
  // A response head without a body for HEAD requests: Content-Length is
  // `bodyLength`, as a GET would have sent.
  void respondHead(http::Status status, std::size_t bodyLength, std::string_view contentType,
                   std::string_view extraHeaders = {});
  // Whether the client is still there to be answered.
  bool connected() const;
  unsigned loopIndex() const;

 private:
  std::shared_ptr<detail::HttpExchange> exchange_;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponder)>;

struct HttpRouteOptions {
  std::size_t maxBodyBytes = 1024 * 1024;  // larger bodies get 413 before they are read
  // Appended to that 413's message: which setting sets the limit, so the
  // client's user knows what to change ("set [files] max_file_size").
  std::string tooLargeAdvice{};
};

}  // namespace herald
