/// @brief Rate curves (profiles × gates × envelope × noise) and the thinning arrivals that
/// follow them: exact values, bounds, and per-minute counts against Poisson (fixed seeds).
#include <gtest/gtest.h>

#include <cmath>

#include "flowlab/gen/rate_curve.hpp"
#include "flowlab/gen/scenario.hpp"
#include "stats.hpp"

namespace flowlab::gen {
namespace {

using test::chi2;
using test::chi2_critical;
using test::Moments;

/// Two sites, two profiles, one activity whose arrival spec the tests replace.
Scenario curve_scenario() {
    return parse_scenario(Json::parse(R"({
  "name": "curves", "summary": "s",
  "time": {"start": "2024-03-04T00:00:00Z", "duration": "14d"},
  "sites": {"london": {"utc_offset": "+00:00"}, "tokyo": {"utc_offset": "+09:00"}},
  "calendar": {"holidays": ["2024-03-06"]},
  "networks": {"lan": {"cidr": "10.1.0.0/24", "site": "london"}, "wan": {"cidr": "198.51.100.0/24", "site": "london"}},
  "hosts": {"pcs": {"network": "lan", "count": 20}, "web": {"network": "wan", "count": 5}},
  "profiles": {
    "office": {"site": "london", "weekday": [["00:00", 0.1], ["09:00", 1.0], ["17:00", 1.0], ["19:00", 0.1]],
               "weekend": 0.2, "holiday": 0.05},
    "tokyo": {"site": "tokyo", "all": [["00:00", 0.5], ["09:00", 2.0], ["15:00", 2.0], ["18:00", 0.5]]}
  },
  "activities": [{"name": "a", "kind": "web", "clients": "pcs", "servers": "web", "rate": "60/min"}],
  "exporters": [{"name": "gw", "protocol": "ipfix", "address": "192.0.2.1", "observes": [{"network": "lan", "if": 1}]}]
})"),
                          "curves.json");
}

const std::int64_t kMonday = 1709510400LL * kUsPerSecond;  // 2024-03-04T00:00:00Z, a Monday

TEST(RateCurve, ConstantRateAndScale) {
    const Scenario s = curve_scenario();
    ArrivalSpec spec;
    spec.rate_per_s = 2.0;
    const RateCurve c(s, spec, 1.5, 0);
    EXPECT_DOUBLE_EQ(c.rate(kMonday), 3.0);
    const auto p = c.piece(kMonday, kMonday + kUsPerDay);
    EXPECT_EQ(p.end - p.begin, RateCurve::kMaxPieceUs);
    EXPECT_NEAR(p.bound, 3.0, 1e-9);
    EXPECT_NEAR(c.expected(kMonday, kMonday + kUsPerHour), 3.0 * 3600, 1e-6);
}

TEST(RateCurve, ProfilesMultiplyAcrossSites) {
    const Scenario s = curve_scenario();
    ArrivalSpec spec;
    spec.rate_per_s = 1.0;
    spec.profiles = {s.find_profile("office"), s.find_profile("tokyo")};
    const RateCurve c(s, spec, 1.0, 0);
    // Monday 10:00 London = 19:00 Tokyo: office 1.0; tokyo between 18:00 (0.5) and 00:00 (0.5) = 0.5.
    EXPECT_NEAR(c.rate(kMonday + 10 * kUsPerHour), 0.5, 1e-12);
    // Monday 03:00 London = 12:00 Tokyo: office 0.1 + (0.9 * 3/9) = 0.4; tokyo 2.0.
    EXPECT_NEAR(c.rate(kMonday + 3 * kUsPerHour), 0.4 * 2.0, 1e-12);
    // Wednesday 2024-03-06 is a holiday in both sites: office 0.05; Tokyo uses "all".
    const std::int64_t wed = kMonday + 2 * kUsPerDay;
    EXPECT_NEAR(c.rate(wed + 3 * kUsPerHour), 0.05 * 2.0, 1e-12);
    // Saturday: weekend constant 0.2 (12:00 London = 21:00 Tokyo: 0.5).
    EXPECT_NEAR(c.rate(kMonday + 5 * kUsPerDay + 12 * kUsPerHour), 0.2 * 0.5, 1e-12);
}

TEST(RateCurve, BoundsHoldEverywhereAndPiecesStopAtBreakpoints) {
    const Scenario s = curve_scenario();
    ArrivalSpec spec;
    spec.rate_per_s = 3.0;
    spec.profiles = {s.find_profile("office"), s.find_profile("tokyo")};
    spec.noise = Noise{Noise::Kind::gamma, 0.3, 5 * kUsPerMinute};
    const RateCurve c(s, spec, 1.0, 99);
    Rng rng(1);
    std::int64_t t = kMonday;
    const std::int64_t end = kMonday + 7 * kUsPerDay;
    while (t < end) {
        const auto p = c.piece(t, end);
        ASSERT_GT(p.end, p.begin);
        // No piece crosses a noise bin, a London or Tokyo breakpoint.
        ASSERT_EQ(floor_div(p.begin, 5 * kUsPerMinute), floor_div(p.end - 1, 5 * kUsPerMinute));
        for (int k = 0; k < 20; ++k) {
            const std::int64_t x = p.begin + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(p.end - p.begin)));
            ASSERT_LE(c.rate(x), p.bound) << format_time(x);
            ASSERT_NEAR(p.rate(static_cast<double>(x)), c.rate(x), 1e-9 * (1 + c.rate(x)));
        }
        t = p.end;
    }
    // Over a whole day the bound covers the peak: office 1.0 × Tokyo 2.0 × noise × 3/s.
    const double ub = c.upper_bound(kMonday, kMonday + kUsPerDay);
    double peak = 0;
    for (std::int64_t x = kMonday; x < kMonday + kUsPerDay; x += kUsPerMinute) peak = std::max(peak, c.rate(x));
    EXPECT_GE(ub, peak);
    EXPECT_LT(ub, 1.2 * peak);
}

