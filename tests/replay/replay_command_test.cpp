/// @brief `flowlab replay` as a user runs it: exit codes, messages, summary, stats, signals.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "replay_fixtures.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

std::vector<CapturedDatagram> small_stream(std::size_t n) {
    return v5_stream(n, {core::IpAddress::v4(0xC0000201), core::IpAddress::v4(0xC0000202)}, 3);
}

TEST(ReplayCommand, SendsEverythingAndSummarizes) {
    TempDir dir;
    const auto sent = small_stream(100);
    write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    const auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--pps", "5000",
                        "--stats-json", dir / "stats.json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = rx.wait_for(sent.size());
    ASSERT_EQ(got.size(), sent.size());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].payload, sent[i].payload) << i;
    EXPECT_TRUE(contains(r.err, "flowlab replay: 100 packets, ")) << r.err;
    EXPECT_TRUE(contains(r.err, "lateness p50 ")) << r.err;
    EXPECT_TRUE(contains(r.err, "errors: none")) << r.err;
    EXPECT_TRUE(r.out.empty());
    const auto j = nlohmann::json::parse(read_file(dir / "stats.json"));
    EXPECT_EQ(j["packets"], 100);
    EXPECT_EQ(j["interrupted"], false);
    EXPECT_EQ(j["target"], rx.target());
    EXPECT_GT(j["pps"].get<double>(), 0.0);
    // Issue 16: without --exporter-src the user is told where the exporters come from.
    EXPECT_TRUE(contains(r.err, "exporters 192.0.2.1, 192.0.2.2 are all sent from 127.0.0.1:")) << r.err;
    ASSERT_EQ(j["sources"].size(), 2u) << j.dump();
    EXPECT_EQ(j["sources"][0]["exporter"], "192.0.2.1");
    EXPECT_EQ(j["sources"][0]["local"].get<std::string>().rfind("127.0.0.1:", 0), 0u) << j.dump();
}

TEST(ReplayCommand, ReadsStandardInput) {
    TempDir dir;
    const auto sent = small_stream(60);
    write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    const auto r = run({flowlab_bin(), "replay", "-", "--to", rx.target(), "--topspeed"}, {},
                       std::chrono::seconds(60), read_file(dir / "x.pcap"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = rx.wait_for(sent.size());
    ASSERT_EQ(got.size(), sent.size());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].payload, sent[i].payload) << i;
}

