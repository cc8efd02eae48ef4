#pragma once
// One TCP (or TLS) connection: first an HTTP handshake, then a WebSocket. It
// lives on one loop and is touched only there. A server connection reads an
// upgrade request; a client connection connects, sends one and checks the
// answer. From Open on, both run the same state machine.
//
// States:  Connecting (client) -> Http --101--> Open --close()--> Closing
//          Open --peer close / protocol error--> Draining
//          Closing --peer close--> Draining
//          Draining: our last frame is flushed; the server then sends FIN
//          (a client waits for the server's), and the connection ends at the
//          peer's EOF or after closeTimeout.

#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "endpoint.hpp"
#include "herald/engine/web_socket.hpp"
#include "herald/http/request_parser.hpp"
#include "herald/http/response_parser.hpp"
#include "herald/net/loop.hpp"
#include "herald/net/stream.hpp"
#include "herald/ws/deflate_codec.hpp"
#include "herald/ws/message_reader.hpp"
#include "write_queue.hpp"

namespace herald::detail {

class LoopContext;
struct ClientPhase;
struct Publication;
struct HttpExchange;

// Memory: a server holds one of these per idle connection, so its fields are
// what an open, quiet WebSocket needs and nothing more (168 bytes, checked
// in connection.cpp). Whatever only some connections use lives behind one
// pointer each, allocated on first use: the handshake's HTTP state (freed
// once open), a client's settings, the reader's buffers for a message in
// pieces (freed when it ends), the write queue's segments (freed once
// written), and the Extras below.
class Connection final : public WebSocket, public net::IoHandler {
 public:
  enum class State : std::uint8_t { Connecting, Http, Open, Closing, Draining, Closed };

  // A server connection on an accepted stream.
  Connection(LoopContext& ctx, net::Stream stream);
  // A client connection on a connecting stream; see connection_client.cpp.
  Connection(LoopContext& ctx, net::Stream stream, std::unique_ptr<ClientPhase> client);
  ~Connection();

  // net::IoHandler
  void onIo(std::uint32_t events) override;

  // The reader's events (see ReaderEvents in connection.cpp).
  void onMessage(std::string_view payload, ws::Opcode opcode);
  void onPing(std::string_view payload);
  void onPong(std::string_view payload);
  void onClose(std::uint16_t code, std::string_view reason);
  void onProtocolError(std::uint16_t code, std::string_view reason);

  // Called by the WebSocket facade and the loop context.
  SendResult sendFrame(ws::Opcode opcode, std::string_view payload);
  SendResult sendShared(const SharedFrame& frame);
  // One publication, in the form this connection takes.
  SendResult deliver(const Publication& publication);
  void startClose(std::uint16_t code, std::string_view reason);
  void destroy();
  void flush();
  void checkTimers(std::int64_t nowMs);
  void shutdownForServerStop();
  void killSlowConsumer();
  // Whether the application hears of publications dropped for this
  // connection (WsBehavior::dropped), and telling it.
  bool wantsDropNotices() const { return endpoint_ && behavior().dropped && !behavior().closeOnBackpressureLimit; }
  void notifyDropped(const std::string& topic);

  unsigned loopIndex() const;
  // An HTTP route's handler answered (http_route.hpp): queue the response
  // and go on with the next request, or close.
  void completeExchange(std::string response, bool keepAlive);

  State state() const { return state_; }
  bool isOpen() const { return state_ == State::Open; }
  int fd() const { return stream_.fd(); }
  LoopContext& context() { return ctx_; }
  std::size_t queuedBytes() const { return out_.size(); }
  std::string_view subprotocolName() const;
  std::any& user() { return extras().user; }
  // The topics this connection subscribed to; topics() makes room for them.
  std::vector<std::string>& topics() { return extras().topics; }
  const std::vector<std::string>* topicsIfAny() const { return extras_ ? &extras_->topics : nullptr; }

