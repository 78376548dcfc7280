/// @brief --rebase-time: decoded records of what was sent equal the originals with every time
/// moved by the expected whole seconds, and sequence numbers run on across loops.
#include "flowlab/replay/rebase.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/decoder.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/ie_catalog.hpp"
#include "flowlab/replay/replay.hpp"
#include "msg_builder.hpp"
#include "replay_fixtures.hpp"
#include "test_support.hpp"

namespace flowlab::replay {
namespace {

using test::CapturedDatagram;

constexpr std::int64_t kRebaseTo = 1'800'000'000;  // 2027-01-15T08:00:00Z

struct Case {
    core::Protocol protocol;
    core::TimeStyle style;
    const char* name;
};

std::string case_name(const testing::TestParamInfo<Case>& info) {
    return info.param.name;
}
void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

std::vector<std::vector<core::FlowRecord>> decode_all(const std::vector<CapturedDatagram>& original,
                                                      const std::vector<CapturedDatagram>& datagrams,
                                                      core::DecodeStats* stats = nullptr) {
    core::Decoder decoder;
    std::vector<std::vector<core::FlowRecord>> out;
    for (std::size_t i = 0; i < datagrams.size(); ++i) {
        // Decode as the exporter of the original datagram (the session a collector keys on).
        const CapturedDatagram& o = original[i % original.size()];
        std::vector<core::FlowRecord> recs;
        decoder.decode(core::ExportDatagram{datagrams[i].payload, o.src, o.sport, i + 1}, recs);
        out.push_back(std::move(recs));
    }
    if (stats) *stats = decoder.stats();
    return out;
}

/// Independent of the implementation: the shift each loop must add, from the capture alone.
std::int64_t expected_loop_shift(const std::vector<CapturedDatagram>& c) {
    const std::int64_t span = c.back().ts_ns - c.front().ts_ns;
    const std::int64_t gap = c.size() > 1 ? span / static_cast<std::int64_t>(c.size() - 1) : 0;
    return std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::ceil(static_cast<double>(span + gap) / 1e9)));
}

std::uint32_t header_export_s(const std::vector<std::uint8_t>& p) {
    const std::uint16_t version = core::load_be16(p.data());
    return core::load_be32(p.data() + (version == 10 ? 4 : 8));
}

class Rebase : public testing::TestWithParam<Case> {};

