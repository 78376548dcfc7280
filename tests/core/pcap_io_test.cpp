/// @brief Capture files: writing UDP frames, reading every supported link type back, and the errors.
#include "flowlab/core/pcap_io.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>

#include "flowlab/core/atomic_file.hpp"
#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/error.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

namespace fs = std::filesystem;
using test::hex;
using test::TempDir;
using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t kT0 = 1'700'000'000'123'456'789;  // 2023-11-14T22:13:20.123456789Z

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

std::string describe(const PcapReadStats& s) {
    return "frames " + std::to_string(s.frames) + " udp " + std::to_string(s.udp) + " not_ip " +
           std::to_string(s.not_ip) + " not_udp " + std::to_string(s.not_udp) + " fragments " +
           std::to_string(s.fragments) + " truncated " + std::to_string(s.truncated);
}

PcapReadStats stats(std::uint64_t frames, std::uint64_t udp, std::uint64_t not_ip, std::uint64_t not_udp,
                    std::uint64_t fragments, std::uint64_t truncated) {
    return PcapReadStats{frames, udp, not_ip, not_udp, fragments, truncated};
}

struct Datagram {
    std::int64_t ts_ns = 0;
    UdpEndpoint src, dst;
    Bytes payload;
};

/// Everything next_udp yields, as owned copies, and the reader's statistics.
struct ReadBack {
    std::vector<Datagram> datagrams;
    std::vector<std::uint64_t> numbers;
    PcapReadStats stats;
    int dlt = -1;
};

ReadBack read_back(const std::string& path) {
    PcapReader reader(path);
    ReadBack out;
    out.dlt = reader.raw_link_type();
    UdpDatagram d;
    while (reader.next_udp(d)) {
        out.datagrams.push_back(Datagram{d.ts_ns, {d.src, d.sport}, {d.dst, d.dport}, Bytes(d.payload.begin(), d.payload.end())});
        out.numbers.push_back(d.number);
    }
    out.stats = reader.stats();
    return out;
}

/// The IP packet of an Ethernet frame built by build_udp_frame.
Bytes ip_packet(const UdpEndpoint& src, const UdpEndpoint& dst, const Bytes& payload, std::uint16_t id = 1) {
    Bytes frame;
    build_udp_frame(frame, src, dst, payload, id);
    return Bytes(frame.begin() + 14, frame.end());
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

void write_frames(const std::string& path, int dlt, const std::vector<Bytes>& frames,
                  TimePrecision precision = TimePrecision::micro, std::uint32_t snaplen = 262144) {
    PcapWriter w(path, precision, dlt, snaplen);
    std::int64_t ts = kT0 - kT0 % 1000;
    for (const auto& f : frames) w.write_frame(ts += 1000, f);
    w.commit();
}

void patch_linktype(const std::string& path, std::uint32_t linktype) {
    // The pcap file header's link type is its last 4 bytes, in the writer's (our) byte order.
    std::string bytes = test::read_file(path);
    ASSERT_GE(bytes.size(), 24u);
    std::memcpy(bytes.data() + 20, &linktype, 4);
    test::write_file(path, bytes);
}

const UdpEndpoint kExporter4{ip("192.0.2.1"), 2055};
const UdpEndpoint kCollector4{ip("198.51.100.7"), 9995};
const UdpEndpoint kExporter6{ip("2001:db8::1"), 4739};
const UdpEndpoint kCollector6{ip("2001:db8::2:1"), 4739};
const Bytes kPayload = {'f', 'l', 'o', 'w', 'l', 'a', 'b'};

// ---------------------------------------------------------------------------------------------
// Checksums and frame building

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 folds to ddf2.
    const Bytes data = hex("00 01 f2 03 f4 f5 f6 f7");
    EXPECT_EQ(checksum_fold(checksum_add(0, data)), static_cast<std::uint16_t>(~0xddf2));
    // Split into even-length pieces: the same sum.
    const std::uint32_t split = checksum_add(checksum_add(0, {data.data(), 2}), {data.data() + 2, 6});
    EXPECT_EQ(checksum_fold(split), checksum_fold(checksum_add(0, data)));
    // An odd trailing byte counts as the high byte of a zero-padded word.
    EXPECT_EQ(checksum_fold(checksum_add(0, hex("ab"))), static_cast<std::uint16_t>(~0xab00));
    EXPECT_EQ(checksum_fold(0), 0xFFFF);
    // Carries fold back in: 64 KiB of ff bytes sum to ffff.
    const Bytes ones(65536, 0xFF);
    EXPECT_EQ(checksum_fold(checksum_add(0, ones)), 0);
}

