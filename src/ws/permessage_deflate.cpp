#include "herald/ws/permessage_deflate.hpp"

#include <algorithm>
#include <vector>

namespace herald::ws {

namespace {

// ---- Sec-WebSocket-Extensions syntax (RFC 6455 9.1, RFC 7230 3.2.6) --------
//   extension-list = 1#extension
//   extension      = token *( OWS ";" OWS param )
//   param          = token [ BWS "=" BWS ( token / quoted-string ) ]

bool isTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isTchar); }

void skipOws(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

std::string_view takeToken(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && isTchar(s[n])) ++n;
  std::string_view t = s.substr(0, n);
  s.remove_prefix(n);
  return t;
}

// A quoted-string at the front of `s`, unescaped into `out`.
bool takeQuoted(std::string_view& s, std::string& out) {
  for (std::size_t i = 1; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      s.remove_prefix(i + 1);
      return true;
    }
    if (c == '\\') {
      if (++i == s.size()) return false;
      const auto e = static_cast<unsigned char>(s[i]);
      if (e != '\t' && (e < 0x20 || e == 0x7F)) return false;
      out.push_back(static_cast<char>(e));
    } else if (c == '\t' || (c >= 0x20 && c != 0x7F)) {
      out.push_back(static_cast<char>(c));
    } else {
      return false;
    }
  }
  return false;  // no closing quote
}

// Skips the rest of a broken element, up to and past the next comma that is
// not inside a quoted-string.
void skipElement(std::string_view& s) {
  bool quoted = false;
  while (!s.empty()) {
    const char c = s.front();
    s.remove_prefix(1);
    if (quoted && c == '\\' && !s.empty()) s.remove_prefix(1);
    else if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) return;
  }
}

struct Param {
  std::string_view name;
  std::string value;
  bool hasValue = false;
};

struct Element {
  std::string_view name;
  std::vector<Param> params;
  const char* error = nullptr;  // the element's syntax is broken
};

// The next element of the list in `s`; false at the end of the list.
bool nextElement(std::string_view& s, Element& e) {
  e = Element{};
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == ',')) s.remove_prefix(1);
  if (s.empty()) return false;
  auto broken = [&](const char* why) {
    e.error = why;
    skipElement(s);
    return true;
  };
  e.name = takeToken(s);
  if (e.name.empty()) return broken("an extension name must be a token");
  for (;;) {
    skipOws(s);
    if (s.empty()) return true;
    if (s.front() == ',') {
      s.remove_prefix(1);
      return true;
    }
    if (s.front() != ';') return broken("expected ';' or ',' after an extension or parameter");
    s.remove_prefix(1);
    skipOws(s);
    Param p;
    p.name = takeToken(s);
    if (p.name.empty()) return broken("a parameter name must be a token");
    skipOws(s);
    if (!s.empty() && s.front() == '=') {
      s.remove_prefix(1);
      skipOws(s);
      p.hasValue = true;
      if (!s.empty() && s.front() == '"') {
        if (!takeQuoted(s, p.value)) return broken("unterminated or malformed quoted-string");
        if (!isToken(p.value)) return broken("a quoted parameter value must unquote to a token");
      } else {
        p.value = std::string(takeToken(s));
        if (p.value.empty()) return broken("a parameter value must be a token or a quoted-string");
      }
    }
    e.params.push_back(std::move(p));
  }
}

// ---- permessage-deflate parameters (RFC 7692 7.1) --------------------------

enum ParamId { kServerNoContext, kClientNoContext, kServerBits, kClientBits, kParamCount };
constexpr std::string_view kParamNames[kParamCount] = {"server_no_context_takeover", "client_no_context_takeover",
                                                       "server_max_window_bits", "client_max_window_bits"};

int paramId(std::string_view name) {
  for (int i = 0; i < kParamCount; ++i)
    if (http::equalsIgnoreCase(name, kParamNames[i])) return i;
  return -1;
}

// 8..15 written without leading zeros, or 0.
int windowBits(std::string_view v) {
  if (v.size() == 1 && (v[0] == '8' || v[0] == '9')) return v[0] - '0';
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
  return 0;
}

