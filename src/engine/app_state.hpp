#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "endpoint.hpp"
#include "herald/engine/app.hpp"
#include "loop_context.hpp"

namespace herald::detail {

class AppState {
 public:
  explicit AppState(AppOptions opts) : options(opts) {}

  const Endpoint* findEndpoint(std::string_view path) const {
    for (const auto& e : endpoints)
      if (e->path == path) return e.get();
    return nullptr;
  }

  AppOptions options;
  std::vector<std::unique_ptr<Endpoint>> endpoints;
  std::vector<std::unique_ptr<LoopContext>> loops;
  std::atomic<std::size_t> connections{0};
};

// Serializes a frame once for every subscriber of a publication.
SharedFrame makeSharedFrame(ws::Opcode opcode, std::string_view payload);

}  // namespace herald::detail

namespace herald::detail {

class Connection;

// Hands `frame` to every loop: delivered at once on the calling loop (minus
// `exclude`), deferred to the others. Callable from any thread.
void publishFrame(AppState& app, std::string_view topic, const SharedFrame& frame, const Connection* exclude);

}  // namespace herald::detail
