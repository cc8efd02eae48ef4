#include "herald/redis/operations.hpp"

#include "herald/redis/keys.hpp"
#include "herald/redis/scripts.hpp"

namespace herald::redis {

namespace {

// The error of a reply that is one, or of one that has the wrong shape.
bool failed(const Reply& reply, OperationStatus& status) {
  if (reply.isError()) {
    status.error = reply.str();
    status.temporary = reply.isTransportError();
    return true;
  }
  return false;
}

void malformed(const Reply& reply, OperationStatus& status) {
  status.error = "unexpected reply from Redis: " + reply.describe();
}

std::string ms(std::chrono::milliseconds d) { return std::to_string(std::max<std::int64_t>(0, d.count())); }

// metaTtl shorter than ttl would lose the epoch while history still exists.
std::chrono::milliseconds metaTtlOf(const StreamLimits& limits) {
  if (limits.metaTtl.count() <= 0) return std::chrono::milliseconds(0);
  return std::max(limits.metaTtl, limits.ttl);
}

void statusCall(Connection& connection, const Script& script, std::vector<std::string> keys,
                std::vector<std::string> args, std::function<void(OperationStatus)> done) {
  evalScript(connection, script, std::move(keys), std::move(args), [done = std::move(done)](Reply reply) {
    OperationStatus status;
    failed(reply, status);
    done(std::move(status));
  });
}

void entriesCall(Connection& connection, const Script& script, std::vector<std::string> keys,
                 std::function<void(EntriesResult)> done) {
  evalScript(connection, script, std::move(keys), {}, [done = std::move(done)](Reply reply) {
    EntriesResult result;
    if (!failed(reply, result)) {
      if (!reply.isArray() || reply.size() % 2 != 0) {
        malformed(reply, result);
      } else {
        for (std::size_t i = 0; i + 1 < reply.size(); i += 2)
          result.entries.emplace_back(reply[i].str(), reply[i + 1].str());
      }
    }
    done(std::move(result));
  });
}

}  // namespace

void publishToStream(Connection& connection, std::string_view channel, std::string_view payload,
                     const StreamLimits& limits, std::function<void(PublishResult)> done, bool publish) {
  std::vector<std::string> keys = {streamKey(channel), metaKey(channel)};
  std::vector<std::string> args = {std::string(payload),
                                   std::to_string(limits.size),
                                   ms(limits.ttl),
                                   ms(metaTtlOf(limits)),
                                   newEpoch(),
                                   publish ? pubsubChannel(channel) : std::string(),
                                   std::string(1, kind::Publication)};
  evalScript(connection, publishScript(), std::move(keys), std::move(args), [done = std::move(done)](Reply reply) {
    PublishResult result;
    if (!failed(reply, result)) {
      if (reply.isArray() && reply.size() == 3 && reply[0].isInteger() && reply[1].isString() &&
          reply[2].isInteger() && reply[0].integer() > 0) {
        result.offset = static_cast<std::uint64_t>(reply[0].integer());
        result.epoch = reply[1].str();
        result.timeMs = reply[2].integer();
      } else {
        malformed(reply, result);
      }
    }
    done(std::move(result));
  });
}

void readStream(Connection& connection, std::string_view channel, const StreamQuery& query,
                const StreamLimits& limits, std::function<void(StreamResult)> done) {
  std::vector<std::string> keys = {streamKey(channel), metaKey(channel)};
  std::vector<std::string> args = {std::to_string(query.since),
                                   std::to_string(query.limit < 0 ? -1 : query.limit),
                                   query.reverse ? "1" : "0",
                                   std::to_string(limits.size),
                                   ms(limits.ttl),
                                   ms(metaTtlOf(limits)),
                                   newEpoch()};
  evalScript(connection, historyScript(), std::move(keys), std::move(args), [done = std::move(done)](Reply reply) {
    StreamResult result;
    if (!failed(reply, result)) {
      bool ok = reply.isArray() && reply.size() == 4 && reply[0].isInteger() && reply[1].isString() &&
                reply[2].isInteger() && (reply[3].isArray() || reply[3].isNil());
      if (ok) {
        result.top = static_cast<std::uint64_t>(reply[0].integer());
        result.epoch = reply[1].str();
        result.nowMs = reply[2].integer();
        for (const Reply& e : reply[3].elements()) {
          if (!e.isArray() || e.size() != 3 || !e[0].isInteger() || !e[1].isInteger() || !e[2].isString()) {
            ok = false;
            break;
          }
          result.entries.push_back(StreamEntry{static_cast<std::uint64_t>(e[0].integer()), e[1].integer(), e[2].str()});
        }
      }
      if (!ok) {
        result.entries.clear();
        malformed(reply, result);
      }
    }
    done(std::move(result));
  });
}

void presenceAdd(Connection& connection, std::string_view channel, std::string_view client, std::string_view info,
                 std::chrono::milliseconds ttl, std::function<void(OperationStatus)> done) {
  statusCall(connection, presenceAddScript(), {presenceKey(channel), presenceExpiryKey(channel)},
             {std::string(client), std::string(info), ms(std::max(ttl, std::chrono::milliseconds(1)))},
             std::move(done));
}

void presenceRemove(Connection& connection, std::string_view channel, std::string_view client,
                    std::function<void(OperationStatus)> done) {
  statusCall(connection, presenceRemoveScript(), {presenceKey(channel), presenceExpiryKey(channel)},
             {std::string(client)}, std::move(done));
}

void presenceGet(Connection& connection, std::string_view channel, std::function<void(EntriesResult)> done) {
  entriesCall(connection, presenceGetScript(), {presenceKey(channel), presenceExpiryKey(channel)}, std::move(done));
}

void announceNode(Connection& connection, std::string_view node, std::string_view info, std::chrono::milliseconds ttl,
                  std::function<void(OperationStatus)> done) {
  statusCall(connection, nodeAnnounceScript(), {std::string(kNodesKey), std::string(kNodesExpiryKey)},
             {std::string(node), std::string(info), ms(std::max(ttl, std::chrono::milliseconds(1)))},
             std::move(done));
}

void removeNode(Connection& connection, std::string_view node, std::function<void(OperationStatus)> done) {
  statusCall(connection, nodeRemoveScript(), {std::string(kNodesKey), std::string(kNodesExpiryKey)},
             {std::string(node)}, std::move(done));
}

void listNodes(Connection& connection, std::function<void(EntriesResult)> done) {
  entriesCall(connection, nodeListScript(), {std::string(kNodesKey), std::string(kNodesExpiryKey)}, std::move(done));
}

}  // namespace herald::redis
