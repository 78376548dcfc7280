/// @brief Totals: bytes, packets and flows per key, truth against collected, within a tolerance.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "flowlab/verify/verify.hpp"

namespace flowlab::verify::detail {

class Totals {
public:
    /// `scale_truth`: the collector multiplies counters by the sampling interval for these
    /// versions (bit 1 << version), so the truth side is scaled the same way.
    Totals(std::vector<TotalsKey> by, std::int64_t bin_ms, std::vector<Metric> metrics, double tolerance,
           std::uint32_t scale_truth, std::size_t examples);
    void add_truth(const core::FlowRecord& r);
    void add_collected(const core::FlowRecord& r);
    TotalsResult finish(TotalsTruth against);

private:
    using Sums = std::array<std::uint64_t, kMetricCount>;
    void add(std::unordered_map<std::string, Sums>& map, const core::FlowRecord& r, std::uint64_t scale, bool truth);
    void keys_of(const core::FlowRecord& r, std::vector<std::string>& out, bool truth);

    std::vector<TotalsKey> by_;
    std::int64_t bin_ms_;
    std::vector<Metric> metrics_;
    double tolerance_;
    std::uint32_t scale_truth_;
    std::size_t examples_;
    std::unordered_map<std::string, Sums> truth_, collected_;
    std::uint64_t truth_rows_ = 0, collected_rows_ = 0;
    std::array<std::uint64_t, 16> truth_missing_{}, collected_missing_{};  ///< rows lacking a key dimension
    std::vector<std::string> keys_;
    std::vector<core::IpAddress> collected_exporters_;  ///< distinct, up to a few
};

}  // namespace flowlab::verify::detail
