// websocketpp_server: a websocketpp (asio transport, no TLS) peer for
// side-by-side runs with Herald.
//
//   websocketpp_server PORT MODE      MODE: echo | broadcast; PORT 0 picks a free one
//
// Behaves as Herald's examples do: serves ws://127.0.0.1:PORT/ (other paths
// get 404), messages up to 16 MiB (larger ones are refused with 1009),
// prints "listening on 127.0.0.1:PORT" once ready, exits 0 on SIGTERM or
// SIGINT.
//
//   echo       every message goes back to its sender with the same opcode
//   broadcast  every message goes to every *other* client
//
// One thread: the config below swaps websocketpp's mutexes for no-ops and
// turns off the asio strands. TCP_NODELAY is set, logging is off but for
// fatal errors, permessage-deflate is not compiled in. websocketpp allocates
// a message per message received and frames a copy per recipient (that is
// its API; there is no public way to frame once for many connections). Like
// Herald's default (maxBackpressureBytes, 4 MiB), a broadcast recipient with
// more than 4 MiB buffered is dropped; one message to an idle client always goes.
//
// websocketpp 0.8.2 does not compile as C++20 (template-ids on its
// constructors); bench/peers/CMakeLists.txt builds this file as C++17.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>
#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

namespace {

struct SingleThreadConfig : websocketpp::config::asio {
  typedef SingleThreadConfig type;
  typedef websocketpp::config::asio base;

  typedef websocketpp::concurrency::none concurrency_type;
  typedef base::request_type request_type;
  typedef base::response_type response_type;
  typedef base::message_type message_type;
  typedef base::con_msg_manager_type con_msg_manager_type;
  typedef base::endpoint_msg_manager_type endpoint_msg_manager_type;
  typedef websocketpp::log::basic<concurrency_type, websocketpp::log::alevel> alog_type;
  typedef websocketpp::log::basic<concurrency_type, websocketpp::log::elevel> elog_type;
  typedef base::rng_type rng_type;

  struct transport_config : base::transport_config {
    typedef type::concurrency_type concurrency_type;
    typedef type::alog_type alog_type;
    typedef type::elog_type elog_type;
    typedef type::request_type request_type;
    typedef type::response_type response_type;
    typedef websocketpp::transport::asio::basic_socket::endpoint socket_type;
    static bool const enable_multithreading = false;
  };
  typedef websocketpp::transport::asio::endpoint<transport_config> transport_type;

  static bool const enable_multithreading = false;
  static const size_t max_message_size = 16 << 20;
};

using Server = websocketpp::server<SingleThreadConfig>;
using Hdl = websocketpp::connection_hdl;

constexpr std::size_t kMaxMessageBytes = 16 << 20;
constexpr std::size_t kMaxQueuedBytes = 4 << 20;

class Peer {
 public:
  explicit Peer(bool broadcast) : broadcast_(broadcast) {
    server_.clear_access_channels(websocketpp::log::alevel::all);
    server_.clear_error_channels(websocketpp::log::elevel::all);
    server_.set_error_channels(websocketpp::log::elevel::fatal);
    server_.init_asio();
    server_.set_reuse_addr(true);
    server_.set_max_message_size(kMaxMessageBytes);
    server_.set_listen_backlog(websocketpp::lib::asio::socket_base::max_listen_connections);
    server_.set_socket_init_handler([](Hdl, websocketpp::lib::asio::ip::tcp::socket& s) {
      websocketpp::lib::asio::error_code ignored;
      s.set_option(websocketpp::lib::asio::ip::tcp::no_delay(true), ignored);
    });
    server_.set_validate_handler([this](Hdl h) {
      Server::connection_ptr c = server_.get_con_from_hdl(h);
      if (c->get_resource() == "/") return true;
      c->set_status(websocketpp::http::status_code::not_found);
      c->set_body("websocketpp_server serves WebSocket at / only\n");
      return false;
    });
    server_.set_message_handler([this](Hdl h, Server::message_ptr msg) { onMessage(h, msg); });
    if (broadcast_) {
      server_.set_open_handler([this](Hdl h) { members_.push_back(server_.get_con_from_hdl(h)); });
      server_.set_close_handler([this](Hdl h) { leave(h); });
      server_.set_fail_handler([this](Hdl h) { leave(h); });
    }
  }

  // Returns the bound port, or 0 on failure.
  unsigned listen(unsigned short port) {
    websocketpp::lib::error_code ec;
    auto address = websocketpp::lib::asio::ip::make_address("127.0.0.1");
    server_.listen(websocketpp::lib::asio::ip::tcp::endpoint(address, port), ec);
    if (ec) {
      std::fprintf(stderr, "websocketpp_server: %s\n", ec.message().c_str());
      return 0;
    }
    server_.start_accept(ec);
    websocketpp::lib::asio::error_code aec;
    auto local = server_.get_local_endpoint(aec);
    return ec || aec ? 0 : local.port();
  }

  void run() {
    websocketpp::lib::asio::signal_set signals(server_.get_io_service(), SIGINT, SIGTERM);
    signals.async_wait([this](const websocketpp::lib::asio::error_code&, int) {
      websocketpp::lib::error_code ignored;
      server_.stop_listening(ignored);
      server_.stop();
    });
    server_.run();
  }

 private:
  void onMessage(Hdl h, const Server::message_ptr& msg) {
    websocketpp::lib::error_code ec;
    if (!broadcast_) {
      server_.send(h, msg->get_payload(), msg->get_opcode(), ec);
      return;
    }
    Server::connection_ptr from = server_.get_con_from_hdl(h);
    const std::size_t size = msg->get_payload().size();
    for (const Server::connection_ptr& to : members_) {
      if (to == from || to->get_state() != websocketpp::session::state::open) continue;
      std::size_t queued = to->get_buffered_amount();
      if (queued > 0 && queued + size > kMaxQueuedBytes) {  // slow consumer: drop it
        websocketpp::lib::asio::error_code ignored;
        to->get_raw_socket().shutdown(websocketpp::lib::asio::socket_base::shutdown_both, ignored);
        continue;
      }
      to->send(msg->get_payload(), msg->get_opcode());
    }
  }

  void leave(Hdl h) {
    Server::connection_ptr c = server_.get_con_from_hdl(h);
    for (auto& m : members_) {
      if (m == c) {
        m = members_.back();
        members_.pop_back();
        return;
      }
    }
  }

  Server server_;
  bool broadcast_;
  std::vector<Server::connection_ptr> members_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::string_view(argv[2]) != "echo" && std::string_view(argv[2]) != "broadcast")) {
    std::fprintf(stderr, "usage: %s PORT echo|broadcast\n", argv[0]);
    return 2;
  }
  Peer peer(std::string_view(argv[2]) == "broadcast");
  unsigned port = peer.listen(static_cast<unsigned short>(std::atoi(argv[1])));
  if (port == 0) return 1;
  std::printf("listening on 127.0.0.1:%u\n", port);
  std::fflush(stdout);
  peer.run();
  return 0;
}
