/// @brief Drawing from a scenario Distribution.
#include "flowlab/gen/distribution.hpp"

#include <algorithm>
#include <cmath>

namespace flowlab::gen {

Distribution Distribution::uniform(double lo, double hi) {
    Distribution d;
    d.kind = Kind::uniform;
    d.a = lo;
    d.b = hi;
    return d;
}

Distribution Distribution::lognormal_median(double median, double sigma, double max) {
    Distribution d;
    d.kind = Kind::lognormal;
    d.a = std::log(median);
    d.b = sigma;
    d.max = max;
    return d;
}

Distribution Distribution::exponential(double mean) {
    Distribution d;
    d.kind = Kind::exponential;
    d.a = mean;
    return d;
}

double Distribution::sample(Rng& rng) const noexcept {
    double x = 0.0;
    switch (kind) {
        case Kind::fixed:
            x = a;
            break;
        case Kind::uniform:
            x = rng.uniform(a, b);
            break;
        case Kind::lognormal:
            x = rng.lognormal(a, b);
            break;
        case Kind::pareto:
            x = rng.pareto(a, b, max);
            break;
        case Kind::exponential:
            x = rng.exponential(a);
            break;
        case Kind::empirical: {
            const double u = rng.uniform();
            const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
            const auto i = static_cast<std::size_t>(it - cumulative.begin());
            x = values[std::min(i, values.size() - 1)];
            break;
        }
    }
    return std::clamp(x, min, max);
}

std::uint64_t Distribution::sample_count(Rng& rng, std::uint64_t lo) const noexcept {
    const double x = std::round(sample(rng));
    if (!(x >= static_cast<double>(lo))) return lo;
    if (x >= 1.8e19) return std::uint64_t{1} << 63;
    return static_cast<std::uint64_t>(x);
}

std::int64_t Distribution::sample_us(Rng& rng) const noexcept {
    const double x = std::round(sample(rng));
    if (!(x > 0.0)) return 0;
    if (x >= 9.0e18) return std::int64_t{1} << 62;
    return static_cast<std::int64_t>(x);
}

double Distribution::mean() const noexcept {
    switch (kind) {
        case Kind::fixed:
            return a;
        case Kind::uniform:
            return 0.5 * (a + b);
        case Kind::lognormal:
            return std::exp(a + 0.5 * b * b);
        case Kind::pareto: {
            if (std::isfinite(max) && max > a) {
                // Mean of the Pareto truncated at max.
                const double f = 1.0 - std::pow(a / max, b);
                if (b == 1.0) return a * std::log(max / a) / f;
                return (b * a / (b - 1.0)) * (1.0 - std::pow(a / max, b - 1.0)) / f;
            }
            return b > 1.0 ? b * a / (b - 1.0) : INFINITY;
        }
        case Kind::exponential:
            return a;
        case Kind::empirical: {
            double m = 0, prev = 0;
            for (std::size_t i = 0; i < values.size(); ++i) {
                m += values[i] * (cumulative[i] - prev);
                prev = cumulative[i];
            }
            return m;
        }
    }
    return a;
}

double Distribution::upper() const noexcept {
    double u = INFINITY;
    switch (kind) {
        case Kind::fixed:
            u = a;
            break;
        case Kind::uniform:
            u = b;
            break;
        case Kind::empirical:
            u = *std::max_element(values.begin(), values.end());
            break;
        default:
            break;
    }
    return std::clamp(u, min, max);
}

double Distribution::lower() const noexcept {
    double l = 0.0;
    switch (kind) {
        case Kind::fixed:
        case Kind::uniform:
        case Kind::pareto:
            l = a;
            break;
        case Kind::empirical:
            l = *std::min_element(values.begin(), values.end());
            break;
        default:
            break;
    }
    return std::clamp(l, min, max);
}

}  // namespace flowlab::gen
