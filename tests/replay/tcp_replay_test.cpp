/// @brief `flowlab replay --transport tcp` (IPFIX over TCP, RFC 7011 10.4): a connection per
/// transport session carrying exactly that session's messages in order; pacing, loops and
/// rebasing as over UDP; refusals (no listener, NetFlow v5/v9, broken framing), a peer reset
/// and SIGINT.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "flowlab/core/byte_io.hpp"
#include "replay_fixtures.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

const core::IpAddress kA = core::IpAddress::v4(0xC0000202);  // 192.0.2.2
const core::IpAddress kB = core::IpAddress::v4(0xC0000203);  // 192.0.2.3

/// IPFIX messages spread over three transport sessions in turn: (A, 50001), (B, 50001),
/// (A, 50002). Two of them share an exporter address and differ by port only.
std::vector<CapturedDatagram> three_sessions(std::size_t records = 300) {
    auto d = packetized_stream(core::Protocol::ipfix, core::TimeStyle::milliseconds, records, 1000);
    const std::pair<core::IpAddress, std::uint16_t> sessions[] = {{kA, 50001}, {kB, 50001}, {kA, 50002}};
    for (std::size_t i = 0; i < d.size(); ++i) std::tie(d[i].src, d[i].sport) = sessions[i % 3];
    return d;
}

/// What connection k of a run must carry: session k's payloads back to back, `loops` times.
std::vector<std::uint8_t> session_bytes(const std::vector<CapturedDatagram>& d, std::size_t k,
                                        int loops = 1) {
    std::vector<std::uint8_t> out;
    for (int l = 0; l < loops; ++l) {
        for (std::size_t i = k; i < d.size(); i += 3)
            out.insert(out.end(), d[i].payload.begin(), d[i].payload.end());
    }
    return out;
}

TEST(ReplayTcp, OneConnectionPerSessionCarriesItsMessagesInOrder) {
    TempDir dir;
    const auto sent = three_sessions();
    ASSERT_GE(sent.size(), 9u);
    write_capture(dir / "x.pcap", sent);
    TcpReceiver rx;
    const auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--transport", "tcp",
                        "--exporter-src", "auto", "--pps", "5000", "--stats-json", dir / "s.json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = rx.wait_ended(3);
    ASSERT_EQ(got.size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) {
        EXPECT_TRUE(got[k].ended) << k;
        EXPECT_EQ(got[k].bytes, session_bytes(sent, k)) << "connection " << k;
    }
    // --exporter-src auto: 127.0.0.2 for 192.0.2.2 (both of its sessions), 127.0.0.3 for 192.0.2.3.
    EXPECT_EQ(got[0].src, core::IpAddress::v4(0x7F000002));
    EXPECT_EQ(got[1].src, core::IpAddress::v4(0x7F000003));
    EXPECT_EQ(got[2].src, core::IpAddress::v4(0x7F000002));
    EXPECT_NE(got[0].sport, got[2].sport);

    EXPECT_TRUE(contains(r.err, "flowlab replay: " + std::to_string(sent.size()) + " messages, ")) << r.err;
    EXPECT_TRUE(contains(r.err, "over 3 TCP connections")) << r.err;
    EXPECT_TRUE(contains(r.err, "errors: none")) << r.err;
    const auto j = nlohmann::json::parse(read_file(dir / "s.json"));
    EXPECT_EQ(j["transport"], "tcp");
    EXPECT_EQ(j["packets"], sent.size());
    ASSERT_EQ(j["connections"].size(), 3u) << j.dump();
    EXPECT_EQ(j["connections"][1]["exporter"], "192.0.2.3");
    EXPECT_EQ(j["connections"][2]["exporter"], "192.0.2.2");
    EXPECT_EQ(j["connections"][2]["exporter_port"], 50002);
    EXPECT_EQ(j["connections"][0]["local"], "127.0.0.2:" + std::to_string(got[0].sport));
    std::size_t total = 0;
    for (std::size_t k = 0; k < 3; ++k) {
        EXPECT_EQ(j["connections"][k]["bytes"], got[k].bytes.size());
        total += j["connections"][k]["messages"].get<std::size_t>();
    }
    EXPECT_EQ(total, sent.size());
    EXPECT_EQ(j["bytes"], j["wire_bytes"]);  // message bytes: segments are the kernel's choice
}

// Loops continue on the same connections; --rebase-time rewrites the messages exactly as it
// does over UDP, so the stream of a session is the concatenation of its rebased datagrams.
TEST(ReplayTcp, LoopsAndRebasingAsOverUdp) {
    TempDir dir;
    const auto sent = three_sessions(120);
    write_capture(dir / "x.pcap", sent);
    UdpReceiver udp;
    auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", udp.target(), "--topspeed", "--loop", "2",
                  "--rebase-time", "2027-01-15T08:00:00Z", "--exporter-src", "auto"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto datagrams = udp.wait_for(sent.size() * 2);
    ASSERT_EQ(datagrams.size(), sent.size() * 2);

    TcpReceiver tcp;
    r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", tcp.target(), "--transport", "tcp",
             "--topspeed", "--loop", "2", "--rebase-time", "2027-01-15T08:00:00Z", "--exporter-src", "auto"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "2 loops")) << r.err;
    const auto got = tcp.wait_ended(3);
    ASSERT_EQ(got.size(), 3u);
    // UDP sockets per exporter address: sessions (A, 50001) and (A, 50002) share one there,
    // so split the datagrams by the capture's session of their position instead.
    for (std::size_t k = 0; k < 3; ++k) {
        std::vector<std::uint8_t> want;
        for (std::size_t i = 0; i < datagrams.size(); ++i) {
            if (i % sent.size() % 3 == k)
                want.insert(want.end(), datagrams[i].payload.begin(), datagrams[i].payload.end());
        }
        EXPECT_EQ(got[k].bytes, want) << "connection " << k;
    }
    EXPECT_NE(got[0].bytes, session_bytes(sent, 0, 2));  // the times were rewritten
}

