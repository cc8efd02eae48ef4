#pragma once
// Stored publications as the protocol encoder reads them (proto::Publication
// views), for replies that carry many: subscribe with recovery, history.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/broker/broker.hpp"
#include "herald/broker/history_store.hpp"
#include "herald/proto/codec.hpp"
#include "herald/proto/reply.hpp"

namespace herald::broker {

class PublicationViews {
 public:
  // The views point into `publications`, which must outlive this object and
  // stay unchanged.
  explicit PublicationViews(const std::vector<StoredPublication>& publications);
  std::span<const proto::Publication> views() const { return views_; }
  // For a delta subscription (JSON writes data as a string).
  void markDataAsText() {
    for (auto& v : views_) v.dataAsText = true;
  }

 private:
  std::vector<proto::ClientInfo> infos_;
  std::vector<proto::Tag> tags_;
  std::vector<proto::Publication> views_;
};

// The push of one publication, in `encoder`'s format.
void encodePublicationPush(const proto::Encoder& encoder, std::string& out, std::string_view channel,
                           const StoredPublication& publication);

// Live delivery, serialized once per format: for each format some
// connection speaks, the push is encoded once and published on that
// format's topic -- or, when the format cannot carry the data (binary data
// for JSON), that format's subscribers are refused (BrokerHost::refuseFormat).
// With `delta` (the channel allows fossil deltas) and delta subscribers on
// this node, the delta against the previous publication is computed once,
// and the full and delta pushes encoded once per format, for
// BrokerHost::publishDelta; `delta` moves on by one publication.
void publishPublication(BrokerHost& host, std::string_view channel, const StoredPublication& publication,
                        DeltaBase* delta = nullptr);
void publishJoinLeave(BrokerHost& host, std::string_view channel, const ClientDescription& who, bool join);

}  // namespace herald::broker
