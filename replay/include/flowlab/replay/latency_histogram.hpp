/// @brief Fixed-size log-linear histogram of send lateness (actual minus scheduled time).
///
/// The send loop records into it for every packet, so it never allocates and costs a few
/// instructions per value: 32 linear sub-buckets per power of two give quantiles within about
/// 3% of the true value (the maximum is exact), which is all a p50/p99 report needs.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace flowlab::replay {

class LatencyHistogram {
public:
    static constexpr unsigned kSubBits = 5;                   ///< 32 sub-buckets per octave
    static constexpr std::uint64_t kLinear = 2u << kSubBits;  ///< values below are exact
    static constexpr std::size_t kBuckets = kLinear + (64 - kSubBits - 1) * (1u << kSubBits);

    /// Records one value in nanoseconds; negative values (never expected) count as 0.
    void record(std::int64_t ns) noexcept {
        const std::uint64_t v = ns > 0 ? static_cast<std::uint64_t>(ns) : 0;
        ++counts_[index(v)];
        ++count_;
        if (v > max_) max_ = v;
        sum_ += v;
    }
    void merge(const LatencyHistogram& o) noexcept;
    void clear() noexcept { *this = LatencyHistogram{}; }

    std::uint64_t count() const noexcept { return count_; }
    std::uint64_t max() const noexcept { return max_; }
    double mean() const noexcept {
        return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0;
    }
    /// Value at quantile q in [0, 1] (the midpoint of its bucket, never above max()); 0 if empty.
    std::uint64_t quantile(double q) const noexcept;

    static constexpr std::size_t index(std::uint64_t v) noexcept {
        if (v < kLinear) return static_cast<std::size_t>(v);
        const unsigned e = 63u - static_cast<unsigned>(std::countl_zero(v));  // >= kSubBits + 1
        const std::uint64_t sub = (v >> (e - kSubBits)) & ((1u << kSubBits) - 1);
        return static_cast<std::size_t>(kLinear + (e - kSubBits - 1) * (1u << kSubBits) + sub);
    }
    /// Smallest value that falls into bucket i.
    static constexpr std::uint64_t lower_bound(std::size_t i) noexcept {
        if (i < kLinear) return i;
        const std::size_t k = i - kLinear;
        const unsigned e = static_cast<unsigned>(k >> kSubBits) + kSubBits + 1;
        const std::uint64_t sub = k & ((1u << kSubBits) - 1);
        return (std::uint64_t{1} << e) | (sub << (e - kSubBits));
    }

private:
    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t sum_ = 0;
};

}  // namespace flowlab::replay