// Vectors from scapy 2.5 (independent of this code):
// Ether(src=02:00:c0:00:02:01, dst=02:00:c6:33:64:07)/IP(id=0x1234, flags=DF, ttl=64)/UDP/"flowlab".
TEST(BuildUdpFrame, Ipv4MatchesScapy) {
    Bytes frame;
    build_udp_frame(frame, kExporter4, kCollector4, kPayload, 0x1234);
    EXPECT_EQ(test::to_hex(frame), test::to_hex(hex(R"(
        02 00 c6 33 64 07  02 00 c0 00 02 01  08 00   # Ethernet: MACs from mac_for(), IPv4
        45 00 00 23  12 34 40 00  40 11 3c 5a         # IPv4: IHL 5, length 35, id, DF, TTL 64, UDP, checksum
        c0 00 02 01  c6 33 64 07                      # 192.0.2.1 -> 198.51.100.7
        08 07 27 0b  00 0f 40 3c                      # UDP 2055 -> 9995, length 15, checksum
        66 6c 6f 77 6c 61 62                          # "flowlab"
    )")));
}

TEST(BuildUdpFrame, Ipv6MatchesScapy) {
    const Bytes payload = {'i', 'p', 'f', 'i', 'x', '!', '!'};
    Bytes frame;
    build_udp_frame(frame, kExporter6, kCollector6, payload);
    ASSERT_GT(frame.size(), 14u);
    EXPECT_EQ(load_be16(frame.data() + 12), 0x86DD);
    EXPECT_EQ(test::to_hex(Bytes(frame.begin() + 14, frame.end())), test::to_hex(hex(R"(
        60 00 00 00  00 0f 11 40                          # IPv6: payload length 15, UDP, hop limit 64
        20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01   # 2001:db8::1
        20 01 0d b8 00 00 00 00 00 00 00 00 00 02 00 01   # 2001:db8::2:1
        12 83 12 83  00 0f 16 59                          # UDP 4739 -> 4739, length 15, checksum
        69 70 66 69 78 21 21                              # "ipfix!!"
    )")));
}

TEST(BuildUdpFrame, ChecksumsVerifyForRandomDatagrams) {
    const std::uint32_t seed = 99;
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    Bytes frame;
    for (int n = 0; n < 2000; ++n) {
        const bool v6 = n % 2;
        Bytes payload(rng() % 1500);
        for (auto& b : payload) b = static_cast<std::uint8_t>(rng());
        std::uint8_t a[16], b[16];
        for (int i = 0; i < 16; ++i) a[i] = static_cast<std::uint8_t>(rng()), b[i] = static_cast<std::uint8_t>(rng());
        const UdpEndpoint s{v6 ? IpAddress::v6_bytes(a) : IpAddress::v4_bytes(a), static_cast<std::uint16_t>(rng())};
        const UdpEndpoint d{v6 ? IpAddress::v6_bytes(b) : IpAddress::v4_bytes(b), static_cast<std::uint16_t>(rng())};
        build_udp_frame(frame, s, d, payload, static_cast<std::uint16_t>(n));
        const std::size_t iph = v6 ? 40 : 20;
        const std::uint8_t* ipp = frame.data() + 14;
        const std::size_t udp_len = 8 + payload.size();
        ASSERT_EQ(frame.size(), 14 + iph + udp_len);
        if (!v6) {
            ASSERT_EQ(checksum_fold(checksum_add(0, {ipp, 20})), 0) << "IPv4 header checksum";
        }
        // Pseudo header built independently: addresses, zero, protocol, UDP length.
        Bytes pseudo(ipp + (v6 ? 8 : 12), ipp + (v6 ? 40 : 20));
        const Bytes tail = v6 ? Bytes{0, 0, static_cast<std::uint8_t>(udp_len >> 8), static_cast<std::uint8_t>(udp_len), 0, 0, 0, 17}
                              : Bytes{0, 17, static_cast<std::uint8_t>(udp_len >> 8), static_cast<std::uint8_t>(udp_len)};
        pseudo.insert(pseudo.end(), tail.begin(), tail.end());
        const std::uint8_t* udp = ipp + iph;
        ASSERT_NE(load_be16(udp + 6), 0) << "UDP checksum 0 means none";
        ASSERT_EQ(checksum_fold(checksum_add(checksum_add(0, pseudo), {udp, udp_len})), 0) << "UDP checksum";
    }
}

TEST(BuildUdpFrame, RefusesMixedFamiliesAndOversizedPayloads) {
    Bytes frame;
    try {
        build_udp_frame(frame, kExporter4, kCollector6, kPayload);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot frame a UDP datagram from '192.0.2.1' to '2001:db8::2:1': both addresses must be IPv4 or both IPv6");
    }
    EXPECT_THROW(build_udp_frame(frame, UdpEndpoint{}, kCollector4, kPayload), Error);
    EXPECT_NO_THROW(build_udp_frame(frame, kExporter4, kCollector4, Bytes(65507)));
    EXPECT_THROW(build_udp_frame(frame, kExporter4, kCollector4, Bytes(65508)), Error);
    EXPECT_NO_THROW(build_udp_frame(frame, kExporter6, kCollector6, Bytes(65527)));
    EXPECT_THROW(build_udp_frame(frame, kExporter6, kCollector6, Bytes(65528)), Error);
}

TEST(MacFor, LocallyAdministeredStableAndDistinct) {
    EXPECT_EQ(mac_for(ip("192.0.2.1")), (std::array<std::uint8_t, 6>{0x02, 0x00, 0xc0, 0x00, 0x02, 0x01}));
    std::set<std::array<std::uint8_t, 6>> seen;
    for (int i = 0; i < 1000; ++i) {
        std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
        b[14] = static_cast<std::uint8_t>(i >> 8);
        b[15] = static_cast<std::uint8_t>(i);
        for (const auto& a : {IpAddress::v6_bytes(b), IpAddress::v4(0xC0000000u + static_cast<std::uint32_t>(i))}) {
            const auto m = mac_for(a);
            EXPECT_EQ(m[0] & 0x03, 0x02) << "locally administered unicast";
            EXPECT_EQ(mac_for(a), m);
            seen.insert(m);
        }
    }
    EXPECT_EQ(seen.size(), 2000u);
}

// ---------------------------------------------------------------------------------------------
// Write, then read back

std::vector<Datagram> random_datagrams(std::uint32_t seed, std::size_t n, bool nano) {
    std::mt19937 rng(seed);
    std::vector<Datagram> out;
    std::int64_t ts = kT0;
    for (std::size_t i = 0; i < n; ++i) {
        Datagram d;
        ts += rng() % 5'000'000;
        d.ts_ns = nano ? ts : ts - ts % 1000;
        const bool v6 = rng() % 3 == 0;
        if (v6) {
            std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
            a[15] = static_cast<std::uint8_t>(rng() % 4);
            d.src = {IpAddress::v6_bytes(a), static_cast<std::uint16_t>(rng())};
            a[15] = 0xFE;
            d.dst = {IpAddress::v6_bytes(a), 4739};
        } else {
            d.src = {IpAddress::v4(0xC0000200u | (rng() % 4)), static_cast<std::uint16_t>(rng())};
            d.dst = {IpAddress::v4(0xC6336407u), 2055};
        }
        d.payload.resize(rng() % 5 == 0 ? rng() % 8 : rng() % 1473);
        for (auto& b : d.payload) b = static_cast<std::uint8_t>(rng());
        out.push_back(std::move(d));
    }
    return out;
}

void expect_same(const std::vector<Datagram>& got, const std::vector<Datagram>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE("datagram " + std::to_string(i + 1));
        EXPECT_EQ(got[i].ts_ns, want[i].ts_ns);
        EXPECT_EQ(got[i].src.address, want[i].src.address);
        EXPECT_EQ(got[i].src.port, want[i].src.port);
        EXPECT_EQ(got[i].dst.address, want[i].dst.address);
        EXPECT_EQ(got[i].dst.port, want[i].dst.port);
        EXPECT_EQ(got[i].payload, want[i].payload);
    }
}

class PcapRoundTrip : public ::testing::TestWithParam<TimePrecision> {};

TEST_P(PcapRoundTrip, DatagramsComeBackExactly) {
    const bool nano = GetParam() == TimePrecision::nano;
    const std::uint32_t seed = nano ? 1234 : 4321;
    SCOPED_TRACE("seed " + std::to_string(seed));
    TempDir dir;
    const std::string path = dir / "exports.pcap";
    const auto want = random_datagrams(seed, 3000, nano);
    std::uint64_t bytes = 0;
    {
        PcapWriter w(path, GetParam());
        for (const auto& d : want) {
            w.write_udp(d.ts_ns, d.src, d.dst, d.payload);
            bytes += 14 + (d.src.address.is_v4() ? 20 : 40) + 8 + d.payload.size();
        }
        EXPECT_FALSE(fs::exists(path));
        w.commit();
        EXPECT_EQ(w.frames(), want.size());
        EXPECT_EQ(w.bytes(), bytes);
    }
    // The file header says which precision: the magic number a1b2c3d4 (µs) or a1b23c4d (ns).
    const std::string file = test::read_file(path);
    std::uint32_t magic = 0;
    std::memcpy(&magic, file.data(), 4);
    EXPECT_EQ(magic, nano ? 0xa1b23c4du : 0xa1b2c3d4u);

    const auto back = read_back(path);
    EXPECT_EQ(back.dlt, 1);
    expect_same(back.datagrams, want);
    EXPECT_EQ(describe(back.stats), describe(stats(want.size(), want.size(), 0, 0, 0, 0)));
    for (std::size_t i = 0; i < back.numbers.size(); ++i) ASSERT_EQ(back.numbers[i], i + 1);
}

INSTANTIATE_TEST_SUITE_P(Precision, PcapRoundTrip, ::testing::Values(TimePrecision::micro, TimePrecision::nano),
                         [](const auto& param_info) { return param_info.param == TimePrecision::nano ? "nano" : "micro"; });

TEST(PcapWriter, MicrosecondFilesTruncateNanoseconds) {
    TempDir dir;
    PcapWriter w(dir / "u.pcap", TimePrecision::micro);
    w.write_udp(kT0, kExporter4, kCollector4, kPayload);
    w.commit();
    const auto back = read_back(dir / "u.pcap");
    ASSERT_EQ(back.datagrams.size(), 1u);
    EXPECT_EQ(back.datagrams[0].ts_ns, kT0 - kT0 % 1000);
}

TEST(PcapWriter, TimestampsAcrossTheWholePcapRange) {
    TempDir dir;
    const std::int64_t times[] = {0, 2'147'483'647'999'999'999, 2'147'483'648'000'000'001 /* after 2038 */,
                                  4'294'967'295'999'999'999 /* last second of 2106 */};
    {
        PcapWriter w(dir / "t.pcap", TimePrecision::nano);
        for (auto t : times) w.write_udp(t, kExporter4, kCollector4, kPayload);
        EXPECT_THROW(w.write_udp(-1, kExporter4, kCollector4, kPayload), Error);
        EXPECT_THROW(w.write_udp(4'294'967'296'000'000'000, kExporter4, kCollector4, kPayload), Error);
        w.commit();
    }
    const auto back = read_back(dir / "t.pcap");
    ASSERT_EQ(back.datagrams.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(back.datagrams[i].ts_ns, times[i]);
}

TEST(PcapWriter, IpIdIncrementsPerIpv4Datagram) {
    TempDir dir;
    {
        PcapWriter w(dir / "id.pcap");
        for (int i = 0; i < 3; ++i) w.write_udp(kT0, kExporter4, kCollector4, kPayload);
        w.commit();
    }
    PcapReader r(dir / "id.pcap");
    Frame f;
    std::vector<std::uint16_t> ids;
    while (r.next_frame(f)) ids.push_back(load_be16(f.data.data() + 14 + 4));
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{0, 1, 2}));
}

// Each source address and port counts on its own, as each exporter's stack would: the frames
// of one exporter do not change with what the others send (gen --shard relies on that).
TEST(PcapWriter, IpIdCountsPerSourceEndpoint) {
    TempDir dir;
    const UdpEndpoint other_port{kExporter4.address, static_cast<std::uint16_t>(kExporter4.port + 1)};
    const UdpEndpoint other_address{ip("192.0.2.99"), kExporter4.port};
    {
        PcapWriter w(dir / "id.pcap");
        for (const auto& src : {kExporter4, other_port, kExporter4, other_address, other_port, kExporter4})
            w.write_udp(kT0, src, kCollector4, kPayload);
        w.write_udp(kT0, kExporter4, kCollector4, kPayload, 777);  // the caller's own count
        w.commit();
    }
    PcapReader r(dir / "id.pcap");
    Frame f;
    std::vector<std::uint16_t> ids;
    while (r.next_frame(f)) ids.push_back(load_be16(f.data.data() + 14 + 4));
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{0, 0, 1, 0, 1, 2, 777}));
}

