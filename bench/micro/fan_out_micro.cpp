// Fan-out encoding: one publication queued to 1000 subscribers.
//
// The engine's write queue is private, so it is modelled here with public
// pieces: each subscriber has a queue (a vector that keeps its capacity), and
// an iteration queues one publication to every subscriber and then drains
// every queue, as the loop's write batch would once the bytes are written.
// The argument is the payload size.
//
//   SharedFrame         serialize once into a std::make_shared<std::string>;
//                       each queue holds a shared_ptr to it (a refcount each)
//   CopyPerQueue        serialize once; each queue gets its own std::string
//                       copy (an allocation and a memcpy each)
//   SerializePerQueue   serialize the frame anew for each queue
//   CopyIntoConnBuffer  serialize once; append the bytes to each
//                       connection's contiguous output buffer (a memcpy
//                       each, no allocation: the best case for copying)

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "herald/ws/frame_writer.hpp"
#include "herald/ws/opcode.hpp"

namespace {

using herald::ws::Opcode;

constexpr std::size_t kSubscribers = 1000;

std::string payloadOf(const benchmark::State& state) {
  return std::string(static_cast<std::size_t>(state.range(0)), 'p');
}

void setCounters(benchmark::State& state, std::size_t frameBytes) {
  // Bytes: what lands in the queues (subscribers x frame), per second.
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kSubscribers * frameBytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kSubscribers));
  state.counters["publications/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_FanOutSharedFrame(benchmark::State& state) {
  const std::string payload = payloadOf(state);
  std::vector<std::vector<std::shared_ptr<const std::string>>> queues(kSubscribers);
  for (auto& q : queues) q.reserve(4);
  std::size_t frameBytes = 0;
  for (auto _ : state) {
    auto frame = std::make_shared<std::string>();
    frame->reserve(payload.size() + herald::ws::kMaxFrameHeaderBytes);
    herald::ws::appendFrame(*frame, Opcode::Text, payload);
    frameBytes = frame->size();
    std::shared_ptr<const std::string> shared = std::move(frame);
    for (auto& q : queues) q.push_back(shared);
    for (auto& q : queues) {
      benchmark::DoNotOptimize(q.back()->data());
      q.clear();
    }
  }
  setCounters(state, frameBytes);
}
BENCHMARK(BM_FanOutSharedFrame)->Arg(32)->Arg(4 << 10);

void BM_FanOutCopyPerQueue(benchmark::State& state) {
  const std::string payload = payloadOf(state);
  std::vector<std::vector<std::string>> queues(kSubscribers);
  for (auto& q : queues) q.reserve(4);
  std::string frame;
  for (auto _ : state) {
    frame.clear();
    herald::ws::appendFrame(frame, Opcode::Text, payload);
    for (auto& q : queues) q.push_back(frame);
    for (auto& q : queues) {
      benchmark::DoNotOptimize(q.back().data());
      q.clear();
    }
  }
  setCounters(state, frame.size());
}
BENCHMARK(BM_FanOutCopyPerQueue)->Arg(32)->Arg(4 << 10);

void BM_FanOutSerializePerQueue(benchmark::State& state) {
  const std::string payload = payloadOf(state);
  std::vector<std::vector<std::string>> queues(kSubscribers);
  for (auto& q : queues) q.reserve(4);
  for (auto _ : state) {
    for (auto& q : queues) herald::ws::appendFrame(q.emplace_back(), Opcode::Text, payload);
    for (auto& q : queues) {
      benchmark::DoNotOptimize(q.back().data());
      q.clear();
    }
  }
  std::string frame;
  herald::ws::appendFrame(frame, Opcode::Text, payload);
  setCounters(state, frame.size());
}
BENCHMARK(BM_FanOutSerializePerQueue)->Arg(32)->Arg(4 << 10);

void BM_FanOutCopyIntoConnBuffer(benchmark::State& state) {
  const std::string payload = payloadOf(state);
  std::vector<std::string> buffers(kSubscribers);
  for (auto& b : buffers) b.reserve(payload.size() + herald::ws::kMaxFrameHeaderBytes);
  std::string frame;
  for (auto _ : state) {
    frame.clear();
    herald::ws::appendFrame(frame, Opcode::Text, payload);
    for (auto& b : buffers) b.append(frame);
    for (auto& b : buffers) {
      benchmark::DoNotOptimize(b.data());
      b.clear();
    }
  }
  setCounters(state, frame.size());
}
BENCHMARK(BM_FanOutCopyIntoConnBuffer)->Arg(32)->Arg(4 << 10);

}  // namespace
