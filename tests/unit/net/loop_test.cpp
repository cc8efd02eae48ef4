// Loop::pollNow: the events already pending, handled from inside an
// iteration-end function without waiting.
#include "herald/net/loop.hpp"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace herald::net {
namespace {

// Counts readiness events on an eventfd and empties it.
class Counter final : public IoHandler {
 public:
  Counter() : fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Counter() { ::close(fd); }
  void signal() {
    std::uint64_t one = 1;
    ASSERT_EQ(::write(fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
  }
  void onIo(std::uint32_t) override {
    std::uint64_t value;
    while (::read(fd, &value, sizeof value) > 0) {
    }
    ++events;
  }
  int fd;
  int events = 0;
};

TEST(LoopTest, PollNowHandlesWhatArrivedDuringAnIterationEnd) {
  Loop loop;
  Counter counter;
  loop.add(counter.fd, &counter, false);
  int polled = -1, seenInside = -1;
  loop.onIterationEnd([&] {
    if (polled >= 0) return;
    counter.signal();  // input arriving while the iteration ends
    polled = loop.pollNow();
    seenInside = counter.events;
    loop.stop();
  });
  loop.defer([] {});  // wakes the first iteration
  loop.run();
  EXPECT_EQ(polled, 1);
  EXPECT_EQ(seenInside, 1) << "the handler ran inside pollNow";
}

TEST(LoopTest, PollNowReturnsAtOnceWhenNothingIsPending) {
  Loop loop;
  Counter counter;
  loop.add(counter.fd, &counter, false);
  int polled = -1;
  loop.onIterationEnd([&] {
    polled = loop.pollNow();
    loop.stop();
  });
  loop.defer([] {});
  loop.run();
  EXPECT_EQ(polled, 0);
  EXPECT_EQ(counter.events, 0);
}

}  // namespace
}  // namespace herald::net