TEST(PcapWriter, UncommittedWriterLeavesNoFile) {
    TempDir dir;
    const std::string path = dir / "x.pcap";
    {
        PcapWriter w(path);
        w.write_udp(kT0, kExporter4, kCollector4, kPayload);
        EXPECT_TRUE(fs::exists(temp_name_for(path)));
    }
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(PcapWriter, RefusesMixedFamiliesAndWritesAfterCommit) {
    TempDir dir;
    PcapWriter w(dir / "m.pcap");
    EXPECT_THROW(w.write_udp(kT0, kExporter6, kCollector4, kPayload), Error);
    EXPECT_EQ(w.frames(), 0u);
    w.commit();
    EXPECT_THROW(w.write_udp(kT0, kExporter4, kCollector4, kPayload), Error);
    EXPECT_THROW(w.commit(), IoError);
}

TEST(PcapWriter, WriteUdpNeedsEthernetOrRawIp) {
    TempDir dir;
    PcapWriter w(dir / "sll.pcap", TimePrecision::micro, static_cast<int>(LinkType::linux_sll));
    try {
        w.write_udp(kT0, kExporter4, kCollector4, kPayload);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("not link type 113 (LINUX_SLL)"), std::string::npos) << e.what();
    }
}

TEST(PcapWriter, RawIpWriterWritesIpPackets) {
    TempDir dir;
    {
        PcapWriter w(dir / "raw.pcap", TimePrecision::micro, static_cast<int>(LinkType::raw));
        w.write_udp(kT0, kExporter6, kCollector6, kPayload);
        w.commit();
    }
    const std::string file = test::read_file(dir / "raw.pcap");
    std::uint32_t linktype = 0;
    std::memcpy(&linktype, file.data() + 20, 4);
    EXPECT_EQ(linktype, 101u) << "LINKTYPE_RAW in the file";
    const auto back = read_back(dir / "raw.pcap");
    EXPECT_EQ(back.dlt, 12) << "libpcap's DLT_RAW on Linux";
    ASSERT_EQ(back.datagrams.size(), 1u);
    EXPECT_EQ(back.datagrams[0].payload, kPayload);
    EXPECT_EQ(back.datagrams[0].src.address, kExporter6.address);
}

