#pragma once
// Publications and client descriptions as bytes, for what crosses nodes
// through Redis (stream entries, pub/sub envelopes, presence entries). The
// format is Herald's own and private to its nodes: a version byte, then
// length-prefixed fields (LEB128 lengths). Decoding never trusts its input:
// a truncated or foreign value is refused, not read past its end.

#include <optional>
#include <string>
#include <string_view>

#include "herald/broker/broker.hpp"
#include "herald/broker/history_store.hpp"

namespace herald::broker {

// data, publisher (when hasInfo) and tags; not the offset and time, which
// Redis assigns and keeps beside the payload.
std::string encodePublication(const StoredPublication& publication);
// Fills data, hasInfo, info and tags; nullopt when `bytes` is not one.
std::optional<StoredPublication> decodePublication(std::string_view bytes);

std::string encodeClient(const ClientDescription& client);
std::optional<ClientDescription> decodeClient(std::string_view bytes);

}  // namespace herald::broker
