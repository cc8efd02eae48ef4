#include "herald/broker/publication_views.hpp"

#include <memory>

#include "herald/proto/fossil_delta.hpp"


namespace herald::broker {

namespace {

proto::ClientInfo infoView(const PublisherInfo& info) {
  return {.user = info.user, .client = info.client, .connInfo = info.connInfo, .chanInfo = info.chanInfo};
}

}  // namespace

PublicationViews::PublicationViews(const std::vector<StoredPublication>& publications) {
  std::size_t tagCount = 0;
  for (const auto& p : publications) tagCount += p.tags.size();
  // Reserved up front: views_ points into infos_ and tags_.
  infos_.reserve(publications.size());
  tags_.reserve(tagCount);
  views_.reserve(publications.size());
  for (const auto& p : publications) {
    const proto::ClientInfo* info = nullptr;
    if (p.hasInfo) {
      infos_.push_back(infoView(p.info));
      info = &infos_.back();
    }
    std::size_t firstTag = tags_.size();
    for (const auto& [k, v] : p.tags) tags_.push_back({k, v});
    views_.push_back({.data = p.data,
                      .info = info,
                      .offset = p.offset,
                      .tags = std::span<const proto::Tag>(tags_.data() + firstTag, p.tags.size())});
  }
}

namespace {

// One publication as the encoder reads it; `view` points into the others.
struct SingleView {
  explicit SingleView(const StoredPublication& p) : info(infoView(p.info)) {
    tags.reserve(p.tags.size());
    for (const auto& [k, v] : p.tags) tags.push_back({k, v});
    view = {.data = p.data, .info = p.hasInfo ? &info : nullptr, .offset = p.offset, .tags = tags};
  }
  SingleView(const SingleView&) = delete;
  proto::ClientInfo info;
  std::vector<proto::Tag> tags;
  proto::Publication view;
};

}  // namespace

void encodePublicationPush(const proto::Encoder& encoder, std::string& out, std::string_view channel,
                           const StoredPublication& p) {
  SingleView v(p);
  encoder.publicationPush(out, channel, v.view);
}

namespace {

void publishDeltas(BrokerHost& host, std::string_view channel, const StoredPublication& p, DeltaBase& base) {
  const std::uint64_t seq = ++base.seq;
  if (!host.deltaInUse()) {
    base.hasData = false;
    base.data.clear();
    return;
  }
  // One delta for every subscriber and format; kept only when smaller.
  std::string patch;
  if (base.hasData && p.delta) {
    patch = proto::makeFossilDelta(base.data, p.data);
    if (patch.size() >= p.data.size()) patch.clear();
  }
  SingleView single(p);
  proto::Publication& view = single.view;
  for (proto::Format format : proto::kFormats) {
    if (!host.formatInUse(format)) continue;
    const proto::Encoder& encoder = proto::encoderFor(format);
    if (!encoder.carries(p.data)) continue;  // refused with the plain subscribers
    auto frames = std::make_shared<BrokerHost::DeltaFrames>();
    view.dataAsText = true;
    view.delta = false;
    view.data = p.data;
    encoder.publicationPush(frames->full, channel, view);
    if (!patch.empty()) {
      view.delta = true;
      view.data = patch;
      encoder.publicationPush(frames->delta, channel, view);
    }
    host.publishDelta(channel, format, seq, std::move(frames));
  }
  base.data = p.data;
  base.hasData = true;
}

}  // namespace

void publishPublication(BrokerHost& host, std::string_view channel, const StoredPublication& p, DeltaBase* delta) {
  for (proto::Format format : proto::kFormats) {
    if (!host.formatInUse(format)) continue;
    const proto::Encoder& encoder = proto::encoderFor(format);
    if (!encoder.carries(p.data)) {
      host.refuseFormat(channel, format);
      continue;
    }
    std::string frame;
    encodePublicationPush(encoder, frame, channel, p);
    host.publish(publicationTopic(channel, format), frame, format);
  }
  if (delta) publishDeltas(host, channel, p, *delta);
}

void publishJoinLeave(BrokerHost& host, std::string_view channel, const ClientDescription& who, bool join) {
  proto::ClientInfo info{.user = who.user, .client = who.client, .connInfo = who.connInfo, .chanInfo = who.chanInfo};
  for (proto::Format format : proto::kFormats) {
    if (!host.formatInUse(format)) continue;
    const proto::Encoder& encoder = proto::encoderFor(format);
    std::string frame;
    if (join) encoder.joinPush(frame, channel, info);
    else encoder.leavePush(frame, channel, info);
    host.publish(joinLeaveTopic(channel, format), frame, format);
  }
}

}  // namespace herald::broker
