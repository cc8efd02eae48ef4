#include "herald/broker/publication_views.hpp"


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

void encodePublicationPush(const proto::Encoder& encoder, std::string& out, std::string_view channel,
                           const StoredPublication& p) {
  proto::ClientInfo info = infoView(p.info);
  std::vector<proto::Tag> tags;
  tags.reserve(p.tags.size());
  for (const auto& [k, v] : p.tags) tags.push_back({k, v});
  encoder.publicationPush(out, channel,
                          {.data = p.data, .info = p.hasInfo ? &info : nullptr, .offset = p.offset, .tags = tags});
}

void publishPublication(BrokerHost& host, std::string_view channel, const StoredPublication& p) {
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
