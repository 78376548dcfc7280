/// @brief The export loop: messages in export order across exporters, truth equal to what the
/// decoder reads, packets and bytes conserved from conversations to records, determinism.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include <fmt/format.h>

#include "flowlab/core/decoder.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/gen/simulation.hpp"

namespace flowlab::gen {
namespace {

constexpr std::int64_t kT0 = 1'767'225'600'000'000;
constexpr std::int64_t kSecond = 1'000'000;

std::vector<Conversation> make_conversations(std::uint64_t seed, std::size_t count) {
    std::mt19937_64 rng(seed);
    std::vector<Conversation> out;
    std::int64_t t = kT0;
    for (std::size_t i = 0; i < count; ++i) {
        t += static_cast<std::int64_t>(rng() % (2 * kSecond));
        Conversation c;
        c.id = i;
        const bool v6 = rng() % 4 == 0;
        std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        if (v6) {
            a[15] = static_cast<std::uint8_t>(rng());
            c.key.src = core::IpAddress::v6_bytes(a.data());
            a[4] = 1;
            c.key.dst = core::IpAddress::v6_bytes(a.data());
        } else {
            c.key.src = core::IpAddress::v4(0x0A000000u | static_cast<std::uint32_t>(rng() % 65536));
            c.key.dst = core::IpAddress::v4(rng() % 3 == 0 ? 0xC6336401u : 0x0A010001u);
        }
        c.key.sport = static_cast<std::uint16_t>(32768 + i % 20000);
        c.key.dport = 443;
        c.key.proto = 6;
        std::int64_t s = t;
        const int bursts = 1 + static_cast<int>(rng() % 4);
        for (int b = 0; b < bursts; ++b) {
            const std::uint64_t n = 1 + rng() % 2000;
            const std::int64_t dur = n == 1 ? 0 : static_cast<std::int64_t>(rng() % (90 * kSecond));
            c.bursts.push_back({s, s + dur, n, n * (40 + rng() % 1400), 0x18});
            s += dur + static_cast<std::int64_t>(rng() % (30 * kSecond)) + 1;
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<ExporterPlan> make_plans() {
    std::vector<ExporterPlan> plans(2);
    plans[0].name = "core-ipfix";
    plans[0].exporter.protocol = core::Protocol::ipfix;
    plans[0].exporter.address = core::IpAddress::v4(0xC0000201);
    plans[0].exporter.domain = 7;
    plans[0].exporter.boot_ms = kT0 / 1000 - 86'400'000;
    plans[0].exporter.template_v4 = core::default_template(core::Protocol::ipfix, false, 256, core::TimeStyle::milliseconds, true);
    plans[0].exporter.template_v6 = core::default_template(core::Protocol::ipfix, true, 257, core::TimeStyle::milliseconds, true);
    plans[0].source_port = 50001;
    plans[0].meter.active_timeout_us = 60 * kSecond;
    plans[0].meter.inactive_timeout_us = 15 * kSecond;
    plans[0].observes.push_back({parse_cidr("10.0.0.0/16"), 3, 64512, 0});
    plans[0].observes.push_back({parse_cidr("2001:db8::/32"), 4, 64512, 0});
    plans[0].default_if = 1;
    plans[0].export_delay_us = 500'000;
    plans[1] = plans[0];
    plans[1].name = "edge-v5";
    plans[1].exporter.protocol = core::Protocol::v5;
    plans[1].exporter.address = core::IpAddress::v4(0xC0000202);
    plans[1].exporter.domain = 0x0102;
    plans[1].export_delay_us = 0;
    plans[1].max_message_wait_us = 3 * kSecond;
    return plans;
}

struct Output {
    std::vector<std::pair<std::size_t, std::vector<std::uint8_t>>> messages;
    std::vector<std::int64_t> times;
    std::vector<std::vector<core::FlowRecord>> truth;
    SimulationStats stats;
};

/// threads 0: the single-threaded simulate().
Output run_once(std::uint64_t seed, std::size_t threads = 0, const std::vector<ExporterPlan>& plans = make_plans()) {
    auto convs = make_conversations(seed, 3000);
    std::size_t next = 0;
    Output out;
    SimulationSinks sinks;
    sinks.message = [&](std::size_t e, const core::EncodedMessage& m) {
        out.messages.emplace_back(e, std::vector<std::uint8_t>(m.bytes.begin(), m.bytes.end()));
        out.times.push_back(m.export_ns);
        out.truth.emplace_back(m.records.begin(), m.records.end());
    };
    const auto pull = [&](Conversation& c) {
        if (next == convs.size()) return false;
        c = convs[next++];
        return true;
    };
    out.stats = threads ? simulate(plans, seed, pull, sinks, threads) : simulate(plans, seed, pull, sinks);
    return out;
}

TEST(Simulation, ExportsAreOrderedExactAndConserving) {
    const std::uint64_t seed = 99;
    fmt::print("seed {}\n", seed);
    Output out = run_once(seed);
    auto plans = make_plans();
    ASSERT_FALSE(out.messages.empty());
    for (std::size_t i = 1; i < out.times.size(); ++i) ASSERT_LE(out.times[i - 1], out.times[i]) << i;

    core::Decoder d;
    std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> per_exporter_totals;
    for (std::size_t i = 0; i < out.messages.size(); ++i) {
        const auto& [e, bytes] = out.messages[i];
        ASSERT_LE(bytes.size(), plans[e].exporter.max_payload);
        std::vector<core::FlowRecord> got;
        d.decode(core::ExportDatagram{bytes, plans[e].exporter.address, plans[e].source_port, i + 1}, got);
        ASSERT_EQ(got.size(), out.truth[i].size());
        for (std::size_t k = 0; k < got.size(); ++k) {
            ASSERT_EQ(got[k], out.truth[i][k]) << "message " << i << " record " << k;
            per_exporter_totals[e].first += got[k].packets;
            per_exporter_totals[e].second += got[k].bytes;
        }
    }
    EXPECT_EQ(d.stats().error_total(), 0u) << d.summary();
    EXPECT_EQ(d.stats().sequence_gaps, 0u) << d.summary();

    // Conservation: every observed conversation's packets and bytes are in the records.
    auto convs = make_conversations(seed, 3000);
    std::uint64_t ipfix_p = 0, ipfix_b = 0, v5_p = 0, v5_b = 0, v6_convs = 0;
    for (const auto& c : convs) {
        const bool seen = observe(plans[0], c.key).has_value();
        if (!seen) continue;
        ipfix_p += c.packets();
        ipfix_b += c.bytes();
        if (c.key.src.is_v6()) {
            ++v6_convs;
        } else {
            v5_p += c.packets();
            v5_b += c.bytes();
        }
    }
    EXPECT_EQ(per_exporter_totals[0].first, ipfix_p);
    EXPECT_EQ(per_exporter_totals[0].second, ipfix_b);
    EXPECT_EQ(per_exporter_totals[1].first, v5_p);
    EXPECT_EQ(per_exporter_totals[1].second, v5_b);
    EXPECT_EQ(out.stats.exporters[1].ipv6_not_exportable, v6_convs);
    EXPECT_GT(v6_convs, 0u);
}

TEST(Simulation, SameSeedSameBytesOtherSeedOtherBytes) {
    Output a = run_once(5), b = run_once(5), c = run_once(6);
    EXPECT_EQ(a.messages, b.messages);
    EXPECT_EQ(a.times, b.times);
    EXPECT_NE(a.messages, c.messages);
}

/// Exporters with different export delays and message waits, so that their messages interleave
/// in time in every way: the merge must put them in the single-threaded order.
std::vector<ExporterPlan> mixed_plans() {
    std::vector<ExporterPlan> plans = make_plans();
    const std::int64_t delays[] = {0, 250'000, 1'000'000, 500'000, 0};
    const std::int64_t waits[] = {1'000'000, 2'000'000, 500'000, 1'000'000, 3'000'000};
    for (std::size_t k = 0; k < 5; ++k) {
        ExporterPlan p = plans[k % 2];
        p.name += "-" + std::to_string(k);
        p.exporter.address = core::IpAddress::v4(0xC0000210 + static_cast<std::uint32_t>(k));
        p.export_delay_us = delays[k];
        p.max_message_wait_us = waits[k];
        p.meter.cache_size = k == 3 ? 64 : p.meter.cache_size;  // emergency expiries too
        plans.push_back(p);
    }
    return plans;
}

TEST(Simulation, ExporterThreadsGiveTheSameMessagesInTheSameOrder) {
    for (const auto& plans : {make_plans(), mixed_plans()}) {
        const Output one = run_once(11, 0, plans);
        ASSERT_GT(one.messages.size(), 100u);
        if (plans.size() > 5) {
            ASSERT_GT(one.stats.exporters[5].cache.emergency_expiries, 0u);
        }
        for (std::size_t threads : {2, 3, 7}) {
            SCOPED_TRACE(std::to_string(plans.size()) + " exporters, " + std::to_string(threads) + " threads");
            const Output many = run_once(11, threads, plans);
            ASSERT_EQ(many.messages.size(), one.messages.size());
            for (std::size_t i = 0; i < one.messages.size(); ++i) {
                ASSERT_EQ(many.messages[i], one.messages[i]) << "message " << i;
                ASSERT_EQ(many.times[i], one.times[i]) << "message " << i;
                ASSERT_EQ(many.truth[i], one.truth[i]) << "message " << i;
            }
            EXPECT_EQ(many.stats.messages, one.stats.messages);
            EXPECT_EQ(many.stats.records, one.stats.records);
            EXPECT_EQ(many.stats.first_export_ns, one.stats.first_export_ns);
            EXPECT_EQ(many.stats.last_export_ns, one.stats.last_export_ns);
            for (std::size_t e = 0; e < plans.size(); ++e) {
                EXPECT_EQ(many.stats.exporters[e].cache.emergency_expiries, one.stats.exporters[e].cache.emergency_expiries);
                EXPECT_EQ(many.stats.exporters[e].packetizer.records, one.stats.exporters[e].packetizer.records);
                EXPECT_EQ(many.stats.exporters[e].ipv6_not_exportable, one.stats.exporters[e].ipv6_not_exportable);
            }
        }
    }
}

/// An error on the calling thread (the message sink's, the pull's) stops and joins the
/// exporters' threads and comes out of simulate() as it was thrown.
TEST(Simulation, ErrorsWithExporterThreadsComeOutUnchanged) {
    const auto plans = mixed_plans();
    auto convs = make_conversations(3, 3000);
    for (int where = 0; where < 2; ++where) {
        SCOPED_TRACE(where == 0 ? "message sink" : "pull");
        std::size_t next = 0, messages = 0;
        SimulationSinks sinks;
        sinks.message = [&](std::size_t, const core::EncodedMessage&) {
            if (where == 0 && ++messages == 50) throw IoError("disk full");
        };
        const auto pull = [&](Conversation& c) {
            if (where == 1 && next == 2000) throw IoError("disk full");
            if (next == convs.size()) return false;
            c = convs[next++];
            return true;
        };
        try {
            simulate(plans, 3, pull, sinks, 3);
            ADD_FAILURE() << "no error";
        } catch (const IoError& e) {
            EXPECT_STREQ(e.what(), "disk full");
        }
    }
}

}  // namespace
}  // namespace flowlab::gen
