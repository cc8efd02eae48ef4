#pragma once
// TLS configuration (OpenSSL 3): one context per certificate or per trust
// store, shared by every loop; sessions are created per connection.
// TLS 1.2 and 1.3 only.

#include <memory>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace herald::net {

class TlsContext {
 public:
  // A server context with a certificate chain and its private key (PEM).
  // Throws std::runtime_error naming the file and OpenSSL's reason.
  static std::shared_ptr<TlsContext> server(const std::string& certFile, const std::string& keyFile);

  // A client context. Peer certificates are verified against the system's
  // trust store, or only against `caFile` when given; `verify = false` turns
  // verification off (for tests against self-signed servers, never default).
  static std::shared_ptr<TlsContext> client(const std::string& caFile = {}, bool verify = true);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A session for an accepted socket (server) or a connecting one (client,
  // with SNI and host-name verification against `host`).
  SSL* newServerSession(int fd) const;
  SSL* newClientSession(int fd, const std::string& host) const;

  bool verifiesPeer() const { return verify_; }

 private:
  explicit TlsContext(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  SSL_CTX* ctx_;
  bool verify_;
};

// The reason for the last TLS failure on this thread, as readable text
// (OpenSSL's error queue, or the certificate verification result of `ssl`).
std::string tlsErrorText(SSL* ssl = nullptr);

}  // namespace herald::net
