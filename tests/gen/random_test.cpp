/// @brief The generator and every variate algorithm: reference outputs, moments, and
/// chi-square goodness of fit against the exact laws (fixed seeds, printed on failure).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "flowlab/gen/distribution.hpp"
#include "flowlab/gen/random.hpp"
#include "stats.hpp"

namespace flowlab::gen {
namespace {

using test::chi2;
using test::chi2_critical;
using test::Moments;

TEST(Rng, ReferenceOutputs) {
    // splitmix64's first output from state 0, and xoshiro256** outputs after splitmix64 seeding,
    // as computed by an independent implementation of the published algorithms.
    EXPECT_EQ(mix64(0x9E3779B97F4A7C15ULL), 0xE220A8397B1DCDAFULL);
    Rng a(0);
    EXPECT_EQ(a.next(), 0x99ec5f36cb75f2b4ULL);
    EXPECT_EQ(a.next(), 0xbf6e1f784956452aULL);
    EXPECT_EQ(a.next(), 0x1a5f849d4933e6e0ULL);
    EXPECT_EQ(a.next(), 0x6aa594f1262d2d2cULL);
    Rng b(42);
    EXPECT_EQ(b.next(), 0x15780b2e0c2ec716ULL);
    EXPECT_EQ(b.next(), 0x6104d9866d113a7eULL);
}

TEST(Rng, StreamsAreDistinct) {
    std::set<std::uint64_t> firsts;
    for (std::uint64_t seed : {1ull, 2ull})
        for (std::uint64_t a = 0; a < 50; ++a)
            for (std::uint64_t b = 0; b < 20; ++b) firsts.insert(Rng(stream_key(seed, {a, b})).next());
    EXPECT_EQ(firsts.size(), 2000u);
    EXPECT_NE(stream_key(1, {1, 2}), stream_key(1, {2, 1}));
    EXPECT_NE(fnv1a64("backup"), fnv1a64("backups"));
    EXPECT_EQ(fnv1a64(""), 0xCBF29CE484222325ULL);
    EXPECT_EQ(fnv1a64("a"), 0xAF63DC4C8601EC8CULL);
}

TEST(Rng, UniformAndBelow) {
    const std::uint64_t seed = 101;
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    std::vector<double> obs(100, 0), exp(100, 0);
    const int n = 1'000'000;
    for (int i = 0; i < n; ++i) {
        const double u = rng.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        obs[static_cast<std::size_t>(u * 100)] += 1;
    }
    for (auto& e : exp) e = n / 100.0;
    int df = 0;
    {
        const double stat = chi2(obs, exp, df);
        EXPECT_LT(stat, chi2_critical(df));
    }
    for (std::uint64_t m : {1ull, 3ull, 7ull, 1000ull}) {
        std::vector<double> o(std::min<std::uint64_t>(m, 50), 0), e(o.size(), 0);
        for (int i = 0; i < 200000; ++i) {
            const std::uint64_t v = rng.below(m);
            ASSERT_LT(v, m);
            o[v * o.size() / m] += 1;
        }
        for (auto& x : e) x = 200000.0 / static_cast<double>(o.size());
        if (o.size() > 1) {
            {
                const double stat = chi2(o, e, df);
                EXPECT_LT(stat, chi2_critical(df)) << m;
            }
        }
    }
    // A bound just above 2^63: values stay below it and the top half is hit about half the time.
    const std::uint64_t big = (1ull << 63) + 5;
    int top = 0;
    for (int i = 0; i < 100000; ++i) {
        const std::uint64_t v = rng.below(big);
        ASSERT_LT(v, big);
        top += v >= big / 2 ? 1 : 0;
    }
    EXPECT_NEAR(top, 50000, 5 * 158);
}

/// Chi-square of a continuous sampler against its CDF on `bins` equiprobable-ish bins in [lo, hi].
template <class Sample, class Cdf>
void expect_fits(Sample sample, Cdf cdf, double lo, double hi, int n, const char* what) {
    const int bins = 60;
    std::vector<double> obs(bins + 2, 0), exp(bins + 2, 0);
    const double w = (hi - lo) / bins;
    for (int i = 0; i < n; ++i) {
        const double x = sample();
        std::size_t k = x < lo ? 0 : x >= hi ? bins + 1 : static_cast<std::size_t>((x - lo) / w) + 1;
        if (k > bins + 1) k = bins + 1;
        obs[k] += 1;
    }
    exp[0] = cdf(lo) * n;
    for (int b = 0; b < bins; ++b) exp[static_cast<std::size_t>(b) + 1] = (cdf(lo + (b + 1) * w) - cdf(lo + b * w)) * n;
    exp[bins + 1] = (1.0 - cdf(hi)) * n;
    int df = 0;
    const double stat = chi2(obs, exp, df);
    EXPECT_LT(stat, chi2_critical(df)) << what << ": chi2 " << stat << " df " << df;
}

TEST(Variates, ContinuousLawsFit) {
    const std::uint64_t seed = 202;
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    const int n = 400000;
    expect_fits([&] { return rng.normal(); }, [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }, -4, 4, n, "normal");
    expect_fits([&] { return rng.exponential(2.0); }, [](double x) { return x <= 0 ? 0 : 1 - std::exp(-x / 2.0); }, 0, 12, n,
                "exponential");
    expect_fits([&] { return rng.lognormal(1.0, 0.5); },
                [](double x) { return x <= 0 ? 0 : 0.5 * std::erfc(-(std::log(x) - 1.0) / (0.5 * std::sqrt(2.0))); }, 0, 12, n,
                "lognormal");
    expect_fits([&] { return rng.pareto(1.0, 1.5); }, [](double x) { return x < 1 ? 0 : 1 - std::pow(1.0 / x, 1.5); }, 1, 20, n,
                "pareto");
    expect_fits([&] { return rng.pareto(1.0, 1.2, 10.0); },
                [](double x) { return x < 1 ? 0 : x >= 10 ? 1 : (1 - std::pow(1.0 / x, 1.2)) / (1 - std::pow(0.1, 1.2)); }, 1, 10,
                n, "truncated pareto");
    // Gamma(2) has CDF 1 - e^-x (1 + x); Gamma(1/2)·2 is chi-square(1) = normal squared.
    expect_fits([&] { return rng.gamma(2.0, 1.0); }, [](double x) { return x <= 0 ? 0 : 1 - std::exp(-x) * (1 + x); }, 0, 10, n,
                "gamma(2)");
    expect_fits([&] { return rng.gamma(0.5, 2.0); }, [](double x) { return x <= 0 ? 0 : std::erf(std::sqrt(x / 2.0)); }, 0, 8, n,
                "gamma(0.5)");
}

TEST(Variates, GammaMoments) {
    Rng rng(303);
    for (double shape : {0.3, 1.0, 4.0, 25.0, 400.0}) {
        Moments m;
        for (int i = 0; i < 200000; ++i) m.add(rng.gamma(shape, 0.5));
        EXPECT_NEAR(m.mean, shape * 0.5, 0.02 * shape * 0.5 + 0.005) << shape;
        EXPECT_NEAR(m.variance(), shape * 0.25, 0.05 * shape * 0.25 + 0.005) << shape;
    }
}

double log_pmf_poisson(double mean, std::uint64_t k) {
    return -mean + static_cast<double>(k) * std::log(mean) - std::lgamma(static_cast<double>(k) + 1);
}
double log_pmf_binomial(std::uint64_t n, double p, std::uint64_t k) {
    const double nd = static_cast<double>(n), kd = static_cast<double>(k);
    return std::lgamma(nd + 1) - std::lgamma(kd + 1) - std::lgamma(nd - kd + 1) + kd * std::log(p) +
           (nd - kd) * std::log1p(-p);
}

template <class Sample, class LogPmf>
void expect_discrete_fits(Sample sample, LogPmf log_pmf, std::uint64_t lo, std::uint64_t hi, int n, const std::string& what) {
    std::vector<double> obs(hi - lo + 3, 0), exp(hi - lo + 3, 0);
    Moments m;
    for (int i = 0; i < n; ++i) {
        const std::uint64_t k = sample();
        m.add(static_cast<double>(k));
        obs[k < lo ? 0 : k > hi ? hi - lo + 2 : k - lo + 1] += 1;
    }
    double inside = 0;
    for (std::uint64_t k = lo; k <= hi; ++k) {
        exp[k - lo + 1] = std::exp(log_pmf(k)) * n;
        inside += exp[k - lo + 1];
    }
    double below = 0;
    for (std::uint64_t k = 0; k < lo; ++k) below += std::exp(log_pmf(k)) * n;
    exp[0] = below;
    exp[hi - lo + 2] = std::max(0.0, n - inside - below);
    int df = 0;
    const double stat = chi2(obs, exp, df);
    EXPECT_LT(stat, chi2_critical(df)) << what << ": chi2 " << stat << " df " << df << " mean " << m.mean;
}

TEST(Variates, PoissonFitsBothAlgorithms) {
    const std::uint64_t seed = 404;
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    for (double mean : {0.5, 3.0, 9.9, 10.0, 55.0, 1000.0}) {
        const auto lo = static_cast<std::uint64_t>(std::max(0.0, mean - 5 * std::sqrt(mean)));
        const auto hi = static_cast<std::uint64_t>(mean + 5 * std::sqrt(mean) + 5);
        expect_discrete_fits([&] { return rng.poisson(mean); }, [&](std::uint64_t k) { return log_pmf_poisson(mean, k); }, lo, hi,
                             200000, "poisson " + std::to_string(mean));
    }
    EXPECT_EQ(rng.poisson(0.0), 0u);
}

TEST(Variates, BinomialFitsBothAlgorithms) {
    const std::uint64_t seed = 505;
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    const std::vector<std::pair<std::uint64_t, double>> cases{
        {20, 0.3}, {1000, 0.003}, {40, 0.3}, {1000, 0.5}, {100, 0.9}, {1'000'000, 0.001}, {120'000'000, 0.01}};
    for (const auto& c : cases) {
        const std::uint64_t n = c.first;
        const double p = c.second;
        const double mean = static_cast<double>(n) * p;
        const double sd = std::sqrt(mean * (1 - p));
        const auto lo = static_cast<std::uint64_t>(std::max(0.0, mean - 5 * sd));
        const auto hi = std::min<std::uint64_t>(n, static_cast<std::uint64_t>(mean + 5 * sd + 3));
        if (hi - lo > 5000) {
            Moments m;
            for (int i = 0; i < 100000; ++i) m.add(static_cast<double>(rng.binomial(n, p)));
            EXPECT_NEAR(m.mean, mean, 4 * sd / std::sqrt(1e5)) << n << " " << p;
            EXPECT_NEAR(m.variance(), sd * sd, 0.03 * sd * sd) << n << " " << p;
            continue;
        }
        expect_discrete_fits([&] { return rng.binomial(n, p); }, [&](std::uint64_t k) { return log_pmf_binomial(n, p, k); }, lo,
                             hi, 200000, "binomial " + std::to_string(n) + " " + std::to_string(p));
    }
    EXPECT_EQ(rng.binomial(0, 0.5), 0u);
    EXPECT_EQ(rng.binomial(10, 0.0), 0u);
    EXPECT_EQ(rng.binomial(10, 1.0), 10u);
}

TEST(Variates, AliasAndZipfMatchTheirProbabilities) {
    const std::uint64_t seed = 606;
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    const std::vector<double> w{5, 0, 1, 3, 0.5, 10};
    const AliasTable t(w);
    std::vector<double> obs(w.size(), 0), exp(w.size(), 0);
    const int n = 300000;
    for (int i = 0; i < n; ++i) obs[t.sample(rng)] += 1;
    EXPECT_EQ(obs[1], 0);
    for (std::size_t i = 0; i < w.size(); ++i) exp[i] = t.probability(i) * n;
    int df = 0;
    {
        const double stat = chi2(obs, exp, df);
        EXPECT_LT(stat, chi2_critical(df));
    }

    const Zipf z(200, 1.1);
    double sum = 0;
    for (std::size_t k = 0; k < 200; ++k) sum += std::pow(static_cast<double>(k) + 1.0, -1.1);
    EXPECT_NEAR(z.probability(0), 1.0 / sum, 1e-12);
    EXPECT_NEAR(z.probability(9), std::pow(10.0, -1.1) / sum, 1e-12);
    std::vector<double> zo(200, 0), ze(200, 0);
    for (int i = 0; i < n; ++i) zo[z.sample(rng)] += 1;
    for (std::size_t k = 0; k < 200; ++k) ze[k] = z.probability(k) * n;
    {
        const double stat = chi2(zo, ze, df);
        EXPECT_LT(stat, chi2_critical(df));
    }
    EXPECT_EQ(Zipf(5, 0.0).probability(3), 0.2);

    // Rejection-inversion (used above a million ranks), forced on a smaller table.
    for (double exponent : {0.5, 1.0, 1.1, 2.5}) {
        const Zipf ri(3000, exponent, 100);
        std::vector<double> o(3000, 0), e(3000, 0);
        for (int i = 0; i < n; ++i) {
            const std::size_t k = ri.sample(rng);
            ASSERT_LT(k, 3000u);
            o[k] += 1;
        }
        for (std::size_t k = 0; k < 3000; ++k) e[k] = ri.probability(k) * n;
        const double stat = chi2(o, e, df);
        EXPECT_LT(stat, chi2_critical(df)) << "exponent " << exponent;
        EXPECT_NEAR(ri.probability(0), Zipf(3000, exponent).probability(0), 1e-12);
    }
    EXPECT_THROW(AliasTable({0.0, 0.0}), std::invalid_argument);
}

TEST(Distribution, SamplesMatchTheirMeans) {
    Rng rng(707);
    auto make = [](Distribution::Kind k, double a, double b) {
        Distribution d;
        d.kind = k;
        d.a = a;
        d.b = b;
        return d;
    };
    std::vector<Distribution> ds{Distribution::constant(42), make(Distribution::Kind::uniform, 10, 20),
                                 make(Distribution::Kind::lognormal, std::log(400.0), 0.6),
                                 make(Distribution::Kind::exponential, 30e6, 0), make(Distribution::Kind::pareto, 2000, 2.5)};
    Distribution capped = make(Distribution::Kind::pareto, 2000, 1.2);
    capped.max = 50e6;
    ds.push_back(capped);
    Distribution emp;
    emp.kind = Distribution::Kind::empirical;
    emp.values = {1, 2, 5, 20};
    emp.cumulative = {0.7, 0.85, 0.95, 1.0};
    ds.push_back(emp);
    for (const auto& d : ds) {
        Moments m;
        for (int i = 0; i < 400000; ++i) {
            const double x = d.sample(rng);
            ASSERT_GE(x, d.lower());
            ASSERT_LE(x, d.upper());
            m.add(x);
        }
        // Heavy tails converge slowly: 3% for the capped Pareto, 1% otherwise.
        const double tol = (d.kind == Distribution::Kind::pareto ? 0.03 : 0.01) * d.mean() + 1e-9;
        EXPECT_NEAR(m.mean, d.mean(), tol) << static_cast<int>(d.kind);
    }
    Distribution clamped = make(Distribution::Kind::exponential, 10, 0);
    clamped.min = 5;
    clamped.max = 12;
    for (int i = 0; i < 1000; ++i) {
        const double x = clamped.sample(rng);
        ASSERT_GE(x, 5);
        ASSERT_LE(x, 12);
    }
    EXPECT_EQ(Distribution::constant(2.6).sample_count(rng), 3u);
    EXPECT_EQ(Distribution::constant(0.2).sample_count(rng, 1), 1u);
    EXPECT_EQ(Distribution::constant(-4).sample_us(rng), 0);
}

}  // namespace
}  // namespace flowlab::gen
