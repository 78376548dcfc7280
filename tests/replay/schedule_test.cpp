/// @brief Long runs on a simulated clock: the send schedule over 10^9 packets and a million loops,
/// and the sequence numbers and times --rebase-time writes after billions of records, without
/// sending anything or waiting for anything. Each deadline must be exactly what the rate says
/// for that packet's place in the run (no error that grows with the run), and every 32-bit field
/// must wrap as a collector expects.
#include "flowlab/replay/schedule.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/replay/rebase.hpp"
#include "msg_builder.hpp"

namespace flowlab::replay {
namespace {

// Exact integers past 2^64 for the expected values (n * 1e10 overflows 64 bits).
__extension__ typedef __int128 i128;

/// round(num / den) for positive values, halves away from zero (as llround), in exact integers.
std::int64_t rounded(i128 num, i128 den) { return static_cast<std::int64_t>((2 * num + den) / (2 * den)); }

/// Places in a run of `n` packets worth checking: the start, the end, and spread in between.
std::vector<std::uint64_t> places(std::uint64_t n) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t i = 0; i < 1000; ++i) out.push_back(i);
    for (std::uint64_t i = n - 1000; i <= n; ++i) out.push_back(i);
    std::uint64_t x = 88172645463325252ull;  // xorshift: deterministic spread
    for (int i = 0; i < 10000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_back(x % n);
    }
    return out;
}

