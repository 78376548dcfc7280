/// @brief Quantile queries and merging for the lateness histogram.
#include "flowlab/replay/latency_histogram.hpp"

#include <algorithm>

namespace flowlab::replay {

void LatencyHistogram::merge(const LatencyHistogram& o) noexcept {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    max_ = std::max(max_, o.max_);
}

std::uint64_t LatencyHistogram::quantile(double q) const noexcept {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    // Rank of the value at q (1-based): the smallest rank r with r >= q * count.
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_));
    if (static_cast<double>(rank) < q * static_cast<double>(count_)) ++rank;
    rank = std::max<std::uint64_t>(rank, 1);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            const std::uint64_t lo = lower_bound(i);
            const std::uint64_t hi = i + 1 < kBuckets ? lower_bound(i + 1) : max_ + 1;
            return std::min(lo + (hi - lo - 1) / 2, max_);
        }
    }
    return max_;
}

}  // namespace flowlab::replay
