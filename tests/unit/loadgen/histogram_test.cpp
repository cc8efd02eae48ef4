#include "loadgen/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace herald::loadgen {
namespace {

// Nearest rank, as the histogram defines it: the value at rank ceil(p/100 * n).
std::uint64_t exactPercentile(const std::vector<std::uint64_t>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

// A reported percentile is the middle of its bucket: half a bucket, at most
// 1/256 of the value, away from the exact one.
void expectWithinPrecision(std::uint64_t reported, std::uint64_t exact, double p) {
  double bound = static_cast<double>(exact) / 256.0 + 1.0;
  EXPECT_LE(std::fabs(static_cast<double>(reported) - static_cast<double>(exact)), bound)
      << "p" << p << ": reported " << reported << ", exact " << exact;
}

// Log-uniform from 1 µs to 10 s, plus a tight cluster around 200 µs: a long
// tail and a dense mode, like real latencies. Fixed seed: the same every run.
std::vector<std::uint64_t> knownDistribution(std::size_t n) {
  std::mt19937_64 rng(20261123);
  std::vector<std::uint64_t> values;
  values.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    double u = static_cast<double>(rng() >> 11) / 9007199254740992.0;  // [0, 1)
    if (i % 3 == 0) values.push_back(200'000 + rng() % 5'000);
    else values.push_back(static_cast<std::uint64_t>(std::exp(std::log(1e3) + u * (std::log(1e10) - std::log(1e3)))));
  }
  return values;
}

TEST(HistogramTest, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.percentile(100), 0u);
  EXPECT_DOUBLE_EQ(h.mean(), 0.0);
}

TEST(HistogramTest, ValuesBelow256AreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 200; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 100u);
  EXPECT_EQ(h.percentile(90), 180u);
  EXPECT_EQ(h.percentile(0.5), 1u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 200u);
  EXPECT_DOUBLE_EQ(h.mean(), 100.5);
}

TEST(HistogramTest, BucketsTileTheRangeWithinPrecisionBound) {
  for (std::size_t i = 0; i < Histogram::kBucketCount; ++i) {
    std::uint64_t low = Histogram::bucketLow(i), high = Histogram::bucketHigh(i);
    ASSERT_LE(low, high);
    ASSERT_EQ(Histogram::bucketIndex(low), i);
    ASSERT_EQ(Histogram::bucketIndex(high), i);
    // No bucket is wider than 1/128 of its lower bound: ~0.8% relative precision.
    ASSERT_LE(high - low + 1, std::max<std::uint64_t>(1, low / Histogram::kSubBuckets)) << "bucket " << i;
    if (i + 1 < Histogram::kBucketCount) {
      ASSERT_EQ(Histogram::bucketLow(i + 1), high + 1) << "gap after " << i;
    }
  }
  EXPECT_EQ(Histogram::bucketHigh(Histogram::kBucketCount - 1), Histogram::kMaxValue);
}

TEST(HistogramTest, EveryValueFallsInsideItsBucket) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200'000; ++i) {
    std::uint64_t v = rng() & Histogram::kMaxValue;
    v >>= rng() % 36;  // every magnitude
    std::size_t b = Histogram::bucketIndex(v);
    ASSERT_LT(b, Histogram::kBucketCount);
    ASSERT_LE(Histogram::bucketLow(b), v);
    ASSERT_GE(Histogram::bucketHigh(b), v);
  }
}

TEST(HistogramTest, PercentilesMatchExactOnesOfAKnownDistribution) {
  std::vector<std::uint64_t> values = knownDistribution(300'000);
  Histogram h;
  for (std::uint64_t v : values) h.record(v);
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 33.0, 50.0, 90.0, 99.0, 99.9, 99.99})
    expectWithinPrecision(h.percentile(p), exactPercentile(values, p), p);
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.percentile(100), values.back());
  double sum = 0;
  for (std::uint64_t v : values) sum += static_cast<double>(v);
  EXPECT_NEAR(h.mean(), sum / static_cast<double>(values.size()), 1e-6 * sum / static_cast<double>(values.size()));
}

TEST(HistogramTest, PercentilesOfAUniformRange) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1'000'000; ++v) h.record(v * 10);  // 10 ns .. 10 ms
  expectWithinPrecision(h.percentile(50), 5'000'000, 50);
  expectWithinPrecision(h.percentile(90), 9'000'000, 90);
  expectWithinPrecision(h.percentile(99), 9'900'000, 99);
  expectWithinPrecision(h.percentile(99.9), 9'990'000, 99.9);
  EXPECT_EQ(h.max(), 10'000'000u);
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  std::vector<std::uint64_t> values = knownDistribution(100'000);
  Histogram all, parts[4];
  for (std::size_t i = 0; i < values.size(); ++i) {
    all.record(values[i]);
    parts[i % 4].record(values[i]);
  }
  Histogram merged;
  for (const Histogram& p : parts) merged.merge(p);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_NEAR(merged.mean(), all.mean(), 1e-9 * all.mean());
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(merged.percentile(p), all.percentile(p)) << p;
}

TEST(HistogramTest, MergingAnEmptyHistogramChangesNothing) {
  Histogram h, empty;
  h.record(5'000);
  h.merge(empty);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.min(), 5'000u);
  EXPECT_EQ(h.max(), 5'000u);
}

TEST(HistogramTest, ValuesAboveTheRangeLandInTheTopBucketWithAnExactMax) {
  Histogram h;
  h.record(1'000);
  h.record(100'000'000'000);  // 100 s
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.overflowCount(), 1u);
  EXPECT_EQ(h.max(), 100'000'000'000u);
  EXPECT_EQ(h.percentile(100), 100'000'000'000u);
  EXPECT_GE(h.percentile(99), Histogram::bucketLow(Histogram::kBucketCount - 1));
  expectWithinPrecision(h.percentile(50), 1'000, 50);
}

TEST(HistogramTest, ResetForgetsEverything) {
  Histogram h;
  for (int i = 0; i < 1000; ++i) h.record(12'345);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(99), 0u);
  h.record(7);
  EXPECT_EQ(h.min(), 7u);
  EXPECT_EQ(h.max(), 7u);
}

}  // namespace
}  // namespace herald::loadgen