TEST(ReplayCommand, ExporterSrcAutoAndRebaseTogether) {
    TempDir dir;
    const auto sent = small_stream(20);
    write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    const auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--topspeed", "--loop",
                        "2", "--exporter-src", "auto", "--rebase-time", "2027-01-15T08:00:00Z"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = rx.wait_for(40);
    ASSERT_EQ(got.size(), 40u);
    EXPECT_EQ(got[0].src, core::IpAddress::v4(0x7F000002));
    EXPECT_EQ(got[1].src, core::IpAddress::v4(0x7F000003));
    EXPECT_EQ(core::load_be32(got[0].payload.data() + 8), 1'800'000'000u);  // v5 unix_secs
    EXPECT_TRUE(contains(r.err, "2 loops")) << r.err;
}

TEST(ReplayCommand, RebasedLoopsStopBeforeExportTimesPass2106) {
    TempDir dir;
    const auto sent = small_stream(20);  // spans well under a second: each loop shifts 1 s
    write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    // From 15 s before the last second NetFlow can carry: 15 loops fit, the 16th would wrap.
    auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--topspeed", "--loop", "16",
                  "--rebase-time", "2106-02-07T06:28:00Z"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "at most 15 loops")) << r.err;
    EXPECT_TRUE(contains(r.err, "2106-02-07T06:28:15Z")) << r.err;
    r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--topspeed", "--loop", "0",
             "--rebase-time", "2106-02-07T06:28:00Z"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "stops after 15 loops")) << r.err;
    EXPECT_TRUE(contains(r.err, "15 loops")) << r.err;
    const auto got = rx.wait_for(sent.size() * 15);
    ASSERT_EQ(got.size(), sent.size() * 15);
    for (const auto& d : got) {
        const std::uint32_t export_s = core::load_be32(d.payload.data() + 8);  // v5 unix_secs
        ASSERT_GE(export_s, 4'294'967'280u) << "wrapped past 2106";
    }
    // A start whose first loop would already pass it is refused.
    r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--topspeed", "--rebase-time",
             "2106-02-07T06:28:15Z"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(ReplayCommand, DurationStopsAnEndlessLoop) {
    TempDir dir;
    write_capture(dir / "x.pcap", small_stream(10));
    UdpReceiver rx;
    const auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--loop", "0", "--pps",
                        "1000", "--duration", "400ms", "--stats-json", dir / "s.json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(read_file(dir / "s.json"));
    EXPECT_EQ(j["duration_reached"], true);
    EXPECT_GE(j["duration_s"].get<double>(), 0.4);
    EXPECT_LE(j["packets"].get<int>(), 400);
    EXPECT_GT(j["packets"].get<int>(), 0);
}

TEST(ReplayCommand, SigintStopsWithExitCode130AndFlushesStats) {
    TempDir dir;
    write_capture(dir / "x.pcap", small_stream(10));
    UdpReceiver rx;
    Process p({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--loop", "0", "--pps", "500",
               "--stats-json", dir / "s.json"},
              dir / "out.txt", dir / "err.txt");
    ASSERT_GE(rx.wait_for(25, std::chrono::milliseconds(5000)).size(), 25u);
    EXPECT_EQ(p.stop(SIGINT), 130);
    const std::string err = read_file(dir / "err.txt");
    EXPECT_TRUE(contains(err, "flowlab replay: interrupted: ")) << err;
    const auto j = nlohmann::json::parse(read_file(dir / "s.json"));
    EXPECT_EQ(j["interrupted"], true);
    EXPECT_EQ(rx.wait_for(j["packets"].get<std::size_t>(), std::chrono::milliseconds(500)).size(),
              j["packets"].get<std::size_t>());
}

TEST(ReplayCommand, SigtermToo) {
    TempDir dir;
    write_capture(dir / "x.pcap", small_stream(10));
    UdpReceiver rx;
    // One packet an hour after the first: the process sleeps when the signal comes.
    Process p({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--speed", "0.000001"},
              dir / "out.txt", dir / "err.txt");
    ASSERT_GE(rx.wait_for(1, std::chrono::milliseconds(5000)).size(), 1u);
    EXPECT_EQ(p.stop(SIGTERM, std::chrono::milliseconds(3000)), 143);
    const std::string err = read_file(dir / "err.txt");
    EXPECT_TRUE(contains(err, "flowlab replay: interrupted: 1 packets")) << err;
    EXPECT_TRUE(contains(err, "interrupted by SIGTERM after sending 1 packets")) << err;
}

// Nothing listening: the kernel refuses the datagrams (ICMP port unreachable). The run goes
// on, counts the refusals and fails (exit 1) unless that was allowed.
TEST(ReplayCommand, ClosedPortIsCountedAndFailsTheRun) {
    TempDir dir;
    write_capture(dir / "x.pcap", small_stream(100));
    const std::string to = "127.0.0.1:" + std::to_string(closed_udp_port());
    auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", to, "--pps", "10000"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "100 packets")) << r.err;
    EXPECT_TRUE(contains(r.err, "errors: ECONNREFUSED ")) << r.err;
    EXPECT_TRUE(contains(r.err, "datagrams were refused by the target or not sent")) << r.err;

    r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", to, "--pps", "10000", "--allow-send-errors"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "errors: ECONNREFUSED ")) << r.err;
}

struct BadInput : testing::Test {
    TempDir dir;
    UdpReceiver rx;
    RunResult replay(std::vector<std::string> extra) {
        std::vector<std::string> argv = {flowlab_bin(), "replay"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run(argv);
    }
    void expect_nothing_sent() { EXPECT_TRUE(rx.wait_for(1, std::chrono::milliseconds(100)).empty()); }
};

TEST_F(BadInput, MissingFile) {
    const auto r = replay({dir / "nope.pcap", "--to", rx.target()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "nope.pcap")) << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
    expect_nothing_sent();
}

TEST_F(BadInput, NotACaptureFile) {
    write_file(dir / "notes.pcap", "this is not a capture file\n");
    const auto r = replay({dir / "notes.pcap", "--to", rx.target()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "notes.pcap")) << r.err;
    expect_nothing_sent();
}

TEST_F(BadInput, NoUdpDatagrams) {
    {
        core::PcapWriter w(dir / "arp.pcap");
        std::vector<std::uint8_t> arp(42, 0);
        arp[12] = 0x08;
        arp[13] = 0x06;
        w.write_frame(1'767'225'600'000'000'000, arp);
        w.commit();
    }
    const auto r = replay({dir / "arp.pcap", "--to", rx.target()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "arp.pcap: no UDP datagrams in 1 frames (1 not IP")) << r.err;
    expect_nothing_sent();
}

TEST_F(BadInput, DamagedFurtherOnReportsWhatWasSentAndThePacket) {
    const auto sent = small_stream(100);
    write_capture(dir / "cut.pcap", sent);
    // Cut the last record in half.
    std::filesystem::resize_file(dir / "cut.pcap", std::filesystem::file_size(dir / "cut.pcap") - 60);
    const auto r = replay({dir / "cut.pcap", "--to", rx.target(), "--topspeed"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "cut.pcap")) << r.err;
    EXPECT_TRUE(contains(r.err, "packet 100")) << r.err;
    // Everything before the damage went out, and the summary says so.
    EXPECT_TRUE(contains(r.err, "flowlab replay: 99 packets")) << r.err;
    EXPECT_EQ(rx.wait_for(99).size(), 99u);
}

TEST_F(BadInput, NeitherTargetNorInterface) {
    write_capture(dir / "x.pcap", small_stream(3));
    const auto r = replay({dir / "x.pcap"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "give --to HOST:PORT")) << r.err;
}

TEST_F(BadInput, BadTarget) {
    write_capture(dir / "x.pcap", small_stream(3));
    const auto r = replay({dir / "x.pcap", "--to", "::1:2055"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "--to ::1:2055: put an IPv6 address in brackets")) << r.err;
}

TEST_F(BadInput, ConflictingTimingOptions) {
    write_capture(dir / "x.pcap", small_stream(3));
    EXPECT_EQ(replay({dir / "x.pcap", "--to", rx.target(), "--pps", "10", "--topspeed"}).exit_code, 2);
    EXPECT_EQ(replay({dir / "x.pcap", "--to", rx.target(), "--speed", "2", "--mbps", "10"}).exit_code, 2);
    EXPECT_EQ(replay({dir / "x.pcap", "--to", rx.target(), "--pps", "-5"}).exit_code, 2);
    EXPECT_EQ(replay({dir / "x.pcap", "--iface", "lo", "--rebase-time", "now"}).exit_code, 2);
    const auto r = replay({dir / "x.pcap", "--to", rx.target(), "--duration", "soon"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "--duration: expected a duration")) << r.err;
    expect_nothing_sent();
}

TEST_F(BadInput, MissingInterfaceNamesItAndTheReason) {
    write_capture(dir / "x.pcap", small_stream(3));
    const auto r = replay({dir / "x.pcap", "--iface", "flnoexist0"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "interface flnoexist0: ")) << r.err;
    EXPECT_TRUE(contains(r.err, "no such interface") || contains(r.err, "permission denied")) << r.err;
    EXPECT_TRUE(contains(r.err, "nothing was sent")) << r.err;
}

TEST_F(BadInput, PacketsModeNeedsEthernetFrames) {
    {
        core::PcapWriter w(dir / "raw.pcap", core::TimePrecision::micro, 101);
        std::vector<std::uint8_t> ip = {0x45, 0, 0,   28, 0, 0, 0,    0,    64,   17,   0, 0, 192, 0,
                                        2,    1, 127, 0,  0, 1, 0x13, 0x88, 0x08, 0x07, 0, 8, 0,   0};
        w.write_frame(1'767'225'600'000'000'000, ip);
        w.commit();
    }
    const auto r = replay({dir / "raw.pcap", "--iface", "lo"});
    EXPECT_EQ(r.exit_code, 2);
    // libpcap reports LINKTYPE_RAW (101) as DLT_RAW, 12 on Linux.
    EXPECT_TRUE(contains(r.err, "raw.pcap: link type RAW (12) is not Ethernet")) << r.err;
}

}  // namespace
}  // namespace flowlab::test
