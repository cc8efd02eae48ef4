// A blocking HTTP/1.1 POST over herald_net: one connection, one request
// (Connection: close), a private Loop driven until the response is in.
// Responses are read by Content-Length, or to the end of the connection.
#include "herald/client/http_api.hpp"

#include <simdjson.h>
#include <sys/uio.h>

#include <charconv>
#include <cstring>

#include "herald/http/response_parser.hpp"
#include "herald/net/loop.hpp"
#include "herald/net/socket.hpp"
#include "herald/proto/json_writer.hpp"

namespace herald::client {

namespace {

struct HttpUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string path;  // without a trailing '/'
};

std::optional<HttpUrl> parseHttpUrl(std::string_view url, std::string& error) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, 8) == "https://") {
    error = "https:// is not supported by this client; use http:// (e.g. through a local port)";
    return std::nullopt;
  }
  if (url.substr(0, kScheme.size()) != kScheme) {
    error = "the URL must start with http:// (e.g. http://127.0.0.1:8080)";
    return std::nullopt;
  }
  url.remove_prefix(kScheme.size());
  std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  HttpUrl out;
  if (slash != std::string_view::npos) out.path.assign(url.substr(slash));
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 address in the URL";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    error = "the URL has no host";
    return std::nullopt;
  }
  out.host.assign(host);
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) {
      error = "bad port '" + std::string(port) + "' in the URL";
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(p);
  }
  return out;
}

// One request/response exchange on `loop`; stops the loop when done.
class Exchange final : public net::IoHandler {
 public:
  Exchange(net::Loop& loop, int fd, std::string request) : loop_(loop), fd_(fd), request_(std::move(request)) {}

  void onIo(std::uint32_t events) override {
    if (finished_) return;
    if (!connected_) {
      if (!(events & (net::io_event::Writable | net::io_event::Error | net::io_event::Hangup))) return;
      if (int err = net::connectError(fd_)) return fail(std::string("connect: ") + std::strerror(err));
      connected_ = true;
    }
    while (written_ < request_.size()) {
      iovec iov{request_.data() + written_, request_.size() - written_};
      net::IoResult r = net::writeVector(fd_, &iov, 1);
      if (r.status == net::IoResult::WouldBlock) break;
      if (r.status != net::IoResult::Ok) return fail("the connection failed while sending the request");
      written_ += r.bytes;
    }
    char buf[16 * 1024];
    for (;;) {
      net::IoResult r = net::readSome(fd_, buf, sizeof buf);
      if (r.status == net::IoResult::WouldBlock) break;
      if (r.status == net::IoResult::Error) return fail("the connection was reset while reading the response");
      if (r.status == net::IoResult::Eof) {
        eof_ = true;
        break;
      }
      in_.append(buf, r.bytes);
    }
    check();
  }

  void fail(std::string why) {
    if (finished_) return;
    finished_ = true;
    error_ = std::move(why);
    loop_.stop();
  }

  bool finished() const { return finished_; }
  const std::string& error() const { return error_; }
  HttpResponse& response() { return response_; }

 private:
  void check() {
    if (headLength_ == 0) {
      http::Response head;
      http::ParseResult r = parser_.parse(in_, head);
      if (r.kind == http::ParseResult::Error) return fail(std::string("malformed HTTP response: ") + r.reason);
      if (r.kind == http::ParseResult::NeedMore) {
        if (eof_) fail("the server closed the connection before a complete response");
        return;
      }
      headLength_ = r.consumed;
      response_.status = head.status;
      if (auto cl = head.header("Content-Length")) {
        std::size_t n = 0;
        auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
        if (ec != std::errc() || end != cl->data() + cl->size()) return fail("bad Content-Length in the response");
        contentLength_ = n;
      }
      if (head.headerHasToken("Transfer-Encoding", "chunked")) return fail("chunked responses are not supported");
    }
    std::size_t have = in_.size() - headLength_;
    if ((contentLength_ && have >= *contentLength_) || eof_) {
      if (contentLength_ && have < *contentLength_) return fail("the response body was cut short");
      response_.body = in_.substr(headLength_, contentLength_ ? *contentLength_ : have);
      finished_ = true;
      loop_.stop();
    }
  }

  net::Loop& loop_;
  int fd_;
  std::string request_;
  std::size_t written_ = 0;
  bool connected_ = false;
  bool eof_ = false;
  bool finished_ = false;
  std::string error_;
  std::string in_;
  http::ResponseParser parser_;
  std::size_t headLength_ = 0;
  std::optional<std::size_t> contentLength_;
  HttpResponse response_;
};

simdjson::dom::parser& jsonParser() {
  thread_local simdjson::dom::parser p;
  return p;
}

}  // namespace