TEST(ReplayTcp, NothingListeningFailsAtTheStart) {
    TempDir dir;
    write_capture(dir / "x.pcap", three_sessions(30));
    const std::string to = "127.0.0.1:" + std::to_string(closed_tcp_port());
    const auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", to, "--transport", "tcp"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "cannot connect to " + to + " over TCP for exporter 192.0.2.2 port 50001"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "nothing listens on TCP there (nothing was sent)")) << r.err;
}

TEST(ReplayTcp, NetflowIsRefusedNamingThePacket) {
    TempDir dir;
    TcpReceiver rx;
    write_capture(dir / "v5.pcap", v5_stream(4, {kA}));
    auto r = run({flowlab_bin(), "replay", dir / "v5.pcap", "--to", rx.target(), "--transport", "tcp"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "v5.pcap: packet 1: cannot be sent over TCP: a NetFlow v5 message")) << r.err;
    EXPECT_TRUE(contains(r.err, "RFC 3954")) << r.err;

    write_capture(dir / "v9.pcap", packetized_stream(core::Protocol::v9, core::TimeStyle::uptime, 50, 1000));
    r = run({flowlab_bin(), "replay", dir / "v9.pcap", "--to", rx.target(), "--transport", "tcp"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "packet 1: cannot be sent over TCP: a NetFlow v9 message")) << r.err;
    EXPECT_TRUE(rx.wait_ended(1, std::chrono::milliseconds(200)).empty()) << "connected anyway";
}

// The IPFIX length is the stream's only framing: a message whose length disagrees with its
// datagram would shift every later message of the stream.
TEST(ReplayTcp, MessageLengthThatDisagreesWithTheDatagramIsRefused) {
    TempDir dir;
    auto d = three_sessions(60);
    ASSERT_GE(d.size(), 3u);
    core::store_be16(d[2].payload.data() + 2, static_cast<std::uint16_t>(d[2].payload.size() - 4));
    write_capture(dir / "x.pcap", d);
    TcpReceiver rx;
    const auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--transport", "tcp"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "packet 3: cannot be sent over TCP: its IPFIX header says " +
                                    std::to_string(d[2].payload.size() - 4) +
                                    " bytes but the datagram holds " + std::to_string(d[2].payload.size())))
        << r.err;
    EXPECT_TRUE(rx.wait_ended(1, std::chrono::milliseconds(200)).empty()) << "connected anyway";
}

// A collector that resets its peer: the run ends with what was written and the reason.
TEST(ReplayTcp, PeerResetEndsTheRunWithASummary) {
    TempDir dir;
    write_capture(dir / "x.pcap", three_sessions(600));  // 5 ms apart: time for the reset to arrive
    TcpReceiver rx(/*reset=*/true);
    const auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--transport", "tcp",
                        "--pps", "200", "--stats-json", dir / "s.json"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "flowlab replay: ")) << r.err;
    EXPECT_TRUE(contains(r.err, " messages, ")) << r.err;
    EXPECT_TRUE(contains(r.err, "the peer reset or closed the connection")) << r.err;
    const auto j = nlohmann::json::parse(read_file(dir / "s.json"));
    EXPECT_EQ(j["interrupted"], false);
    EXPECT_FALSE(j["errors"].empty()) << j.dump();
    EXPECT_LT(j["packets"].get<std::size_t>(), j["capture"]["packets"].get<std::size_t>()) << j.dump();
}

TEST(ReplayTcp, SigintStopsWithExitCode130AndWholeMessages) {
    TempDir dir;
    const auto sent = three_sessions(60);
    write_capture(dir / "x.pcap", sent);
    TcpReceiver rx;
    Process p({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--transport", "tcp", "--loop",
               "0", "--pps", "500", "--stats-json", dir / "s.json"},
              dir / "out.txt", dir / "err.txt");
    ASSERT_TRUE(wait_until([&] { return rx.bytes() > 2000; }, std::chrono::milliseconds(5000)));
    EXPECT_EQ(p.stop(SIGINT), 130);
    const std::string err = read_file(dir / "err.txt");
    EXPECT_TRUE(contains(err, "flowlab replay: interrupted: ")) << err;
    const auto j = nlohmann::json::parse(read_file(dir / "s.json"));
    EXPECT_EQ(j["interrupted"], true);
    const auto got = rx.wait_ended(3);
    ASSERT_EQ(got.size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) {
        // Whole messages only: the stream is a prefix of the session's looped messages.
        const auto want = session_bytes(sent, k, 1000);
        ASSERT_LE(got[k].bytes.size(), want.size());
        EXPECT_TRUE(std::equal(got[k].bytes.begin(), got[k].bytes.end(), want.begin())) << k;
        EXPECT_EQ(j["connections"][k]["bytes"], got[k].bytes.size()) << k;
    }
}

TEST(ReplayTcp, TransportNeedsExportsMode) {
    const auto r = run({flowlab_bin(), "replay", "x.pcap", "--iface", "lo", "--transport", "tcp"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "--transport")) << r.err;
}

}  // namespace
}  // namespace flowlab::test
