/// @brief flowlab's exports collected by nfcapd and read back with nfdump (1.7.1, Debian 12):
/// every record and every field nfdump keeps must equal the export truth, except for the
/// alterations nfdump is known to make, each of which is a named, explained exception below.
///
/// nfdump is read twice: `-o raw` is the only output that prints every field it stores
/// (flowEndReason, engine type/id, sampled flag), and `-o json` the only one that prints the
/// ToS of ICMP records (raw omits that line for ICMP). The two are aligned by record order and
/// must agree on the fields both show.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "flowlab/core/ie_catalog.hpp"
#include "flowlab/core/udp_port.hpp"
#include "interop_support.hpp"
#include "test_support.hpp"

namespace flowlab::interop {
namespace {

using core::Field;
using core::FieldSet;
using core::FlowRecord;
using core::IpAddress;
using core::Protocol;
using core::TimeStyle;

constexpr std::uint64_t kSeed = 20261128;
constexpr std::size_t kRecords = 400;

std::vector<ExportCase> cases() {
    using P = Protocol;
    using T = TimeStyle;
    // name, protocol, ipv6 records, ipv6 transport, time style, wide counters, sampling, extras, domain
    return {
        {"v5", P::v5, false, false, T::uptime, false, 0, false, 0x0103},
        {"v5_sampled", P::v5, false, false, T::uptime, false, 10, false, 0x0207},
        {"v9_v4_uptime", P::v9, false, false, T::uptime, false, 0, false, 0x0A0B},
        {"v9_v6_uptime_wide", P::v9, true, false, T::uptime, true, 0, false, 0x0C0D},
        {"v9_v4_ms_sampled", P::v9, false, false, T::milliseconds, false, 100, false, 7},
        {"ipfix_v4_ms", P::ipfix, false, false, T::milliseconds, true, 0, false, 42},
        {"ipfix_v6_ms_v6transport", P::ipfix, true, true, T::milliseconds, true, 0, false, 43},
        {"ipfix_v4_uptime", P::ipfix, false, false, T::uptime, true, 0, false, 44},
        {"ipfix_v6_uptime", P::ipfix, true, false, T::uptime, false, 0, false, 45},
        {"ipfix_v4_seconds", P::ipfix, false, false, T::seconds, true, 0, false, 46},
        {"ipfix_v6_micro", P::ipfix, true, false, T::microseconds, true, 0, false, 47},
        {"ipfix_v4_nano", P::ipfix, false, false, T::nanoseconds, true, 0, false, 48},
        {"ipfix_v4_ms_sampled", P::ipfix, false, false, T::milliseconds, true, 1000, false, 49},
        {"ipfix_v6_ms_extras", P::ipfix, true, false, T::milliseconds, true, 0, true, 50},
    };
}

// ---------------------------------------------------------------------------------------------
// What nfdump 1.7.1 does to the data: one function per known behaviour, each applied to the
// truth to give the record nfdump must show.

/// nfcapd records the UDP source of the datagram as the exporter ("ip exporter"), not the
/// address the exporter meant: here the test's socket on loopback.
void exporter_is_udp_source(FlowRecord& r, const IpAddress& udp_source) { r.set_address(Field::exporter, udp_source); }

/// NetFlow v5: nfcapd multiplies packets and bytes by the header's sampling rate and flags
/// the record "Sampled".
void v5_counts_scaled_by_header_rate(FlowRecord& r, std::uint32_t rate) {
    if (rate > 1) {
        r.set_number(Field::packets, r.packets * rate);
        r.set_number(Field::bytes, r.bytes * rate);
    }
}

/// NetFlow v5: nfdump reports src/dst masks as 0 (the v5 record has them; nfcapd drops them).
void v5_masks_zero(FlowRecord& r) {
    r.set_number(Field::src_mask, 0);
    r.set_number(Field::dst_mask, 0);
}

/// nfdump has no "absent": a record whose export carried no flowEndReason (every v5 record)
/// shows end reason 0.
void absent_end_reason_shows_zero(FlowRecord& r) {
    if (!r.has(Field::end_reason)) r.set_number(Field::end_reason, 0);
}

/// NetFlow v9: nfdump 1.7.1's v9 element table has no flowEndReason (136): it stores 0.
void v9_end_reason_dropped(FlowRecord& r) { r.set_number(Field::end_reason, 0); }

/// NetFlow v9: nfdump 1.7.1's v9 table has no icmpTypeCodeIPv6 (139) either (it knows only
/// ICMP_TYPE 32, which flowlab uses for IPv4): ICMPv6 type/code come out 0.0.
void v9_icmpv6_type_code_dropped(FlowRecord& r) {
    if (r.proto == 58) {
        r.set_number(Field::icmp_type, 0);
        r.set_number(Field::icmp_code, 0);
    }
}

/// IPFIX: nfdump 1.7.1 maps flowEndSysUpTime (21) to the start and flowStartSysUpTime (22) to
/// the end (its ipfixTranslationMap has STACK_MSECFIRST/LAST swapped; later releases fixed
/// it). IANA and RFC 5102: 21 = flowEndSysUpTime, 22 = flowStartSysUpTime; tshark agrees with
/// flowlab (interop_tshark_test).
void ipfix_sysuptime_start_end_swapped(FlowRecord& r) {
    const std::int64_t first = r.first_ms;
    r.set_number(Field::first_ms, static_cast<std::uint64_t>(r.last_ms));
    r.set_number(Field::last_ms, static_cast<std::uint64_t>(first));
}

/// IPFIX: nfdump 1.7.1 does not know flowStart/EndSeconds (150/151), flowStart/EndMicroseconds
/// (154/155) nor flowStart/EndNanoseconds (156/157): the times come out 0 (1970-01-01).
void ipfix_times_not_decoded(FlowRecord& r) {
    r.set_number(Field::first_ms, 0);
    r.set_number(Field::last_ms, 0);
}

/// Representation, not loss: nfdump keeps ICMP type/code (in its dst port) only for ICMP
/// records and prints them instead of the ports; other records have no ICMP fields.
void icmp_replaces_ports(FlowRecord& r) {
    if (r.proto == 1 || r.proto == 58) {
        r.present.clear(Field::sport);
        r.present.clear(Field::dport);
    } else {
        r.present.clear(Field::icmp_type);
        r.present.clear(Field::icmp_code);
    }
}

/// nfdump has no observation domain in its records; v9 source ids become engine type/id
/// ((id >> 8) & 0xFF, id & 0xFF), so only their low 16 bits survive; IPFIX records show 0/0.
void domain_as_engine_fields(FlowRecord& r, Protocol p) {
    if (p == Protocol::ipfix) r.present.clear(Field::domain);
    else r.set_number(Field::domain, r.domain & 0xFFFF);
}

/// v9 and IPFIX: nfdump 1.7.1 does not apply the sampling interval announced in options data
/// (samplingInterval 34 / samplingAlgorithm 35): counters stay as sent and the record says
/// "Unsampled". Nothing to change in the record; `expect_sampled_flag` says what to expect.
bool expect_sampled_flag(const ExportCase& c) { return c.protocol == Protocol::v5 && c.sampling > 1; }

FlowRecord expected_from_truth(const FlowRecord& truth, const ExportCase& c, const IpAddress& udp_source) {
    FlowRecord e = truth;
    exporter_is_udp_source(e, udp_source);
    switch (c.protocol) {
        case Protocol::v5:
            v5_counts_scaled_by_header_rate(e, c.sampling);
            v5_masks_zero(e);
            break;
        case Protocol::v9:
            v9_end_reason_dropped(e);
            v9_icmpv6_type_code_dropped(e);
            break;
        case Protocol::ipfix:
            if (c.time_style == TimeStyle::uptime) ipfix_sysuptime_start_end_swapped(e);
            if (c.time_style == TimeStyle::seconds || c.time_style == TimeStyle::microseconds ||
                c.time_style == TimeStyle::nanoseconds)
                ipfix_times_not_decoded(e);
            break;
    }
    absent_end_reason_shows_zero(e);
    icmp_replaces_ports(e);
    domain_as_engine_fields(e, c.protocol);
    return e;
}

/// The fields nfdump stores (sequence, template id, export time, sampling interval and algorithm
/// are not in its records; the sampled flag is checked separately).
FieldSet fields_nfdump_keeps() {
    FieldSet s = FieldSet::all();
    for (Field f : {Field::sequence, Field::template_id, Field::export_ms, Field::sampling_interval,
                    Field::sampling_algorithm})
        s.clear(f);
    return s;
}

/// nfcapd counts IPFIX sequence numbers in flow data records only, while RFC 7011 3.1 counts
/// every Data Record, Options Data Records included (as flowlab and tshark do): each message
/// after one that carried options data looks like a gap to nfcapd, which then resynchronises.
std::uint64_t expected_sequence_errors(const EncodedExport& e) {
    if (e.config.protocol != Protocol::ipfix) return 0;
    std::uint64_t errors = 0;
    for (std::size_t i = 1; i < e.messages.size(); ++i) {
        const auto seq = [&](std::size_t k) {
            const auto& b = e.messages[k].bytes;
            return (std::uint32_t{b[8]} << 24) | (std::uint32_t{b[9]} << 16) | (std::uint32_t{b[10]} << 8) | b[11];
        };
        if (seq(i) - seq(i - 1) != e.messages[i - 1].truth.size()) ++errors;
    }
    return errors;
}

// ---------------------------------------------------------------------------------------------
// Driving nfcapd and reading nfdump

void send_all(const EncodedExport& e, const core::UdpEndpoint& to) {
    const bool v6 = to.address.is_v6();
    const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(to.port);
        std::memcpy(&a->sin6_addr, to.address.bytes().data(), 16);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(to.port);
        std::memcpy(&a->sin_addr, to.address.bytes().data(), 4);
        len = sizeof *a;
    }
    for (const auto& m : e.messages) {
        const ssize_t n = sendto(fd, m.bytes.data(), m.bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
        EXPECT_EQ(n, static_cast<ssize_t>(m.bytes.size())) << std::strerror(errno);
        // About 5000 datagrams/s: far below what nfcapd takes losslessly here (PEERS.md).
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    close(fd);
}

using Raw = std::map<std::string, std::string>;

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") + 1 - b);
}

/// `nfdump -o raw`: "Flow Record:" blocks of "  key = value" lines. (Parsed by hand: g++ 12's
/// <regex> trips -Wmaybe-uninitialized under the sanitizer build.)
std::vector<Raw> parse_raw(const std::string& text) {
    std::vector<Raw> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("Flow Record:", 0) == 0) {
            out.emplace_back();
            continue;
        }
        const auto eq = line.find(" = ");
        if (out.empty() || line.empty() || line[0] != ' ' || eq == std::string::npos) continue;
        out.back()[trim(line.substr(0, eq))] = trim(line.substr(eq + 3));
    }
    return out;
}

