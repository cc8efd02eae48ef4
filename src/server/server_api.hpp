#pragma once
// The server HTTP API, Centrifugo's shapes: POST /api/<method> with a JSON
// body, authenticated by `X-API-Key: KEY` or `Authorization: apikey KEY`.
//
//   200 {"result":{...}}                      done
//   200 {"error":{"code":102,"message":..}}   refused by the protocol's rules
//   400 {"error":{"code":107,..}}             the body is not what the method takes
//   401 / 404 / 405 / 413                     no key, no such method, not POST, too large
//
// Publications are answered after they are committed, so a 200 means the
// publication is in history (when the channel keeps one).

#include <functional>
#include <string>

#include "client_protocol.hpp"
#include "config/config.hpp"
#include "herald/broker/broker.hpp"
#include "herald/engine/app.hpp"
#include "metrics.hpp"

namespace herald::server {

class ServerApi {
 public:
  ServerApi(const ServerConfig& config, App& app, broker::Broker& broker, ClientProtocol& clients, Metrics& metrics);
  void handle(const HttpRequest& request, HttpResponder responder);

  // One method's answer: the result object, or the error object.
  struct Outcome {
    bool error = false;
    std::string json;
  };
  using Done = std::function<void(Outcome)>;

 private:
  friend struct ApiMethods;
  bool authorized(const HttpRequest& request) const;

  const ServerConfig& config_;
  App& app_;
  broker::Broker& broker_;
  ClientProtocol& clients_;
  Metrics& metrics_;
};

}  // namespace herald::server
