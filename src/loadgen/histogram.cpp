#include "loadgen/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace herald::loadgen {

Histogram::Histogram() : counts_(kBucketCount, 0) {}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  overflow_ += other.overflow_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = overflow_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

std::uint64_t Histogram::bucketLow(std::size_t index) {
  if (index < 2 * kSubBuckets) return index;
  std::uint64_t shift = index / kSubBuckets - 1;
  std::uint64_t mantissa = index - shift * kSubBuckets;  // in [128, 256)
  return mantissa << shift;
}

std::uint64_t Histogram::bucketHigh(std::size_t index) {
  if (index < 2 * kSubBuckets) return index;
  std::uint64_t shift = index / kSubBuckets - 1;
  std::uint64_t mantissa = index - shift * kSubBuckets;
  return ((mantissa + 1) << shift) - 1;
}

std::uint64_t Histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  if (p >= 100.0) return max();
  double exactRank = std::ceil(std::max(p, 0.0) / 100.0 * static_cast<double>(count_));
  std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(exactRank));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      std::uint64_t low = bucketLow(i), high = bucketHigh(i);
      std::uint64_t mid = low + (high - low) / 2;
      return std::clamp(mid, min(), max());
    }
  }
  return max();
}

}  // namespace herald::loadgen