TEST(PcapWriter, UnwritableDirectoryIsAnIoError) {
    TempDir dir;
    EXPECT_THROW(PcapWriter(dir / "missing/x.pcap"), IoError);
}

TEST(PcapWriter, SnaplenTruncatesFramesAndTheReaderCountsThem) {
    TempDir dir;
    {
        PcapWriter w(dir / "snap.pcap", TimePrecision::micro, 1, 64);
        w.write_udp(kT0, kExporter4, kCollector4, Bytes(100, 1));  // 142-byte frame, 64 captured
        w.write_udp(kT0, kExporter4, kCollector4, Bytes(22, 2));   // exactly 64 bytes: whole
        w.commit();
    }
    PcapReader r(dir / "snap.pcap");
    Frame f;
    ASSERT_TRUE(r.next_frame(f));
    EXPECT_EQ(f.data.size(), 64u);
    EXPECT_EQ(f.wire_length, 142u);
    UdpDatagram d;
    EXPECT_FALSE(r.parse_udp(f, d));
    ASSERT_TRUE(r.next_udp(d));
    EXPECT_EQ(d.payload.size(), 22u);
    EXPECT_EQ(describe(r.stats()), describe(stats(2, 1, 0, 0, 0, 1)));
}

// ---------------------------------------------------------------------------------------------
// Link types and encapsulations

