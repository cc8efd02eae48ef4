#pragma once
// What ClientProtocol keeps per loop, and small helpers its files share.

#include <algorithm>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "client_protocol.hpp"
#include "herald/proto/command.hpp"

namespace herald::server {

struct ClientProtocol::LoopState {
  explicit LoopState(proto::DecodeLimits limits) : codecs(limits) {}

  SessionTable sessions;
  proto::Codecs codecs;
  std::vector<proto::Command> commands;
  std::string batch;  // the replies to one frame's commands, sent as one frame
  std::uint64_t batchSerial = 0;  // the session `batch` is for
  std::mt19937_64 rng;
  std::uint64_t generation = 0;  // numbers subscriptions, so late answers find theirs
  std::unordered_map<std::string, std::vector<std::uint64_t>> byUser;  // user -> session serials

  void addUser(const Session& s) { byUser[s.user].push_back(s.serial); }
  void removeUser(const Session& s) {
    auto it = byUser.find(s.user);
    if (it == byUser.end()) return;
    std::erase(it->second, s.serial);
    if (it->second.empty()) byUser.erase(it);
  }

  // A random (version 4) UUID, as Centrifugo names clients.
  std::string newClientId() {
    std::uint64_t hi = rng(), lo = rng();
    hi = (hi & 0xffffffffffff0fffull) | 0x0000000000004000ull;
    lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    id.reserve(36);
    for (int i = 0; i < 16; ++i) {
      std::uint64_t word = i < 8 ? hi : lo;
      unsigned byte = static_cast<unsigned>((word >> (56 - 8 * (i % 8))) & 0xff);
      if (i == 4 || i == 6 || i == 8 || i == 10) id.push_back('-');
      id.push_back(kHex[byte >> 4]);
      id.push_back(kHex[byte & 15]);
    }
    return id;
  }
};

// A subscribe reply's content, owned, for replies that come later.
struct ClientProtocol::SubscribeReply {
  broker::SubscribeOutcome outcome;
  bool recoverable = false;
  bool positioned = false;
  bool wasRecovering = false;
  bool delta = false;
  std::int64_t expiresAt = 0;
};

// Browsers' Origin check: the configured list ("*" allows all), or else the
// request's own host.
std::function<bool(std::string_view, std::string_view)> originPolicy(const std::vector<std::string>& allowed);

}  // namespace herald::server
