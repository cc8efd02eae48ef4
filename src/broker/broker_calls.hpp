#pragma once
// Helpers both brokers use to answer on the caller's loop.

#include <memory>
#include <string>
#include <vector>

#include "herald/broker/broker.hpp"
#include "herald/proto/reply.hpp"

namespace herald::broker::detail {

inline Failure internal(std::string message) { return {proto::ErrorCode::Internal, std::move(message)}; }

// Runs done(value) on the loop the caller named.
template <class Done, class Value>
void answer(BrokerHost& host, unsigned loop, Done done, Value value) {
  host.dispatch(loop, [done = std::move(done), value = std::move(value)]() mutable { done(std::move(value)); });
}

inline proto::ClientInfo clientView(const ClientDescription& d) {
  return {.user = d.user, .client = d.client, .connInfo = d.connInfo, .chanInfo = d.chanInfo};
}

// The publication a request describes (its data, publisher and tags moved
// out of it); offset and time are the caller's to set.
inline StoredPublication takePublication(PublishRequest& req) {
  StoredPublication pub;
  pub.data = std::move(req.data);
  if (req.info) {
    pub.hasInfo = true;
    pub.info = {std::move(req.info->user), std::move(req.info->client), std::move(req.info->connInfo),
                std::move(req.info->chanInfo)};
  }
  pub.tags = std::move(req.tags);
  pub.delta = req.delta;
  return pub;
}

// Runs part(loop) on every loop and gives the concatenated parts to `done`
// on `replyLoop`.
template <class Item, class Part>
void gatherFromLoops(BrokerHost& host, unsigned replyLoop, Part part, std::function<void(std::vector<Item>)> done) {
  struct Gather {
    std::vector<Item> all;
    unsigned pending;
    std::function<void(std::vector<Item>)> done;
  };
  unsigned loops = host.loopCount();
  auto gather = std::make_shared<Gather>(Gather{{}, loops, std::move(done)});
  for (unsigned i = 0; i < loops; ++i) {
    host.dispatch(i, [&host, i, replyLoop, gather, part] {
      std::vector<Item> items = part(i);
      // Only the reply loop touches `gather`.
      host.dispatch(replyLoop, [gather, items = std::move(items)]() mutable {
        for (auto& item : items) gather->all.push_back(std::move(item));
        if (--gather->pending == 0) gather->done(std::move(gather->all));
      });
    });
  }
}

}  // namespace herald::broker::detail
