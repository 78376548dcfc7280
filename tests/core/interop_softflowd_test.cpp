/// @brief Decoding exports flowlab did not write: softflowd meters a packet capture the test
/// builds (TCP sessions with handshakes and FIN or RST, UDP, ICMP, IPv4 and IPv6) and exports
/// NetFlow v5, v9 and IPFIX in its time dialects to a loopback port, where the test captures
/// the datagrams. `flowlab decode` of that capture must agree with tshark's decode of it record
/// for record and field for field, and both with the traffic the test sent.
#include <gtest/gtest.h>
#include <tins/tins.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <tuple>

#include "flowlab/core/record_format.hpp"
#include "interop_support.hpp"
#include "test_support.hpp"

namespace flowlab::interop {
namespace {

using core::Field;
using core::FieldSet;
using core::FlowRecord;
using core::IpAddress;

// ---------------------------------------------------------------------------------------------
// The traffic: a small, fixed packet capture and what crossed the wire per direction.

constexpr std::int64_t kStartUs = 1'767'225'600'250'000;  // 2026-01-01T00:00:00.250Z

struct Direction {
    std::uint64_t packets = 0, bytes = 0;
    std::uint8_t tcp_flags = 0;
    std::int64_t first_ms = 0, last_ms = 0;
};

using Key = std::tuple<IpAddress, IpAddress, std::uint16_t, std::uint16_t, std::uint8_t>;  // src dst sport dport proto

struct Traffic {
    std::map<Key, Direction> directions;
    std::size_t packets = 0;
};

class CaptureBuilder {
public:
    explicit CaptureBuilder(const std::string& path) : writer_(path, Tins::DataLinkType<Tins::EthernetII>()) {}

    void tcp(const std::string& src, const std::string& dst, std::uint16_t sport, std::uint16_t dport, std::uint8_t flags,
             std::size_t payload, std::int64_t at_us) {
        Tins::TCP t(dport, sport);
        t.flags(flags);
        add(src, dst, t, payload, at_us, Key{ip(src), ip(dst), sport, dport, 6}, flags);
    }
    void udp(const std::string& src, const std::string& dst, std::uint16_t sport, std::uint16_t dport, std::size_t payload,
             std::int64_t at_us) {
        Tins::UDP u(dport, sport);
        add(src, dst, u, payload, at_us, Key{ip(src), ip(dst), sport, dport, 17}, 0);
    }
    /// ICMP / ICMPv6: exporters carry type*256+code where ports would be.
    void icmp(const std::string& src, const std::string& dst, std::uint8_t type, std::uint8_t code, std::size_t payload,
              std::int64_t at_us) {
        const bool v6 = ip(src).is_v6();
        const auto tc = static_cast<std::uint16_t>((type << 8) | code);
        if (v6) {
            Tins::ICMPv6 i(static_cast<Tins::ICMPv6::Types>(type));
            i.code(code);
            add(src, dst, i, payload, at_us, Key{ip(src), ip(dst), 0, tc, 58}, 0);
        } else {
            Tins::ICMP i(static_cast<Tins::ICMP::Flags>(type));
            i.code(code);
            add(src, dst, i, payload, at_us, Key{ip(src), ip(dst), 0, tc, 1}, 0);
        }
    }
    Traffic& traffic() { return traffic_; }

private:
    static IpAddress ip(const std::string& s) { return *IpAddress::parse(s); }

    template <class L4>
    void add(const std::string& src, const std::string& dst, L4& l4, std::size_t payload, std::int64_t at_us, const Key& key,
             std::uint8_t flags) {
        Tins::RawPDU data(std::vector<std::uint8_t>(payload, 0x5a));
        Tins::EthernetII eth("02:00:00:00:00:02", "02:00:00:00:00:01");
        std::size_t ip_bytes = 0;
        if (ip(src).is_v6()) {
            Tins::EthernetII pkt = eth / Tins::IPv6(dst, src) / l4 / data;
            ip_bytes = pkt.serialize().size() - 14;
            Tins::Packet packet(pkt, Tins::Timestamp(std::chrono::microseconds(at_us)));
            writer_.write(packet);
        } else {
            Tins::EthernetII pkt = eth / Tins::IP(dst, src) / l4 / data;
            ip_bytes = pkt.serialize().size() - 14;
            Tins::Packet packet(pkt, Tins::Timestamp(std::chrono::microseconds(at_us)));
            writer_.write(packet);
        }
        Direction& d = traffic_.directions[key];
        if (d.packets == 0) d.first_ms = at_us / 1000;
        d.last_ms = at_us / 1000;
        ++d.packets;
        d.bytes += ip_bytes;
        d.tcp_flags |= flags;
        ++traffic_.packets;
    }

