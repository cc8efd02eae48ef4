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
        refuseOne();
        if (spareFd_ < 0) return;  // could not even do that; the next edge retries
        continue;
      default:  // EAGAIN: drained
        return;
    }
  }
}

void Acceptor::refuseOne() {
  if (spareFd_ < 0) {
    spareFd_ = openSpare();
    return;
  }
  closeFd(spareFd_);
  spareFd_ = -1;
  int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    sendBestEffort(fd, refusal_);
    closeFd(fd);
    ++refused_;
  }
  spareFd_ = openSpare();
}

}  // namespace herald::net