// Each link type carries the same two datagrams (IPv4 and IPv6) behind its own header.
struct LinkCase {
    const char* name;
    int dlt;
    std::uint32_t file_linktype;  // 0: as written
    Bytes (*header)(bool v6);
};

Bytes ethernet_header(bool v6) { return hex(v6 ? "0a0000000001 0a0000000002 86dd" : "020000000001 020000000002 0800"); }
Bytes sll_header(bool v6) {
    // packet type 0 (to us), ARPHRD_ETHER, address length 6, address + 2 pad, protocol
    return concat({hex("0000 0001 0006 020000000001 0000"), v6 ? hex("86dd") : hex("0800")});
}
Bytes sll2_header(bool v6) {
    // protocol, reserved, ifindex 2, ARPHRD_ETHER, packet type 4 (outgoing), address length 6, address + pad
    return concat({v6 ? hex("86dd") : hex("0800"), hex("0000 00000002 0001 04 06 020000000001 0000")});
}
Bytes raw_header(bool) { return {}; }
Bytes null_le_header(bool v6) { return v6 ? hex("18000000") : hex("02000000"); }   // little-endian writer, AF 24
Bytes null_be_header(bool v6) { return v6 ? hex("0000001c") : hex("00000002"); }   // big-endian writer, AF 28
Bytes null_mac_header(bool v6) { return v6 ? hex("1e000000") : hex("02000000"); }  // macOS, AF 30
Bytes loop_header(bool v6) { return v6 ? hex("00000018") : hex("00000002"); }      // network order

void PrintTo(const LinkCase& c, std::ostream* os) { *os << c.name; }

class LinkTypes : public ::testing::TestWithParam<LinkCase> {};

TEST_P(LinkTypes, CarryTheSameDatagrams) {
    const LinkCase& c = GetParam();
    TempDir dir;
    const std::string path = dir / "link.pcap";
    const Bytes p4 = ip_packet(kExporter4, kCollector4, kPayload);
    const Bytes p6 = ip_packet(kExporter6, kCollector6, Bytes{1, 2, 3});
    write_frames(path, c.dlt, {concat({c.header(false), p4}), concat({c.header(true), p6})});
    if (c.file_linktype) patch_linktype(path, c.file_linktype);
    const auto back = read_back(path);
    ASSERT_EQ(back.datagrams.size(), 2u) << describe(back.stats);
    EXPECT_EQ(back.datagrams[0].src.address, kExporter4.address);
    EXPECT_EQ(back.datagrams[0].dst.port, kCollector4.port);
    EXPECT_EQ(back.datagrams[0].payload, kPayload);
    EXPECT_EQ(back.datagrams[1].dst.address, kCollector6.address);
    EXPECT_EQ(back.datagrams[1].payload, (Bytes{1, 2, 3}));
    EXPECT_EQ(describe(back.stats), describe(stats(2, 2, 0, 0, 0, 0)));
}

