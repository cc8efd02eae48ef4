// libFuzzer target: ProtobufCommandDecoder on arbitrary frames.
//
// Frames are whole WebSocket messages; the cut that matters is the one
// between commands, so each accepted command is also decoded alone, in a
// frame of its own, and must come out the same.
//
// Checks: decoding never crashes or leaks (ASan/UBSan); the result is
// consistent (count == commands handed out, never over the limit; on Error,
// count == index of the bad command); every decoded string is valid UTF-8
// and every channel non-empty; the round trip holds: each decoded command,
// written back as a Command with protobuf's generated classes and decoded
// again, gives the same command; and a second decode of the same frame by
// the same (reused) decoder gives the same result; and the accepted
// commands, written back and regrouped into frames at random cuts (seeded
// by the input), decode frame by frame to the same commands, in order.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "client.pb.h"
#include "fuzz_support.hpp"
#include "herald/proto/protobuf_decoder.hpp"
#include "herald/proto/protobuf_encoder.hpp"

namespace {

using namespace herald::proto;

bool utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

void set(std::string* field, std::string_view v) { field->assign(v.data(), v.size()); }

// The command as an SDK would send it, with the generated classes.
std::string encode(const Command& c) {
  wire::Command m;
  m.set_id(c.id);
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, ConnectCommand>) {
          wire::ConnectRequest& r = *m.mutable_connect();
          set(r.mutable_token(), b.token);
          set(r.mutable_data(), b.data);
          set(r.mutable_name(), b.name);
          set(r.mutable_version(), b.version);
          for (const ConnectSub& s : b.subs) {
            wire::SubscribeRequestEntry& e = *r.add_subs();
            set(e.mutable_key(), s.channel);
            e.mutable_value()->set_recover(s.recover);
            e.mutable_value()->set_offset(s.offset);
            set(e.mutable_value()->mutable_epoch(), s.epoch);
          }
        } else if constexpr (std::is_same_v<T, SubscribeCommand>) {
          wire::SubscribeRequest& r = *m.mutable_subscribe();
          set(r.mutable_channel(), b.channel);
          set(r.mutable_token(), b.token);
          r.set_recover(b.recover);
          set(r.mutable_epoch(), b.epoch);
          r.set_offset(b.offset);
          set(r.mutable_data(), b.data);
          r.set_positioned(b.positioned);
          r.set_recoverable(b.recoverable);
          r.set_join_leave(b.joinLeave);
        } else if constexpr (std::is_same_v<T, UnsubscribeCommand>) {
          set(m.mutable_unsubscribe()->mutable_channel(), b.channel);
        } else if constexpr (std::is_same_v<T, PublishCommand>) {
          set(m.mutable_publish()->mutable_channel(), b.channel);
          set(m.mutable_publish()->mutable_data(), b.data);
        } else if constexpr (std::is_same_v<T, PresenceCommand>) {
          set(m.mutable_presence()->mutable_channel(), b.channel);
        } else if constexpr (std::is_same_v<T, PresenceStatsCommand>) {
          set(m.mutable_presence_stats()->mutable_channel(), b.channel);
        } else if constexpr (std::is_same_v<T, HistoryCommand>) {
          wire::HistoryRequest& r = *m.mutable_history();
          set(r.mutable_channel(), b.channel);
          r.set_limit(b.limit);
          r.set_reverse(b.reverse);
          if (b.hasSince) {
            r.mutable_since()->set_offset(b.since.offset);
            set(r.mutable_since()->mutable_epoch(), b.since.epoch);
          }
        } else if constexpr (std::is_same_v<T, PingCommand>) {
          m.mutable_ping();
        } else if constexpr (std::is_same_v<T, SendCommand>) {
          set(m.mutable_send()->mutable_data(), b.data);
        } else if constexpr (std::is_same_v<T, RpcCommand>) {
          set(m.mutable_rpc()->mutable_data(), b.data);
          set(m.mutable_rpc()->mutable_method(), b.method);
        } else if constexpr (std::is_same_v<T, RefreshCommand>) {
          set(m.mutable_refresh()->mutable_token(), b.token);
        } else if constexpr (std::is_same_v<T, SubRefreshCommand>) {
          set(m.mutable_sub_refresh()->mutable_channel(), b.channel);
          set(m.mutable_sub_refresh()->mutable_token(), b.token);
        }
      },
      c.body);
  std::string frame;
  pb::appendVarint(frame, m.ByteSizeLong());
  frame += m.SerializeAsString();
  return frame;
}

