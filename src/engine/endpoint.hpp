#pragma once

#include <string>

#include "herald/engine/app.hpp"
#include "herald/ws/handshake.hpp"

namespace herald::detail {

// A WebSocket path served by the App.
struct Endpoint {
  std::string path;
  WsBehavior behavior;
  ws::HandshakeOptions handshake;
};

}  // namespace herald::detail