TEST(RateCurve, DaysAndWindowGate) {
    const Scenario s = curve_scenario();
    ArrivalSpec spec;
    spec.rate_per_s = 1.0;
    DaySet d;
    d.weekday = true;
    spec.days = d;
    spec.site = s.find_site("london");
    spec.window = Window{s.find_site("tokyo"), 22 * kUsPerHour, 2 * kUsPerHour};  // wraps midnight
    const RateCurve c(s, spec, 1.0, 0);
    // Monday 14:00 London = 23:00 Tokyo: inside the window, a London weekday.
    EXPECT_EQ(c.rate(kMonday + 14 * kUsPerHour), 1.0);
    // Monday 16:30 London = 01:30 Tokyo Tuesday: inside.
    EXPECT_EQ(c.rate(kMonday + 16 * kUsPerHour + 30 * kUsPerMinute), 1.0);
    // 17:00 London = 02:00 Tokyo: the window has closed.
    EXPECT_EQ(c.rate(kMonday + 17 * kUsPerHour), 0.0);
    // Wednesday is a holiday, not a working day.
    EXPECT_EQ(c.rate(kMonday + 2 * kUsPerDay + 14 * kUsPerHour), 0.0);
    // Saturday.
    EXPECT_EQ(c.rate(kMonday + 5 * kUsPerDay + 14 * kUsPerHour), 0.0);
    // Exactly one window's worth of arrivals per working day (4 h).
    EXPECT_NEAR(c.expected(kMonday, kMonday + 7 * kUsPerDay), 4 * 3600.0 * 4, 1e-6);
}

