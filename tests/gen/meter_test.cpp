/// @brief Flow cache emulation: timeouts split flows at the right instants, FIN/RST end them,
/// the cache limit forces expiry, sampling scales as documented; checked against a
/// packet-by-packet reference meter.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include <fmt/format.h>

#include "flowlab/gen/meter.hpp"

namespace flowlab::gen {
namespace {

constexpr std::int64_t kT0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z in µs
constexpr std::int64_t kSecond = 1'000'000;
constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kPsh = 0x08, kRst = 0x04;

std::shared_ptr<Conversation> conv(std::uint64_t id, std::vector<Burst> bursts, std::uint8_t proto = 6) {
    auto c = std::make_shared<Conversation>();
    c->id = id;
    c->key.src = core::IpAddress::v4(0x0A000001 + static_cast<std::uint32_t>(id));
    c->key.dst = core::IpAddress::v4(0x0A010001);
    c->key.sport = static_cast<std::uint16_t>(40000 + id);
    c->key.dport = 23;
    c->key.proto = proto;
    c->bursts = std::move(bursts);
    return c;
}

std::vector<MeteredRecord> run(const MeterConfig& cfg, const std::vector<std::shared_ptr<Conversation>>& convs,
                               std::uint64_t seed = 1) {
    FlowCache cache(cfg, seed);
    std::vector<MeteredRecord> out;
    for (const auto& c : convs) {
        cache.advance(c->start_us() - 1, out);
        cache.observe(c, FlowContext{});
    }
    cache.drain(out);
    return out;
}

TEST(Burst, PacketTimesAndSizesAreExact) {
    Burst b{kT0, kT0 + 1000, 7, 7 * 100 + 3, 0};
    EXPECT_EQ(b.packet_time(0), kT0);
    EXPECT_EQ(b.packet_time(6), kT0 + 1000);
    EXPECT_EQ(b.packet_time(1), kT0 + 166);  // floor(1000/6)
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < b.packets; ++i) {
        total += b.packet_size(i);
        EXPECT_EQ(b.bytes_before(i + 1), total);
        // first_at_or_after inverts packet_time
        EXPECT_EQ(b.first_at_or_after(b.packet_time(i)), i == 0 ? 0 : i) << i;
        EXPECT_EQ(b.first_at_or_after(b.packet_time(i) + 1), i + 1) << i;
    }
    EXPECT_EQ(total, b.bytes);
    EXPECT_EQ(b.first_at_or_after(kT0 - 5), 0u);
    EXPECT_EQ(b.first_at_or_after(kT0 + 1001), 7u);
}

TEST(Meter, TwoHourBackupIsSplitEveryActiveTimeout) {
    MeterConfig cfg;
    cfg.active_timeout_us = 60 * kSecond;
    cfg.inactive_timeout_us = 15 * kSecond;
    // 2 hours at 1000 packets/s: packet i at t0 + i ms, 1500 bytes each.
    const std::uint64_t n = 7'200'000;
    auto c = conv(1, {{kT0, kT0 + static_cast<std::int64_t>(n - 1) * 1000, n, n * 1500, kAck | kPsh}});
    auto recs = run(cfg, {c});
    ASSERT_EQ(recs.size(), 120u);
    std::uint64_t packets = 0, bytes = 0;
    for (std::size_t k = 0; k < recs.size(); ++k) {
        const auto& r = recs[k].record;
        EXPECT_EQ(r.packets, 60'000u) << k;  // exactly the packets in [t0+60k s, t0+60(k+1) s)
        EXPECT_EQ(r.first_ms, kT0 / 1000 + static_cast<std::int64_t>(k) * 60'000) << k;
        EXPECT_EQ(r.last_ms, kT0 / 1000 + static_cast<std::int64_t>(k) * 60'000 + 59'999) << k;
        // The last entry too: its active timer (at 7200 s) fires before its idle timer (7214.999 s).
        EXPECT_EQ(r.end_reason, static_cast<std::uint8_t>(EndReason::active)) << k;
        EXPECT_EQ(recs[k].expire_us, kT0 + static_cast<std::int64_t>(k + 1) * 60 * kSecond) << k;
        packets += r.packets;
        bytes += r.bytes;
    }
    EXPECT_EQ(packets, n);
    EXPECT_EQ(bytes, n * 1500);
}

TEST(Meter, IdleGapsAtOrAboveTheInactiveTimeoutSplit) {
    MeterConfig cfg;
    cfg.active_timeout_us = 1800 * kSecond;
    cfg.inactive_timeout_us = 15 * kSecond;
    auto c = conv(2, {{kT0, kT0 + 2 * kSecond, 5, 300, kAck},
                      {kT0 + 12 * kSecond, kT0 + 13 * kSecond, 2, 120, kAck | kPsh},   // 10 s gap: same record
                      {kT0 + 28 * kSecond, kT0 + 29 * kSecond, 2, 120, kAck | kPsh},   // 15 s gap: splits
                      {kT0 + 60 * kSecond, kT0 + 60 * kSecond, 1, 40, kAck}});        // 31 s gap
    auto recs = run(cfg, {c});
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[0].record.packets, 7u);
    EXPECT_EQ(recs[0].expire_us, kT0 + 13 * kSecond + 15 * kSecond);
    EXPECT_EQ(recs[1].record.packets, 2u);
    EXPECT_EQ(recs[1].record.first_ms, (kT0 + 28 * kSecond) / 1000);
    EXPECT_EQ(recs[2].record.packets, 1u);
    for (const auto& r : recs) EXPECT_EQ(r.record.end_reason, 1);
}

TEST(Meter, FinAndRstEndTheEntryAtThatPacket) {
    MeterConfig cfg;
    auto c = conv(3, {{kT0, kT0, 1, 60, kSyn},
                      {kT0 + 1000, kT0 + 50'000, 10, 5000, kAck | kPsh},
                      {kT0 + 60'000, kT0 + 60'000, 1, 40, kFin | kAck},
                      {kT0 + 80'000, kT0 + 80'000, 1, 40, kAck}});
    auto recs = run(cfg, {c});
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].record.packets, 12u);
    EXPECT_EQ(recs[0].record.tcp_flags, kSyn | kAck | kPsh | kFin);
    EXPECT_EQ(recs[0].record.end_reason, static_cast<std::uint8_t>(EndReason::end_of_flow));
    EXPECT_EQ(recs[0].expire_us, kT0 + 60'000);
    EXPECT_EQ(recs[1].record.packets, 1u);  // the ACK after FIN opens a new entry, as on a router
    auto r = conv(4, {{kT0, kT0, 1, 40, kRst | kAck}, {kT0 + 5, kT0 + 5, 1, 40, kRst}});
    recs = run(cfg, {r});
    EXPECT_EQ(recs.size(), 2u);
}

TEST(Meter, FullCacheExpiresTheOldestEntry) {
    MeterConfig cfg;
    cfg.cache_size = 2;
    cfg.active_timeout_us = 600 * kSecond;
    std::vector<std::shared_ptr<Conversation>> convs;
    for (std::uint64_t i = 0; i < 3; ++i) {
        const std::int64_t s = kT0 + static_cast<std::int64_t>(i) * kSecond;
        convs.push_back(conv(10 + i, {{s, s + 100 * kSecond, 101, 101 * 100, kAck}}));
    }
    FlowCache cache(cfg, 1);
    std::vector<MeteredRecord> out;
    for (const auto& c : convs) {
        cache.advance(c->start_us() - 1, out);
        cache.observe(c, FlowContext{});
    }
    cache.drain(out);
    EXPECT_GE(cache.stats().emergency_expiries, 1u);
    EXPECT_LE(cache.stats().peak_entries, 2u);
    std::map<std::uint64_t, std::uint64_t> per_conv;
    for (const auto& m : out) per_conv[m.conversation] += m.record.packets;
    for (std::uint64_t i = 0; i < 3; ++i) EXPECT_EQ(per_conv[10 + i], 101u) << "packets conserved";
    const auto& first = out.front();
    EXPECT_EQ(first.record.end_reason, static_cast<std::uint8_t>(EndReason::lack_of_resources));
    EXPECT_EQ(first.conversation, 10u);  // the oldest entry goes first
    EXPECT_EQ(first.expire_us, kT0 + 2 * kSecond);
    EXPECT_EQ(first.record.packets, 3u);  // packets at 0, 1 and 2 s (the instant of eviction included)
}

TEST(Meter, DeterministicSamplingTakesEveryNthPacket) {
    MeterConfig cfg;
    cfg.sampling = MeterSampling::deterministic;
    cfg.sampling_interval = 10;
    cfg.active_timeout_us = 3600 * kSecond;
    auto c = conv(5, {{kT0, kT0 + 999'000, 1000, 1000 * 700 + 999, kAck}});
    auto recs = run(cfg, {c});
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].record.packets, 100u);
    EXPECT_EQ(recs[0].record.sampling_interval, 10u);
    // Sampled packets i = phase + 10k; packets below index 999 carry 701 bytes, the last 700.
    const std::uint64_t phase = static_cast<std::uint64_t>(recs[0].record.first_ms - kT0 / 1000);  // 1 ms apart
    const std::uint64_t big = (999 - phase + 9) / 10;
    EXPECT_EQ(recs[0].record.bytes, 100 * 700 + big);
}

TEST(Meter, RandomSamplingIsBinomial) {
    MeterConfig cfg;
    cfg.sampling = MeterSampling::random;
    cfg.sampling_interval = 100;
    cfg.active_timeout_us = 36000 * kSecond;
    cfg.inactive_timeout_us = 3600 * kSecond;
    std::vector<std::shared_ptr<Conversation>> convs;
    std::uint64_t sent = 0;
    for (std::uint64_t i = 0; i < 200; ++i) {
        const std::int64_t s = kT0 + static_cast<std::int64_t>(i) * 10 * kSecond;
        convs.push_back(conv(100 + i, {{s, s + 5 * kSecond, 5000, 5000 * 1000, kAck}}));
        sent += 5000;
    }
    auto recs = run(cfg, convs, 20261126);
    std::uint64_t sampled = 0;
    for (const auto& r : recs) sampled += r.record.packets;
    const double mean = static_cast<double>(sent) / 100.0;  // 10000
    const double sd = std::sqrt(static_cast<double>(sent) * 0.01 * 0.99);
    EXPECT_NEAR(static_cast<double>(sampled), mean, 5 * sd);
}

/// The rules of meter.hpp applied packet by packet, for one conversation, no cache limit.
std::vector<MeteredRecord> reference(const Conversation& c, const MeterConfig& cfg) {
    std::vector<MeteredRecord> out;
    bool open = false;
    MeteredRecord cur;
    std::int64_t first = 0, last = 0;
    auto close = [&](std::int64_t at, EndReason why) {
        cur.expire_us = at;
        cur.record.first_ms = first / 1000;
        cur.record.last_ms = last / 1000;
        cur.record.end_reason = static_cast<std::uint8_t>(why);
        out.push_back(cur);
        open = false;
    };
    for (const auto& b : c.bursts) {
        for (std::uint64_t i = 0; i < b.packets; ++i) {
            const std::int64_t t = b.packet_time(i);
            if (open) {
                const std::int64_t idle_at = last + cfg.inactive_timeout_us, active_at = first + cfg.active_timeout_us;
                if (t >= std::min(idle_at, active_at)) {
                    if (active_at <= idle_at) close(active_at, EndReason::active);
                    else close(idle_at, EndReason::idle);
                }
            }
            if (!open) {
                cur = MeteredRecord{};
                first = t;
                open = true;
            }
            last = t;
            cur.record.packets += 1;
            cur.record.bytes += b.packet_size(i);
            cur.record.tcp_flags |= b.tcp_flags;
            if (b.tcp_flags & (kFin | kRst)) close(t, EndReason::end_of_flow);
        }
    }
    if (open) {
        const std::int64_t idle_at = last + cfg.inactive_timeout_us, active_at = first + cfg.active_timeout_us;
        if (active_at <= idle_at) close(active_at, EndReason::active);
        else close(idle_at, EndReason::idle);
    }
    return out;
}

TEST(Meter, MatchesAPacketByPacketReferenceOnRandomConversations) {
    const std::uint64_t seed = 424242;
    fmt::print("seed {}\n", seed);
    std::mt19937_64 rng(seed);
    MeterConfig cfg;
    cfg.active_timeout_us = 7 * kSecond;
    cfg.inactive_timeout_us = 2 * kSecond;
    for (int round = 0; round < 300; ++round) {
        std::vector<Burst> bursts;
        std::int64_t t = kT0;
        const int nb = 1 + static_cast<int>(rng() % 6);
        for (int k = 0; k < nb; ++k) {
            t += static_cast<std::int64_t>(rng() % (4 * kSecond));
            const std::uint64_t n = 1 + rng() % 400;
            const std::int64_t dur = n == 1 ? 0 : static_cast<std::int64_t>(rng() % (12 * kSecond));
            std::uint8_t flags = kAck;
            if (n == 1 && rng() % 5 == 0) flags |= (rng() & 1) ? kFin : kRst;
            bursts.push_back({t, t + dur, n, n * 40 + rng() % (n * 1400), flags});
            t += dur + 1;
        }
        auto c = conv(static_cast<std::uint64_t>(round), bursts);
        auto got = run(cfg, {c});
        auto want = reference(*c, cfg);
        ASSERT_EQ(got.size(), want.size()) << "round " << round;
        for (std::size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].record.packets, want[i].record.packets) << round << "/" << i;
            EXPECT_EQ(got[i].record.bytes, want[i].record.bytes) << round << "/" << i;
            EXPECT_EQ(got[i].record.first_ms, want[i].record.first_ms) << round << "/" << i;
            EXPECT_EQ(got[i].record.last_ms, want[i].record.last_ms) << round << "/" << i;
            EXPECT_EQ(got[i].record.tcp_flags, want[i].record.tcp_flags) << round << "/" << i;
            EXPECT_EQ(got[i].record.end_reason, want[i].record.end_reason) << round << "/" << i;
            EXPECT_EQ(got[i].expire_us, want[i].expire_us) << round << "/" << i;
        }
    }
}

}  // namespace
}  // namespace flowlab::gen