// One permessage-deflate element, its parameters checked one by one.
struct Deflate {
  bool serverNoContext = false;
  bool clientNoContext = false;
  int serverBits = 0;         // 0: absent
  bool clientBitsSent = false;
  int clientBits = 0;         // 0: absent or without a value
};

// Reads the parameters of `e`; on a broken one returns false and says why.
bool readParams(const Element& e, Deflate& d, std::string& why) {
  bool seen[kParamCount] = {};
  for (const Param& p : e.params) {
    const int id = paramId(p.name);
    if (id < 0) {
      why = "unknown parameter '" + std::string(p.name) + "'";
      return false;
    }
    if (seen[id]) {
      why = "parameter " + std::string(kParamNames[id]) + " appears twice";
      return false;
    }
    seen[id] = true;
    if (id == kServerNoContext || id == kClientNoContext) {
      if (p.hasValue) {
        why = std::string(kParamNames[id]) + " takes no value";
        return false;
      }
      (id == kServerNoContext ? d.serverNoContext : d.clientNoContext) = true;
      continue;
    }
    if (id == kClientBits) d.clientBitsSent = true;
    if (!p.hasValue && id == kClientBits) continue;  // a client may offer it without a value
    const int bits = p.hasValue ? windowBits(p.value) : 0;
    if (bits == 0) {
      why = std::string(kParamNames[id]) + " needs a value from 8 to 15" +
            (p.hasValue ? ", not '" + p.value + "'" : "");
      return false;
    }
    (id == kServerBits ? d.serverBits : d.clientBits) = bits;
  }
  return true;
}

std::optional<DeflateAgreement> acceptOffer(const Element& e, const DeflateConfig& config) {
  if (e.error != nullptr || !http::equalsIgnoreCase(e.name, kPermessageDeflate)) return std::nullopt;
  Deflate offer;
  std::string why;
  if (!readParams(e, offer, why)) return std::nullopt;
  // We cannot compress with a 256-byte window (deflate_codec.hpp).
  if (offer.serverBits == 8) return std::nullopt;

  DeflateAgreement a;
  DeflateParams& p = a.params;
  p.serverNoContextTakeover = offer.serverNoContext || config.serverNoContextTakeover;
  // The client's hint becomes binding once we echo it.
  p.clientNoContextTakeover = offer.clientNoContext || config.clientNoContextTakeover;
  int serverBits = std::clamp(config.serverMaxWindowBits, 9, 15);
  if (offer.serverBits != 0) serverBits = std::min(serverBits, offer.serverBits);
  p.serverMaxWindowBits = static_cast<std::uint8_t>(serverBits);
  int clientBits = 15;
  if (offer.clientBitsSent) {
    clientBits = std::clamp(config.clientMaxWindowBits, 8, 15);
    if (offer.clientBits != 0) clientBits = std::min(clientBits, offer.clientBits);
  }
  p.clientMaxWindowBits = static_cast<std::uint8_t>(clientBits);

  a.response = std::string(kPermessageDeflate);
  if (p.serverNoContextTakeover) a.response += "; server_no_context_takeover";
  if (p.clientNoContextTakeover) a.response += "; client_no_context_takeover";
  if (offer.serverBits != 0 || serverBits < 15) a.response += "; server_max_window_bits=" + std::to_string(serverBits);
  // Only a client that offered client_max_window_bits may be sent one.
  if (offer.clientBitsSent) a.response += "; client_max_window_bits=" + std::to_string(clientBits);
  return a;
}

DeflateAnswer failAnswer(std::string why) {
  DeflateAnswer a;
  a.error = std::move(why);
  return a;
}

}  // namespace

std::optional<DeflateAgreement> negotiateDeflate(std::string_view extensions, const DeflateConfig& config) {
  if (!config.enabled) return std::nullopt;
  Element e;
  while (nextElement(extensions, e))
    if (auto a = acceptOffer(e, config)) return a;
  return std::nullopt;
}

std::optional<DeflateAgreement> negotiateDeflate(const http::Request& request, const DeflateConfig& config) {
  if (!config.enabled) return std::nullopt;
  for (const http::Header& h : request.headers) {
    if (!http::equalsIgnoreCase(h.name, "Sec-WebSocket-Extensions")) continue;
    if (auto a = negotiateDeflate(h.value, config)) return a;
  }
  return std::nullopt;
}

