/// @brief Packets mode end to end: frames injected into one end of a veth pair arrive at the
/// other, byte for byte and in order. Both ends live in network namespaces the test creates
/// (and always deletes), so the host's own interfaces are never touched. Needs root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "flowlab/core/pcap_io.hpp"
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

bool ok(const std::vector<std::string>& argv) {
    return run(argv, {}, std::chrono::seconds(20)).exit_code == 0;
}

/// Two namespaces joined by a veth pair: `inject_if` in `inject_ns`, `capture_if` in `capture_ns`.
class VethPair {
public:
    VethPair() {
        static int counter = 0;
        const std::string id = std::to_string(getpid() % 100000) + "x" + std::to_string(counter++);
        inject_ns = "flowlab-inj-" + id;
        capture_ns = "flowlab-cap-" + id;
        inject_if = "fli" + id;  // interface names: at most 15 characters
        capture_if = "flc" + id;
    }
    ~VethPair() {
        // Deleting a namespace destroys the veth end in it, and with it the pair.
        if (made_inject_) run({"ip", "netns", "del", inject_ns});
        if (made_capture_) run({"ip", "netns", "del", capture_ns});
    }
    /// Empty on success, otherwise why it could not be set up.
    std::string create() {
        if (!(made_inject_ = ok({"ip", "netns", "add", inject_ns})))
            return "cannot create network namespace " + inject_ns;
        if (!(made_capture_ = ok({"ip", "netns", "add", capture_ns})))
            return "cannot create network namespace " + capture_ns;
        if (!ok({"ip", "link", "add", inject_if, "netns", inject_ns, "type", "veth", "peer", "name",
                 capture_if, "netns", capture_ns})) {
            return "cannot create a veth pair";
        }
        for (const auto& [ns, ifc] : {std::pair{inject_ns, inject_if}, std::pair{capture_ns, capture_if}}) {
            // No IPv6 on the pair: its router solicitations would be frames we did not send.
            run({"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf." + ifc + ".disable_ipv6=1"});
            if (!ok({"ip", "-n", ns, "link", "set", ifc, "up"})) return "cannot bring up " + ifc;
        }
        // Until the kernel's link watcher marks both ends up (up to a second later, more on a
        // busy machine), a veth sends into a qdisc that drops everything.
        for (const auto& end : {std::pair{inject_ns, inject_if}, std::pair{capture_ns, capture_if}}) {
            const bool up = wait_until(
                [&] {
                    return run({"ip", "-n", end.first, "link", "show", "dev", end.second})
                               .out.find("state UP") != std::string::npos;
                },
                std::chrono::milliseconds(10000));
            if (!up) return end.second + " did not come up";
        }
        return {};
    }
    std::string inject_ns, capture_ns, inject_if, capture_if;

private:
    bool made_inject_ = false;
    bool made_capture_ = false;
};

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
