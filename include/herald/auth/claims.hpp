#pragma once
// The claims of Centrifugo's connection and subscription tokens, as the
// verifier hands them out, and a writer of claims for minting tokens.
//
// Sources: centrifugal.dev docs/server/authentication.md and
// channel_token_auth.md, and centrifugo internal/jwtverify/
// token_verifier_jwt.go (ConnectTokenClaims, SubscribeTokenClaims).
//
// Reading rules (untrusted input, so every refusal is a value, see
// token_verifier.hpp): a claim set to JSON null counts as absent; a known
// claim with the wrong JSON type, or given twice, makes the token Malformed
// (a duplicate would let two JSON readers disagree on what was signed);
// unknown claims are ignored but must still be valid JSON. Numeric dates
// (`exp`, `iat`, `nbf`, `expire_at`) may be integers or decimals (RFC 7519
// NumericDate); decimals are truncated to whole seconds. "Raw" fields keep
// the claim's JSON text exactly as it appeared in the payload.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::auth {

// One entry of a connection token's `subs`: a server-side subscription with
// options, `{"subs": {"news": {"info": {...}, "data": {...}}}}`.
struct SubClaim {
  std::string channel;
  // The raw JSON of `info`, or the decoded bytes of `b64info` when that is
  // present instead (may be binary); empty when neither is.
  std::string info;
  // The same for `data` / `b64data`: sent to the client in the subscribe push.
  std::string data;
  // The raw JSON text of the whole options object (for `override` and
  // whatever else a server wants to read from it).
  std::string options;
};

struct Claims {
  std::string sub;                  // user id; empty: anonymous (allowed)
  std::optional<std::int64_t> exp;  // token expiry, checked by the verifier
  std::optional<std::int64_t> iat;
  std::optional<std::int64_t> nbf;  // not before, checked by the verifier
  std::string jti;
  std::string iss;
  std::vector<std::string> aud;     // `aud` as a string becomes one entry
  // The raw JSON of `info`, or the decoded bytes of `b64info` (which wins
  // when both are present, as in Centrifugo); empty when neither is.
  std::string info;
  std::string meta;                 // raw JSON of `meta` (connection tokens)
  std::vector<std::string> channels;  // server-side subscriptions (connection tokens)
  std::vector<SubClaim> subs;         // the same with options, in payload order
  // `expire_at`: when present it replaces `exp` as the moment the connection
  // (or subscription) must be refreshed; 0 means it never has to be.
  std::optional<std::int64_t> expireAt;
  // Subscription tokens only.
  std::string channel;  // required in a subscription token
  std::string client;   // when set, must equal the subscribing client's id
  std::string data;     // raw JSON of `data`, or decoded bytes of `b64data`
  std::string overrides;  // raw JSON of `override` (channel option overrides)

  // When the connection or subscription expires, in Unix seconds, 0 for
  // never: `expire_at` when present (0 or negative: never), else `exp`,
  // else never. Centrifugo's rule, see ConnectToken.ExpireAt.
  std::int64_t expiresAt() const {
    if (expireAt) return *expireAt > 0 ? *expireAt : 0;
    return exp ? *exp : 0;
  }
};

// The claims `herald token` and tests mint. Absent optionals and empty
// strings or vectors are left out of the JSON, except `sub`, which is always
// written (an empty `sub` is an anonymous token).
struct ClaimsSpec {
  std::string sub;
  std::optional<std::int64_t> exp;
  std::optional<std::int64_t> iat;
  std::optional<std::int64_t> nbf;
  std::optional<std::int64_t> expireAt;
  std::string info;  // raw JSON text, written as is
  std::vector<std::string> channels;
  std::string channel;  // a subscription token's channel
  std::string aud;
  std::string iss;
  std::string jti;
};

// The JSON object of `spec`, compact, in the field order above, strings
// escaped as JSON requires. Throws std::invalid_argument when a string is not
// valid UTF-8 or `info` is not one valid JSON value: minting is the
// operator's (or a test's) input, not a client's.
std::string buildClaimsJson(const ClaimsSpec& spec);

// `s` as a quoted JSON string appended to `out` ('"', '\\' and control
// characters escaped). Throws std::invalid_argument on invalid UTF-8.
void appendJsonString(std::string& out, std::string_view s);

}  // namespace herald::auth
