#include "herald/net/acceptor.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "herald/net/socket.hpp"

namespace herald::net {

namespace {

int openSpare() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

Acceptor::Acceptor(Loop& loop, int fd, OnAccept onAccept, std::string refusal)
    : loop_(loop), fd_(fd), spareFd_(openSpare()), onAccept_(std::move(onAccept)), refusal_(std::move(refusal)) {
  loop_.add(fd_, this, false);
}

Acceptor::~Acceptor() {
  close();
  closeFd(spareFd_);
}

void Acceptor::close() {
  if (fd_ < 0) return;
  loop_.remove(fd_);
  closeFd(fd_);
  fd_ = -1;
}

void Acceptor::onIo(std::uint32_t) {
  // Edge-triggered: accept until the backlog is empty.
  while (fd_ >= 0) {
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      onAccept_(fd);
      continue;
    }
    switch (errno) {
      case EINTR:
      case ECONNABORTED:
      case EPROTO:
        continue;
      case EMFILE:
      case ENFILE:
      case ENOBUFS:
      case ENOMEM:
        // Out of descriptors. Linux reports EMFILE before looking at the
        // backlog, so this also happens when nobody is waiting: stop as soon
        // as the spare descriptor finds no connection to refuse.
        if (!refuseOne()) return;
        continue;
      default:  // EAGAIN: drained
        return;
    }
  }
}

bool Acceptor::refuseOne() {
  if (spareFd_ < 0) {
    spareFd_ = openSpare();
    return false;
  }
  closeFd(spareFd_);
  int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    sendBestEffort(fd, refusal_);
    closeFd(fd);
    refused_.store(refused_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  spareFd_ = openSpare();
  return fd >= 0;
}

}  // namespace herald::net