std::optional<HttpResponse> httpPost(const std::string& url, std::string_view body,
                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                     std::chrono::milliseconds timeout, std::string& error) {
  std::optional<HttpUrl> u = parseHttpUrl(url, error);
  if (!u) return std::nullopt;
  std::vector<sockaddr_storage> addresses;
  if (!net::resolve(u->host, u->port, addresses, error)) return std::nullopt;
  if (addresses.empty()) {
    error = "'" + u->host + "' resolves to no address";
    return std::nullopt;
  }
  int fd = net::connectTcp(addresses.front(), error);
  if (fd < 0) return std::nullopt;

  std::string req = "POST " + (u->path.empty() ? std::string("/") : u->path) + " HTTP/1.1\r\n";
  bool ipv6 = u->host.find(':') != std::string::npos;
  req += "Host: " + (ipv6 ? "[" + u->host + "]" : u->host) + (u->port == 80 ? "" : ":" + std::to_string(u->port)) + "\r\n";
  req += "Content-Type: application/json\r\nConnection: close\r\nUser-Agent: herald-client\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
  req += "\r\n";
  req.append(body);

  std::optional<HttpResponse> out;
  {
    net::Loop loop;
    Exchange ex(loop, fd, std::move(req));
    loop.add(fd, &ex);
    auto timer = loop.addTimer(timeout, [&] {
      ex.fail("no response within " + std::to_string(timeout.count()) + " ms");
    });
    loop.run();
    loop.cancelTimer(timer);
    loop.remove(fd);
    net::closeFd(fd);
    if (!ex.error().empty()) error = ex.error();
    else out = std::move(ex.response());
  }
  if (out && error.empty()) return out;
  if (error.empty()) error = "no response";
  if (error.rfind("connect: ", 0) == 0) error = "cannot connect to " + u->host + ":" + std::to_string(u->port) + " (" + error.substr(9) + ")";
  return std::nullopt;
}

std::optional<std::string> jsonError(std::string_view text) {
  simdjson::dom::element root;
  if (auto err = jsonParser().parse(text.data(), text.size()).get(root)) return std::string(simdjson::error_message(err));
  return std::nullopt;
}

std::optional<std::string> minifiedJson(std::string_view text) {
  simdjson::dom::element root;
  if (jsonParser().parse(text.data(), text.size()).get(root)) return std::nullopt;
  return simdjson::to_string(root);
}

ApiClient::ApiClient(std::string baseUrl, std::string apiKey, std::chrono::milliseconds timeout)
    : baseUrl_(std::move(baseUrl)), apiKey_(std::move(apiKey)), timeout_(timeout) {
  while (!baseUrl_.empty() && baseUrl_.back() == '/') baseUrl_.pop_back();
}

Result<std::string> ApiClient::call(std::string_view method, std::string_view body) {
  Result<std::string> out;
  std::vector<std::pair<std::string, std::string>> headers;
  if (!apiKey_.empty()) headers.emplace_back("X-API-Key", apiKey_);
  std::string error;
  auto resp = httpPost(baseUrl_ + "/api/" + std::string(method), body, headers, timeout_, error);
  if (!resp) {
    out.error = Error{error_code::ConnectFailed, error, true};
    return out;
  }
  simdjson::dom::element root;
  simdjson::dom::object obj;
  if (jsonParser().parse(resp->body.data(), resp->body.size()).get(root) || root.get(obj)) {
    out.error = Error{error_code::BadReply,
                      "HTTP " + std::to_string(resp->status) + " with a body that is not a JSON object: " +
                          resp->body.substr(0, 200),
                      false};
    return out;
  }
  simdjson::dom::element e;
  if (!obj["error"].get(e) && !e.is_null()) {
    Error err;
    std::uint64_t code = 0;
    std::string_view msg;
    if (!e["code"].get(code)) err.code = static_cast<std::uint32_t>(code);
    if (!e["message"].get(msg)) err.message.assign(msg);
    if (err.message.empty()) err.message = "HTTP " + std::to_string(resp->status);
    out.error = std::move(err);
    return out;
  }
  if (resp->status != 200) {
    out.error = Error{error_code::BadReply, "HTTP " + std::to_string(resp->status), false};
    return out;
  }
  if (!obj["result"].get(e)) out.value = simdjson::to_string(e);
  else out.value = "{}";
  return out;
}

Result<StreamPosition> ApiClient::publish(std::string_view channel, std::string_view data) {
  Result<StreamPosition> out;
  if (auto problem = jsonError(data)) {
    out.error = Error{107, "data is not valid JSON: " + *problem, false};
    return out;
  }
  std::string body = "{\"channel\":";
  proto::appendJsonString(body, channel);
  body += ",\"data\":";
  proto::appendRawJson(body, data);
  body += '}';
  Result<std::string> r = call("publish", body);
  if (!r.ok()) {
    out.error = std::move(r.error);
    return out;
  }
  simdjson::dom::element root;
  if (jsonParser().parse(r.value.data(), r.value.size()).get(root)) return out;
  std::uint64_t offset = 0;
  std::string_view epoch;
  if (!root["offset"].get(offset)) out.value.offset = offset;
  if (!root["epoch"].get(epoch)) out.value.epoch.assign(epoch);
  return out;
}

Result<std::string> ApiClient::disconnect(std::string_view user, std::string_view client, std::uint32_t code,
                                          std::string_view reason) {
  std::string body = "{\"user\":";
  proto::appendJsonString(body, user);
  if (!client.empty()) {
    body += ",\"client\":";
    proto::appendJsonString(body, client);
  }
  body += ",\"disconnect\":{\"code\":";
  proto::appendUint(body, code);
  if (!reason.empty()) {
    body += ",\"reason\":";
    proto::appendJsonString(body, reason);
  }
  body += "}}";
  return call("disconnect", body);
}

}  // namespace herald::client
