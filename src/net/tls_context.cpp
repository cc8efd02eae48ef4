#include "herald/net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace herald::net {

namespace {

SSL_CTX* newContext(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (!ctx) throw std::runtime_error("TLS: cannot create a context: " + tlsErrorText());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  // Partial writes and a retry from a different address are how the write
  // queue hands bytes over; renegotiation is refused.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  return ctx;
}

}  // namespace

std::string tlsErrorText(SSL* ssl) {
  if (ssl) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
    }
  }
  unsigned long code = ERR_get_error();
  if (code == 0) return "TLS failure";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

std::shared_ptr<TlsContext> TlsContext::server(const std::string& certFile, const std::string& keyFile) {
  SSL_CTX* ctx = newContext(TLS_server_method());
  if (SSL_CTX_use_certificate_chain_file(ctx, certFile.c_str()) != 1) {
    SSL_CTX_free(ctx);
    throw std::runtime_error("TLS: cannot load certificate '" + certFile + "': " + tlsErrorText());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
    SSL_CTX_free(ctx);
    throw std::runtime_error("TLS: cannot load private key '" + keyFile + "': " + tlsErrorText());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    SSL_CTX_free(ctx);
    throw std::runtime_error("TLS: the key '" + keyFile + "' does not match the certificate '" + certFile + "'");
  }
  return std::shared_ptr<TlsContext>(new TlsContext(ctx, false));
}

std::shared_ptr<TlsContext> TlsContext::client(const std::string& caFile, bool verify) {
  SSL_CTX* ctx = newContext(TLS_client_method());
  if (verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    int ok = caFile.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                            : SSL_CTX_load_verify_locations(ctx, caFile.c_str(), nullptr);
    if (ok != 1) {
      SSL_CTX_free(ctx);
      throw std::runtime_error("TLS: cannot load trusted certificates" +
                               (caFile.empty() ? std::string() : " from '" + caFile + "'") + ": " + tlsErrorText());
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return std::shared_ptr<TlsContext>(new TlsContext(ctx, verify));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

SSL* TlsContext::newServerSession(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return ssl;
}

SSL* TlsContext::newClientSession(int fd, const std::string& host) const {
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_connect_state(ssl);
  SSL_set_tlsext_host_name(ssl, host.c_str());
  if (verify_) {
    // An IP literal is checked against the certificate's IP addresses,
    // anything else against its DNS names.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) SSL_set1_host(ssl, host.c_str());
  }
  return ssl;
}

}  // namespace herald::net
