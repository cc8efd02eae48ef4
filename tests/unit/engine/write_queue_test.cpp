// WriteQueue over a real socket pair: bytes come out whole and in order
// through partial writes, an empty queue holds no memory, and the state of
// a written queue goes back to the thread's pool.
#include "write_queue.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "herald/ws/mask.hpp"

namespace herald::detail {
namespace {

class WriteQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    writer_ = net::Stream(fds[0]);
    reader_ = fds[1];
  }
  void TearDown() override { ::close(reader_); }

  std::string drain() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(reader_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

  net::Stream writer_;
  int reader_ = -1;
};

SharedFrame frame(std::string bytes) { return std::make_shared<const std::string>(std::move(bytes)); }

TEST_F(WriteQueueTest, EmptyQueueIsOnePointerAndHoldsNothing) {
  static_assert(sizeof(WriteQueue) == sizeof(void*));
  WriteQueue q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  q.append("", "");
  q.append(frame(""));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.flushTo(writer_), WriteQueue::FlushResult::Done);
}

TEST_F(WriteQueueTest, WritesOwnedAndSharedBytesInOrder) {
  WriteQueue q;
  SharedFrame shared = frame("<shared>");
  q.append("head:", "one;");
  q.append("two;");  // coalesces with the previous owned bytes
  q.append(shared);
  q.append("tail");
  EXPECT_EQ(q.size(), 5u + 4u + 4u + 8u + 4u);
  EXPECT_EQ(shared.use_count(), 2);
  EXPECT_EQ(q.flushTo(writer_), WriteQueue::FlushResult::Done);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(shared.use_count(), 1) << "a written shared frame is released";
  EXPECT_EQ(drain(), "head:one;two;<shared>tail");
}

TEST_F(WriteQueueTest, PartialWritesResumeWhereTheyStopped) {
  int small = 4096;
  ASSERT_EQ(::setsockopt(writer_.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  WriteQueue q;
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    std::string piece(1000 + i, static_cast<char>('a' + i % 26));
    expected += piece;
    if (i % 3 == 0) q.append(frame(piece));
    else q.append(piece);
  }
  std::string got;
  int partials = 0;
  for (int rounds = 0; rounds < 10000 && !q.empty(); ++rounds) {
    WriteQueue::FlushResult r = q.flushTo(writer_);
    ASSERT_NE(r, WriteQueue::FlushResult::Error);
    if (r == WriteQueue::FlushResult::Partial) ++partials;
    got += drain();
  }
  got += drain();
  EXPECT_TRUE(q.empty());
  EXPECT_GT(partials, 0) << "the socket buffer was meant to fill";
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST_F(WriteQueueTest, WrittenStateGoesBackToThePool) {
  WriteQueue a, b;
  a.append("x");
  EXPECT_EQ(a.flushTo(writer_), WriteQueue::FlushResult::Done);
  const std::size_t pooled = WriteQueue::pooledOnThisThread();
  EXPECT_GE(pooled, 1u);
  b.append("y");  // takes the block a gave back
  EXPECT_EQ(WriteQueue::pooledOnThisThread(), pooled - 1);
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(WriteQueue::pooledOnThisThread(), pooled);
  EXPECT_EQ(drain(), "x");
}

TEST_F(WriteQueueTest, MasksAClientFrame) {
  WriteQueue q;
  const ws::MaskKey key = {0x01, 0x02, 0x03, 0x04};
  q.appendMasked("H", std::string(6, '\0'), key);
  EXPECT_EQ(q.flushTo(writer_), WriteQueue::FlushResult::Done);
  EXPECT_EQ(drain(), std::string("H\x01\x02\x03\x04\x01\x02", 7));
}

TEST_F(WriteQueueTest, MasksAPayloadThatSpansSeveralBlocks) {
  WriteQueue q;
  const ws::MaskKey key = {0x01, 0x02, 0x03, 0x04};
  q.append(std::string(10, 'p'));  // the header starts mid-block
  const std::string payload(40000, '\0');
  q.appendMasked("HH", payload, key);
  EXPECT_EQ(q.size(), 10u + 2u + 40000u);
  std::string out;
  while (!q.empty()) {
    ASSERT_NE(q.flushTo(writer_), WriteQueue::FlushResult::Error);
    out += drain();
  }
  out += drain();
  ASSERT_EQ(out.size(), 40012u);
  EXPECT_EQ(out.substr(0, 12), std::string(10, 'p') + "HH");
  for (std::size_t i = 0; i < payload.size(); ++i)
    ASSERT_EQ(static_cast<unsigned char>(out[12 + i]), key[i % 4]) << "at payload byte " << i;
}

TEST_F(WriteQueueTest, BacklogHoldsLittleMoreThanItsBytes) {
  // A peer that never reads, and a connection that keeps answering it with
  // small frames (pongs, replies): 4 MiB of them.
  WriteQueue q;
  const std::string small(127, 's');
  while (q.size() < 4 * 1024 * 1024) q.append("\x8a\x7f", small);
  // One ever-doubling buffer would hold up to twice the backlog; blocks
  // hold it plus one block and the segment array.
  EXPECT_LE(q.heldBytes(), q.size() + 16 * 1024 + 2 * (q.size() / (16 * 1024) + 1) * 64 + 1024);
  q.clear();
}

TEST_F(WriteQueueTest, ErrorWhenThePeerIsGone) {
  ::close(reader_);
  reader_ = -1;
  WriteQueue q;
  q.append("lost");
  EXPECT_EQ(q.flushTo(writer_), WriteQueue::FlushResult::Error);
  q.clear();
  EXPECT_TRUE(q.empty());
}

TEST_F(WriteQueueTest, ReusesAWrittenBufferForTheNextSend) {
  WriteQueue q;
  const std::size_t before = WriteQueue::pooledSpareBytesOnThisThread();
  q.append(std::string(3000, 'a'));
  EXPECT_EQ(q.flushTo(writer_), WriteQueue::FlushResult::Done);
  EXPECT_EQ(drain(), std::string(3000, 'a'));
  EXPECT_GE(WriteQueue::pooledSpareBytesOnThisThread(), before + 3000) << "the written buffer is kept";
  // The next send on this thread takes the block back with its buffer.
  q.append("b");
  q.append(std::string(2000, 'c'));
  EXPECT_EQ(WriteQueue::pooledSpareBytesOnThisThread(), before);
  EXPECT_EQ(q.size(), 2001u);
  EXPECT_EQ(q.flushTo(writer_), WriteQueue::FlushResult::Done);
  EXPECT_EQ(drain(), "b" + std::string(2000, 'c'));
  // A buffer over the spare size limit goes back to the allocator.
  const std::size_t spare = WriteQueue::pooledSpareBytesOnThisThread();
  q.append(std::string(100000, 'd'));
  while (!q.empty()) {
    ASSERT_NE(q.flushTo(writer_), WriteQueue::FlushResult::Error);
    drain();
  }
  EXPECT_LT(WriteQueue::pooledSpareBytesOnThisThread(), spare + 100000);
}

}  // namespace
}  // namespace herald::detail
