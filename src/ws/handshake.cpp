#include "herald/ws/handshake.hpp"

#include <openssl/evp.h>

#include "herald/http/response_writer.hpp"

namespace herald::ws {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kVersionHeaders = "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";

bool isBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

HandshakeResult refuse(http::Status status, std::string reason, std::string_view extraHeaders = {}) {
  HandshakeResult r;
  r.status = status;
  r.response = http::errorResponse(status, reason, extraHeaders);
  r.reason = std::move(reason);
  return r;
}

}  // namespace

bool isValidClientKey(std::string_view key) {
  // 16 bytes encode to 22 characters and "==" padding.
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (std::size_t i = 0; i < 22; ++i)
    if (!isBase64Char(key[i])) return false;
  return true;
}

namespace {

// SHA-1 fetched from OpenSSL's default provider once: the first fetch loads
// the provider tables (about 2 MB of libcrypto's pages), which
// prepareHandshakeCrypto() pays at start-up; later digests skip the
// per-call lookup that EVP_sha1() would make. Never freed (process lifetime).
const EVP_MD* sha1() {
  static const EVP_MD* md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    return fetched ? fetched : EVP_sha1();
  }();
  return md;
}

}  // namespace

void prepareHandshakeCrypto() { (void)acceptKeyFor("dGhlIHNhbXBsZSBub25jZQ=="); }

std::string acceptKeyFor(std::string_view clientKey) {
  std::string input;
  input.reserve(clientKey.size() + kGuid.size());
  input.append(clientKey).append(kGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digestLen = 0;
  EVP_Digest(input.data(), input.size(), digest, &digestLen, sha1(), nullptr);
  unsigned char encoded[64];
  int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(digestLen));
  return std::string(reinterpret_cast<char*>(encoded), static_cast<std::size_t>(n));
}

HandshakeResult acceptHandshake(const http::Request& req, const HandshakeOptions& options) {
  using http::Status;
  if (req.method != "GET")
    return refuse(Status::MethodNotAllowed, "a WebSocket handshake must use GET", "Allow: GET\r\n");
  if (req.versionMinor < 1) return refuse(Status::BadRequest, "a WebSocket handshake needs HTTP/1.1");
  // A body would be read as WebSocket frames after the 101: a request that
  // smuggles frames past whatever inspected the HTTP request. Refuse it.
  if (req.header("Transfer-Encoding"))
    return refuse(Status::BadRequest, "a WebSocket handshake cannot carry a body (Transfer-Encoding)");
  if (auto length = req.header("Content-Length"); length && (*length != "0" || req.headerCount("Content-Length") > 1))
    return refuse(Status::BadRequest, "a WebSocket handshake cannot carry a body (Content-Length)");
  if (req.headerCount("Host") != 1) return refuse(Status::BadRequest, "the request needs exactly one Host header");
  if (!req.headerHasToken("Upgrade", "websocket"))
    return refuse(Status::UpgradeRequired, "this endpoint speaks WebSocket only: send 'Upgrade: websocket'",
                  kVersionHeaders);
  if (!req.headerHasToken("Connection", "upgrade"))
    return refuse(Status::BadRequest, "the Connection header must contain the 'upgrade' token");
  if (req.headerCount("Sec-WebSocket-Version") != 1 || *req.header("Sec-WebSocket-Version") != "13")
    return refuse(Status::UpgradeRequired, "only WebSocket version 13 is supported: send 'Sec-WebSocket-Version: 13'",
                  kVersionHeaders);
  auto key = req.header("Sec-WebSocket-Key");
  if (!key || req.headerCount("Sec-WebSocket-Key") != 1)
    return refuse(Status::BadRequest, "missing Sec-WebSocket-Key header");
  if (!isValidClientKey(*key)) return refuse(Status::BadRequest, "Sec-WebSocket-Key must be 16 bytes in base64");
  if (req.headerCount("Origin") > 1) return refuse(Status::BadRequest, "the request has more than one Origin header");
  if (options.allowOrigin) {
    if (auto origin = req.header("Origin"); origin && !options.allowOrigin(*origin, req.header("Host").value_or("")))
      return refuse(Status::Forbidden, "this Origin is not allowed to connect");
  }

  HandshakeResult r;
  for (const std::string& mine : options.subprotocols) {
    if (req.headerHasToken("Sec-WebSocket-Protocol", mine)) {
      r.subprotocol = mine;
      break;
    }
  }
  http::ResponseWriter w(Status::SwitchingProtocols);
  w.header("Upgrade", "websocket").header("Connection", "Upgrade").header("Sec-WebSocket-Accept", acceptKeyFor(*key));
  if (!r.subprotocol.empty()) w.header("Sec-WebSocket-Protocol", r.subprotocol);
  if (options.deflate) {
    if (auto agreed = negotiateDeflate(req, *options.deflate)) {
      r.deflate = agreed->params;
      w.header("Sec-WebSocket-Extensions", agreed->response);
    }
  }
  r.accepted = true;
  r.status = Status::SwitchingProtocols;
  r.response = std::move(w).finishHead();
  return r;
}

}  // namespace herald::ws