TEST(SendSchedule, PpsHasNoDriftOverABillionPackets) {
    constexpr std::uint64_t kPackets = 1'000'000'000;
    // Rates as tenths of a packet per second, so that fractional rates are exact too.
    for (const std::int64_t tenths : {10, 30, 70, 15005, 500'000, 1'234'567, 10'000'000, 99'999'990}) {
        Timing t;
        t.pace = Pace::pps;
        t.rate = static_cast<double>(tenths) / 10.0;
        const SendSchedule s(t, 0, 0);
        for (const std::uint64_t n : places(kPackets)) {
            // Packet n is due at n / rate seconds: n * 1e10 / tenths ns.
            const std::int64_t want = rounded(static_cast<i128>(n) * 10'000'000'000, tenths);
            ASSERT_EQ(s.offset(0, 0, n, 0), want) << "rate " << t.rate << ", packet " << n;
        }
    }
}

TEST(SendSchedule, MbpsHasNoDriftOverABillionPackets) {
    constexpr std::uint64_t kPackets = 1'000'000'000;
    for (const std::int64_t mbps : {1, 7, 100, 943, 10'000}) {
        Timing t;
        t.pace = Pace::mbps;
        t.rate = static_cast<double>(mbps);
        const SendSchedule s(t, 0, 28);  // IPv4 + UDP headers counted
        const std::uint64_t bits_each = s.bits_of(1464);
        ASSERT_EQ(bits_each, (1464u + 28u) * 8u);
        for (const std::uint64_t n : places(kPackets)) {
            const std::uint64_t bits = n * bits_each;
            // Due when the bits before it have gone at the rate: bits / (rate * 1e6) s.
            const std::int64_t want = rounded(static_cast<i128>(bits) * 1000, mbps);
            ASSERT_EQ(s.offset(0, 0, n, bits), want) << mbps << " Mbps, packet " << n;
        }
    }
}

TEST(SendSchedule, OriginalPaceLoopsDoNotDrift) {
    // A capture of 1000 packets 1.000001 ms apart (span + one mean gap: 1.000001 s), replayed
    // 3 times as fast for a million loops (10^9 packets): loop k starts at k * 1.000001 s / 3,
    // which no whole number of nanoseconds per loop gives.
    const std::int64_t first = 1'700'000'000'000'000'000;
    const std::int64_t gap = 1'000'001;
    const std::int64_t period_capture = 1000 * gap;
    Timing t;
    t.pace = Pace::original;
    t.speed = 3.0;
    SendSchedule s(t, first, 0);
    s.set_loop_period_ns(s.scaled(period_capture));
    for (const std::uint64_t loop : {0ull, 1ull, 2ull, 999'999ull, 1'000'000ull}) {
        for (const std::int64_t i : {0, 1, 500, 999}) {
            const i128 capture_offset = static_cast<i128>(loop) * period_capture + i * gap;
            const std::int64_t want = rounded(capture_offset, 3);
            ASSERT_EQ(s.offset(first + i * gap, loop, 0, 0), want) << "loop " << loop << ", packet " << i;
        }
    }
    // Within a loop the spacing is the capture's, scaled.
    EXPECT_EQ(s.offset(first + 3 * gap, 0, 0, 0), 1'000'001);
}

/// One IPFIX message of `records` data records (template 256: one 4-byte counter) with the
/// given sequence number and export time.
std::vector<std::uint8_t> ipfix_message(std::uint32_t sequence, std::uint32_t export_s, int records) {
    auto b = test::MsgBuilder::ipfix(7, sequence, export_s).set(2).template_record(256, {{2, 4}}).end_set().set(256);
    for (int i = 0; i < records; ++i) b.u32(static_cast<std::uint32_t>(i + 1));
    return b.end_set().build();
}

TEST(RebaseOverLongRuns, SequenceNumbersWrapModulo32Bits) {
    // Two messages of 5 records each: IPFIX's sequence counts data records, so each loop
    // advances every message's sequence number by 10.
    const auto m0 = ipfix_message(0xFFFF'FF00u, 1'700'000'000, 5);
    const auto m1 = ipfix_message(0xFFFF'FF05u, 1'700'000'001, 5);
    RebasePlan plan;
    const auto exporter = core::IpAddress::v4(0xC0000201);
    plan.observe(0, m0, exporter, 4739, 1);
    plan.observe(1, m1, exporter, 4739, 2);
    plan.finish(1'000'000'000, 2);
    ASSERT_EQ(plan.sequence_advance(), std::vector<std::uint32_t>{10});
    std::vector<std::uint8_t> out(m0.size());
    for (const std::uint64_t loop : {0ull, 25ull, 26ull, 429'496'729ull, 429'496'730ull, 100'000'000'000ull}) {
        plan.apply(0, m0, out.data(), 0, loop);
        const auto want0 = static_cast<std::uint32_t>((0xFFFF'FF00ull + loop * 10) & 0xFFFF'FFFFull);
        EXPECT_EQ(core::load_be32(out.data() + 8), want0) << "loop " << loop;
        plan.apply(1, m1, out.data(), 0, loop);
        const auto want1 = static_cast<std::uint32_t>((0xFFFF'FF05ull + loop * 10) & 0xFFFF'FFFFull);
        EXPECT_EQ(core::load_be32(out.data() + 8), want1) << "loop " << loop;
        // Gap-free across the loop boundary: loop k's first message follows loop k-1's last.
        EXPECT_EQ(static_cast<std::uint32_t>(want0 - 10 + 5 + 5), want0);
    }
}

TEST(RebaseOverLongRuns, V9SysUptimeIsLeftAsCapturedAndSequencesWrap) {
    // v9: the sequence counts export packets; sysUptime is not rewritten (the exporter's boot
    // time moves with the shift), so uptime-relative record times keep their absolute meaning
    // in every loop, including past the 32-bit millisecond wrap the capture itself holds.
    auto build = [](std::uint32_t seq, std::uint32_t uptime_ms, std::uint32_t unix_s) {
        return test::MsgBuilder::v9(3, seq, uptime_ms, unix_s)
            .set(0)
            .template_record(256, {{22, 4}, {21, 4}, {2, 4}})
            .end_set()
            .set(256)
            .u32(uptime_ms - 5000)
            .u32(uptime_ms - 1000)
            .u32(42)
            .end_set()
            .build();
    };
    const auto a = build(0xFFFF'FFFEu, 0xFFFF'FC18u, 1'700'000'000);  // 1 s before the uptime wrap
    const auto b = build(0xFFFF'FFFFu, 0x0000'03E8u, 1'700'000'002);  // 1 s after it
    RebasePlan plan;
    const auto exporter = core::IpAddress::v4(0xC0000202);
    plan.observe(0, a, exporter, 2055, 1);
    plan.observe(1, b, exporter, 2055, 2);
    plan.finish(2'000'000'000, 2);
    ASSERT_EQ(plan.sequence_advance(), std::vector<std::uint32_t>{2});
    std::vector<std::uint8_t> out(a.size());
    for (const std::uint64_t loop : {1ull, 1'000'000'000ull}) {
        const std::int64_t shift = static_cast<std::int64_t>(loop) * plan.loop_shift_s();
        plan.apply(1, b, out.data(), shift % 1'000'000, loop);
        EXPECT_EQ(core::load_be32(out.data() + 4), 0x0000'03E8u) << "sysUptime as captured";
        EXPECT_EQ(core::load_be32(out.data() + 12), static_cast<std::uint32_t>(0xFFFF'FFFFull + loop * 2))
            << "sequence, loop " << loop;
        EXPECT_EQ(core::load_be32(out.data() + 8), 1'700'000'002u + static_cast<std::uint32_t>(shift % 1'000'000));
    }
}

}  // namespace
}  // namespace flowlab::replay
