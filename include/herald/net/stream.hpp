#pragma once
// A connected byte stream: a TCP socket, optionally with TLS on it. The
// engine reads and writes connections only through this, so plain and TLS
// connections share every line above it.

#include <sys/uio.h>

#include <cstddef>
#include <string>

#include "herald/net/socket.hpp"

typedef struct ssl_st SSL;

namespace herald::net {

class Stream {
 public:
  Stream() = default;
  // Takes ownership of `fd` and of `ssl` (null for plain TCP).
  explicit Stream(int fd, SSL* ssl = nullptr) : fd_(fd), ssl_(ssl) {}
  ~Stream() { close(); }
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // One read. With TLS this also advances the handshake; WouldBlock means
  // "try again on the next readiness event" (the TLS engine may be waiting to
  // write, which the always-armed EPOLLOUT edge reports).
  IoResult read(char* buffer, std::size_t capacity);
  // Writes from `count` buffers; Ok with the bytes taken (maybe fewer).
  IoResult write(const iovec* iov, std::size_t count);
  // Ends our direction: TLS close_notify, then TCP FIN.
  void shutdownWrite();
  void close();

  int fd() const { return fd_; }
  bool isTls() const { return ssl_ != nullptr; }
  SSL* ssl() const { return ssl_; }
  // Why the last call failed with Error, readable; call it right away, as
  // OpenSSL keeps its errors per thread until the next call.
  std::string lastError() const;

 private:
  IoResult tlsResult(int rc);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

}  // namespace herald::net
