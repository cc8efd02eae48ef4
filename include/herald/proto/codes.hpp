#pragma once
// The codes of the Centrifugo client protocol: one table each for reply
// errors, disconnects and server-side unsubscribes, with the message the
// peer sees and the advice a client follows (STYLE.md point 13). The server,
// the C++ client and docs/protocol.md all read these tables.
//
// Sources, checked number by number (centrifugal/centrifuge at
// 1d8f99f1, centrifugal/centrifuge-js at c9e86785):
//   errors.go       reply error codes 100-113, messages, `temporary` flags
//   disconnect.go   disconnect codes 3000-3014 and 3500-3509, reasons, ranges
//   unsubscribe.go  unsubscribe codes 2000, 2500-2502 and the >= 2500 rule
//   codes.ts and centrifuge.ts (_handleDisconnect, _handleUnsubscribe,
//   _handleReply): the client side of the same rules, e.g. a reply error is
//   fatal for connect unless temporary or 109.

#include <cstdint>
#include <string_view>

namespace herald::proto {

// Errors carried in a reply, `{"id":N,"error":{"code":C,"message":"..."}}`.
// Applications may define their own in 400..1999; 0..399 are the protocol's.
enum class ErrorCode : std::uint32_t {
  Internal = 100,               // server fault, the client is not to blame (temporary)
  Unauthorized = 101,           // credentials missing or refused
  UnknownChannel = 102,         // no such channel or namespace
  PermissionDenied = 103,       // not allowed to do this on this channel
  MethodNotFound = 104,         // rpc method (or command) unknown
  AlreadySubscribed = 105,      // subscribe to a channel this connection already has
  LimitExceeded = 106,          // some configured limit (see also 111)
  BadRequest = 107,             // malformed request; retrying makes no sense
  NotAvailable = 108,           // feature not enabled (e.g. presence off)
  TokenExpired = 109,           // drop the token and fetch a new one
  Expired = 110,                // connection expired, no token involved
  TooManyRequests = 111,        // rate limited (temporary)
  UnrecoverablePosition = 112,  // history cannot serve the asked position
  ConcurrentPagination = 113,   // newer: paging already in progress (temporary)
};

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;
  std::string_view message;  // the text put on the wire
  bool temporary;            // a client may retry (and keeps its connection)
};

inline constexpr ErrorInfo kErrors[] = {
    {ErrorCode::Internal, "internal", "internal server error", true},
    {ErrorCode::Unauthorized, "unauthorized", "unauthorized", false},
    {ErrorCode::UnknownChannel, "unknown_channel", "unknown channel", false},
    {ErrorCode::PermissionDenied, "permission_denied", "permission denied", false},
    {ErrorCode::MethodNotFound, "method_not_found", "method not found", false},
    {ErrorCode::AlreadySubscribed, "already_subscribed", "already subscribed", false},
    {ErrorCode::LimitExceeded, "limit_exceeded", "limit exceeded", false},
    {ErrorCode::BadRequest, "bad_request", "bad request", false},
    {ErrorCode::NotAvailable, "not_available", "not available", false},
    {ErrorCode::TokenExpired, "token_expired", "token expired", false},
    {ErrorCode::Expired, "expired", "expired", false},
    {ErrorCode::TooManyRequests, "too_many_requests", "too many requests", true},
    {ErrorCode::UnrecoverablePosition, "unrecoverable_position", "unrecoverable position", false},
    {ErrorCode::ConcurrentPagination, "concurrent_pagination", "concurrent pagination", true},
};

constexpr const ErrorInfo& errorInfo(ErrorCode code) {
  for (const ErrorInfo& e : kErrors)
    if (e.code == code) return e;
  return kErrors[0];  // unreachable for enumerators; keeps the function total
}

// Disconnects: the code and reason of a WebSocket close frame (or of a
// `disconnect` push on transports without close frames).
//
// Ranges, as clients act on them:
//   0..2999      transport codes; never sent by the protocol layer
//   3000..3499   reconnect                       (the protocol's)
//   3500..3999   terminal, do not reconnect      (the protocol's)
//   4000..4499   reconnect                       (applications')
//   4500..4999   terminal                        (applications')
//   5000..       reconnect                       (reserved)
enum class DisconnectCode : std::uint32_t {
  ConnectionClosed = 3000,       // never sent: the peer went away without advice
  Shutdown = 3001,               // node shutting down
  ServerError = 3004,            // internal server error
  Expired = 3005,                // connection credentials expired
  SubscriptionExpired = 3006,    // a subscription's credentials expired
  Slow = 3008,                   // the client did not read fast enough
  WriteError = 3009,             // writing to the connection failed
  InsufficientState = 3010,      // a gap in a channel stream; reconnect to recover
  ForceReconnect = 3011,         // server asks the client to come back
  NoPong = 3012,                 // no pong to the server's ping in time
  TooManyRequests = 3013,        // rate limit exceeded
  StateInvalidated = 3014,       // newer: cached token/state invalid, start afresh
  InvalidToken = 3500,           // connection token refused
  BadRequest = 3501,             // malformed protocol frames
  Stale = 3502,                  // did not authenticate in time after dialing
  ForceNoReconnect = 3503,       // server disconnects for good
  ConnectionLimit = 3504,        // per-user (or other) connection limit reached
  ChannelLimit = 3505,           // per-connection channel limit reached
  InappropriateProtocol = 3506,  // data the connection's format cannot carry
  PermissionDenied = 3507,       // not allowed to use the server
  NotAvailable = 3508,           // feature not enabled (e.g. `send` without a handler)
  TooManyErrors = 3509,          // the client caused too many errors
};

