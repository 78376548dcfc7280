/// @brief Variate algorithms of Rng and the alias/Zipf tables (see random.hpp for why they are
/// hand-written).
#include "flowlab/gen/random.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace flowlab::gen {

std::uint64_t Rng::below(std::uint64_t n) noexcept {
    // Lemire (2019), "Fast random integer generation in an interval".
    __extension__ typedef unsigned __int128 U128;
    U128 m = static_cast<U128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = static_cast<U128>(next()) * n;
            low = static_cast<std::uint64_t>(m);
        }
    }
    return static_cast<std::uint64_t>(m >> 64);
}

double Rng::normal() noexcept {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    double u = 0, v = 0, s = 0;
    do {
        u = 2.0 * uniform() - 1.0;
        v = 2.0 * uniform() - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
}

double Rng::pareto(double scale, double shape, double cap) noexcept {
    // F(x) = 1 - (scale/x)^shape; truncated at cap: draw u in [0, F(cap)).
    double fmax = 1.0;
    if (cap > scale && std::isfinite(cap)) fmax = 1.0 - std::pow(scale / cap, shape);
    const double u = uniform() * fmax;
    const double x = scale / std::pow(1.0 - u, 1.0 / shape);
    return std::isfinite(cap) ? std::min(x, cap) : x;
}

double Rng::gamma(double shape, double scale) noexcept {
    if (shape < 1.0) {
        // Gamma(a) = Gamma(a + 1) · U^(1/a).
        const double g = gamma(shape + 1.0, 1.0);
        return scale * g * std::pow(uniform_pos(), 1.0 / shape);
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    while (true) {
        double x = 0, v = 0;
        do {
            x = normal();
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = uniform_pos();
        if (u < 1.0 - 0.0331 * (x * x) * (x * x)) return scale * d * v;
        if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return scale * d * v;
    }
}

std::uint64_t Rng::poisson(double mean) noexcept {
    if (!(mean > 0.0)) return 0;
    if (mean < 10.0) {
        // Inversion by sequential search from 0.
        double p = std::exp(-mean);
        double f = p;
        const double u = uniform();
        std::uint64_t k = 0;
        while (u > f && k < 1000) {
            ++k;
            p *= mean / static_cast<double>(k);
            f += p;
        }
        return k;
    }
    // PTRS: Hörmann (1993), "The transformed rejection method for generating Poisson random variables".
    const double smu = std::sqrt(mean);
    const double b = 0.931 + 2.53 * smu;
    const double a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    const double vr = 0.9277 - 3.6224 / (b - 2.0);
    const double log_mean = std::log(mean);
    while (true) {
        const double u = uniform() - 0.5;
        const double v = uniform_pos();
        const double us = 0.5 - std::fabs(u);
        const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
        if (us >= 0.07 && v <= vr) return static_cast<std::uint64_t>(k);
        if (k < 0.0 || (us < 0.013 && v > us)) continue;
        if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
            -mean + k * log_mean - std::lgamma(k + 1.0))
            return static_cast<std::uint64_t>(k);
    }
}

namespace {

/// Stirling series correction log(k!) - [(k+0.5)log(k+1) - (k+1) + log(sqrt(2π))], as in BTRD.
double stirling_correction(double k) noexcept {
    static constexpr std::array<double, 10> kTable{
        0.08106146679532726, 0.04134069595540929, 0.02767792568499834,  0.02079067210376509,
        0.01664469118982119, 0.01387612882307075, 0.01189670994589177,  0.01041126526197209,
        0.009255462182712733, 0.008330563433362871};
    if (k < 10.0) return kTable[static_cast<std::size_t>(k)];
    const double kp1 = k + 1.0;
    const double r = 1.0 / (kp1 * kp1);
    return (1.0 / 12.0 - (1.0 / 360.0 - r / 1260.0) * r) / kp1;
}

}  // namespace

std::uint64_t Rng::binomial(std::uint64_t n, double p) noexcept {
    if (n == 0 || !(p > 0.0)) return 0;
    if (p >= 1.0) return n;
    const bool flip = p > 0.5;
    const double pp = flip ? 1.0 - p : p;
    const double nd = static_cast<double>(n);
    std::uint64_t result = 0;
    if (nd * pp < 10.0) {
        // Inversion: P(0) = q^n, P(k) = P(k-1) · (n-k+1)/k · p/q.
        const double q = 1.0 - pp;
        const double s = pp / q;
        const double a = (nd + 1.0) * s;
        double r = std::pow(q, nd);
        double u = uniform();
        std::uint64_t k = 0;
        while (u > r && k < n) {
            u -= r;
            ++k;
            r *= a / static_cast<double>(k) - s;
            if (r <= 0.0) break;
        }
        result = k;
    } else {
        // BTRD: Hörmann (1993), "The generation of binomial random variates".
        const double q = 1.0 - pp;
        const double spq = std::sqrt(nd * pp * q);
        const double b = 1.15 + 2.53 * spq;
        const double a = -0.0873 + 0.0248 * b + 0.01 * pp;
        const double c = nd * pp + 0.5;
        const double alpha = (2.83 + 5.1 / b) * spq;
        const double vr = 0.92 - 4.2 / b;
        const double urvr = 0.86 * vr;
        const double m = std::floor((nd + 1.0) * pp);
        const double r = pp / q;
        const double nr = (nd + 1.0) * r;
        const double npq = nd * pp * q;
        while (true) {
            double v = uniform();
            double u = 0;
            if (v <= urvr) {
                u = v / vr - 0.43;
                result = static_cast<std::uint64_t>(std::floor((2.0 * a / (0.5 - std::fabs(u)) + b) * u + c));
                break;
            }
            if (v >= vr) {
                u = uniform() - 0.5;
            } else {
                u = v / vr - 0.93;
                u = (u < 0 ? -0.5 : 0.5) - u;
                v = uniform() * vr;
            }
            const double us = 0.5 - std::fabs(u);
            const double k = std::floor((2.0 * a / us + b) * u + c);
            if (k < 0.0 || k > nd) continue;
            v = v * alpha / (a / (us * us) + b);
            const double km = std::fabs(k - m);
            if (km <= 15.0) {
                // Recursive evaluation of f(k)/f(m).
                double f = 1.0;
                if (m < k) {
                    for (double i = m + 1.0; i <= k; i += 1.0) f *= nr / i - r;
                } else if (m > k) {
                    for (double i = k + 1.0; i <= m; i += 1.0) v *= nr / i - r;
                }
                if (v <= f) {
                    result = static_cast<std::uint64_t>(k);
                    break;
                }
                continue;
            }
            // Squeeze with the normal approximation, then the exact log test.
            v = std::log(v);
            const double rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5);
            const double t = -km * km / (2.0 * npq);
            if (v < t - rho) {
                result = static_cast<std::uint64_t>(k);
                break;
            }
            if (v > t + rho) continue;
            const double nm = nd - m + 1.0;
            const double h = (m + 0.5) * std::log((m + 1.0) / (r * nm)) + stirling_correction(m) +
                             stirling_correction(nd - m);
            const double nk = nd - k + 1.0;
            if (v <= h + (nd + 1.0) * std::log(nm / nk) + (k + 0.5) * std::log(nk * r / (k + 1.0)) -
                         stirling_correction(k) - stirling_correction(nd - k)) {
                result = static_cast<std::uint64_t>(k);
                break;
            }
        }
    }
    if (result > n) result = n;
    return flip ? n - result : result;
}

AliasTable::AliasTable(const std::vector<double>& weights) {
    const std::size_t n = weights.size();
    if (n == 0) throw std::invalid_argument("AliasTable: no weights");
    double sum = 0;
    for (double w : weights) {
        if (!(w >= 0.0)) throw std::invalid_argument("AliasTable: negative weight");
        sum += w;
    }
    if (!(sum > 0.0)) throw std::invalid_argument("AliasTable: weights sum to zero");
    prob_.assign(n, 0.0);
    alias_.assign(n, 0);
    p_.resize(n);
    std::vector<double> scaled(n);
    std::vector<std::uint32_t> small, large;
    small.reserve(n);
    large.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        p_[i] = weights[i] / sum;
        scaled[i] = p_[i] * static_cast<double>(n);
        (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
        const std::uint32_t s = small.back();
        small.pop_back();
        const std::uint32_t l = large.back();
        prob_[s] = scaled[s];
        alias_[s] = l;
        scaled[l] = (scaled[l] + scaled[s]) - 1.0;
        if (scaled[l] < 1.0) {
            large.pop_back();
            small.push_back(l);
        }
    }
    for (std::uint32_t i : large) prob_[i] = 1.0;
    for (std::uint32_t i : small) prob_[i] = 1.0;  // rounding leftovers
}

std::size_t AliasTable::sample(Rng& rng) const noexcept {
    const std::uint64_t r = rng.next();
    // High bits pick the column, the low 53 bits decide between it and its alias.
    const auto column = static_cast<std::size_t>((static_cast<double>(r >> 11) * 0x1.0p-53) *
                                                  static_cast<double>(prob_.size()));
    const std::size_t i = column < prob_.size() ? column : prob_.size() - 1;
    const double u = static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
    return u < prob_[i] ? i : alias_[i];
}

Zipf::Zipf(std::size_t n, double exponent, std::size_t table_limit)
    : n_(n), s_(exponent), uniform_(exponent == 0.0 || n <= 1) {
    if (n == 0) throw std::invalid_argument("Zipf: no ranks");
    if (uniform_) return;
    if (n <= table_limit) {
        std::vector<double> w(n);
        for (std::size_t k = 0; k < n; ++k) w[k] = std::pow(static_cast<double>(k + 1), -exponent);
        table_ = AliasTable(w);
        return;
    }
    // Rejection-inversion: Hörmann & Derflinger (1996), "Rejection-inversion to generate
    // variates from monotone discrete distributions", on ranks 1..n.
    h_x1_ = big_h(1.5) - 1.0;
    h_n_ = big_h(static_cast<double>(n) + 0.5);
    squeeze_ = 2.0 - big_h_inverse(big_h(2.5) - h(2.0));
}

namespace {
/// log1p(x)/x and expm1(x)/x, continuous at 0.
double log1p_over(double x) noexcept { return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x / 3.0); }
double expm1_over(double x) noexcept { return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x * (0.5 + x / 6.0); }
}  // namespace

