#pragma once
// Values the C++ client hands to its callbacks: publications, errors and the
// results of commands. All of them own their strings; `data`, `connInfo`
// and `chanInfo` are empty when absent, else what the server sent: with
// Protocol::Json raw JSON text (minified), with Protocol::Protobuf the bytes
// exactly as they came (any bytes; JSON text when they were published as JSON).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace herald::client {

// Who published, joined or left.
struct ClientInfo {
  std::string user{};
  std::string client{};
  std::string connInfo{};  // raw JSON (Protobuf: bytes), or empty
  std::string chanInfo{};  // raw JSON (Protobuf: bytes), or empty
};

struct Publication {
  std::string channel{};
  // The publication's place in the channel's stream; 0 when the channel
  // keeps no history (then nothing can be recovered or deduplicated).
  std::uint64_t offset = 0;
  std::string data{};  // raw JSON (Protobuf: bytes)
  std::optional<ClientInfo> info{};
  std::vector<std::pair<std::string, std::string>> tags{};
};

// A place in a channel's stream: after `offset` in `epoch`. An epoch names
// one continuous history; offsets of two epochs are not comparable.
struct StreamPosition {
  std::uint64_t offset = 0;
  std::string epoch{};
};

// Client-side error codes. They sit below 100, apart from the server's reply
// errors (100..1999, include/herald/proto/codes.hpp), which reach callbacks
// with the server's code and message unchanged.
namespace error_code {
inline constexpr std::uint32_t Timeout = 1;          // no reply within Options::timeout
inline constexpr std::uint32_t TransportClosed = 2;  // the connection dropped before the reply came
inline constexpr std::uint32_t ClientClosed = 3;     // disconnect() was called, or a terminal disconnect
inline constexpr std::uint32_t ConnectFailed = 4;    // TCP, TLS or upgrade failed (message says why)
inline constexpr std::uint32_t BadReply = 5;         // the server sent something we cannot read
inline constexpr std::uint32_t Gap = 6;              // publications were lost (see GapInfo)
inline constexpr std::uint32_t Unsubscribed = 7;     // the subscription ended before the reply
}  // namespace error_code

struct Error {
  std::uint32_t code = 0;
  std::string message{};
  bool temporary = false;  // the server said a retry may succeed
};

// Either an error or a value; callbacks of commands receive one.
template <class T>
struct Result {
  std::optional<Error> error{};
  T value{};
  bool ok() const { return !error; }
};

// A client publish is answered with an empty result (Centrifugo protocol).
struct PublishResult {};

struct PresenceResult {
  std::vector<ClientInfo> clients{};
};

struct PresenceStatsResult {
  std::uint32_t numClients = 0;
  std::uint32_t numUsers = 0;
};

struct HistoryOptions {
  // 0: only the stream position (epoch and top offset); negative: all kept.
  std::int32_t limit = 0;
  std::optional<StreamPosition> since{};
  bool reverse = false;
};

struct HistoryResult {
  std::vector<Publication> publications{};
  std::string epoch{};
  std::uint64_t offset = 0;  // the channel's top offset
};

}  // namespace herald::client