struct DisconnectInfo {
  DisconnectCode code;
  std::string_view name;
  std::string_view reason;  // the close reason put on the wire (< 123 bytes)
  bool reconnect;           // what a client does, from the ranges above
};

// What a client does on a disconnect code it receives, by range.
constexpr bool shouldReconnect(std::uint32_t code) {
  if (code >= 3500 && code < 4000) return false;
  if (code >= 4500 && code < 5000) return false;
  return true;
}

inline constexpr DisconnectInfo kDisconnects[] = {
    {DisconnectCode::ConnectionClosed, "connection_closed", "connection closed", true},
    {DisconnectCode::Shutdown, "shutdown", "shutdown", true},
    {DisconnectCode::ServerError, "server_error", "internal server error", true},
    {DisconnectCode::Expired, "expired", "connection expired", true},
    {DisconnectCode::SubscriptionExpired, "subscription_expired", "subscription expired", true},
    {DisconnectCode::Slow, "slow", "slow", true},
    {DisconnectCode::WriteError, "write_error", "write error", true},
    {DisconnectCode::InsufficientState, "insufficient_state", "insufficient state", true},
    {DisconnectCode::ForceReconnect, "force_reconnect", "force reconnect", true},
    {DisconnectCode::NoPong, "no_pong", "no pong", true},
    {DisconnectCode::TooManyRequests, "too_many_requests", "too many requests", true},
    {DisconnectCode::StateInvalidated, "state_invalidated", "state invalidated", true},
    {DisconnectCode::InvalidToken, "invalid_token", "invalid token", false},
    {DisconnectCode::BadRequest, "bad_request", "bad request", false},
    {DisconnectCode::Stale, "stale", "stale", false},
    {DisconnectCode::ForceNoReconnect, "force_no_reconnect", "force disconnect", false},
    {DisconnectCode::ConnectionLimit, "connection_limit", "connection limit", false},
    {DisconnectCode::ChannelLimit, "channel_limit", "channel limit", false},
    {DisconnectCode::InappropriateProtocol, "inappropriate_protocol", "inappropriate protocol", false},
    {DisconnectCode::PermissionDenied, "permission_denied", "permission denied", false},
    {DisconnectCode::NotAvailable, "not_available", "not available", false},
    {DisconnectCode::TooManyErrors, "too_many_errors", "too many errors", false},
};

constexpr const DisconnectInfo& disconnectInfo(DisconnectCode code) {
  for (const DisconnectInfo& d : kDisconnects)
    if (d.code == code) return d;
  return kDisconnects[0];  // unreachable for enumerators
}

// Server-side unsubscribes, sent in an `unsubscribe` push. Codes below 2500
// end the subscription; 2500 and above make the client subscribe again.
// Codes 0 (client unsubscribed) and 1 (client disconnected) exist only inside
// the server and are never sent.
enum class UnsubscribeCode : std::uint32_t {
  Server = 2000,             // the server unsubscribed the client
  InsufficientState = 2500,  // a gap in the stream; resubscribe to recover
  Expired = 2501,            // the subscription's credentials expired
  StateInvalidated = 2502,   // newer: drop cached token/state, resubscribe
};

struct UnsubscribeInfo {
  UnsubscribeCode code;
  std::string_view name;
  std::string_view reason;
  bool resubscribe;
};

constexpr bool shouldResubscribe(std::uint32_t code) { return code >= 2500; }

inline constexpr UnsubscribeInfo kUnsubscribes[] = {
    {UnsubscribeCode::Server, "server", "server unsubscribe", false},
    {UnsubscribeCode::InsufficientState, "insufficient_state", "insufficient state", true},
    {UnsubscribeCode::Expired, "expired", "subscription expired", true},
    {UnsubscribeCode::StateInvalidated, "state_invalidated", "state invalidated", true},
};

constexpr const UnsubscribeInfo& unsubscribeInfo(UnsubscribeCode code) {
  for (const UnsubscribeInfo& u : kUnsubscribes)
    if (u.code == code) return u;
  return kUnsubscribes[0];  // unreachable for enumerators
}

// The table agrees with its own range rules.
constexpr bool tablesAreConsistent() {
  for (const DisconnectInfo& d : kDisconnects)
    if (d.reconnect != shouldReconnect(static_cast<std::uint32_t>(d.code))) return false;
  for (const UnsubscribeInfo& u : kUnsubscribes)
    if (u.resubscribe != shouldResubscribe(static_cast<std::uint32_t>(u.code))) return false;
  return true;
}
static_assert(tablesAreConsistent());

}  // namespace herald::proto
