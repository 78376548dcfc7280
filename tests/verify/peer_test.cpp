/// @brief Live runs against the real tools (label peer): exports with exact truth go to nfcapd,
/// nfacctd and tshark, and each reader's output must verify against the truth (with the
/// collector's profile); a real probe (softflowd) feeds all three, and the readers must agree.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>

#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/udp_port.hpp"
#include "verify_helpers.hpp"

namespace flowlab::verify::testing {
namespace {

using namespace std::chrono_literals;
using flowlab::test::Process;
using flowlab::test::TempDir;

const char* kPython = "/usr/bin/python3";

/// UDP payloads of a capture, in order.
std::vector<std::vector<std::uint8_t>> payloads(const std::string& pcap) {
    core::PcapReader in(pcap);
    core::UdpDatagram d;
    std::vector<std::vector<std::uint8_t>> out;
    while (in.next_udp(d)) out.emplace_back(d.payload.begin(), d.payload.end());
    return out;
}

/// Sends the datagrams to 127.0.0.1:port, then waits until the socket there has read them all
/// (its receive queue is empty) and checks that the kernel dropped none.
void send_to(std::uint16_t port, const std::vector<std::vector<std::uint8_t>>& datagrams) {
    const auto before = core::udp_socket_state(port);
    ASSERT_TRUE(before.has_value()) << "nothing listens on port " << port;
    const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(s, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (const auto& p : datagrams)
        ASSERT_EQ(::sendto(s, p.data(), p.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to),
                  static_cast<ssize_t>(p.size()));
    ::close(s);
    std::optional<core::UdpSocketState> st;
    ASSERT_TRUE(flowlab::test::wait_until([&] { return (st = core::udp_socket_state(port)) && st->rx_queue == 0; }, 10000ms))
        << "the collector did not read what was sent";
    EXPECT_EQ(st->drops, before->drops) << "the kernel dropped datagrams for port " << port;
}

/// Waits until a UDP socket is bound to the port (the collector is ready) or `p` has ended.
bool listening(std::uint16_t port, Process& p) {
    return flowlab::test::wait_until([&] { return core::udp_socket_state(port).has_value() || !p.running(); }, 10000ms) &&
           p.running();
}

/// The crafted exports (exact truth) as gen would lay them out: DIR/truth/records.csv.
std::string craft(const TempDir& dir) {
    std::filesystem::create_directories(dir / "gen/truth");
    const auto r = flowlab::test::run({kPython, fixture("craft_exports.py"), "--truth", dir / "gen/truth/records.csv", "--pcap",
                                       dir / "exports.pcap"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir / "gen";
}

/// Runs nfcapd on a free port, feeds it the datagrams, stops it (SIGTERM flushes), returns the directory.
std::string through_nfcapd(const TempDir& dir, const std::vector<std::vector<std::uint8_t>>& datagrams, const std::string& name) {
    const std::string flows = dir / name;
    std::filesystem::create_directories(flows);
    const std::uint16_t port = flowlab::test::free_udp_port();
    Process nfcapd({"nfcapd", "-b", "127.0.0.1", "-p", std::to_string(port), "-w", flows, "-t", "3600", "-B", "4194304"}, "",
                   dir / (name + ".log"));
    EXPECT_TRUE(listening(port, nfcapd)) << flowlab::test::read_file_if_exists(dir / (name + ".log"));
    send_to(port, datagrams);
    // It has read every datagram; SIGTERM makes it process what it read, flush and rename.
    nfcapd.stop(SIGTERM);
    return flows;
}

/// Runs nfacctd with the print plugin (PEERS.md configuration, `aggregate` as given).
std::string through_nfacctd(const TempDir& dir, const std::vector<std::vector<std::uint8_t>>& datagrams, const std::string& name,
                            const std::string& format, const std::string& aggregate) {
    const std::string out = dir / (name + "." + format);
    const std::uint16_t port = flowlab::test::free_udp_port();
    flowlab::test::write_file(dir / (name + ".conf"), "daemonize: false\nnfacctd_ip: 127.0.0.1\nnfacctd_port: " + std::to_string(port) +
                                                          "\nplugins: print[p]\naggregate[p]: " + aggregate +
                                                          "\nprint_output[p]: " + format + "\nprint_output_file[p]: " + out +
                                                          "\nprint_output_file_append[p]: true\nprint_refresh_time[p]: 1\n"
                                                          "print_num_protos[p]: true\ntimestamps_since_epoch: true\n"
                                                          "timestamps_utc: true\n");
    Process nfacctd({"nfacctd", "-f", dir / (name + ".conf")}, "", dir / (name + ".log"));
    // Its socket is bound a second before the print plugin runs; what comes earlier is lost.
    // The plugin's first cache purge (every print_refresh_time) says it runs.
    EXPECT_TRUE(flowlab::test::wait_until(
        [&] { return flowlab::test::read_file_if_exists(dir / (name + ".log")).find("Purging cache - END") != std::string::npos; },
        10000ms))
        << flowlab::test::read_file_if_exists(dir / (name + ".log"));
    send_to(port, datagrams);
    // Its core has read everything; the print plugin writes what it holds every
    // print_refresh_time (1 s), and what it still holds at SIGINT is lost (PEERS.md): stop once
    // the output exists and has not changed for two refresh periods.
    std::uintmax_t last = 0;
    auto changed = std::chrono::steady_clock::now();
    EXPECT_TRUE(flowlab::test::wait_until(
        [&] {
            std::error_code ec;
            const auto size = std::filesystem::file_size(out, ec);
            const auto now = std::chrono::steady_clock::now();
            if (ec || size != last) {
                last = ec ? 0 : size;
                changed = now;
                return false;
            }
            return size > 0 && now - changed >= 2000ms;
        },
        30000ms))
        << out << " never settled";
    nfacctd.stop(SIGINT);
    return out;
}

const char* kPeersAggregate = "src_host, dst_host, src_port, dst_port, proto, tcpflags, tos, in_iface, out_iface, "
                              "timestamp_start, timestamp_end, export_proto_version";

std::string tshark_json(const TempDir& dir, const std::string& pcap, const std::string& name, std::uint16_t port = 0) {
    std::vector<std::string> argv = {"tshark", "-r", pcap, "-T", "json", "--no-duplicate-keys", "-J", "ip ipv6 cflow"};
    if (port) {
        argv.push_back("-d");
        argv.push_back("udp.port==" + std::to_string(port) + ",cflow");
    }
    const auto r = flowlab::test::run(argv, {"TZ=UTC"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    flowlab::test::write_file(dir / name, r.out);
    return dir / name;
}

TEST(PeerCollectors, NfcapdStoresTheCraftedExports) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    FLOWLAB_REQUIRE_TOOL("nfdump");
    TempDir dir;
    const std::string gen = craft(dir);
    const std::string flows = through_nfcapd(dir, payloads(dir / "exports.pcap"), "nf");
    VerifyOptions o;
    o.profile = load_profile("nfcapd");
    // The reader runs `nfdump -R DIR -o json` itself.
    EXPECT_EQ(run_verify(gen, "nfdump:" + flows, o).verdict(), "MATCH: 21 of 21 records");
    for (const auto& [fmt, file] : {std::pair<std::string, std::string>{"csv", "nf.csv"}, {"pipe", "nf.pipe"}}) {
        const auto r = flowlab::test::run({"nfdump", "-R", flows, fmt == "pipe" ? "-q" : "-N", "-o", fmt}, {"TZ=UTC"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        flowlab::test::write_file(dir / file, r.out);
        EXPECT_EQ(run_verify(gen, "nfdump:" + dir / file, o).verdict(), "MATCH: 21 of 21 records") << fmt;
    }
}

/// nfdump reports a damaged file on stderr and still exits 0: verify must call that bad input
/// (exit 2, naming the file), never a collector that lost every record (exit 1).
TEST(PeerCollectors, ADamagedNfcapdFileIsBadInputNotLoss) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    FLOWLAB_REQUIRE_TOOL("nfdump");
    TempDir dir;
    const std::string gen = craft(dir);
    const std::string flows = through_nfcapd(dir, payloads(dir / "exports.pcap"), "nf");
    std::string file;
    for (const auto& e : std::filesystem::directory_iterator(flows)) file = e.path().string();
    ASSERT_FALSE(file.empty());
    const std::string whole = flowlab::test::read_file(file);

    std::filesystem::create_directories(dir / "truncated");
    flowlab::test::write_file(dir / "truncated/nfcapd.202401010000", whole.substr(0, whole.size() / 2));
    std::filesystem::create_directories(dir / "badmagic");
    flowlab::test::write_file(dir / "badmagic/nfcapd.202401010000", "XXXX" + whole.substr(4));
    for (const char* name : {"truncated", "badmagic"}) {
        const auto r = flowlab::test::run({flowlab::test::flowlab_bin(), "verify", "--truth", gen, "--collected",
                                           "nfdump:" + dir / name, "--collector", "nfcapd"});
        EXPECT_EQ(r.exit_code, 2) << name << "\n" << r.out << r.err;
        EXPECT_NE(r.err.find(dir / name + "/nfcapd.202401010000"), std::string::npos) << r.err;
        EXPECT_EQ(r.out.find("missing"), std::string::npos) << r.out;
    }
}

TEST(PeerCollectors, NfacctdStoresTheCraftedExports) {
    FLOWLAB_REQUIRE_TOOL("nfacctd");
    TempDir dir;
    const std::string gen = craft(dir);
    const auto datagrams = payloads(dir / "exports.pcap");
    VerifyOptions o;
    o.profile = load_profile("nfacctd");
    EXPECT_EQ(run_verify(gen, "pmacct:" + through_nfacctd(dir, datagrams, "pm", "json", kPeersAggregate), o).verdict(),
              "MATCH: 21 of 21 records");
    EXPECT_EQ(run_verify(gen, "pmacct:" + through_nfacctd(dir, datagrams, "pmcsv", "csv", kPeersAggregate), o).verdict(),
              "MATCH: 21 of 21 records");
}

TEST(PeerCollectors, TsharkDecodesTheCraftedExports) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    TempDir dir;
    const std::string gen = craft(dir);
    EXPECT_EQ(run_verify(gen, "tshark:" + tshark_json(dir, dir / "exports.pcap", "t.json")).verdict(), "MATCH: 21 of 21 records");
}

/// softflowd meters a packet capture and exports to a socket of this test, which keeps the
/// datagrams (and writes them as a pcap for tshark).
std::vector<std::vector<std::uint8_t>> softflowd_exports(const TempDir& dir, int version, const std::string& pcap_out,
                                                         std::uint16_t& port_out) {
    const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    port_out = ntohs(a.sin_port);
    const auto r = flowlab::test::run({"softflowd", "-r", dir / "packets.pcap", "-n", "127.0.0.1:" + std::to_string(port_out),
                                       "-v", std::to_string(version)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::vector<std::uint8_t>> out;
    core::PcapWriter w(pcap_out);
    std::vector<std::uint8_t> buf(65536);
    pollfd p{s, POLLIN, 0};
    while (::poll(&p, 1, 500) > 0) {
        sockaddr_in from{};
        socklen_t flen = sizeof from;
        const ssize_t n = ::recvfrom(s, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
        if (n <= 0) break;
        out.emplace_back(buf.begin(), buf.begin() + n);
        w.write_udp(static_cast<std::int64_t>(out.size()) * 1000000,
                    core::UdpEndpoint{core::IpAddress::v4(ntohl(from.sin_addr.s_addr)), ntohs(from.sin_port)},
                    core::UdpEndpoint{core::IpAddress::v4(0x7F000001), port_out},
                    std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)));
    }
    w.commit();
    ::close(s);
    return out;
}

TEST(PeerSoftflowd, ReadersAgreeOnWhatTheProbeExported) {
    FLOWLAB_REQUIRE_TOOL("softflowd");
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    FLOWLAB_REQUIRE_TOOL("nfacctd");
    FLOWLAB_REQUIRE_TOOL("tshark");
    TempDir dir;
    const auto mk = flowlab::test::run({kPython, fixture("make_packets.py"), dir / "packets.pcap"});
    if (mk.exit_code != 0) FLOWLAB_MISSING_PACKAGE("python3-scapy is needed to build the packet capture: " << mk.err);
    for (int version : {5, 10}) {
        std::uint16_t port = 0;
        const std::string pcap = dir / ("sf" + std::to_string(version) + ".pcap");
        const auto datagrams = softflowd_exports(dir, version, pcap, port);
        ASSERT_FALSE(datagrams.empty()) << "softflowd -v " << version << " exported nothing";
        const auto nf = read_all("nfdump:" + through_nfcapd(dir, datagrams, "sfnf" + std::to_string(version)));
        const auto pm = read_all("pmacct:" + through_nfacctd(dir, datagrams, "sfpm" + std::to_string(version), "json", kPeersAggregate));
        const auto ts = read_all("tshark:" + tshark_json(dir, pcap, "sf" + std::to_string(version) + ".json", port));
        // 4 IPv4 flows in each direction (TCP, DNS, ping); IPFIX adds the IPv6 flow.
        EXPECT_EQ(nf.size(), version == 5 ? 6u : 7u);
        EXPECT_EQ(volumes(nf), volumes(pm)) << "v" << version;
        EXPECT_EQ(volumes(nf), volumes(ts)) << "v" << version;
    }
}

}  // namespace
}  // namespace flowlab::verify::testing
