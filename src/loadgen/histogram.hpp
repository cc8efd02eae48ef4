#pragma once
// A log-bucketed latency histogram, laid out like HdrHistogram.
//
// Values are nanoseconds. Below 256 every value has its own bucket; above,
// each power of two [2^e, 2^(e+1)) is cut into 128 linear sub-buckets, so a
// bucket is never wider than 1/128 (0.78%) of its lower bound. A percentile
// is reported as the middle of its bucket, within 0.4% of the exact value.
// The range is 0 to 2^36 ns (68.7 s): larger values land in the top bucket,
// and max() stays exact.
//
// record() is an index computation and an increment: no allocation, no lock.
// Each loop thread records into its own histogram; merge() adds them up.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace herald::loadgen {

class Histogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;                      // 128 sub-buckets per octave
  static constexpr std::uint64_t kSubBuckets = 1u << kSubBucketBits;  // 128
  static constexpr unsigned kMaxBits = 36;                            // values up to 2^36 - 1 ns
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << kMaxBits) - 1;
  // 256 exact buckets, then 128 per octave for shifts 1 .. kMaxBits - 8:
  // the top value, 2^36 - 1, has shift 28 and index 28 * 128 + 255.
  static constexpr std::size_t kBucketCount = (kMaxBits - kSubBucketBits + 1) * kSubBuckets;

  Histogram();

  void record(std::uint64_t valueNs) {
    if (valueNs > kMaxValue) {
      ++overflow_;
      if (valueNs > max_) max_ = valueNs;
      valueNs = kMaxValue;
    }
    ++counts_[bucketIndex(valueNs)];
    ++count_;
    sum_ += static_cast<double>(valueNs);
    if (valueNs < min_) min_ = valueNs;
    if (valueNs > max_) max_ = valueNs;
  }
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }  // exact
  std::uint64_t max() const { return max_; }              // exact
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  std::uint64_t overflowCount() const { return overflow_; }  // values above kMaxValue
  // Nearest rank: the value at rank ceil(p/100 * count), reported as the
  // middle of its bucket (clamped to [min, max]); p >= 100 gives max().
  // Zero when empty.
  std::uint64_t percentile(double p) const;

  // The layout, exposed for tests: the bucket a value falls in and the
  // inclusive value range of a bucket.
  static std::size_t bucketIndex(std::uint64_t value) {
    unsigned width = bitWidth(value);
    if (width <= kSubBucketBits + 1) return static_cast<std::size_t>(value);
    unsigned shift = width - (kSubBucketBits + 1);
    return static_cast<std::size_t>(shift * kSubBuckets + (value >> shift));
  }
  static std::uint64_t bucketLow(std::size_t index);
  static std::uint64_t bucketHigh(std::size_t index);

 private:
  static unsigned bitWidth(std::uint64_t v) { return v ? 64u - static_cast<unsigned>(__builtin_clzll(v)) : 0u; }

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t overflow_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace herald::loadgen
