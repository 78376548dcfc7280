/// @brief Small statistics for the model tests: chi-square critical values and goodness of fit.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace flowlab::gen::test {

/// Upper critical value of chi-square with `df` degrees of freedom at the standard normal
/// quantile z (3.09 ≈ p = 0.001), by the Wilson–Hilferty approximation.
inline double chi2_critical(double df, double z = 3.09) {
    const double a = 2.0 / (9.0 * df);
    return df * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

/// Pearson's statistic of observed counts against expected counts; bins with expected < 5 are
/// pooled with their neighbours so the approximation holds. Returns the statistic and sets df.
inline double chi2(const std::vector<double>& observed, const std::vector<double>& expected, int& df) {
    double stat = 0, o = 0, e = 0;
    int bins = 0;
    for (std::size_t i = 0; i < observed.size(); ++i) {
        o += observed[i];
        e += expected[i];
        if (e >= 5.0 || i + 1 == observed.size()) {
            if (e > 0) {
                stat += (o - e) * (o - e) / e;
                ++bins;
            }
            o = e = 0;
        }
    }
    df = bins - 1;
    return stat;
}

struct Moments {
    double n = 0, mean = 0, m2 = 0;
    void add(double x) {
        n += 1;
        const double d = x - mean;
        mean += d / n;
        m2 += d * (x - mean);
    }
    double variance() const { return n > 1 ? m2 / (n - 1) : 0; }
};

}  // namespace flowlab::gen::test
