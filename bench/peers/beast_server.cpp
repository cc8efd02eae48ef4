// beast_server: a Boost.Beast peer for side-by-side runs with Herald.
//
//   beast_server PORT MODE      MODE: echo | broadcast; PORT 0 picks a free one
//
// Behaves as Herald's examples do: serves ws://127.0.0.1:PORT/ (other paths
// get 404), messages up to 16 MiB (larger ones are refused with 1009 by
// Beast), prints "listening on 127.0.0.1:PORT" once ready, exits 0 on
// SIGTERM or SIGINT.
//
//   echo       every message goes back to its sender with the same opcode
//   broadcast  every message goes to every *other* client
//
// One io_context run by one thread, no locks. Tuned as one would tune it for
// production: TCP_NODELAY, no permessage-deflate, no auto-fragmentation, the
// read buffer reused across messages (echo writes straight from it, so an
// echoed message costs no allocation). A broadcast message is copied once
// into a shared buffer that every recipient's write queue references; like
// Herald's default (maxBackpressureBytes, 4 MiB), a client with more than
// 4 MiB queued is dropped, though one message into an empty queue is always
// accepted.

// <utility> first: Boost 1.74's asio/awaitable.hpp uses std::exchange
// without including it, which breaks under C++20.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

constexpr std::size_t kMaxMessageBytes = 16 << 20;
constexpr std::size_t kMaxQueuedBytes = 4 << 20;
// A read buffer grown past this by a large message is given back afterwards.
constexpr std::size_t kKeepBufferBytes = 1 << 20;

struct Message {
  std::string bytes;
  bool text;
};

class Session;

// The clients of a broadcast server; Sessions join once upgraded and leave
// when destroyed.
class Room {
 public:
  void join(Session* s) { members_.push_back(s); }
  void leave(Session* s) {
    for (auto& m : members_) {
      if (m == s) {
        m = members_.back();
        members_.pop_back();
        return;
      }
    }
  }
  void publish(const Session* from, const std::shared_ptr<const Message>& msg);

 private:
  std::vector<Session*> members_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Room* room) : ws_(std::move(socket)), room_(room) {}
  ~Session() {
    if (joined_) room_->leave(this);
  }

  void start() {
    beast::error_code ec;
    ws_.next_layer().set_option(tcp::no_delay(true), ec);
    http::async_read(ws_.next_layer(), buffer_, request_,
                     [self = shared_from_this()](beast::error_code e, std::size_t) { self->onRequest(e); });
  }

  // Queues one broadcast message (broadcast mode).
  void send(const std::shared_ptr<const Message>& msg) {
    if (closed_) return;
    if (!queue_.empty() && queuedBytes_ + msg->bytes.size() > kMaxQueuedBytes) {
      drop();  // slow consumer
      return;
    }
    queuedBytes_ += msg->bytes.size();
    queue_.push_back(msg);
    if (queue_.size() == 1) writeNext();
  }

 private:
  void onRequest(beast::error_code ec) {
    if (ec) return;
    if (!websocket::is_upgrade(request_) || request_.target() != "/") {
      refuse();
      return;
    }
    buffer_.consume(buffer_.size());  // a client waits for the 101 before sending frames
    ws_.read_message_max(kMaxMessageBytes);
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::timeout{
        std::chrono::seconds(30), websocket::stream_base::none(), false});
    ws_.async_accept(request_, [self = shared_from_this()](beast::error_code e) { self->onAccept(e); });
  }

  void refuse() {
    auto res = std::make_shared<http::response<http::string_body>>(http::status::not_found, request_.version());
    res->set(http::field::content_type, "text/plain");
    res->body() = "beast_server serves WebSocket at / only\n";
    res->keep_alive(false);
    res->prepare_payload();
    http::async_write(ws_.next_layer(), *res, [self = shared_from_this(), res](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->ws_.next_layer().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  void onAccept(beast::error_code ec) {
    if (ec) return;
    request_ = {};
    if (room_ != nullptr) {
      room_->join(this);
      joined_ = true;
    }
    readNext();
  }

  void readNext() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code e, std::size_t n) { self->onRead(e, n); });
  }

  void onRead(beast::error_code ec, std::size_t n) {
    if (ec) {  // closed by the peer (Beast has answered its close), or failed
      closed_ = true;
      return;
    }
    if (room_ == nullptr) {  // echo, straight from the read buffer
      ws_.text(ws_.got_text());
      ws_.async_write(buffer_.data(), [self = shared_from_this()](beast::error_code e, std::size_t) {
        if (e) return;
        self->buffer_.consume(self->buffer_.size());
        self->trimBuffer();
        self->readNext();
      });
      return;
    }
    auto msg = std::make_shared<const Message>(Message{beast::buffers_to_string(buffer_.data()), ws_.got_text()});
    buffer_.consume(n);
    trimBuffer();
    room_->publish(this, msg);
    readNext();
  }

  void writeNext() {
    const Message& m = *queue_.front();
    ws_.text(m.text);
    ws_.async_write(net::buffer(m.bytes), [self = shared_from_this()](beast::error_code e, std::size_t) {
      if (e) {
        self->closed_ = true;
        return;
      }
      self->queuedBytes_ -= self->queue_.front()->bytes.size();
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->writeNext();
    });
  }

  void drop() {
    closed_ = true;
    beast::error_code ignored;
    ws_.next_layer().close(ignored);  // pending operations complete with an error
  }

  void trimBuffer() {
    if (buffer_.capacity() > kKeepBufferBytes) buffer_.shrink_to_fit();
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  Room* room_;  // null in echo mode
  std::deque<std::shared_ptr<const Message>> queue_;
  std::size_t queuedBytes_ = 0;
  bool joined_ = false;
  bool closed_ = false;
};

void Room::publish(const Session* from, const std::shared_ptr<const Message>& msg) {
  // send() may drop a member, but members leave only when destroyed, which
  // cannot happen inside this loop (each one is still owned by its handlers).
  for (std::size_t i = 0; i < members_.size(); ++i)
    if (members_[i] != from) members_[i]->send(msg);
}

void acceptLoop(tcp::acceptor& acceptor, Room* room) {
  acceptor.async_accept([&acceptor, room](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Session>(std::move(socket), room)->start();
    else if (ec == net::error::operation_aborted) return;
    acceptLoop(acceptor, room);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::string_view(argv[2]) != "echo" && std::string_view(argv[2]) != "broadcast")) {
    std::fprintf(stderr, "usage: %s PORT echo|broadcast\n", argv[0]);
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const bool broadcast = std::string_view(argv[2]) == "broadcast";

  Room room;  // outlives the io_context, whose destructor destroys the sessions
  net::io_context ioc(1);
  tcp::acceptor acceptor(ioc);
  try {
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
    acceptor.open(ep.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(net::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "beast_server: %s\n", e.what());
    return 1;
  }
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { ioc.stop(); });

  acceptLoop(acceptor, broadcast ? &room : nullptr);
  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);
  ioc.run();
  return 0;
}