TEST_P(Rebase, TimesShiftedAndSequencesContinuousAcrossLoops) {
    const Case& k = GetParam();
    test::TempDir dir;
    const auto original = test::packetized_stream(k.protocol, k.style, 400, 50);  // 8 s of exports
    ASSERT_GT(original.size(), 20u);
    test::write_capture(dir / "x.pcap", original);

    core::DecodeStats original_stats;
    const auto base = decode_all(original, original, &original_stats);
    ASSERT_EQ(original_stats.error_total(), 0u);
    ASSERT_EQ(original_stats.sequence_gaps, 0u);
    ASSERT_EQ(original_stats.records, 400u);

    constexpr std::uint64_t kLoops = 3;
    test::UdpReceiver rx;
    ExportsOptions o;
    o.path = dir / "x.pcap";
    o.target = resolve_target(rx.target());
    o.timing.pace = Pace::topspeed;
    o.timing.loops = kLoops;
    o.rebase_to_s = kRebaseTo;
    RunControl c;
    const ReplayStats st = replay_exports(o, c);
    const auto got = rx.wait_for(kLoops * original.size());
    ASSERT_EQ(got.size(), kLoops * original.size());

    const std::int64_t shift0 = kRebaseTo - header_export_s(original.front().payload);
    const std::int64_t per_loop = expected_loop_shift(original);
    EXPECT_EQ(st.shift_s, shift0);
    EXPECT_EQ(st.loop_shift_s, per_loop);
    EXPECT_EQ(header_export_s(got.front().payload), static_cast<std::uint32_t>(kRebaseTo));
    // Uptime-relative times (v5, v9 21/22) need no rewriting; every other style has fields.
    if (k.style != core::TimeStyle::uptime || k.protocol == core::Protocol::ipfix) {
        EXPECT_GT(st.rebase.time_fields, 0u);
    }

    core::DecodeStats stats;
    const auto decoded = decode_all(original, got, &stats);
    EXPECT_EQ(stats.error_total(), 0u);
    EXPECT_EQ(stats.sequence_gaps, 0u) << "a collector would see loss at a loop boundary";
    EXPECT_EQ(stats.sequence_backwards, 0u) << "a collector would see a restart at a loop boundary";
    EXPECT_EQ(stats.records, kLoops * 400);

    // What the sequence advances per loop: v5 flows, v9 packets, IPFIX data records.
    const std::uint32_t advance =
        k.protocol == core::Protocol::v9 ? static_cast<std::uint32_t>(original.size()) : 400u;
    for (std::size_t i = 0; i < decoded.size(); ++i) {
        const std::uint64_t loop = i / original.size();
        const std::int64_t shift_ms = (shift0 + static_cast<std::int64_t>(loop) * per_loop) * 1000;
        const auto& want = base[i % original.size()];
        ASSERT_EQ(decoded[i].size(), want.size()) << "datagram " << i;
        for (std::size_t r = 0; r < want.size(); ++r) {
            core::FlowRecord expect = want[r];
            expect.first_ms += shift_ms;
            expect.last_ms += shift_ms;
            expect.export_ms += shift_ms;
            expect.sequence += static_cast<std::uint32_t>(loop) * advance;
            ASSERT_EQ(decoded[i][r], expect) << "datagram " << i << " record " << r << " loop " << loop;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    AllTimeStyles, Rebase,
    testing::Values(Case{core::Protocol::v5, core::TimeStyle::uptime, "v5"},
                    Case{core::Protocol::v9, core::TimeStyle::uptime, "v9_uptime"},
                    Case{core::Protocol::v9, core::TimeStyle::seconds, "v9_seconds_150_151"},
                    Case{core::Protocol::v9, core::TimeStyle::milliseconds, "v9_millis_152_153"},
                    Case{core::Protocol::ipfix, core::TimeStyle::uptime, "ipfix_init_time_160"},
                    Case{core::Protocol::ipfix, core::TimeStyle::seconds, "ipfix_seconds_150_151"},
                    Case{core::Protocol::ipfix, core::TimeStyle::milliseconds, "ipfix_millis_152_153"},
                    Case{core::Protocol::ipfix, core::TimeStyle::microseconds, "ipfix_micros_154_155"},
                    Case{core::Protocol::ipfix, core::TimeStyle::nanoseconds, "ipfix_nanos_156_157"}),
    case_name);

TEST(RebaseSessions, EachExporterContinuesItsOwnSequence) {
    test::TempDir dir;
    // Three exporters interleaved, each with its own engine id and v5 sequence.
    const std::vector<core::IpAddress> exporters = {
        core::IpAddress::v4(0xC0000201), core::IpAddress::v4(0xC0000202), core::IpAddress::v4(0xC0000203)};
    const auto original = test::v5_stream(90, exporters, 7);
    test::write_capture(dir / "x.pcap", original);
    test::UdpReceiver rx;
    ExportsOptions o;
    o.path = dir / "x.pcap";
    o.target = resolve_target(rx.target());
    o.timing.pace = Pace::topspeed;
    o.timing.loops = 4;
    o.rebase_to_s = kRebaseTo;
    o.exporter_src = parse_exporter_source("auto");
    RunControl c;
    const ReplayStats st = replay_exports(o, c);
    EXPECT_EQ(st.rebase.sessions, 3u);
    const auto got = rx.wait_for(4 * original.size());
    ASSERT_EQ(got.size(), 4 * original.size());
    core::DecodeStats stats;
    decode_all(original, got, &stats);
    EXPECT_EQ(stats.sequence_gaps, 0u);
    EXPECT_EQ(stats.sequence_backwards, 0u);
    // Each exporter sends 30 messages of 7 flows per loop: its sequence advances by 210.
    for (std::size_t i = 0; i < got.size(); ++i) {
        const std::uint32_t loop = static_cast<std::uint32_t>(i / original.size());
        EXPECT_EQ(core::load_be32(got[i].payload.data() + 16),
                  core::load_be32(original[i % original.size()].payload.data() + 16) + loop * 210)
            << i;
        // v5 keeps unix_nsecs and sysUptime: the shift is whole seconds.
        EXPECT_EQ(core::load_be32(got[i].payload.data() + 12), 250'000'000u);
        EXPECT_EQ(core::load_be32(got[i].payload.data() + 4),
                  core::load_be32(original[i % original.size()].payload.data() + 4));
    }
}

TEST(RebasePlanUnit, ShiftZeroLeavesEveryByte) {
    test::TempDir dir;
    const auto original =
        test::packetized_stream(core::Protocol::ipfix, core::TimeStyle::nanoseconds, 100, 20);
    test::write_capture(dir / "x.pcap", original);
    test::UdpReceiver rx;
    ExportsOptions o;
    o.path = dir / "x.pcap";
    o.target = resolve_target(rx.target());
    o.timing.pace = Pace::topspeed;
    o.rebase_to_s = header_export_s(original.front().payload);
    RunControl c;
    replay_exports(o, c);
    const auto got = rx.wait_for(original.size());
    ASSERT_EQ(got.size(), original.size());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].payload, original[i].payload) << i;
}

