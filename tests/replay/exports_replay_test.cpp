/// @brief Exports mode through the library: what a receiving socket gets, byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "flowlab/core/error.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/replay/replay.hpp"
#include "replay_fixtures.hpp"
#include "test_support.hpp"

namespace flowlab::replay {
namespace {

using test::CapturedDatagram;
using test::UdpReceiver;

const core::IpAddress kExporterA = core::IpAddress::v4(0xC0000201);  // 192.0.2.1
const core::IpAddress kExporterB = core::IpAddress::v4(0xC0000202);
const core::IpAddress kExporterC = core::IpAddress::v4(0xC6336401);  // 198.51.100.1

/// Mixed sizes (1..30 records), so an off-by-one in the arena shows.
std::vector<CapturedDatagram> mixed_stream(std::size_t n, const std::vector<core::IpAddress>& exporters) {
    auto s = test::v5_stream(n, exporters, 1);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto count = static_cast<std::uint16_t>(1 + (i * 7) % 30);
        s[i].payload = test::v5_message(static_cast<std::uint32_t>(i), 1'767'225'600, 1000, count,
                                        static_cast<std::uint32_t>(i));
    }
    return s;
}

ExportsOptions options_for(const std::string& path, const UdpReceiver& rx, Pace pace = Pace::topspeed,
                           double rate = 0) {
    ExportsOptions o;
    o.path = path;
    o.target = resolve_target(rx.target());
    o.timing.pace = pace;
    o.timing.rate = rate;
    return o;
}

void expect_same_payloads(const std::vector<CapturedDatagram>& sent, const std::vector<CapturedDatagram>& got,
                          std::size_t loops = 1) {
    ASSERT_EQ(got.size(), sent.size() * loops);
    for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].payload, sent[i % sent.size()].payload) << "datagram " << i;
    }
}

TEST(ExportsReplay, EveryDatagramArrivesInOrderByteIdentical) {
    test::TempDir dir;
    const auto sent = mixed_stream(600, {kExporterA, kExporterB});
    test::write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    RunControl c;
    const ReplayStats st = replay_exports(options_for(dir / "x.pcap", rx), c);
    const auto got = rx.wait_for(sent.size());
    expect_same_payloads(sent, got);
    EXPECT_EQ(st.packets, sent.size());
    std::uint64_t bytes = 0;
    for (const auto& d : sent) bytes += d.payload.size();
    EXPECT_EQ(st.bytes, bytes);
    EXPECT_EQ(st.wire_bytes, bytes + 28 * sent.size());
    EXPECT_EQ(st.file_packets, sent.size());
    EXPECT_EQ(st.errors.total(), 0u);
    EXPECT_FALSE(st.paced);
    EXPECT_FALSE(st.interrupted);
    EXPECT_EQ(st.loops_completed, 1u);
    // Without --exporter-src one socket sends everything, from the kernel's choice of address.
    for (const auto& d : got) EXPECT_EQ(d.src, core::IpAddress::v4(0x7F000001));
}

TEST(ExportsReplay, LoadedFirstGivesTheSameResult) {
    test::TempDir dir;
    const auto sent = mixed_stream(300, {kExporterA});
    test::write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    RunControl c;
    c.overlap_loading = false;
    c.batch = 7;  // batches that do not divide the count
    const ReplayStats st = replay_exports(options_for(dir / "x.pcap", rx), c);
    expect_same_payloads(sent, rx.wait_for(sent.size()));
    EXPECT_EQ(st.packets, sent.size());
}

TEST(ExportsReplay, Ipv6TargetPaced) {
    test::TempDir dir;
    const auto sent = mixed_stream(200, {kExporterA});
    test::write_capture(dir / "x.pcap", sent);
    UdpReceiver rx(true);
    RunControl c;
    const ReplayStats st = replay_exports(options_for(dir / "x.pcap", rx, Pace::pps, 20000), c);
    const auto got = rx.wait_for(sent.size());
    expect_same_payloads(sent, got);
    EXPECT_TRUE(st.paced);
    EXPECT_EQ(st.lateness.count(), sent.size());
    std::uint64_t bytes = 0;
    for (const auto& d : sent) bytes += d.payload.size();
    EXPECT_EQ(st.wire_bytes, bytes + 48 * sent.size());  // IPv6 + UDP headers
    EXPECT_EQ(got.front().src, *core::IpAddress::parse("::1"));
}

TEST(ExportsReplay, OriginalSpacingAndMbpsSendEverything) {
    test::TempDir dir;
    const auto sent = mixed_stream(100, {kExporterA});  // 1 ms apart: 0.1 s
    test::write_capture(dir / "x.pcap", sent);
    for (Pace pace : {Pace::original, Pace::mbps}) {
        UdpReceiver rx;
        RunControl c;
        auto o = options_for(dir / "x.pcap", rx, pace, 200);
        o.timing.speed = 4;
        const ReplayStats st = replay_exports(o, c);
        expect_same_payloads(sent, rx.wait_for(sent.size()));
        EXPECT_EQ(st.lateness.count(), sent.size());
    }
}

