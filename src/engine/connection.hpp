#pragma once
// One TCP connection of the server: first an HTTP request head, then, once
// upgraded, a WebSocket. It lives on one loop and is touched only there.
//
// States:  Http --101--> Open --close()--> Closing --peer close--> Draining
//                          \--peer close / protocol error------->/
//          Draining: our close frame is flushed, then SHUT_WR, then we wait
//          for the peer's EOF (bounded by closeTimeout) before closing.

#include <any>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "endpoint.hpp"
#include "herald/engine/web_socket.hpp"
#include "herald/http/request_parser.hpp"
#include "herald/net/loop.hpp"
#include "herald/ws/message_reader.hpp"
#include "write_queue.hpp"

namespace herald::detail {

class LoopContext;

class Connection final : public WebSocket, public net::IoHandler, public ws::MessageHandler {
 public:
  enum class State : std::uint8_t { Http, Open, Closing, Draining, Closed };

  Connection(LoopContext& ctx, int fd);
  ~Connection();

  // net::IoHandler
  void onIo(std::uint32_t events) override;

  // ws::MessageHandler
  void onMessage(std::string_view payload, ws::Opcode opcode) override;
  void onPing(std::string_view payload) override;
  void onPong(std::string_view payload) override;
  void onClose(std::uint16_t code, std::string_view reason) override;
  void onProtocolError(std::uint16_t code, std::string_view reason) override;

  // Called by the WebSocket facade and the loop context.
  SendResult sendFrame(ws::Opcode opcode, std::string_view payload);
  SendResult sendShared(const SharedFrame& frame);
  void startClose(std::uint16_t code, std::string_view reason);
  void destroy();
  void flush();
  void checkTimers(std::int64_t nowMs);
  void shutdownForServerStop();
  void killSlowConsumer();

  State state() const { return state_; }
  bool isOpen() const { return state_ == State::Open; }
  int fd() const { return fd_; }
  LoopContext& context() { return ctx_; }
  std::size_t queuedBytes() const { return out_.size(); }
  const std::string& subprotocolName() const { return subprotocol_; }
  std::any& user() { return user_; }
  std::vector<std::string>& topics() { return topics_; }

  std::uint32_t index = 0;  // position in LoopContext's connection list
  bool inDirtyList = false;

 private:
  struct HttpPhase {
    std::string buffer;
    http::RequestParser parser;
  };

  void readAll();
  void handleBytes(char* data, std::size_t len);
  void handleHttp(char* data, std::size_t len);
  void upgrade(const Endpoint& endpoint, std::string response, std::string subprotocol, std::string leftover);
  void refuseHttp(std::string response);
  void onEof();
  void beginDrain();
  void finish(std::uint16_t code, std::string_view reason);
  SendResult queue(std::string_view header, std::string_view payload);
  void markDirty();
  bool overLimit(std::size_t bytes) const;
  const WsBehavior& behavior() const { return endpoint_->behavior; }

  LoopContext& ctx_;
  int fd_;
  State state_ = State::Http;
  bool finished_ = false;        // close callback has run
  bool backlogged_ = false;      // a flush left bytes behind
  bool pingOutstanding_ = false;
  bool shutWrite_ = false;
  bool doomed_ = false;          // over its queue limit; dropped at iteration end
  std::int64_t lastReadMs_ = 0;
  std::int64_t stateSinceMs_ = 0;
  const Endpoint* endpoint_ = nullptr;
  std::unique_ptr<HttpPhase> http_;
  ws::MessageReader reader_;
  WriteQueue out_;
  std::vector<std::string> topics_;
  std::string subprotocol_;
  std::any user_;
};

}  // namespace herald::detail
