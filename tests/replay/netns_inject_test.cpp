/// @brief Packets mode end to end: frames injected into one end of a veth pair arrive at the
/// other, byte for byte and in order. Both ends live in network namespaces the test creates
/// (and always deletes), so the host's own interfaces are never touched. Needs root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "flowlab/core/pcap_io.hpp"
#include "netns.hpp"
#include "replay_fixtures.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

std::string read_if_there(const std::string& path) {
    try {
        return read_file(path);
    } catch (const std::exception&) {
        return {};
    }
}

TEST(PacketsModeNetns, InjectedFramesArriveAtThePeer) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces and a veth pair";
    if (!find_tool("ip")) FLOWLAB_MISSING_PACKAGE("iproute2 (ip) is not installed");
    FLOWLAB_REQUIRE_TOOL("tcpdump");
    VethPair veth;
    if (const std::string why = veth.create(); !why.empty()) {
        GTEST_SKIP() << "network namespaces unavailable here: " << why;
    }

    TempDir dir;
    const auto sent = v5_stream(40, {core::IpAddress::v4(0xC0000201), core::IpAddress::v4(0xC0000202)}, 4);
    write_capture(dir / "frames.pcap", sent, core::IpAddress::v4(0xC0A80001), 2055);  // to 192.168.0.1

    Process capture({"ip", "netns", "exec", veth.capture_ns, "tcpdump", "-i", veth.capture_if, "-U", "-n",
                     "-w", dir / "got.pcap", "udp", "port", "2055"},
                    dir / "tcpdump.out", dir / "tcpdump.err");
    ASSERT_TRUE(wait_until(
        [&] { return read_if_there(dir / "tcpdump.err").find("listening on") != std::string::npos; },
        std::chrono::milliseconds(10000)))
        << read_if_there(dir / "tcpdump.err");

    const auto r = run({"ip", "netns", "exec", veth.inject_ns, flowlab_bin(), "replay", dir / "frames.pcap",
                        "--iface", veth.inject_if, "--pps", "2000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("40 packets"), std::string::npos) << r.err;

    // tcpdump -U writes each frame as it comes; wait until all are in the file.
    auto count_frames = [&] {
        try {
            core::PcapReader reader(dir / "got.pcap");
            core::Frame f;
            std::size_t n = 0;
            while (reader.next_frame(f)) ++n;
            return n;
        } catch (const std::exception&) {
            return std::size_t{0};
        }
    };
    wait_until([&] { return count_frames() >= sent.size(); }, std::chrono::milliseconds(5000));
    capture.stop(SIGINT);

    core::PcapReader original(dir / "frames.pcap");
    core::PcapReader got(dir / "got.pcap");
    core::Frame a, b;
    std::size_t n = 0;
    while (original.next_frame(a)) {
        std::vector<std::uint8_t> want(a.data.begin(), a.data.end());
        ASSERT_TRUE(got.next_frame(b)) << "frame " << n + 1 << " of " << sent.size() << " did not arrive";
        ASSERT_EQ(std::vector<std::uint8_t>(b.data.begin(), b.data.end()), want) << "frame " << n + 1;
        ++n;
    }
    EXPECT_EQ(n, sent.size());
    EXPECT_FALSE(got.next_frame(b)) << "an extra frame arrived";
}

}  // namespace
}  // namespace flowlab::test