TEST(RateCurve, EnvelopeRampsLinearly) {
    const Scenario s = curve_scenario();
    ArrivalSpec spec;
    spec.rate_per_s = 100.0;
    Envelope e;
    e.points = {{kMonday, 0.0}, {kMonday + 10 * kUsPerMinute, 1.0}, {kMonday + 20 * kUsPerMinute, 1.0},
                {kMonday + 25 * kUsPerMinute, 0.0}};
    const RateCurve c(s, spec, 1.0, 0, e);
    EXPECT_EQ(c.rate(kMonday - 1), 0.0);
    EXPECT_NEAR(c.rate(kMonday + 5 * kUsPerMinute), 50.0, 1e-9);
    EXPECT_NEAR(c.rate(kMonday + 15 * kUsPerMinute), 100.0, 1e-9);
    EXPECT_NEAR(c.rate(kMonday + 22 * kUsPerMinute + 30 * kUsPerSecond), 50.0, 1e-9);
    EXPECT_EQ(c.rate(kMonday + 25 * kUsPerMinute), 0.0);
    EXPECT_NEAR(c.expected(kMonday - kUsPerHour, kMonday + kUsPerHour), 100.0 * (300 + 600 + 150), 1e-6);
}

TEST(RateCurve, NoiseIsMeanOneWithTheStatedCvAndStable) {
    const Scenario s = curve_scenario();
    for (const auto kind : {Noise::Kind::gamma, Noise::Kind::lognormal}) {
        ArrivalSpec spec;
        spec.rate_per_s = 1.0;
        spec.noise = Noise{kind, 0.25, kUsPerMinute};
        const RateCurve a(s, spec, 1.0, 7);
        const RateCurve b(s, spec, 1.0, 7);
        const RateCurve other(s, spec, 1.0, 8);
        Moments m;
        int same_as_other = 0;
        for (int k = 0; k < 50000; ++k) {
            const std::int64_t t = kMonday + k * kUsPerMinute;
            const double v = a.noise_at(t);
            ASSERT_EQ(v, b.noise_at(t + 59 * kUsPerSecond));  // same bin, same key
            same_as_other += v == other.noise_at(t) ? 1 : 0;
            m.add(v);
        }
        EXPECT_NEAR(m.mean, 1.0, 0.005);
        EXPECT_NEAR(std::sqrt(m.variance()), 0.25, 0.005);
        EXPECT_EQ(same_as_other, 0);
    }
}

/// Counts of arrivals in `bin`-µs bins over [begin, end).
std::vector<double> bin_counts(Arrivals& arr, std::int64_t begin, std::int64_t end, std::int64_t bin) {
    std::vector<double> counts(static_cast<std::size_t>((end - begin + bin - 1) / bin), 0);
    std::int64_t last = begin;
    for (std::int64_t t = arr.next(); t != kNever; t = arr.next()) {
        EXPECT_GE(t, last);
        EXPECT_LT(t, end);
        last = t;
        counts[static_cast<std::size_t>((t - begin) / bin)] += 1;
    }
    return counts;
}

TEST(Arrivals, CountsPerMinuteArePoissonWithTheCurvesMeans) {
    const std::uint64_t seed = 2718;
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Scenario s = curve_scenario();
    ArrivalSpec spec;
    spec.rate_per_s = 1.5;
    spec.profiles = {s.find_profile("office"), s.find_profile("tokyo")};
    const RateCurve c(s, spec, 1.0, 0);
    const std::int64_t begin = kMonday, end = kMonday + 7 * kUsPerDay;
    Arrivals arr(c, Rng(seed), begin, end);
    const auto counts = bin_counts(arr, begin, end, kUsPerMinute);
    std::vector<double> expected(counts.size());
    double dispersion = 0, total_obs = 0, total_exp = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const std::int64_t a = begin + static_cast<std::int64_t>(i) * kUsPerMinute;
        expected[i] = c.expected(a, a + kUsPerMinute);
        dispersion += (counts[i] - expected[i]) * (counts[i] - expected[i]) / expected[i];
        total_obs += counts[i];
        total_exp += expected[i];
    }
    // Goodness of fit of every minute's count to its Poisson mean.
    int df = 0;
    const double stat = chi2(counts, expected, df);
    EXPECT_LT(stat, chi2_critical(df)) << "chi2 " << stat << " df " << df;
    EXPECT_GT(stat, chi2_critical(df, -3.09)) << "suspiciously good fit: " << stat;
    // Variance/mean ≈ 1: the mean of (O-E)^2/E over bins (sd ≈ sqrt(2/n) for Poisson).
    const double n = static_cast<double>(counts.size());
    EXPECT_NEAR(dispersion / n, 1.0, 4 * std::sqrt(2.0 / n));
    EXPECT_NEAR(total_obs, total_exp, 4 * std::sqrt(total_exp));
    // The bound is tight enough that most candidates are kept.
    EXPECT_LT(static_cast<double>(arr.rejected()), 0.2 * total_obs);
}

