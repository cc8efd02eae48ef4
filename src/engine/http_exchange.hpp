#pragma once
// One HTTP request handed to a route handler, shared by the connection and
// the handler's HttpResponder until it is answered.

#include <string>

#include "herald/engine/http_route.hpp"

namespace herald::detail {

class Connection;

struct HttpRoute {
  std::string path;  // exact, or a prefix when it ends with '/'
  HttpHandler handler;
  HttpRouteOptions options;
};

struct HttpExchange {
  Connection* connection = nullptr;  // null once the connection is gone
  unsigned loop = 0;
  bool keepAlive = true;
  bool answered = false;
};

}  // namespace herald::detail
