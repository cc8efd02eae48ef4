#pragma once
// Names in Redis, the pub/sub envelope, epochs and sharding (docs/redis.md).
//
// Every key of a channel carries the channel in a hash tag, "{C}", so that
// all of them live in one Redis Cluster slot and one script may touch them
// together. (A channel name holding '}' still works: Redis hashes the text
// up to the first '}', which is the same for every key of the channel.)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::redis {

std::string streamKey(std::string_view channel);           // herald:stream:{C}       stream of publications
std::string metaKey(std::string_view channel);             // herald:meta:{C}         hash: s = top, e = epoch
std::string pubsubChannel(std::string_view channel);       // herald:channel:{C}      pub/sub of everything live
std::string presenceKey(std::string_view channel);         // herald:presence:{C}     hash: client -> info
std::string presenceExpiryKey(std::string_view channel);   // herald:presence-exp:{C} zset: client -> expiry ms
inline constexpr std::string_view kNodesKey = "herald:{nodes}";              // hash: node -> info
inline constexpr std::string_view kNodesExpiryKey = "herald:{nodes}:expiry";  // zset: node -> expiry ms
inline constexpr std::string_view kControlChannel = "herald:control";       // pub/sub: node-wide commands

// What crosses nodes on a channel's pub/sub channel (and kControlChannel):
//   "<kind> <offset> <epoch> <time_ms> <payload>"
// kind is one letter; offset 0 and epoch "-" when the message has no place in
// history (join, leave, control, publications of channels without history).
// The publish script writes kind 'p' with the offset and epoch it assigned.
namespace kind {
inline constexpr char Publication = 'p';
// Joins and leaves carry the client (broker::encodeClient); each node
// encodes the push in the formats its connections speak. 'j' and 'l' are
// what earlier versions sent: a JSON push, handed to JSON subscribers as is.
inline constexpr char Join = 'J';
inline constexpr char Leave = 'L';
inline constexpr char JsonJoin = 'j';
inline constexpr char JsonLeave = 'l';
inline constexpr char Control = 'c';
}  // namespace kind

struct Envelope {
  char kind = kind::Publication;
  std::uint64_t offset = 0;
  std::string_view epoch{};  // "-" when none
  std::int64_t timeMs = 0;
  std::string_view payload{};
};

std::string encodeEnvelope(char kind, std::uint64_t offset, std::string_view epoch, std::int64_t timeMs,
                           std::string_view payload);
// Views into `message`; nullopt when it is not an envelope.
std::optional<Envelope> decodeEnvelope(std::string_view message);

// A new epoch: 8 characters of [0-9A-Za-z] from the OS's CSPRNG.
std::string newEpoch();

// Which of `shards` Redis instances holds `channel` (jump consistent hash of
// the channel's 64-bit FNV-1a): adding an instance moves only 1/n of the
// channels. `shards` must be at least 1.
unsigned shardFor(std::string_view channel, unsigned shards);

}  // namespace herald::redis
