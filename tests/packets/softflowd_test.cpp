/// @brief A real probe meters gen's packets: softflowd reads packets.pcap (-r) or listens on a
/// veth peer while `flowlab replay --iface` injects it, exports NetFlow v5, v9 or IPFIX to
/// nfcapd on loopback, and `flowlab verify --level totals --against conversations` finds the
/// packets and bytes per 5-tuple equal to the truth with tolerance 0 (softflowd splits and
/// merges flows by its own timeouts; the totals per 5-tuple do not change).
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "netns.hpp"
#include "packets_support.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

/// Whether a UDP socket is bound to 127.0.0.1:port and (with `drained`) has nothing queued,
/// from /proc/net/udp (of a network namespace if `netns` is set).
bool udp_socket(std::uint16_t port, const std::string& netns, bool drained) {
    std::string text;
    if (netns.empty()) {
        text = read_file("/proc/net/udp");
    } else {
        text = run({"ip", "netns", "exec", netns, "cat", "/proc/net/udp"}, {}, std::chrono::seconds(10)).out;
    }
    const std::string want = fmt::format("0100007F:{:04X}", port);
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream f(line);
        std::string slot, local, remote, state, queues;
        f >> slot >> local >> remote >> state >> queues;  // queues: tx_queue:rx_queue
        if (local != want) continue;
        if (!drained) return true;
        return queues.substr(queues.find(':') + 1).find_first_not_of('0') == std::string::npos;
    }
    return false;
}

/// The frames of a capture.
std::uint64_t frames_in(const std::string& pcap) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(pcap.c_str(), err);
    EXPECT_NE(p, nullptr) << err;
    if (!p) return 0;
    std::uint64_t n = 0;
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(p, &h, &data) == 1) ++n;
    pcap_close(p);
    return n;
}

/// The number after `label` in softflowctl's statistics (0 when absent).
std::uint64_t counter_after(const std::string& text, const std::string& label) {
    const auto at = text.find(label);
    return at == std::string::npos ? 0 : std::strtoull(text.c_str() + at + label.size(), nullptr, 10);
}

/// nfcapd on 127.0.0.1:port writing into dir, started (in `netns` if set) and ready.
Process start_nfcapd(const std::string& dir, std::uint16_t port, const std::string& log, const std::string& netns = {}) {
    std::filesystem::create_directories(dir);
    std::vector<std::string> argv{"nfcapd", "-b", "127.0.0.1", "-p", std::to_string(port), "-w", dir, "-t", "3600",
                                  "-B", "4194304"};
    if (!netns.empty()) argv.insert(argv.begin(), {"ip", "netns", "exec", netns});
    Process p(argv, log, log);
    EXPECT_TRUE(wait_until([&] { return udp_socket(port, netns, false); }, std::chrono::milliseconds(15000)))
        << "nfcapd did not bind port " << port;
    return p;
}

/// Waits until nfcapd has taken every datagram, stops it (SIGTERM flushes its file).
void stop_nfcapd(Process& p, std::uint16_t port, const std::string& log, const std::string& netns = {}) {
    EXPECT_TRUE(wait_until([&] { return udp_socket(port, netns, true); }, std::chrono::milliseconds(15000)));
    EXPECT_EQ(p.stop(SIGTERM), 0) << read_file(log);
}