    Tins::PacketWriter writer_;
    Traffic traffic_;
};

/// TCP sessions (handshake, data both ways, FIN or RST), UDP request/response, ICMP; IPv4 and
/// IPv6. Times in microseconds after kStartUs.
Traffic build_capture(const std::string& path) {
    CaptureBuilder b(path);
    constexpr auto S = Tins::TCP::SYN, A = Tins::TCP::ACK, F = Tins::TCP::FIN, P = Tins::TCP::PSH, R = Tins::TCP::RST;
    auto session = [&](const std::string& c, const std::string& s, std::uint16_t cport, std::uint16_t sport, std::int64_t t,
                       bool reset) {
        b.tcp(c, s, cport, sport, S, 0, t);
        b.tcp(s, c, sport, cport, S | A, 0, t + 10'000);
        b.tcp(c, s, cport, sport, A, 0, t + 20'000);
        b.tcp(c, s, cport, sport, P | A, 120, t + 30'000);
        b.tcp(s, c, sport, cport, A, 1400, t + 45'000);
        b.tcp(s, c, sport, cport, P | A, 733, t + 46'000);
        b.tcp(c, s, cport, sport, A, 0, t + 60'000);
        b.tcp(c, s, cport, sport, P | A, 300, t + 1'200'000);
        b.tcp(s, c, sport, cport, A, 0, t + 1'210'000);
        if (reset) {
            b.tcp(c, s, cport, sport, R | A, 0, t + 1'500'000);
        } else {
            b.tcp(c, s, cport, sport, F | A, 0, t + 1'500'000);
            b.tcp(s, c, sport, cport, F | A, 0, t + 1'510'000);
            b.tcp(c, s, cport, sport, A, 0, t + 1'520'000);
        }
    };
    const std::int64_t t0 = kStartUs;
    session("192.0.2.10", "198.51.100.20", 40000, 80, t0, false);
    session("192.0.2.11", "198.51.100.21", 40001, 443, t0 + 333'000, true);
    session("2001:db8::10", "2001:db8::20", 40002, 22, t0 + 777'000, false);
    b.udp("192.0.2.10", "198.51.100.53", 5353, 53, 33, t0 + 2'000'000);
    b.udp("198.51.100.53", "192.0.2.10", 53, 5353, 97, t0 + 2'004'000);
    b.udp("2001:db8::10", "2001:db8::53", 5354, 53, 41, t0 + 2'100'000);
    b.icmp("192.0.2.10", "198.51.100.20", 8, 0, 56, t0 + 3'000'000);
    b.icmp("198.51.100.99", "192.0.2.10", 3, 3, 28, t0 + 3'100'000);
    b.icmp("2001:db8::10", "2001:db8::20", 128, 0, 56, t0 + 3'200'000);
    return b.traffic();
}

// ---------------------------------------------------------------------------------------------
// softflowd runs

struct SoftflowdCase {
    std::string name;
    int version = 5;          ///< -v
    std::string time_format;  ///< -A (absolute times in v9/IPFIX), "" = sysUptime-relative
    bool adjust_time = false; ///< -a: use the capture's clock instead of the wall clock
    unsigned sampling = 0;    ///< -s: 1-in-N packet sampling
};
void PrintTo(const SoftflowdCase& c, std::ostream* os) { *os << c.name; }

std::vector<SoftflowdCase> cases() {
    return {
        {"v5", 5, "", false},           {"v5_pcap_clock", 5, "", true},
        {"v9", 9, "", false},           {"v9_pcap_clock", 9, "", true},
        {"v9_milli", 9, "milli", true}, {"ipfix", 10, "", false},
        {"ipfix_pcap_clock", 10, "", true}, {"ipfix_sec", 10, "sec", true},
        {"ipfix_milli", 10, "milli", true}, {"ipfix_micro", 10, "micro", true},
        {"ipfix_nano", 10, "nano", true},
        // softflowd announces 1-in-N as samplingInterval (34) in v9, as samplingPacketInterval
        // 1 + samplingPacketSpace N-1 (305/306, RFC 5477) in IPFIX, in the header in v5.
        {"v5_sampled", 5, "", true, 2}, {"v9_sampled", 9, "", true, 2},
        {"ipfix_sampled", 10, "", true, 2},
    };
}

/// NetFlow v9 header count and the number of FlowSets in a datagram.
std::pair<std::uint16_t, std::uint16_t> v9_count_and_flowsets(const std::vector<std::uint8_t>& d) {
    std::uint16_t flowsets = 0;
    for (std::size_t pos = 20; pos + 4 <= d.size();) {
        const std::size_t len = (std::size_t{d[pos + 2]} << 8) | d[pos + 3];
        if (len < 4) break;
        ++flowsets;
        pos += len;
    }
    return {static_cast<std::uint16_t>((d[2] << 8) | d[3]), flowsets};
}

/// Runs softflowd over the capture, receiving its datagrams on a loopback socket the test
/// holds; returns them as the exporter sent them (127.0.0.1:sport -> port). softflowd sends
/// on loopback synchronously, so once it has exited every datagram is queued.
std::vector<std::vector<std::uint8_t>> run_softflowd(const SoftflowdCase& c, const std::string& packets_pcap,
                                                     std::uint16_t& port, std::uint16_t& sport) {
    std::vector<std::vector<std::uint8_t>> out;
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    EXPECT_GE(fd, 0);
    const int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t alen = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &alen);
    port = ntohs(a.sin_port);

    std::vector<std::string> argv = {"softflowd", "-r", packets_pcap, "-n", "127.0.0.1:" + std::to_string(port), "-v",
                                     std::to_string(c.version)};
    if (!c.time_format.empty()) {
        argv.push_back("-A");
        argv.push_back(c.time_format);
    }
    if (c.adjust_time) argv.push_back("-a");
    if (c.sampling) {
        argv.push_back("-s");
        argv.push_back(std::to_string(c.sampling));
    }
    const auto res = test::run(argv, {}, std::chrono::seconds(60));
    EXPECT_EQ(res.exit_code, 0) << res.out << res.err;

    std::vector<std::uint8_t> dgram(65536);
    while (true) {
        sockaddr_in from{};
        socklen_t flen = sizeof from;
        const ssize_t got = recvfrom(fd, dgram.data(), dgram.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &flen);
        if (got < 0) break;
        sport = ntohs(from.sin_port);
        out.emplace_back(dgram.begin(), dgram.begin() + got);
    }
    close(fd);
    return out;
}

void write_capture(const std::string& path, const std::vector<std::vector<std::uint8_t>>& datagrams, std::uint16_t sport,
                   std::uint16_t port) {
    core::PcapWriter writer(path, core::TimePrecision::micro);
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    std::int64_t i = 0;
    for (const auto& d : datagrams)
        writer.write_udp(now_ns + 1000 * i++, {IpAddress::v4(0x7F000001), sport}, {IpAddress::v4(0x7F000001), port}, d);
    writer.commit();
}

std::vector<FlowRecord> read_csv(const std::string& path) {
    core::RecordCsvReader reader(path);
    std::vector<FlowRecord> out;
    FlowRecord r;
    while (reader.next(r)) out.push_back(r);
    return out;
}

Key key_of(const FlowRecord& r) {
    // Exporters carry ICMP type*256+code in the destination port; flowlab and tshark both also
    // show it as ICMP type/code, and as the port when the template has one.
    const bool icmp = r.proto == 1 || r.proto == 58;
    const std::uint16_t dport = icmp ? static_cast<std::uint16_t>((r.icmp_type << 8) | r.icmp_code) : r.dport;
    return Key{r.src, r.dst, icmp ? std::uint16_t{0} : r.sport, dport, r.proto};
}

std::string key_text(const Key& k) {
    return std::get<0>(k).to_string() + ":" + std::to_string(std::get<2>(k)) + " > " + std::get<1>(k).to_string() + ":" +
           std::to_string(std::get<3>(k)) + " proto " + std::to_string(std::get<4>(k));
}

class SoftflowdInterop : public ::testing::TestWithParam<SoftflowdCase> {};

TEST_P(SoftflowdInterop, FlowlabAndTsharkAgreeAndMatchTheTraffic) {
    FLOWLAB_REQUIRE_TOOL("softflowd");
    FLOWLAB_REQUIRE_TOOL("tshark");
    const SoftflowdCase& c = GetParam();
    test::TempDir dir;
    const std::string packets = dir / "packets.pcap";
    const std::string exports = dir / "exports.pcap";
    const Traffic traffic = build_capture(packets);
    std::uint16_t port = 0, sport = 0;
    const auto datagrams = run_softflowd(c, packets, port, sport);
    ASSERT_GT(datagrams.size(), 0u) << "softflowd sent nothing";
    write_capture(exports, datagrams, sport, port);
    // tshark 4.0 dissects at most `count` FlowSets of a v9 packet (packet-netflow.c loops
    // `x < pdus + 1`, reading the header count as a FlowSet count). RFC 3954 5.1 makes count
    // the number of records, templates included, which is never below the number of FlowSets;
    // softflowd's count covers its flow records only, which can be fewer than its FlowSets, so
    // tshark would stop early. tshark reads a copy whose count is raised to the FlowSets.
    std::uint64_t v9_count_total = 0;
    std::vector<std::vector<std::uint8_t>> for_tshark = datagrams;
    for (auto& d : for_tshark) {
        if (d.size() < 20 || d[0] != 0 || d[1] != 9) continue;
        const auto [count, flowsets] = v9_count_and_flowsets(d);
        v9_count_total += count;
        if (count < flowsets) {
            d[2] = static_cast<std::uint8_t>(flowsets >> 8);
            d[3] = static_cast<std::uint8_t>(flowsets);
        }
    }
    const std::string exports_for_tshark = dir / "exports-tshark.pcap";
    write_capture(exports_for_tshark, for_tshark, sport, port);

    // flowlab decode, as a user runs it.
    const std::string csv = dir / "decoded.csv";
    const auto dec = test::run({test::flowlab_bin(), "decode", exports, "--port", std::to_string(port), "-o", csv});
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    const std::vector<FlowRecord> flowlab = read_csv(csv);

    // tshark, record by record. flowDirection (61) and ipVersion (60), which softflowd adds,
    // are outside flowlab's record model.
    const std::vector<TsharkPacket> packets_seen = run_tshark(exports_for_tshark, port);
    ASSERT_EQ(packets_seen.size(), datagrams.size());
    TsharkReader reader({"cflow.direction", "cflow.ip_version"});
    std::vector<FlowRecord> tshark;
    std::size_t v9_messages = 0;
    for (const auto& p : packets_seen) {
        for (const auto& problem : p.problems) ADD_FAILURE() << "tshark flagged packet " << p.number << ": " << problem;
        const TsharkMessage m = reader.read(p);
        for (const auto& problem : m.problems) ADD_FAILURE() << problem;
        if (m.protocol == core::Protocol::v9) ++v9_messages;
        tshark.insert(tshark.end(), m.records.begin(), m.records.end());
    }

    // flowlab's own account: softflowd's v9 count is reported as count_mismatch, once per
    // message; nothing else is malformed.
    const std::string expect_errors =
        v9_messages ? "errors: " + std::to_string(v9_messages) + " (count_mismatch " + std::to_string(v9_messages) + ")"
                    : "errors: none";
    EXPECT_NE(dec.err.find(expect_errors), std::string::npos) << dec.err;

    // softflowd 1.1.0 counts only flow data records in the v9 header count; RFC 3954 5.1 counts
    // template, options template and options data records too.
    if (c.version == 9) {
        EXPECT_EQ(v9_count_total, flowlab.size()) << "softflowd's v9 count";
    }
    ASSERT_EQ(flowlab.size(), tshark.size()) << dec.err;
    for (std::size_t i = 0; i < flowlab.size(); ++i) {
        EXPECT_TRUE(core::differing_fields(tshark[i], flowlab[i], FieldSet::all()).empty())
            << "record " << i << " (tshark expected, flowlab got): " << describe_differences(tshark[i], flowlab[i], FieldSet::all());
    }

    // Both against the traffic. v5 cannot carry IPv6; softflowd keeps one flow entry for both
    // directions of a conversation and stamps both records with that entry's first and last
    // packet.
    std::map<Key, Direction> expected;
    for (const auto& [k, d] : traffic.directions) {
        if (c.version == 5 && std::get<0>(k).is_v6()) continue;
        Direction e = d;
        const Key back{std::get<1>(k), std::get<0>(k), std::get<3>(k), std::get<2>(k), std::get<4>(k)};
        if (auto it = traffic.directions.find(back); it != traffic.directions.end() && std::get<4>(k) != 1 && std::get<4>(k) != 58) {
            e.first_ms = std::min(d.first_ms, it->second.first_ms);
            e.last_ms = std::max(d.last_ms, it->second.last_ms);
        }
        expected[k] = e;
    }
    std::set<Key> seen;
    const std::int64_t wrap = std::int64_t{1} << 32;
    for (const FlowRecord& r : flowlab) {
        const Key k = key_of(r);
        SCOPED_TRACE(key_text(k));
        auto it = expected.find(k);
        if (it == expected.end()) {
            ADD_FAILURE() << "a record for traffic the capture does not hold";
            continue;
        }
        EXPECT_TRUE(seen.insert(k).second) << "two records for one direction";
        if (c.sampling > 1) {
            // Sampled: the records count the sampled packets only; the interval must be known.
            EXPECT_EQ(r.sampling_interval, c.sampling);
            EXPECT_LE(r.packets, it->second.packets);
            continue;
        }
        const Direction& d = it->second;
        EXPECT_EQ(r.packets, d.packets);
        EXPECT_EQ(r.bytes, d.bytes);
        if (r.proto == 6) {
            EXPECT_EQ(r.tcp_flags, d.tcp_flags);
        }
        // Times. With -a softflowd's clock is the capture's; without it, its sysUptime base is
        // the wall clock while the packets are from 2026-01-01, and 32-bit relative times wrap:
        // the decoded time is the packet time plus a multiple of 2^32 ms. v9 headers hold whole
        // seconds, so a v9 time resolves up to 999.999 ms early; softflowd truncates each clock
        // to the millisecond on its own (the header's uptime and the record's), which leaves
        // 1 ms either way: -1001 ms at worst, seen when a run starts just before a second ends.
        const bool relative = c.version == 5 || c.time_format.empty();
        for (auto [got, want] : {std::pair{r.first_ms, d.first_ms}, std::pair{r.last_ms, d.last_ms}}) {
            std::int64_t delta = got - want;
            if (!c.adjust_time && relative) delta = ((delta % wrap) + wrap + wrap / 2) % wrap - wrap / 2;
            const std::int64_t low = (c.version == 9 && relative) ? -1001 : c.time_format == "sec" ? -999 : -1;
            EXPECT_GE(delta, low) << "decoded " << got << ", packet time " << want;
            EXPECT_LE(delta, 1) << "decoded " << got << ", packet time " << want;
        }
    }
    if (c.sampling <= 1) {
        EXPECT_EQ(seen.size(), expected.size()) << "directions without a record";
    }
}

INSTANTIATE_TEST_SUITE_P(Dialects, SoftflowdInterop, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<SoftflowdCase>& i) { return i.param.name; });

}  // namespace
}  // namespace flowlab::interop