 private:
  struct HttpPhase {
    std::string buffer;
    http::RequestParser parser;
    std::shared_ptr<HttpExchange> exchange;  // a request handed to a route, not yet answered
    std::size_t requestBytes = 0;             // head and body of that request
    bool inHandler = false;
  };

  // What a connection may use but most do not: the application's user
  // data and topics, and the compressor of a deflate connection.
  struct Extras {
    std::vector<std::string> topics;
    std::any user;
    std::unique_ptr<ws::Deflater> deflater;  // set when permessage-deflate was negotiated
    // The payload of the latest ping that came while the peer was not
    // reading our writes (or during a burst of pings): at most one pong
    // waits (RFC 6455 5.5.3 allows answering only the most recent ping),
    // sent once the backlog drains.
    std::unique_ptr<std::string> pendingPong;
  };
  Extras& extras();
  ws::Deflater* deflater() const { return extras_ ? extras_->deflater.get() : nullptr; }

  void readAll(std::uint32_t events);
  void handleBytes(char* data, std::size_t len);
  // Server handshake (connection_server.cpp).
  void handleRequest(char* data, std::size_t len);
  void refuseHttp(std::string response);
  void processRequests();
  // Starts an HTTP route's request; false when it was refused (and the
  // connection is draining) or needs more bytes.
  bool startExchange(const http::Request& request, std::size_t headBytes);
  void detachExchange();
  const AppOptions& opts() const;
  // Client handshake (connection_client.cpp).
  void onConnected();
  void handleResponse(char* data, std::size_t len);
  void failClient(std::string reason);

  // `user` (when it holds a value) becomes userData() before the open callback.
  void open(const Endpoint& endpoint, std::string subprotocol, std::string_view leftover,
            const std::optional<ws::DeflateParams>& deflate, std::any user = {});
  // Queues a data frame, compressed when deflate was negotiated and the
  // message is long enough.
  SendResult queueData(ws::Opcode opcode, std::string_view payload);
  std::size_t minCompressBytes() const;
  void sendPendingPong();
  void onEof();
  void beginDrain();
  void finish(std::uint16_t code, std::string_view reason);
  void queueFrame(ws::Opcode opcode, std::string_view payload, bool rsv1 = false);
  SendResult queue(ws::Opcode opcode, std::string_view payload, bool rsv1 = false);
  void markDirty();
  bool overLimit(std::size_t bytes) const;
  bool isClient() const { return client_ != nullptr; }
  ws::Role role() const { return isClient() ? ws::Role::Client : ws::Role::Server; }
  const WsBehavior& behavior() const { return endpoint_->behavior; }

  LoopContext& ctx_;
  net::Stream stream_;
  const Endpoint* endpoint_ = nullptr;
  // Open: the time of the last read (for the idle timeout). Any other
  // state: when it began (for the handshake and close timeouts).
  std::int64_t sinceMs_ = 0;
  std::unique_ptr<HttpPhase> http_;
  std::unique_ptr<ClientPhase> client_;  // set for a client connection, for its whole life
  std::unique_ptr<Extras> extras_;
  ws::MessageReader reader_;
  WriteQueue out_;

 public:
  std::uint32_t index = 0;  // position in LoopContext's connection list
  // Whether it is in LoopContext's list of connections to flush.
  bool inDirtyList : 1 = false;

 private:
  bool finished_ : 1 = false;         // close callback has run
  bool backlogged_ : 1 = false;       // a flush left bytes behind
  bool pingOutstanding_ : 1 = false;
  bool shutWrite_ : 1 = false;
  bool doomed_ : 1 = false;           // over its queue limit; dropped at iteration end
  State state_ = State::Http;
  // The selected subprotocol, as 1 + its index in the list offered (the
  // endpoint's, or the client's); 0 for none. A byte instead of a string.
  std::uint8_t subprotocolIndex_ = 0;
};

}  // namespace herald::detail
