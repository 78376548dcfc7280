/// @brief A scenario's random quantity (sizes, durations, counts): the parsed form of
/// {"dist": "lognormal", ...} and friends, and how to draw from it.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "flowlab/gen/random.hpp"

namespace flowlab::gen {

/// Values are in the quantity's base unit: bytes, microseconds, or a plain count.
struct Distribution {
    enum class Kind : std::uint8_t { fixed, uniform, lognormal, pareto, exponential, empirical };
    Kind kind = Kind::fixed;
    double a = 0.0;  ///< fixed: value; uniform: min; lognormal: mu; pareto: scale; exponential: mean
    double b = 0.0;  ///< uniform: max; lognormal: sigma; pareto: shape
    double min = -std::numeric_limits<double>::infinity();  ///< values below are raised to min
    double max = std::numeric_limits<double>::infinity();   ///< values above are lowered to max (Pareto: truncated)
    std::vector<double> values;      ///< empirical
    std::vector<double> cumulative;  ///< empirical: cumulative weights, last == 1

    static Distribution constant(double v) {
        Distribution d;
        d.a = v;
        return d;
    }
    static Distribution uniform(double lo, double hi);
    /// Lognormal by its median (e^mu) and sigma, lowered to `max`.
    static Distribution lognormal_median(double median, double sigma,
                                         double max = std::numeric_limits<double>::infinity());
    static Distribution exponential(double mean);
    double sample(Rng& rng) const noexcept;
    /// Rounded to an integer >= lo.
    std::uint64_t sample_count(Rng& rng, std::uint64_t lo = 0) const noexcept;
    /// Rounded to whole microseconds (for duration quantities), >= 0.
    std::int64_t sample_us(Rng& rng) const noexcept;
    /// The mean before clamping (Pareto: of the truncated law); infinite for Pareto shape <= 1
    /// without a cap.
    double mean() const noexcept;
    /// Largest value a draw can take (infinity when unbounded).
    double upper() const noexcept;
    /// Smallest value a draw can take.
    double lower() const noexcept;
};

}  // namespace flowlab::gen