/// nfcapd's exit line: Flows, Packets, Bytes, Sequence Errors, Bad Packets.
bool parse_summary(const std::string& log, std::array<unsigned long long, 5>& v) {
    const auto at = log.find("Flows: ");
    return at != std::string::npos &&
           std::sscanf(log.c_str() + at, "Flows: %llu, Packets: %llu, Bytes: %llu, Sequence Errors: %llu, Bad Packets: %llu",
                       &v[0], &v[1], &v[2], &v[3], &v[4]) == 5;
}

std::string first_token(const std::string& s) { return s.substr(0, s.find(' ')); }

std::int64_t json_time_ms(const std::string& s) {
    // "2026-01-01T00:05:22.031" in UTC (TZ=UTC)
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                    &tm.tm_sec, &ms) != 7)
        throw std::invalid_argument("not an nfdump JSON time: " + s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

/// One nfdump record as a FlowRecord; `problems` gets every key not understood.
FlowRecord from_nfdump(const Raw& raw, const nlohmann::json& json, bool& sampled, std::vector<std::string>& problems) {
    static const std::set<std::string> kNotCompared = {
        "RecordCount", "Elements", "size", "export sysid", "received at", "fwd status", "dst tos", "direction", "biFlow Dir"};
    FlowRecord r;
    std::set<std::string> used;
    auto get = [&](const char* k) -> const std::string* {
        auto it = raw.find(k);
        if (it == raw.end()) return nullptr;
        used.insert(k);
        return &it->second;
    };
    auto num = [&](Field f, const char* k, int base = 10) {
        if (const std::string* v = get(k)) r.set_number(f, std::stoull(first_token(*v), nullptr, base));
    };
    auto addr = [&](Field f, const char* k) {
        if (const std::string* v = get(k)) {
            if (auto a = IpAddress::parse(first_token(*v))) r.set_address(f, *a);
            else problems.push_back(std::string(k) + " is not an address: " + *v);
        }
    };
    if (const std::string* flags = get("Flags")) {
        const auto v = flags->find("NETFLOW v");
        const bool unsampled = flags->find(", Unsampled") != std::string::npos;
        if (v != std::string::npos && (unsampled || flags->find(", Sampled") != std::string::npos)) {
            r.set_number(Field::version, std::stoull(flags->substr(v + 9)));
            sampled = !unsampled;
        } else {
            problems.push_back("Flags: " + *flags);
        }
    }
    const std::string* et = get("engine type");
    const std::string* ei = get("engine ID");
    if (et && ei && !(*et == "0" && *ei == "0"))
        r.set_number(Field::domain, (std::stoull(*et) << 8) | std::stoull(*ei));
    addr(Field::exporter, "ip exporter");
    addr(Field::src, "src addr");
    addr(Field::dst, "dst addr");
    addr(Field::next_hop, "ip next hop");
    num(Field::sport, "src port");
    num(Field::dport, "dst port");
    num(Field::proto, "proto");
    num(Field::tcp_flags, "tcp flags", 16);
    num(Field::packets, "in packets");
    num(Field::bytes, "in bytes");
    num(Field::first_ms, "first");
    num(Field::last_ms, "last");
    num(Field::in_if, "input");
    num(Field::out_if, "output");
    num(Field::src_as, "src as");
    num(Field::dst_as, "dst as");
    num(Field::src_mask, "src mask");
    num(Field::dst_mask, "dst mask");
    num(Field::end_reason, "end reason", 16);
    if (const std::string* icmp = get("ICMP")) {
        unsigned t = 0, c = 0;
        if (std::sscanf(icmp->c_str(), "%u.%u", &t, &c) == 2) {
            r.set_number(Field::icmp_type, t);
            r.set_number(Field::icmp_code, c);
        } else {
            problems.push_back("ICMP: " + *icmp);
        }
    }
    // ToS from JSON: raw prints no "src tos" line for ICMP records.
    if (json.contains("src_tos")) r.set_number(Field::tos, json["src_tos"].get<std::uint64_t>());
    if (const std::string* v = get("src tos"); v && std::stoull(*v) != r.tos)
        problems.push_back("raw src tos " + *v + " but JSON src_tos " + std::to_string(r.tos));
    // The JSON view must agree with the raw one on what both show.
    if (json.value("sampled", 0) != (sampled ? 1 : 0)) problems.push_back("JSON sampled disagrees with raw Flags");
    if (json_time_ms(json.value("first", "")) != r.first_ms || json_time_ms(json.value("last", "")) != r.last_ms)
        problems.push_back("JSON first/last disagree with raw");
    if (json.value("in_packets", std::uint64_t{0}) != r.packets || json.value("in_bytes", std::uint64_t{0}) != r.bytes)
        problems.push_back("JSON counters disagree with raw");
    for (const auto& [k, v] : raw)
        if (!used.count(k) && !kNotCompared.count(k)) problems.push_back("raw key '" + k + "' (" + v + ") is not compared");
    return r;
}

class NfdumpInterop : public ::testing::TestWithParam<ExportCase> {};

TEST_P(NfdumpInterop, EveryRecordAndFieldNfdumpKeepsEqualsTheTruth) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    FLOWLAB_REQUIRE_TOOL("nfdump");
    const ExportCase& c = GetParam();
    fmt::print("seed {}, case {}, {} records\n", kSeed, c.name, kRecords);
    const EncodedExport e = encode_case(c, kSeed, kRecords);

    test::TempDir dir;
    const std::string flows = dir / "flows";
    std::filesystem::create_directory(flows);
    const std::string log = dir / "nfcapd.log";
    const std::uint16_t port = test::free_udp_port();
    const core::UdpEndpoint collector = collector_endpoint(c, port);
    std::vector<std::string> argv = {"nfcapd", "-b", collector.address.to_string(), "-p", std::to_string(port),
                                     "-w", flows, "-t", "3600", "-B", "4194304"};
    if (c.ipv6_transport) argv.insert(argv.begin() + 1, "-6");
    test::Process nfcapd(argv, log, log);
    ASSERT_TRUE(test::wait_until([&] { return core::udp_socket_state(port).has_value() || !nfcapd.running(); }, std::chrono::seconds(10)))
        << "nfcapd did not bind port " << port << ":\n" << test::read_file(log);
    ASSERT_TRUE(nfcapd.running()) << test::read_file(log);

    send_all(e, collector);
    // Everything sent is read by nfcapd once its socket queue is empty; only then stop it.
    EXPECT_TRUE(test::wait_until([&] { return [&] { const auto st = core::udp_socket_state(port); return st && st->rx_queue == 0; }(); }, std::chrono::seconds(10)));
    EXPECT_EQ(nfcapd.stop(SIGTERM), 0) << test::read_file(log);
    const std::string log_text = test::read_file(log);

    // nfcapd's own account on exit.
    std::array<unsigned long long, 5> m{};
    ASSERT_TRUE(parse_summary(log_text, m)) << log_text;
    const IpAddress udp_source = collector.address;  // the test sends from loopback to loopback

    const auto raw_out = test::run({"nfdump", "-R", flows, "-o", "raw"}, {"TZ=UTC"});
    const auto json_out = test::run({"nfdump", "-R", flows, "-o", "json"}, {"TZ=UTC"});
    ASSERT_EQ(raw_out.exit_code, 0) << raw_out.err;
    ASSERT_EQ(json_out.exit_code, 0) << json_out.err;
    const std::vector<Raw> raw = parse_raw(raw_out.out);
    const nlohmann::json json = nlohmann::json::parse(json_out.out);
    ASSERT_EQ(raw.size(), e.records()) << "nfdump -o raw";
    ASSERT_EQ(json.size(), e.records()) << "nfdump -o json";

    std::uint64_t packets = 0, bytes = 0;
    std::size_t k = 0;
    for (const auto& msg : e.messages) {
        for (const FlowRecord& truth : msg.truth) {
            SCOPED_TRACE("case " + c.name + ", record " + std::to_string(k));
            const FlowRecord want = expected_from_truth(truth, c, udp_source);
            bool sampled = false;
            std::vector<std::string> problems;
            const FlowRecord got = from_nfdump(raw[k], json[k], sampled, problems);
            for (const auto& p : problems) ADD_FAILURE() << p;
            EXPECT_TRUE(core::differing_fields(want, got, fields_nfdump_keeps()).empty())
                << describe_differences(want, got, fields_nfdump_keeps());
            EXPECT_EQ(sampled, expect_sampled_flag(c));
            packets += want.packets;
            bytes += want.bytes;
            ++k;
        }
    }
    EXPECT_EQ(m[0], e.records()) << "Flows";
    EXPECT_EQ(m[1], packets) << "Packets";
    EXPECT_EQ(m[2], bytes) << "Bytes";
    EXPECT_EQ(m[3], expected_sequence_errors(e)) << "Sequence Errors";
    EXPECT_EQ(m[4], 0u) << "Bad Packets";
}

INSTANTIATE_TEST_SUITE_P(AllProtocols, NfdumpInterop, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<ExportCase>& i) { return i.param.name; });

}  // namespace
}  // namespace flowlab::interop
