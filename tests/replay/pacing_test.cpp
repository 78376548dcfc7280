/// @brief The lateness histogram's accuracy and the pacer's guarantees (never early, stoppable).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "flowlab/replay/latency_histogram.hpp"
#include "flowlab/replay/pacer.hpp"

namespace flowlab::replay {
namespace {

TEST(LatencyHistogram, BucketsRoundTrip) {
    for (std::size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
        ASSERT_EQ(LatencyHistogram::index(LatencyHistogram::lower_bound(i)), i) << "bucket " << i;
        if (i + 1 < LatencyHistogram::kBuckets) {
            ASSERT_EQ(LatencyHistogram::index(LatencyHistogram::lower_bound(i + 1) - 1), i) << "bucket " << i;
        }
    }
    EXPECT_EQ(LatencyHistogram::index(~std::uint64_t{0}), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
    LatencyHistogram h;
    for (int v = 1; v <= 50; ++v) h.record(v);
    EXPECT_EQ(h.count(), 50u);
    EXPECT_EQ(h.quantile(0.5), 25u);
    EXPECT_EQ(h.quantile(0.99), 50u);
    EXPECT_EQ(h.quantile(1.0), 50u);
    EXPECT_EQ(h.quantile(0.0), 1u);
    EXPECT_EQ(h.max(), 50u);
    h.record(-5);  // sent "early" cannot happen; counted as on time
    EXPECT_EQ(h.quantile(0.0), 0u);
}

TEST(LatencyHistogram, QuantilesWithinBucketResolution) {
    const std::uint64_t seed = 20240501;
    fmt::print("seed {}\n", seed);
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> dist(9.0, 2.0);  // ~8 us median, long tail
    std::vector<std::int64_t> values;
    LatencyHistogram h;
    for (int i = 0; i < 100000; ++i) {
        const auto v = static_cast<std::int64_t>(dist(rng));
        values.push_back(v);
        h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        const auto exact = static_cast<double>(values[static_cast<std::size_t>(q * 100000) - 1]);
        const auto got = static_cast<double>(h.quantile(q));
        EXPECT_NEAR(got, exact, exact / 32 + 1) << "q=" << q;
    }
    EXPECT_EQ(h.max(), static_cast<std::uint64_t>(values.back()));
}

TEST(LatencyHistogram, MergeAddsCounts) {
    LatencyHistogram a, b;
    for (int i = 0; i < 100; ++i) a.record(1000);
    for (int i = 0; i < 100; ++i) b.record(1'000'000);
    a.merge(b);
    EXPECT_EQ(a.count(), 200u);
    EXPECT_EQ(a.max(), 1'000'000u);
    EXPECT_NEAR(static_cast<double>(a.quantile(0.25)), 1000.0, 1000.0 / 32);
    EXPECT_NEAR(static_cast<double>(a.quantile(0.75)), 1e6, 1e6 / 32);
}

TEST(Pacer, NeverReturnsBeforeTheDeadline) {
    Pacer pacer;
    const std::int64_t start = monotonic_ns();
    // Deadlines from one start, as the send loop computes them: each wait ends at or after
    // its own deadline, whatever the sleep/spin split.
    for (int i = 1; i <= 200; ++i) {
        const std::int64_t deadline = start + i * 37'000;  // 37 us apart
        const std::int64_t now = pacer.wait_until(deadline);
        ASSERT_GE(now, deadline) << "wait " << i;
        ASSERT_GE(monotonic_ns(), deadline);
    }
    EXPECT_GE(pacer.margin_ns(), Pacer::kMinMarginNs);
    EXPECT_LE(pacer.margin_ns(), Pacer::kMaxMarginNs);
}

TEST(Pacer, PastDeadlineReturnsAtOnce) {
    Pacer pacer;
    const std::int64_t now = monotonic_ns();
    EXPECT_GE(pacer.wait_until(now - 1'000'000'000), now);
    EXPECT_EQ(pacer.sleeps(), 0u);
}

TEST(Pacer, WakeByComesFirst) {
    Pacer pacer;
    const std::int64_t start = monotonic_ns();
    const std::int64_t wake_by = start + 2'000'000;
    const std::int64_t now = pacer.wait_until(start + 3'600'000'000'000, wake_by);
    EXPECT_GE(now, wake_by);
    EXPECT_LT(now, start + 3'600'000'000'000);
}

TEST(Pacer, StopEndsALongWait) {
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> stopped_at{0};
    Pacer pacer(&stop);
    std::thread setter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        stopped_at = monotonic_ns();
        stop = true;
    });
    const std::int64_t start = monotonic_ns();
    // A wait that ignored the flag would return at the deadline (and fail the first check) rather
    // than hang the suite; one that ended for another reason would return before the flag was
    // set (and fail the second).
    const std::int64_t deadline = start + 30'000'000'000;
    const std::int64_t now = pacer.wait_until(deadline);
    setter.join();
    EXPECT_LT(now, deadline) << "the stop flag did not end the wait";
    EXPECT_GE(now, stopped_at.load()) << "the wait ended before the stop flag was set";
}

}  // namespace
}  // namespace flowlab::replay
