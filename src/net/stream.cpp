#include "herald/net/stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "herald/net/tls_context.hpp"

namespace herald::net {

Stream::Stream(Stream&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), ssl_(std::exchange(other.ssl_, nullptr)) {}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    ssl_ = std::exchange(other.ssl_, nullptr);
  }
  return *this;
}

void Stream::close() {
  if (ssl_) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

IoResult Stream::tlsResult(int rc) {
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return {IoResult::WouldBlock, 0};
    case SSL_ERROR_ZERO_RETURN:
      return {IoResult::Eof, 0};
    case SSL_ERROR_SYSCALL:
      if (errno == EAGAIN || errno == EINTR) return {IoResult::WouldBlock, 0};
      return {IoResult::Eof, 0};  // the peer went away without close_notify
    default:
      return {IoResult::Error, 0};
  }
}

IoResult Stream::read(char* buffer, std::size_t capacity) {
  if (!ssl_) return readSome(fd_, buffer, capacity);
  ERR_clear_error();
  std::size_t n = 0;
  int rc = SSL_read_ex(ssl_, buffer, capacity, &n);
  if (rc == 1) return {IoResult::Ok, n};
  return tlsResult(rc);
}

IoResult Stream::write(const iovec* iov, std::size_t count) {
  if (!ssl_) return writeVector(fd_, iov, count);
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    ERR_clear_error();
    std::size_t n = 0;
    int rc = SSL_write_ex(ssl_, iov[i].iov_base, iov[i].iov_len, &n);
    if (rc != 1) {
      IoResult r = tlsResult(rc);
      if (r.status == IoResult::WouldBlock && total > 0) break;
      if (r.status != IoResult::Ok) return r.status == IoResult::Eof ? IoResult{IoResult::Error, 0} : r;
    }
    total += n;
    if (n < iov[i].iov_len) break;
  }
  return {IoResult::Ok, total};
}

void Stream::shutdownWrite() {
  if (ssl_ && SSL_is_init_finished(ssl_)) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // queues close_notify; we do not wait for the peer's
  }
  if (fd_ >= 0) net::shutdownWrite(fd_);
}

std::string Stream::lastError() const {
  if (!ssl_) return std::strerror(errno);
  return tlsErrorText(ssl_);
}

}  // namespace herald::net