INSTANTIATE_TEST_SUITE_P(
    All, LinkTypes,
    ::testing::Values(LinkCase{"ethernet", 1, 0, ethernet_header}, LinkCase{"linux_sll", 113, 0, sll_header},
                      LinkCase{"linux_sll2", 276, 0, sll2_header}, LinkCase{"raw101", 101, 0, raw_header},
                      LinkCase{"raw12", 101, 12, raw_header}, LinkCase{"raw14", 101, 14, raw_header},
                      LinkCase{"null_le", 0, 0, null_le_header}, LinkCase{"null_be", 0, 0, null_be_header},
                      LinkCase{"null_macos", 0, 0, null_mac_header}, LinkCase{"loop", 108, 0, loop_header}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(PcapReader, LinkTypeIsReported) {
    TempDir dir;
    write_frames(dir / "sll2.pcap", 276, {});
    PcapReader r(dir / "sll2.pcap");
    EXPECT_EQ(r.link_type(), LinkType::linux_sll2);
    EXPECT_EQ(r.raw_link_type(), 276);
    EXPECT_EQ(r.path(), dir / "sll2.pcap");
    Frame f;
    EXPECT_FALSE(r.next_frame(f));
}

TEST(PcapReader, VlanTagsAreSkipped) {
    TempDir dir;
    const Bytes p4 = ip_packet(kExporter4, kCollector4, kPayload);
    const Bytes p6 = ip_packet(kExporter6, kCollector6, kPayload);
    const Bytes macs = hex("020000000001 020000000002");
    write_frames(dir / "vlan.pcap", 1,
                 {
                     concat({macs, hex("8100 0064 0800"), p4}),            // 802.1Q VLAN 100
                     concat({macs, hex("88a8 00c8 8100 0064 86dd"), p6}),  // 802.1ad outer 200, inner 100
                     concat({macs, hex("9100 0001 8100 0002 8100 0003 0800"), p4}),  // three tags
                     concat({macs, hex("8100 0064")}),                     // tag cut short
                     concat({macs, hex("8100 0064 0806"), hex("0001 0800 0604 0001")}),  // tagged ARP
                 });
    const auto back = read_back(dir / "vlan.pcap");
    ASSERT_EQ(back.datagrams.size(), 3u);
    EXPECT_EQ(back.datagrams[1].src.address, kExporter6.address);
    for (const auto& d : back.datagrams) EXPECT_EQ(d.payload, kPayload);
    EXPECT_EQ(describe(back.stats), describe(stats(5, 3, 1, 0, 0, 1)));
}

TEST(PcapReader, LinuxCookedCaptureWithVlanTag) {
    TempDir dir;
    write_frames(dir / "sllvlan.pcap", 113,
                 {concat({hex("0000 0001 0006 020000000001 0000 8100"), hex("0064 0800"),
                          ip_packet(kExporter4, kCollector4, kPayload)})});
    const auto back = read_back(dir / "sllvlan.pcap");
    ASSERT_EQ(back.datagrams.size(), 1u);
    EXPECT_EQ(back.datagrams[0].payload, kPayload);
}

TEST(PcapReader, Ipv4OptionsAreHonoured) {
    Bytes p = ip_packet(kExporter4, kCollector4, kPayload);
    // Insert 8 bytes of options (record route, 7 bytes, then end of list): IHL 7.
    const Bytes options = hex("07 07 04 00000000 00");
    p.insert(p.begin() + 20, options.begin(), options.end());
    p[0] = 0x47;
    store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
    TempDir dir;
    write_frames(dir / "opt.pcap", 101, {p});
    const auto back = read_back(dir / "opt.pcap");
    ASSERT_EQ(back.datagrams.size(), 1u) << describe(back.stats);
    EXPECT_EQ(back.datagrams[0].src.port, 2055);
    EXPECT_EQ(back.datagrams[0].payload, kPayload);
}

TEST(PcapReader, Ipv6ExtensionHeadersAreWalked) {
    const Bytes base = ip_packet(kExporter6, kCollector6, kPayload);
    auto with_headers = [&](std::uint8_t first, const Bytes& ext) {
        Bytes p = base;
        p.insert(p.begin() + 40, ext.begin(), ext.end());
        p[6] = first;
        store_be16(p.data() + 4, static_cast<std::uint16_t>(p.size() - 40));
        return p;
    };
    TempDir dir;
    write_frames(dir / "ext.pcap", 101,
                 {
                     // destination options (next UDP, 8 bytes: PadN of 4)
                     with_headers(60, hex("11 00 01 04 00000000")),
                     // hop-by-hop (16 bytes) -> routing (type 0 segments left 0, 8 bytes) -> UDP
                     with_headers(0, hex("2b 01 01 0c 000000000000000000000000  11 00 00 00 00000000")),
                     // atomic fragment (offset 0, M 0): a whole packet (RFC 6946)
                     with_headers(44, hex("11 00 0000 12345678")),
                     // first fragment (M set) and a later one: counted, skipped
                     with_headers(44, hex("11 00 0001 12345678")),
                     with_headers(44, hex("11 00 00a8 12345678")),
                     // authentication header (payload length 4 -> 24 bytes) -> UDP
                     with_headers(51, hex("11 04 0000 00000001 00000001 0000000000000000 00000000")),
                     // ESP: not UDP as far as a reader can tell
                     with_headers(50, hex("00000001 00000001")),
                     // destination options cut short by the capture
                     [&] {
                         Bytes p = with_headers(60, hex("11 01 01 0c 000000000000000000000000"));
                         p.resize(44);
                         return p;
                     }(),
                 });
    const auto back = read_back(dir / "ext.pcap");
    ASSERT_EQ(back.datagrams.size(), 4u) << describe(back.stats);
    for (const auto& d : back.datagrams) {
        EXPECT_EQ(d.payload, kPayload);
        EXPECT_EQ(d.src.address, kExporter6.address);
    }
    EXPECT_EQ(back.numbers, (std::vector<std::uint64_t>{1, 2, 3, 6}));
    EXPECT_EQ(describe(back.stats), describe(stats(8, 4, 0, 1, 2, 1)));
}

TEST(PcapReader, Ipv4FragmentsAreCountedNotReassembled) {
    auto fragment = [](std::uint16_t flags_offset) {
        Bytes p = ip_packet(kExporter4, kCollector4, kPayload);
        store_be16(p.data() + 6, flags_offset);
        return p;
    };
    TempDir dir;
    write_frames(dir / "frag.pcap", 101, {fragment(0x2000) /* first, MF */, fragment(0x0010) /* last */,
                                          fragment(0x2010) /* middle */, fragment(0x4000) /* DF: whole */,
                                          fragment(0x0000)});
    const auto back = read_back(dir / "frag.pcap");
    EXPECT_EQ(back.numbers, (std::vector<std::uint64_t>{4, 5}));
    EXPECT_EQ(describe(back.stats), describe(stats(5, 2, 0, 0, 3, 0)));
}

TEST(PcapReader, UdpLengthDelimitsThePayload) {
    TempDir dir;
    // Ethernet pads a 4-byte payload to the 60-byte minimum frame: the padding is not payload.
    Bytes small;
    build_udp_frame(small, kExporter4, kCollector4, Bytes{9, 8, 7, 6});
    small.resize(60, 0);
    // UDP length larger than the IP packet: malformed.
    Bytes longer;
    build_udp_frame(longer, kExporter4, kCollector4, kPayload);
    store_be16(longer.data() + 14 + 20 + 4, 200);
    // UDP length below 8: malformed.
    Bytes tiny;
    build_udp_frame(tiny, kExporter4, kCollector4, kPayload);
    store_be16(tiny.data() + 14 + 20 + 4, 7);
    // IP total length shorter than the frame (trailer bytes after the packet): ignored trailer.
    Bytes trailer;
    build_udp_frame(trailer, kExporter6, kCollector6, kPayload);
    trailer.insert(trailer.end(), {0xde, 0xad, 0xbe, 0xef});
    // IP total length 0 (a TSO capture): the captured length holds.
    Bytes tso;
    build_udp_frame(tso, kExporter4, kCollector4, kPayload);
    store_be16(tso.data() + 14 + 2, 0);
    // IP total length that says more than was captured, with the UDP datagram cut short.
    Bytes cut;
    build_udp_frame(cut, kExporter4, kCollector4, kPayload);
    cut.resize(cut.size() - 2);
    write_frames(dir / "len.pcap", 1, {small, longer, tiny, trailer, tso, cut});
    const auto back = read_back(dir / "len.pcap");
    ASSERT_EQ(back.datagrams.size(), 3u) << describe(back.stats);
    EXPECT_EQ(back.datagrams[0].payload, (Bytes{9, 8, 7, 6}));
    EXPECT_EQ(back.datagrams[1].payload, kPayload);
    EXPECT_EQ(back.datagrams[2].payload, kPayload);
    EXPECT_EQ(back.numbers, (std::vector<std::uint64_t>{1, 4, 5}));
    EXPECT_EQ(describe(back.stats), describe(stats(6, 3, 0, 0, 0, 3)));
}

TEST(PcapReader, NonUdpAndNonIpAndBrokenHeadersAreCounted) {
    TempDir dir;
    Bytes tcp;
    build_udp_frame(tcp, kExporter4, kCollector4, kPayload);
    tcp[14 + 9] = 6;  // TCP
    Bytes icmp6;
    build_udp_frame(icmp6, kExporter6, kCollector6, kPayload);
    icmp6[14 + 6] = 58;  // ICMPv6
    Bytes bad_version;
    build_udp_frame(bad_version, kExporter4, kCollector4, kPayload);
    bad_version[14] = 0x55;
    Bytes bad_ihl;
    build_udp_frame(bad_ihl, kExporter4, kCollector4, kPayload);
    bad_ihl[14] = 0x44;
    const Bytes arp = hex("ffffffffffff 020000000001 0806  0001 0800 06 04 0001");
    const Bytes lldp = hex("0180c200000e 020000000001 88cc 0207 04 020000000001");
    const Bytes llc = hex("0180c2000000 020000000001 0026 424203 000000");  // 802.3 length field: STP
    const Bytes runt = hex("0180c2000000 0200");                              // cut inside the MAC header
    Bytes short_ip;
    build_udp_frame(short_ip, kExporter6, kCollector6, kPayload);
    short_ip.resize(14 + 30);
    write_frames(dir / "mix.pcap", 1, {tcp, icmp6, bad_version, bad_ihl, arp, lldp, llc, runt, short_ip});
    const auto back = read_back(dir / "mix.pcap");
    EXPECT_TRUE(back.datagrams.empty());
    EXPECT_EQ(describe(back.stats), describe(stats(9, 0, 3, 2, 0, 4)));
}

TEST(PcapReader, NullAndRawFramesWithOtherFamilies) {
    TempDir dir;
    write_frames(dir / "null.pcap", 0, {hex("07000000 00112233"), hex("0200")});  // AF 7, then a cut header
    const auto a = read_back(dir / "null.pcap");
    EXPECT_EQ(describe(a.stats), describe(stats(2, 0, 1, 0, 0, 1)));
    write_frames(dir / "raw.pcap", 101, {hex("10 11 22 33"), {}});  // IP version 1, then an empty frame
    const auto b = read_back(dir / "raw.pcap");
    EXPECT_EQ(describe(b.stats), describe(stats(2, 0, 1, 0, 0, 1)));
}

TEST(PcapReader, NextFrameGivesTimesLengthsAndNumbers) {
    TempDir dir;
    {
        PcapWriter w(dir / "f.pcap", TimePrecision::nano);
        w.write_frame(kT0, hex("0102030405"));
        w.write_frame(kT0 + 1, Bytes(70000, 0xAA));  // larger than any IP packet, within the snaplen
        w.commit();
    }
    PcapReader r(dir / "f.pcap");
    Frame f;
    ASSERT_TRUE(r.next_frame(f));
    EXPECT_EQ(f.number, 1u);
    EXPECT_EQ(f.ts_ns, kT0);
    EXPECT_EQ(f.wire_length, 5u);
    EXPECT_EQ(Bytes(f.data.begin(), f.data.end()), hex("0102030405"));
    ASSERT_TRUE(r.next_frame(f));
    EXPECT_EQ(f.number, 2u);
    EXPECT_EQ(f.ts_ns, kT0 + 1);
    EXPECT_EQ(f.data.size(), 70000u);
    EXPECT_FALSE(r.next_frame(f));
    EXPECT_EQ(r.stats().frames, 2u);
}

TEST(PcapReader, DashReadsStandardInput) {
    TempDir dir;
    const auto want = random_datagrams(5, 50, true);
    {
        PcapWriter w(dir / "in.pcap", TimePrecision::nano);
        for (const auto& d : want) w.write_udp(d.ts_ns, d.src, d.dst, d.payload);
        w.commit();
    }
    const int saved = dup(0);
    ASSERT_GE(saved, 0);
    const int fd = open((dir / "in.pcap").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    dup2(fd, 0);
    close(fd);
    ReadBack back;
    std::string error;
    try {
        back = read_back("-");
    } catch (const std::exception& e) {
        error = e.what();
    }
    dup2(saved, 0);
    close(saved);
    EXPECT_EQ(error, "");
    expect_same(back.datagrams, want);
}

// ---------------------------------------------------------------------------------------------
// Files that cannot be read

std::string open_error(const std::string& path) {
    try {
        PcapReader r(path);
    } catch (const InputError& e) {
        EXPECT_EQ(e.file(), path);
        return e.what();
    }
    return "";
}

TEST(PcapReader, NotACaptureFile) {
    TempDir dir;
    test::write_file(dir / "notes.txt", "exporter,domain,src\n192.0.2.1,1,10.0.0.1\n");
    EXPECT_EQ(open_error(dir / "notes.txt"), dir / "notes.txt" + ": not a pcap or pcapng capture file: unknown file format");
}

TEST(PcapReader, EmptyFile) {
    TempDir dir;
    test::write_file(dir / "empty.pcap", "");
    EXPECT_EQ(open_error(dir / "empty.pcap"), dir / "empty.pcap" + ": empty file: expected a pcap or pcapng capture");
}

TEST(PcapReader, TruncatedFileHeader) {
    TempDir dir;
    test::write_file(dir / "short.pcap", std::string("\xd4\xc3\xb2\xa1\x02\x00", 6));
    const auto msg = open_error(dir / "short.pcap");
    EXPECT_EQ(msg.rfind(dir / "short.pcap" + ": not a pcap or pcapng capture file: truncated dump file", 0), 0u) << msg;
}

TEST(PcapReader, MissingFile) {
    TempDir dir;
    EXPECT_EQ(open_error(dir / "nope.pcap"), dir / "nope.pcap" + ": cannot open: No such file or directory");
}

TEST(PcapReader, DirectoryIsNotAFile) {
    TempDir dir;
    EXPECT_EQ(open_error(dir.path().string()), dir.path().string() + ": cannot read: Is a directory");
}

TEST(PcapReader, UnsupportedLinkTypeNamesItAndTheSupportedOnes) {
    TempDir dir;
    write_frames(dir / "wifi.pcap", 105, {hex("0102")});
    EXPECT_EQ(open_error(dir / "wifi.pcap"),
              dir / "wifi.pcap" +
                  ": link type 105 (IEEE802_11) is not supported; supported are 1 (EN10MB: Ethernet, "
                  "802.1Q/802.1ad tags skipped), 113 (LINUX_SLL), 276 (LINUX_SLL2), 101 (RAW; also 12 and 14), "
                  "0 (NULL) and 108 (LOOP)");
}

TEST(PcapReader, DamagedFileNamesThePacket) {
    TempDir dir;
    const std::string path = dir / "cut.pcap";
    {
        PcapWriter w(path);
        for (int i = 0; i < 3; ++i) w.write_udp(kT0, kExporter4, kCollector4, kPayload);
        w.commit();
    }
    std::string bytes = test::read_file(path);
    bytes.resize(bytes.size() - 10);  // the third record loses its last bytes
    test::write_file(path, bytes);
    PcapReader r(path);
    UdpDatagram d;
    ASSERT_TRUE(r.next_udp(d));
    ASSERT_TRUE(r.next_udp(d));
    try {
        r.next_udp(d);
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_EQ(e.place().packet, 3u);
        const std::string msg = e.what();
        EXPECT_EQ(msg.rfind(path + ": packet 3: damaged capture file: truncated dump file; tried to read 49 captured bytes, only got 39", 0), 0u) << msg;
    }
}

TEST(PcapReader, ImplausibleRecordLengthIsDamage) {
    TempDir dir;
    const std::string path = dir / "huge.pcap";
    write_frames(path, 1, {hex("0102")});
    std::string bytes = test::read_file(path);
    const std::uint32_t huge = 0x7FFFFFFF;
    std::memcpy(bytes.data() + 24 + 8, &huge, 4);  // caplen of the first record
    test::write_file(path, bytes);
    PcapReader r(path);
    Frame f;
    try {
        r.next_frame(f);
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_EQ(e.place().packet, 1u);
        EXPECT_NE(std::string(e.what()).find(": packet 1: damaged capture file: "), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace flowlab::core
