#pragma once
// Stored publications as the protocol encoder reads them (proto::Publication
// views), for replies that carry many: subscribe with recovery, history.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/broker/history_store.hpp"
#include "herald/proto/reply.hpp"

namespace herald::broker {

class PublicationViews {
 public:
  // The views point into `publications`, which must outlive this object and
  // stay unchanged.
  explicit PublicationViews(const std::vector<StoredPublication>& publications);
  std::span<const proto::Publication> views() const { return views_; }

 private:
  std::vector<proto::ClientInfo> infos_;
  std::vector<proto::Tag> tags_;
  std::vector<proto::Publication> views_;
};

// {"push":{"channel":..,"pub":{...}}} for one publication.
void encodePublicationPush(std::string& out, std::string_view channel, const StoredPublication& publication);

}  // namespace herald::broker