// The command's fields as owned text, for comparing two decodes.
std::string describe(const Command& c) {
  std::string out = std::to_string(c.id) + "|" + std::to_string(c.body.index()) + "|";
  auto add = [&](std::string_view s) {
    out += std::to_string(s.size()) + ":";
    out += s;
  };
  auto num = [&](std::uint64_t n) { out += std::to_string(n) + ","; };
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (requires { b.channel; }) add(b.channel);
        if constexpr (requires { b.token; }) add(b.token);
        if constexpr (requires { b.data; }) add(b.data);
        if constexpr (std::is_same_v<T, ConnectCommand>) {
          add(b.name);
          add(b.version);
          for (const ConnectSub& s : b.subs) {
            add(s.channel);
            add(s.epoch);
            num(s.offset);
            num(s.recover);
          }
        } else if constexpr (std::is_same_v<T, SubscribeCommand>) {
          add(b.epoch);
          num(b.offset);
          num(b.recover);
          num(b.positioned);
          num(b.recoverable);
          num(b.joinLeave);
        } else if constexpr (std::is_same_v<T, HistoryCommand>) {
          num(static_cast<std::uint32_t>(b.limit));
          num(b.hasSince);
          num(b.since.offset);
          add(b.since.epoch);
          num(b.reverse);
        } else if constexpr (std::is_same_v<T, RpcCommand>) {
          add(b.method);
        }
      },
      c.body);
  return out;
}

void checkStrings(const Command& c) {
  std::visit(
      [&](const auto& b) {
        if constexpr (requires { b.channel; }) {
          HERALD_FUZZ_CHECK(!b.channel.empty(), "an accepted command with an empty channel");
          HERALD_FUZZ_CHECK(utf8(b.channel), "a channel that is not UTF-8");
        }
        if constexpr (requires { b.token; }) HERALD_FUZZ_CHECK(utf8(b.token), "a token that is not UTF-8");
        if constexpr (requires { b.epoch; }) HERALD_FUZZ_CHECK(utf8(b.epoch), "an epoch that is not UTF-8");
      },
      c.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  ProtobufCommandDecoder decoder;
  std::vector<Command> commands;
  const DecodeResult r = decoder.decode(frame, commands);
  HERALD_FUZZ_CHECK(r.count == commands.size(), "count %zu, %zu commands", r.count, commands.size());
  HERALD_FUZZ_CHECK(commands.size() <= decoder.limits().maxCommandsPerFrame, "over the command limit");
  if (r.kind == DecodeResult::Error) HERALD_FUZZ_CHECK(r.count == r.index, "count %zu, bad index %zu", r.count, r.index);

  std::vector<std::string> first;
  for (const Command& c : commands) {
    checkStrings(c);
    first.push_back(describe(c));
  }

  // The same frame again, through the same decoder.
  std::vector<Command> again;
  const DecodeResult r2 = decoder.decode(frame, again);
  HERALD_FUZZ_CHECK(r2.kind == r.kind && r2.count == r.count, "a second decode differs");
  for (std::size_t i = 0; i < again.size(); ++i) HERALD_FUZZ_CHECK(describe(again[i]) == first[i], "command %zu differs", i);

  // Each command written back alone, as an SDK would, decodes the same.
  ProtobufCommandDecoder alone;
  for (std::size_t i = 0; i < first.size(); ++i) {
    std::vector<Command> one;
    const DecodeResult ri = alone.decode(encode(again[i]), one);
    HERALD_FUZZ_CHECK(ri.kind == DecodeResult::Ok && one.size() == 1, "command %zu does not survive a round trip: %s",
                      i, ri.reason);
    HERALD_FUZZ_CHECK(describe(one[0]) == first[i], "command %zu changes in a round trip", i);
  }

  // Random chunking: the same commands in frames cut at random places.
  std::uint64_t seed = 1469598103934665603ull;  // FNV-1a of the input
  for (std::uint8_t b : frame) seed = (seed ^ b) * 1099511628211ull;
  std::vector<std::string> regrouped;
  for (std::size_t i = 0; i < again.size(); ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    if (regrouped.empty() || (seed >> 61) == 0) regrouped.emplace_back();
    regrouped.back() += encode(again[i]);
  }
  std::size_t next = 0;
  for (const std::string& chunk : regrouped) {
    std::vector<Command> part;
    const DecodeResult rc = alone.decode(chunk, part);
    HERALD_FUZZ_CHECK(rc.kind == DecodeResult::Ok, "a regrouped frame is refused: %s", rc.reason);
    for (const Command& c : part) {
      HERALD_FUZZ_CHECK(next < first.size() && describe(c) == first[next], "regrouped command %zu differs", next);
      ++next;
    }
  }
  HERALD_FUZZ_CHECK(next == first.size(), "regrouped frames gave %zu commands, not %zu", next, first.size());
  return 0;
}