TEST(ExportsReplay, ExporterSrcAutoGivesEachExporterItsOwnAddress) {
    test::TempDir dir;
    const auto sent = mixed_stream(90, {kExporterC, kExporterA, kExporterB});
    test::write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    RunControl c;
    auto o = options_for(dir / "x.pcap", rx);
    o.exporter_src = parse_exporter_source("auto");
    const ReplayStats st = replay_exports(o, c);
    const auto got = rx.wait_for(sent.size());
    expect_same_payloads(sent, got);
    // In order of first appearance: 198.51.100.1 -> .2, 192.0.2.1 -> .3, 192.0.2.2 -> .4.
    std::set<std::uint16_t> ports;
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].src, core::IpAddress::v4(0x7F000002u + static_cast<std::uint32_t>(i % 3))) << i;
        if (i < 3) ports.insert(got[i].sport);
        EXPECT_EQ(got[i].sport, got[i % 3].sport);
    }
    ASSERT_EQ(st.sources.size(), 3u);
    EXPECT_EQ(st.sources[0].first, "198.51.100.1");
    EXPECT_EQ(st.sources[0].second.rfind("127.0.0.2:", 0), 0u) << st.sources[0].second;
    EXPECT_EQ(st.sources[2].first, "192.0.2.2");
    EXPECT_EQ(st.sources[2].second.rfind("127.0.0.4:", 0), 0u) << st.sources[2].second;
}

TEST(ExportsReplay, ExporterSrcMapAndUnmappedExporters) {
    test::TempDir dir;
    const auto sent = mixed_stream(60, {kExporterA, kExporterB});
    test::write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    std::vector<std::string> notes;
    RunControl c;
    c.note = [&](const std::string& n) { notes.push_back(n); };
    auto o = options_for(dir / "x.pcap", rx);
    o.exporter_src = parse_exporter_source("192.0.2.2=127.0.0.9,203.0.113.7=127.0.0.10");
    replay_exports(o, c);
    const auto got = rx.wait_for(sent.size());
    expect_same_payloads(sent, got);
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].src, i % 2 ? core::IpAddress::v4(0x7F000009) : core::IpAddress::v4(0x7F000001)) << i;
    }
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("203.0.113.7 does not occur"), std::string::npos) << notes[0];
}

TEST(ExportsReplay, ExporterSrcAutoOverIpv6SharesTheLoopbackAddress) {
    test::TempDir dir;
    const auto sent = mixed_stream(40, {kExporterA, kExporterB});
    test::write_capture(dir / "x.pcap", sent);
    UdpReceiver rx(true);
    std::vector<std::string> notes;
    RunControl c;
    c.note = [&](const std::string& n) { notes.push_back(n); };
    auto o = options_for(dir / "x.pcap", rx);
    o.exporter_src = parse_exporter_source("auto");
    replay_exports(o, c);
    const auto got = rx.wait_for(sent.size());
    expect_same_payloads(sent, got);
    EXPECT_EQ(got[0].src, got[1].src);
    EXPECT_NE(got[0].sport, got[1].sport);
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("single loopback address"), std::string::npos);
}

TEST(ExportsReplay, ExporterSrcAutoNeedsALoopbackTarget) {
    test::TempDir dir;
    test::write_capture(dir / "x.pcap", mixed_stream(5, {kExporterA}));
    ExportsOptions o;
    o.path = dir / "x.pcap";
    o.target = resolve_target("192.0.2.10:2055");
    o.exporter_src = parse_exporter_source("auto");
    RunControl c;
    EXPECT_THROW(replay_exports(o, c), UsageError);
}