TEST(RebasePlanUnit, PatchesCoverTheCatalogsAbsoluteTimes) {
    // The catalog types every element the brief names as an absolute time.
    for (int id : {150, 151, 152, 153, 154, 155, 156, 157, 160}) {
        const core::IeInfo* info = core::find_ie(static_cast<std::uint16_t>(id));
        ASSERT_NE(info, nullptr) << id;
        EXPECT_TRUE(info->type == core::IeType::date_time_seconds ||
                    info->type == core::IeType::date_time_milliseconds ||
                    info->type == core::IeType::date_time_microseconds ||
                    info->type == core::IeType::date_time_nanoseconds)
            << id;
    }
    // NTP: the fraction stays, the seconds move, a wrap of the 32-bit era is modular.
    RebasePlan plan;
    auto msg = test::MsgBuilder::ipfix(1, 0, 1'700'000'000)
                   .set(2)
                   .template_record(256, {{156, 8}, {150, 4}})
                   .end_set()
                   .set(256)
                   .u64(0xFFFFFFFF'12345678ull)
                   .u32(1'700'000'000)
                   .end_set()
                   .build();
    plan.observe(0, msg, core::IpAddress::v4(0xC0000201), 4739, 1);
    plan.finish(0, 1);
    ASSERT_TRUE(plan.has_export_time());
    EXPECT_EQ(plan.first_export_s(), 1'700'000'000u);
    EXPECT_EQ(plan.loop_shift_s(), 1);
    EXPECT_EQ(plan.stats().time_fields, 2u);
    std::vector<std::uint8_t> out(msg.size());
    plan.apply(0, msg, out.data(), 3, 0);
    const std::size_t rec = 16 + 4 + 12 + 4;
    EXPECT_EQ(core::load_be64(out.data() + rec), 0x00000002'12345678ull);
    EXPECT_EQ(core::load_be32(out.data() + rec + 8), 1'700'000'003u);
    EXPECT_EQ(core::load_be32(out.data() + 4), 1'700'000'003u);
}

TEST(RebaseErrors, NothingToRewriteIsAnInputError) {
    test::TempDir dir;
    std::vector<CapturedDatagram> junk(3);
    for (auto& d : junk) {
        d.ts_ns = 1'767'225'600'000'000'000;
        d.src = core::IpAddress::v4(0xC0000201);
        d.sport = 5000;
        d.payload = {0x47, 0x45, 0x54, 0x20, 0x2f};  // not a flow export
    }
    test::write_capture(dir / "junk.pcap", junk);
    ExportsOptions o;
    o.path = dir / "junk.pcap";
    o.target = resolve_target("127.0.0.1:" + std::to_string(test::closed_udp_port()));
    o.rebase_to_s = kRebaseTo;
    RunControl c;
    try {
        replay_exports(o, c);
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("junk.pcap"), std::string::npos) << what;
        EXPECT_NE(what.find("no NetFlow v5/v9 or IPFIX message in 3 UDP datagrams"), std::string::npos)
            << what;
    }
}

}  // namespace
}  // namespace flowlab::replay
