/// @brief Capture files checked by Wireshark's tools: tshark validates our frames, editcap makes pcapng.
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include <fmt/format.h>

#include "flowlab/core/pcap_io.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

using test::TempDir;
using Bytes = std::vector<std::uint8_t>;

struct Sent {
    std::int64_t ts_ns;
    UdpEndpoint src, dst;
    Bytes payload;
};

std::vector<Sent> datagrams(std::uint32_t seed, bool nano) {
    std::mt19937 rng(seed);
    std::vector<Sent> out;
    std::int64_t ts = 1'700'000'000'000'000'000;
    for (int i = 0; i < 400; ++i) {
        ts += 1 + rng() % 3'000'000'000;
        const bool v6 = i % 2;
        std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
        Sent s;
        s.ts_ns = nano ? ts : ts - ts % 1000;
        if (v6) {
            a[15] = static_cast<std::uint8_t>(1 + rng() % 9);
            a[9] = static_cast<std::uint8_t>(rng() % 2);
            s.src = {IpAddress::v6_bytes(a), static_cast<std::uint16_t>(1024 + rng() % 60000)};
            a[15] = 0xFE;
            s.dst = {IpAddress::v6_bytes(a), 4739};
        } else {
            s.src = {IpAddress::v4(0xC0000200u | static_cast<std::uint32_t>(1 + rng() % 9)), static_cast<std::uint16_t>(1024 + rng() % 60000)};
            s.dst = {IpAddress::v4(0xCB007100u | static_cast<std::uint32_t>(rng() % 255)), 2055};  // 203.0.113.x
        }
        // Odd and even lengths, including the empty datagram.
        s.payload.resize(i == 0 ? 0 : rng() % 1473);
        for (auto& b : s.payload) b = static_cast<std::uint8_t>(rng());
        out.push_back(std::move(s));
    }
    return out;
}

std::string hex_of(const Bytes& b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (auto x : b) {
        s += d[x >> 4];
        s += d[x & 15];
    }
    return s;
}

/// "seconds.fraction" with 9 digits, as tshark prints frame.time_epoch for ns captures.
std::string epoch_text(std::int64_t ns) {
    return fmt::format("{}.{:09}", ns / 1'000'000'000, ns % 1'000'000'000);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep)) out.push_back(cur);
    if (!s.empty() && s.back() == sep) out.push_back("");
    return out;
}

// Wireshark's checksum status values (proto.h): 0 bad, 1 good, 2 unverified, 3 not present.
constexpr const char* kBad = "0";
constexpr const char* kGood = "1";

class TsharkCheck : public ::testing::TestWithParam<TimePrecision> {};

// tshark verifies the IPv4 header and UDP checksums and decodes what we wrote; every field
// must be what we asked for.
TEST_P(TsharkCheck, ChecksumsAndFieldsAsWritten) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    const bool nano = GetParam() == TimePrecision::nano;
    const std::uint32_t seed = nano ? 31 : 37;
    SCOPED_TRACE("seed " + std::to_string(seed));
    TempDir dir;
    const std::string path = dir / "exports.pcap";
    const auto sent = datagrams(seed, nano);
    {
        PcapWriter w(path, GetParam());
        for (const auto& s : sent) w.write_udp(s.ts_ns, s.src, s.dst, s.payload);
        w.commit();
    }
    // Ports 2055/4739 would be dissected as NetFlow/IPFIX: "decode as" nothing but data.
    const auto r = test::run({"tshark", "-r", path, "-n", "-o", "ip.check_checksum:TRUE", "-o",
                              "udp.check_checksum:TRUE", "-d", "udp.port==2055,data", "-d", "udp.port==4739,data",
                              "-T", "fields", "-E", "separator=|", "-e", "frame.time_epoch", "-e", "eth.type",
                              "-e", "ip.src", "-e", "ip.dst", "-e", "ip.ttl", "-e", "ip.flags.df", "-e",
                              "ip.checksum.status", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.hlim", "-e",
                              "udp.srcport", "-e", "udp.dstport", "-e", "udp.length", "-e", "udp.checksum.status",
                              "-e", "data.data", "-e", "_ws.expert"},
                             {"TZ=UTC"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = split(r.out, '\n');
    ASSERT_GE(lines.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i + 1) + ": " + lines[i]);
        const auto f = split(lines[i], '|');
        ASSERT_EQ(f.size(), 16u);
        const auto& s = sent[i];
        const bool v6 = s.src.address.is_v6();
        EXPECT_EQ(f[0], epoch_text(s.ts_ns));
        EXPECT_EQ(f[1], v6 ? "0x86dd" : "0x0800");
        if (v6) {
            EXPECT_EQ(f[2], "");
            EXPECT_EQ(f[7], s.src.address.to_string());
            EXPECT_EQ(f[8], s.dst.address.to_string());
            EXPECT_EQ(f[9], "64");
        } else {
            EXPECT_EQ(f[2], s.src.address.to_string());
            EXPECT_EQ(f[3], s.dst.address.to_string());
            EXPECT_EQ(f[4], "64");
            EXPECT_EQ(f[5], "1");
            EXPECT_EQ(f[6], kGood) << "IPv4 header checksum";
        }
        EXPECT_EQ(f[10], std::to_string(s.src.port));
        EXPECT_EQ(f[11], std::to_string(s.dst.port));
        EXPECT_EQ(f[12], std::to_string(8 + s.payload.size()));
        EXPECT_EQ(f[13], kGood) << "UDP checksum";
        EXPECT_EQ(f[14], hex_of(s.payload));
        // Chat-level notes (e.g. "possible traceroute" for some ports) are fine; warnings and
        // errors (malformed, bad checksum, bad length) are not.
        EXPECT_EQ(f[15].find("(Warning/"), std::string::npos);
        EXPECT_EQ(f[15].find("(Error/"), std::string::npos);
    }
}