TEST(Arrivals, NoiseMakesCountsOverdispersedAsPredicted) {
    const std::uint64_t seed = 3141;
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Scenario s = curve_scenario();
    ArrivalSpec spec;
    spec.rate_per_s = 2.0;
    spec.noise = Noise{Noise::Kind::gamma, 0.2, 5 * kUsPerMinute};
    const RateCurve c(s, spec, 1.0, 11);
    const std::int64_t begin = kMonday, end = kMonday + 14 * kUsPerDay;
    Arrivals arr(c, Rng(seed), begin, end);
    const auto counts = bin_counts(arr, begin, end, 5 * kUsPerMinute);
    // Per 5-minute bin: mean m = 600, variance m + cv² m² = 600 + 14400 (mixed Poisson).
    Moments m;
    double conditional = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        m.add(counts[i]);
        const std::int64_t a = begin + static_cast<std::int64_t>(i) * 5 * kUsPerMinute;
        const double e = c.expected(a, a + 5 * kUsPerMinute);
        conditional += (counts[i] - e) * (counts[i] - e) / e;
    }
    EXPECT_NEAR(m.mean, 600.0, 4 * std::sqrt(15000.0 / m.n));
    EXPECT_NEAR(m.variance(), 15000.0, 0.1 * 15000.0);
    // Given the noise, each bin is still Poisson.
    EXPECT_NEAR(conditional / static_cast<double>(counts.size()), 1.0, 4 * std::sqrt(2.0 / static_cast<double>(counts.size())));
}

TEST(Arrivals, ScaleMultipliesCountsAndSeedsDiffer) {
    const Scenario s = curve_scenario();
    ArrivalSpec spec;
    spec.rate_per_s = 0.5;
    spec.profiles = {s.find_profile("office")};
    const std::int64_t begin = kMonday, end = kMonday + 2 * kUsPerDay;
    const RateCurve one(s, spec, 1.0, 0), three(s, spec, 3.0, 0);
    Arrivals a(one, Rng(5), begin, end), b(three, Rng(5), begin, end), a2(one, Rng(6), begin, end);
    double na = 0, nb = 0;
    std::vector<std::int64_t> ta, ta2;
    for (std::int64_t t = a.next(); t != kNever; t = a.next()) ta.push_back(t), na += 1;
    for (std::int64_t t = b.next(); t != kNever; t = b.next()) nb += 1;
    for (std::int64_t t = a2.next(); t != kNever; t = a2.next()) ta2.push_back(t);
    const double e = one.expected(begin, end);
    EXPECT_NEAR(na, e, 4 * std::sqrt(e));
    EXPECT_NEAR(nb, 3 * e, 4 * std::sqrt(3 * e));
    EXPECT_NE(ta, ta2);
    Arrivals again(one, Rng(5), begin, end);
    std::vector<std::int64_t> tb;
    for (std::int64_t t = again.next(); t != kNever; t = again.next()) tb.push_back(t);
    EXPECT_EQ(ta, tb);
}

}  // namespace
}  // namespace flowlab::gen