double Zipf::h(double x) const noexcept { return std::exp(-s_ * std::log(x)); }

double Zipf::big_h(double x) const noexcept {
    const double lx = std::log(x);
    return expm1_over((1.0 - s_) * lx) * lx;
}

double Zipf::big_h_inverse(double x) const noexcept {
    double t = x * (1.0 - s_);
    if (t < -1.0) t = -1.0;  // rounding guard
    return std::exp(log1p_over(t) * x);
}

std::size_t Zipf::sample_rejection(Rng& rng) const noexcept {
    while (true) {
        const double u = h_n_ + rng.uniform() * (h_x1_ - h_n_);
        const double x = big_h_inverse(u);
        double k = std::floor(x + 0.5);
        if (k < 1.0) k = 1.0;
        if (k > static_cast<double>(n_)) k = static_cast<double>(n_);
        if (k - x <= squeeze_ || u >= big_h(k + 0.5) - h(k)) return static_cast<std::size_t>(k) - 1;
    }
}

double Zipf::probability(std::size_t k) const noexcept {
    if (uniform_) return 1.0 / static_cast<double>(n_);
    if (table_.size() > 0) return table_.probability(k);
    // Harmonic number H(n, s), summed once (tests and reports only).
    static thread_local std::pair<std::pair<std::size_t, double>, double> cache{{0, 0.0}, 0.0};
    if (cache.first.first != n_ || cache.first.second != s_) {
        double sum = 0;
        for (std::size_t i = n_; i >= 1; --i) sum += std::pow(static_cast<double>(i), -s_);
        cache = {{n_, s_}, sum};
    }
    return std::pow(static_cast<double>(k + 1), -s_) / cache.second;
}

}  // namespace flowlab::gen
