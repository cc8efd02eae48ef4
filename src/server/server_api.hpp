#pragma once
// The server HTTP API, Centrifugo's shapes: POST /api/<method> with a JSON
// body, authenticated by `X-API-Key: KEY` or `Authorization: apikey KEY`.
//
//   200 {"result":{...}}                      done
//   200 {"error":{"code":102,"message":..}}   refused by the protocol's rules
//   400 {"error":{"code":107,..}}             the body is not what the method takes
//   401 / 404 / 405 / 413                     no key, no such method, not POST, too large
//
// Besides Centrifugo's methods, `config` answers the effective configuration
// as TOML with every secret shown as "<set>" (what --check-config prints).
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
  // POST /api/<method>: checks the method and the API key, then serve().
  void handle(const HttpRequest& request, HttpResponder responder);
  // Runs `method` with the request's JSON body for a caller already
  // authorized some other way (the admin UI's token, admin_gate.hpp):
  // the same methods, answers and errors as /api/<method>.
  void serve(std::string_view method, const HttpRequest& request, HttpResponder responder);

  // One method's answer: the result object, or the error object.
  struct Outcome {
    bool error = false;
    std::string json;
  };
  using Done = std::function<void(Outcome)>;

 private:
  friend struct ApiMethods;
  bool authorized(const HttpRequest& request) const;
  // Answers an error status with {"error":{...}} and counts it under `reason`.
  void refuse(HttpResponder& responder, http::Status status, proto::ErrorCode code, std::string_view detail,
              std::string_view reason);

  const ServerConfig& config_;
  App& app_;
  broker::Broker& broker_;
  ClientProtocol& clients_;
  Metrics& metrics_;
};

}  // namespace herald::server