INSTANTIATE_TEST_SUITE_P(Precision, TsharkCheck, ::testing::Values(TimePrecision::micro, TimePrecision::nano),
                         [](const auto& param_info) { return param_info.param == TimePrecision::nano ? "nano" : "micro"; });

// The status field above is only evidence if tshark does flag a wrong checksum.
TEST(TsharkChecksums, FlagsCorruptedOnes) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    TempDir dir;
    const std::string path = dir / "bad.pcap";
    {
        PcapWriter w(path);
        Bytes frame;
        for (bool v6 : {false, true}) {
            const UdpEndpoint src{*IpAddress::parse(v6 ? "2001:db8::1" : "192.0.2.1"), 5000};
            const UdpEndpoint dst{*IpAddress::parse(v6 ? "2001:db8::2" : "192.0.2.2"), 5001};
            build_udp_frame(frame, src, dst, Bytes{1, 2, 3});
            frame[frame.size() - 1] ^= 0x40;  // payload changed after the checksum was computed
            if (!v6) frame[14 + 8] = 63;      // TTL changed after the header checksum
            w.write_frame(1'700'000'000'000'000'000, frame);
        }
        w.commit();
    }
    const auto r = test::run({"tshark", "-r", path, "-n", "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                              "-T", "fields", "-E", "separator=|", "-e", "ip.checksum.status", "-e",
                              "udp.checksum.status"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::string(kBad) + "|" + kBad + "\n|" + kBad + "\n");
}

// pcapng, as Wireshark itself writes it, reads back into the same datagrams.
TEST(Pcapng, EditcapConversionReadsTheSame) {
    FLOWLAB_REQUIRE_TOOL("editcap");
    TempDir dir;
    const auto sent = datagrams(41, true);
    {
        PcapWriter w(dir / "a.pcap", TimePrecision::nano);
        for (const auto& s : sent) w.write_udp(s.ts_ns, s.src, s.dst, s.payload);
        w.commit();
    }
    const auto r = test::run({"editcap", "-F", "pcapng", dir / "a.pcap", dir / "a.pcapng"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(test::read_file(dir / "a.pcapng").substr(0, 4), std::string("\x0a\x0d\x0d\x0a", 4)) << "a pcapng file";
    PcapReader reader(dir / "a.pcapng");
    EXPECT_EQ(reader.link_type(), LinkType::ethernet);
    UdpDatagram d;
    std::size_t i = 0;
    while (reader.next_udp(d)) {
        ASSERT_LT(i, sent.size());
        EXPECT_EQ(d.ts_ns, sent[i].ts_ns);
        EXPECT_EQ(d.src, sent[i].src.address);
        EXPECT_EQ(d.dst, sent[i].dst.address);
        EXPECT_EQ(d.sport, sent[i].src.port);
        EXPECT_EQ(d.dport, sent[i].dst.port);
        EXPECT_EQ(Bytes(d.payload.begin(), d.payload.end()), sent[i].payload);
        ++i;
    }
    EXPECT_EQ(i, sent.size());
    EXPECT_EQ(reader.stats().frames, sent.size());
}

// A Linux cooked capture converted by editcap (pcapng, LINUX_SLL) reads as well.
TEST(Pcapng, LinuxCookedPcapng) {
    FLOWLAB_REQUIRE_TOOL("editcap");
    TempDir dir;
    Bytes frame;
    build_udp_frame(frame, {*IpAddress::parse("192.0.2.5"), 1000}, {*IpAddress::parse("198.51.100.1"), 2055},
                    Bytes{1, 2, 3, 4, 5});
    Bytes sll = test::hex("0000 0001 0006 020000000001 0000 0800");
    sll.insert(sll.end(), frame.begin() + 14, frame.end());
    {
        PcapWriter w(dir / "sll.pcap", TimePrecision::micro, 113);
        w.write_frame(1'700'000'000'000'001'000, sll);
        w.commit();
    }
    const auto r = test::run({"editcap", "-F", "pcapng", dir / "sll.pcap", dir / "sll.pcapng"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    PcapReader reader(dir / "sll.pcapng");
    EXPECT_EQ(reader.link_type(), LinkType::linux_sll);
    UdpDatagram d;
    ASSERT_TRUE(reader.next_udp(d));
    EXPECT_EQ(d.ts_ns, 1'700'000'000'000'001'000);
    EXPECT_EQ(d.src.to_string(), "192.0.2.5");
    EXPECT_EQ(Bytes(d.payload.begin(), d.payload.end()), (Bytes{1, 2, 3, 4, 5}));
    EXPECT_FALSE(reader.next_udp(d));
}

}  // namespace
}  // namespace flowlab::core