std::string deflateOffer(const DeflateClientOptions& o) {
  if (!o.enabled) return {};
  std::string offer(kPermessageDeflate);
  if (o.requestServerNoContextTakeover) offer += "; server_no_context_takeover";
  if (o.clientNoContextTakeover) offer += "; client_no_context_takeover";
  const int serverBits = std::clamp(o.serverMaxWindowBits, 8, 15);
  if (serverBits < 15) offer += "; server_max_window_bits=" + std::to_string(serverBits);
  if (o.offerClientMaxWindowBits) {
    offer += "; client_max_window_bits";
    const int clientBits = std::clamp(o.clientMaxWindowBits, 9, 15);
    if (clientBits < 15) offer += "=" + std::to_string(clientBits);
  }
  return offer;
}

DeflateAnswer checkDeflateAnswer(std::string_view extensions, const DeflateClientOptions& o) {
  const std::string prefix = "the server's Sec-WebSocket-Extensions answer is invalid: ";
  DeflateAnswer answer;
  Deflate got;
  Element e;
  while (nextElement(extensions, e)) {
    if (e.error != nullptr) return failAnswer(prefix + e.error);
    if (!o.enabled || !http::equalsIgnoreCase(e.name, kPermessageDeflate))
      return failAnswer("the server accepted extension '" + std::string(e.name) + "', which we did not offer");
    if (answer.params) return failAnswer(prefix + "permessage-deflate is accepted twice");
    std::string why;
    if (!readParams(e, got, why)) return failAnswer(prefix + "permessage-deflate: " + why);
    answer.params.emplace();
  }
  if (!answer.params) return answer;  // the server declined the extension

  const int offeredServerBits = std::clamp(o.serverMaxWindowBits, 8, 15);
  const int ourBits = std::clamp(o.clientMaxWindowBits, 9, 15);
  if (o.requestServerNoContextTakeover && !got.serverNoContext)
    return failAnswer(prefix + "we asked for server_no_context_takeover and the answer lacks it");
  if (offeredServerBits < 15 && got.serverBits == 0)
    return failAnswer(prefix + "we asked for server_max_window_bits=" + std::to_string(offeredServerBits) +
                      " and the answer lacks it");
  if (got.serverBits > offeredServerBits)
    return failAnswer(prefix + "server_max_window_bits=" + std::to_string(got.serverBits) +
                      " is larger than the " + std::to_string(offeredServerBits) + " we offered");
  if (got.clientBitsSent) {
    if (!o.offerClientMaxWindowBits)
      return failAnswer(prefix + "client_max_window_bits was not offered");
    if (got.clientBits == 0) return failAnswer(prefix + "client_max_window_bits needs a value in an answer");
    if (got.clientBits > ourBits)
      return failAnswer(prefix + "client_max_window_bits=" + std::to_string(got.clientBits) + " is larger than the " +
                        std::to_string(ourBits) + " we offered");
    if (got.clientBits == 8)
      return failAnswer("the server asks for client_max_window_bits=8, a 256-byte window that zlib cannot compress with");
  }

  DeflateParams& p = *answer.params;
  p.serverNoContextTakeover = got.serverNoContext;
  p.clientNoContextTakeover = got.clientNoContext || o.clientNoContextTakeover;
  p.serverMaxWindowBits = static_cast<std::uint8_t>(got.serverBits != 0 ? got.serverBits : 15);
  p.clientMaxWindowBits = static_cast<std::uint8_t>(got.clientBits != 0 ? got.clientBits : ourBits);
  return answer;
}

DeflaterOptions deflaterOptions(const DeflateParams& params, Role self, int memLevel, int level) {
  DeflaterOptions o;
  const bool server = self == Role::Server;
  o.windowBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
  o.noContextTakeover = server ? params.serverNoContextTakeover : params.clientNoContextTakeover;
  o.memLevel = memLevel;
  o.level = level;
  return o;
}

InflaterOptions inflaterOptions(const DeflateParams& params, Role self, std::size_t maxMessageBytes) {
  InflaterOptions o;
  const bool server = self == Role::Server;  // then the peer is the client
  o.noContextTakeover = server ? params.clientNoContextTakeover : params.serverNoContextTakeover;
  o.maxMessageBytes = maxMessageBytes;
  return o;
}

}  // namespace herald::ws
