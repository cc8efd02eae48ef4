#pragma once
// Accepting connections on a listening socket owned by one loop.
//
// When the process runs out of file descriptors (EMFILE), the acceptor does
// not spin on a listening socket that stays readable: it keeps one spare
// descriptor, gives it up to accept the waiting connection, writes the
// refusal it was given (an HTTP 503) and closes it, then takes the spare back.

#include <atomic>
#include <functional>
#include <string>

#include "herald/net/loop.hpp"

namespace herald::net {

class Acceptor final : public IoHandler {
 public:
  using OnAccept = std::function<void(int fd)>;

  // Takes ownership of the listening socket `fd`.
  Acceptor(Loop& loop, int fd, OnAccept onAccept, std::string refusal);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Stops accepting and closes the listening socket.
  void close();
  // Connections refused for lack of descriptors so far.
  std::uint64_t refusedCount() const { return refused_.load(std::memory_order_relaxed); }

  void onIo(std::uint32_t events) override;

 private:
  // Accepts one waiting connection with the spare descriptor and refuses it;
  // false when there was none (or no spare).
  bool refuseOne();

  Loop& loop_;
  int fd_;
  int spareFd_;
  OnAccept onAccept_;
  std::string refusal_;
  std::atomic<std::uint64_t> refused_{0};  // written by the loop, read by any thread
};

}  // namespace herald::net