TEST(ExportsReplay, MapToAnAddressThisHostLacksFailsBeforeSending) {
    test::TempDir dir;
    test::write_capture(dir / "x.pcap", mixed_stream(5, {kExporterA}));
    UdpReceiver rx;
    auto o = options_for(dir / "x.pcap", rx);
    o.exporter_src = parse_exporter_source("192.0.2.1=192.0.2.200");
    RunControl c;
    try {
        replay_exports(o, c);
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("192.0.2.200"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(rx.wait_for(1, std::chrono::milliseconds(200)).empty());
}

TEST(ExportsReplay, LoopsRepeatTheCaptureUnchanged) {
    test::TempDir dir;
    const auto sent = mixed_stream(150, {kExporterA});
    test::write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    RunControl c;
    auto o = options_for(dir / "x.pcap", rx);
    o.timing.loops = 3;
    const ReplayStats st = replay_exports(o, c);
    expect_same_payloads(sent, rx.wait_for(3 * sent.size()), 3);
    EXPECT_EQ(st.loops_completed, 3u);
    EXPECT_EQ(st.packets, 3 * sent.size());
}

TEST(ExportsReplay, DurationStopsAnEndlessLoop) {
    test::TempDir dir;
    const auto sent = mixed_stream(50, {kExporterA});
    test::write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    RunControl c;
    auto o = options_for(dir / "x.pcap", rx, Pace::pps, 2000);
    o.timing.loops = 0;
    o.timing.duration_ns = 300'000'000;
    const ReplayStats st = replay_exports(o, c);
    EXPECT_TRUE(st.duration_reached);
    EXPECT_FALSE(st.interrupted);
    EXPECT_GE(st.duration_ns, 300'000'000);
    // Packet i is due at i/2000 s; only those due before 0.3 s go out.
    EXPECT_GT(st.packets, 0u);
    EXPECT_LE(st.packets, 600u);
    EXPECT_EQ(st.loops_completed, st.packets / sent.size());
    const auto got = rx.wait_for(st.packets);
    ASSERT_EQ(got.size(), st.packets);
    for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(got[i].payload, sent[i % sent.size()].payload) << i;
}

TEST(ExportsReplay, StopFlagEndsTheRunCleanly) {
    test::TempDir dir;
    test::write_capture(dir / "x.pcap", mixed_stream(20, {kExporterA}));
    UdpReceiver rx;
    std::atomic<bool> stop{false};
    RunControl c;
    c.stop = &stop;
    auto o = options_for(dir / "x.pcap", rx, Pace::pps, 1000);
    o.timing.loops = 0;
    std::thread stopper([&] {
        rx.wait_for(30, std::chrono::milliseconds(5000));
        stop = true;
    });
    const ReplayStats st = replay_exports(o, c);
    stopper.join();
    EXPECT_TRUE(st.interrupted);
    EXPECT_GE(st.packets, 30u);
    EXPECT_EQ(rx.wait_for(st.packets, std::chrono::milliseconds(300)).size(), st.packets);
}

TEST(ExportsReplay, ClosedPortIsCountedNotFatal) {
    test::TempDir dir;
    const auto sent = mixed_stream(200, {kExporterA});
    test::write_capture(dir / "x.pcap", sent);
    ExportsOptions o;
    o.path = dir / "x.pcap";
    o.target = resolve_target("127.0.0.1:" + std::to_string(test::closed_udp_port()));
    o.timing.pace = Pace::pps;
    o.timing.rate = 20000;
    RunControl c;
    const ReplayStats st = replay_exports(o, c);
    EXPECT_EQ(st.packets, sent.size());
    const auto errs = st.errors.list();
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_EQ(errs[0].first, "ECONNREFUSED");
    EXPECT_GT(errs[0].second, 0u);
    EXPECT_EQ(st.errors.skipped, 0u);
    EXPECT_NE(summary_line(st).find("ECONNREFUSED"), std::string::npos);
}

TEST(ExportsReplay, NoUdpInTheCaptureIsAnInputError) {
    test::TempDir dir;
    {
        core::PcapWriter w(dir / "arp.pcap");
        std::vector<std::uint8_t> arp(42, 0);
        arp[12] = 0x08;
        arp[13] = 0x06;
        w.write_frame(1'767'225'600'000'000'000, arp);
        w.write_frame(1'767'225'600'100'000'000, arp);
        w.commit();
    }
    UdpReceiver rx;
    RunControl c;
    try {
        replay_exports(options_for(dir / "arp.pcap", rx), c);
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("arp.pcap"), std::string::npos) << what;
        EXPECT_NE(what.find("no UDP datagrams in 2 frames"), std::string::npos) << what;
    }
}

TEST(ExportsReplay, StatsJsonIsWrittenAtomically) {
    test::TempDir dir;
    const auto sent = mixed_stream(50, {kExporterA});
    test::write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    RunControl c;
    const ReplayStats st = replay_exports(options_for(dir / "x.pcap", rx, Pace::pps, 10000), c);
    write_stats_json(st, dir / "stats.json");
    const auto j = nlohmann::json::parse(test::read_file(dir / "stats.json"));
    EXPECT_EQ(j["mode"], "exports");
    EXPECT_EQ(j["packets"], 50);
    EXPECT_EQ(j["lateness_ns"]["count"], 50);
    EXPECT_LE(j["lateness_ns"]["p50"].get<std::uint64_t>(), j["lateness_ns"]["max"].get<std::uint64_t>());
    EXPECT_TRUE(j["errors"].empty());
    EXPECT_EQ(j["capture"]["packets"], 50);
    EXPECT_TRUE(j["rebase"].is_null());
    // Only the final file is left.
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
    EXPECT_EQ(files, 2u);
}

}  // namespace
}  // namespace flowlab::replay