void expect_totals_match(const std::string& truth, const std::string& collected_dir) {
    const RunResult v = run({flowlab_bin(), "verify", "--truth", truth, "--collected", "nfdump:" + collected_dir,
                             "--level", "totals", "--against", "conversations", "--tolerance", "0"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_NE(v.out.find("MATCH"), std::string::npos) << v.out;
}

std::string truth_of(const std::string& dir) {
    const std::string cut = dir + "/truth/packet-conversations.csv";
    return std::filesystem::exists(cut) ? cut : dir + "/truth/conversations.csv";
}

struct ProbeCase {
    std::string name;
    int version;
    bool office;  ///< office (IPv4 + IPv6, TCP/UDP) or incidents (IPv4, ICMP, packet budget)
};
void PrintTo(const ProbeCase& c, std::ostream* os) { *os << c.name; }

class SoftflowdFromFile : public testing::TestWithParam<ProbeCase> {};

TEST_P(SoftflowdFromFile, TotalsPer5TupleEqualTheTruth) {
    FLOWLAB_REQUIRE_TOOL("softflowd");
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    FLOWLAB_REQUIRE_TOOL("nfdump");
    const ProbeCase& c = GetParam();
    const std::string out = c.office ? outputs().office : outputs().incidents;
    TempDir dir;
    const std::uint16_t port = free_udp_port();
    Process nfcapd = start_nfcapd(dir / "nf", port, dir / "nfcapd.log");
    const RunResult sf = run({"softflowd", "-r", out + "/packets.pcap", "-n", "127.0.0.1:" + std::to_string(port), "-v",
                              std::to_string(c.version)});
    EXPECT_EQ(sf.exit_code, 0) << sf.out << sf.err;
    stop_nfcapd(nfcapd, port, dir / "nfcapd.log");
    expect_totals_match(truth_of(out), dir / "nf");
}

// NetFlow v5 carries no IPv6: the office (with IPv6) is metered in v9 and IPFIX only.
INSTANTIATE_TEST_SUITE_P(Versions, SoftflowdFromFile,
                         testing::Values(ProbeCase{"v5_incidents", 5, false}, ProbeCase{"v9_incidents", 9, false},
                                         ProbeCase{"ipfix_incidents", 10, false}, ProbeCase{"v9_office", 9, true},
                                         ProbeCase{"ipfix_office", 10, true}),
                         [](const testing::TestParamInfo<ProbeCase>& i) { return i.param.name; });

std::string read_if_there(const std::string& path) {
    try {
        return read_file(path);
    } catch (const std::exception&) {
        return {};
    }
}

/// Frames of a local experimental EtherType (0x88B5), which softflowd skips as not IP.
void write_filler(const std::string& path, int frames) {
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
    ASSERT_NE(d, nullptr) << pcap_geterr(dead);
    std::vector<u_char> frame(1500, 0);
    const u_char head[14] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x88, 0xb5};
    std::copy(std::begin(head), std::end(head), frame.begin());
    for (int i = 0; i < frames; ++i) {
        pcap_pkthdr h{};
        h.ts.tv_sec = 1'700'000'000;
        h.ts.tv_usec = i;
        h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
        pcap_dump(reinterpret_cast<u_char*>(d), &h, frame.data());
    }
    pcap_dump_close(d);
    pcap_close(dead);
}

TEST(SoftflowdThroughTheWire, ReplayIntoVethTotalsEqualTheTruth) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces and a veth pair";
    if (!find_tool("ip")) FLOWLAB_MISSING_PACKAGE("iproute2 (ip) is not installed");
    FLOWLAB_REQUIRE_TOOL("softflowd");
    FLOWLAB_REQUIRE_TOOL("softflowctl");
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    FLOWLAB_REQUIRE_TOOL("nfdump");
    VethPair veth;
    if (const std::string why = veth.create(); !why.empty()) GTEST_SKIP() << "network namespaces unavailable here: " << why;

    const std::string out = outputs().office;
    TempDir dir;
    const std::uint16_t port = 2055;  // loopback of the test's own namespace: nothing else there
    Process nfcapd = start_nfcapd(dir / "nf", port, dir / "nfcapd.log", veth.capture_ns);
    const std::string ctl = dir / "softflowd.ctl";
    Process softflowd({"ip", "netns", "exec", veth.capture_ns, "softflowd", "-d", "-i", veth.capture_if, "-n",
                       "127.0.0.1:" + std::to_string(port), "-v", "9", "-c", ctl},
                      dir / "softflowd.log", dir / "softflowd.log");
    ASSERT_TRUE(wait_until(
        [&] { return read_if_there(dir / "softflowd.log").find("Exporting flows") != std::string::npos; },
        std::chrono::milliseconds(10000)))
        << read_if_there(dir / "softflowd.log");

    const RunResult r = run({"ip", "netns", "exec", veth.inject_ns, flowlab_bin(), "replay", out + "/packets.pcap",
                             "--iface", veth.inject_if, "--pps", "20000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // softflowd opens its capture without a timeout: the kernel hands over a ring block only
    // when it is full, so the last packets would wait for traffic that never comes. 3000
    // non-IP frames (4.5 MB) push every block through without adding a flow.
    write_filler(dir / "filler.pcap", 3000);
    const RunResult f = run({"ip", "netns", "exec", veth.inject_ns, flowlab_bin(), "replay", dir / "filler.pcap",
                             "--iface", veth.inject_if, "--pps", "20000"});
    ASSERT_EQ(f.exit_code, 0) << f.err;
    // Every packet of packets.pcap counted by softflowd before it is told to export: a stop
    // before that would lose the packets still in its capture ring.
    const std::uint64_t want = frames_in(out + "/packets.pcap");
    std::uint64_t processed = 0;
    EXPECT_TRUE(wait_until(
        [&] {
            const RunResult st = run({"ip", "netns", "exec", veth.capture_ns, "softflowctl", "-c", ctl, "statistics"},
                                     {}, std::chrono::seconds(10));
            processed = counter_after(st.out, "Packets processed: ");
            return processed >= want;
        },
        std::chrono::milliseconds(15000)))
        << "softflowd processed " << processed << " of the " << want << " packets replayed";
    // SIGTERM would drop the flows in the cache; `shutdown` exports them first.
    const RunResult s = run({"ip", "netns", "exec", veth.capture_ns, "softflowctl", "-c", ctl, "shutdown"});
    EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
    EXPECT_TRUE(wait_until([&] { return !softflowd.running(); }, std::chrono::milliseconds(10000)));
    softflowd.stop(SIGTERM);
    stop_nfcapd(nfcapd, port, dir / "nfcapd.log", veth.capture_ns);
    expect_totals_match(truth_of(out), dir / "nf");
}

}  // namespace
}  // namespace flowlab::test
