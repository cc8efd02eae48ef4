#pragma once
// Thin wrappers over the socket calls Herald needs. Errors become exceptions
// only where they are start-up failures (a port in use); per-connection
// failures are return values.

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::net {

// A non-blocking TCP listening socket bound to host:port (port 0 picks a free
// one). With reusePort, several sockets can share the port, one per loop.
// Throws std::system_error with a readable message on failure.
int listenTcp(const std::string& host, std::uint16_t port, bool reusePort, int backlog = 4096);

// The port a bound socket ended up on.
std::uint16_t localPort(int fd);

// "address:port" of the peer, for logs.
std::string peerAddress(int fd);
// The peer's address without its port, as raw bytes (4 for IPv4, 16 for
// IPv6; an IPv4-mapped IPv6 address gives its 4 IPv4 bytes): a key for
// per-address limits. Empty when the peer is unknown.
std::string peerHostKey(int fd);

void setNoDelay(int fd);

// Closes fd once (never retried on EINTR: Linux has already released it).
void closeFd(int fd);

}  // namespace herald::net

#include <sys/uio.h>

#include <cstddef>

namespace herald::net {

// The result of one non-blocking read or write on a stream socket.
struct IoResult {
  enum Status { Ok, WouldBlock, Eof, Error };
  Status status = Ok;
  std::size_t bytes = 0;
};

// One recv(); Eof when the peer closed its side, Error for resets.
IoResult readSome(int fd, char* buffer, std::size_t capacity);
// One sendmsg() of `count` buffers, never raising SIGPIPE.
IoResult writeVector(int fd, const iovec* iov, std::size_t count);
// Best effort, for a last word before close (an HTTP 503): no retry.
void sendBestEffort(int fd, std::string_view bytes);
void shutdownWrite(int fd);

}  // namespace herald::net

#include <sys/socket.h>

#include <vector>

namespace herald::net {

// Resolves host:port (blocking getaddrinfo; numeric addresses resolve at once).
// Returns false with a readable `error` when the name does not resolve.
bool resolve(const std::string& host, std::uint16_t port, std::vector<sockaddr_storage>& out, std::string& error);

// Starts a non-blocking connect; the socket becomes writable when it is done
// and connectError() then tells whether it worked. Returns -1 with `error`.
// With `source`, the socket is bound to that local address first (its port
// is ignored: the kernel picks one at connect time).
int connectTcp(const sockaddr_storage& addr, std::string& error, const sockaddr_storage* source = nullptr);
// The pending error of a connecting socket (0 when connected).
int connectError(int fd);

}  // namespace herald::net
