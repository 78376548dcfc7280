/// @brief Readers on real outputs captured from each tool (tests/verify/fixtures): detection,
/// exact field values, what each tool keeps, agreement between tools, malformed input.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "flowlab/core/decoder.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "msg_builder.hpp"
#include "readers/flowlab_csv.hpp"
#include "verify_helpers.hpp"

namespace flowlab::verify::testing {
namespace {

using core::FieldSet;

const FlowRecord& find(const std::vector<FlowRecord>& rs, const char* src, const char* dst, std::int64_t first_ms) {
    for (const auto& r : rs)
        if (r.src == ip(src) && r.dst == ip(dst) && r.first_ms == first_ms) return r;
    ADD_FAILURE() << "no record " << src << " -> " << dst << " starting " << first_ms;
    static FlowRecord none;
    return none;
}

CollectedFormat format_of(const std::string& spec) { return open_collected(parse_collected_spec(spec))->traits().format; }

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Reads a copy of `fixture_file` with `from` replaced by `to` (once); returns the error text.
std::string error_after_edit(const std::string& fixture_file, const std::string& from, const std::string& to,
                             const std::string& tool = "") {
    flowlab::test::TempDir dir;
    std::string text = slurp(fixture(fixture_file));
    const auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos == std::string::npos) return "";
    text.replace(pos, from.size(), to);
    const std::string path = dir / "edited";
    flowlab::test::write_file(path, text);
    try {
        read_all(tool.empty() ? path : tool + ":" + path);
    } catch (const InputError& e) {
        return e.what();
    }
    return "(no error)";
}

/// The line number (1-based) at which `needle` first occurs in a fixture.
std::uint64_t line_of(const std::string& fixture_file, const std::string& needle) {
    const std::string text = slurp(fixture(fixture_file));
    const auto pos = text.find(needle);
    return 1 + static_cast<std::uint64_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

// ------------------------------------------------------------------ detection

TEST(Detect, EveryFixtureByContent) {
    EXPECT_EQ(format_of(fixture("crafted/records.csv")), CollectedFormat::flowlab_csv);
    EXPECT_EQ(format_of(fixture("crafted/nfdump.json")), CollectedFormat::nfdump_json);
    EXPECT_EQ(format_of(fixture("crafted/nfdump.csv")), CollectedFormat::nfdump_csv);
    EXPECT_EQ(format_of(fixture("crafted/nfdump.pipe")), CollectedFormat::nfdump_pipe);
    EXPECT_EQ(format_of(fixture("crafted/pmacct.json")), CollectedFormat::pmacct_json);
    EXPECT_EQ(format_of(fixture("crafted/pmacct_wide.csv")), CollectedFormat::pmacct_csv);
    EXPECT_EQ(format_of(fixture("crafted/tshark.json")), CollectedFormat::tshark_json);
    EXPECT_EQ(format_of(fixture("crafted/goflow2.json")), CollectedFormat::goflow2_json);
    EXPECT_EQ(format_of(fixture("crafted/goflow2_v1.json")), CollectedFormat::goflow2_json);
    EXPECT_EQ(format_of("nfdump:" + fixture("crafted/nfdump.csv")), CollectedFormat::nfdump_csv);
}

TEST(Detect, NamedToolMustMatchTheContent) {
    try {
        read_all("pmacct:" + fixture("crafted/nfdump.json"));
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("not pmacct output"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("nfdump.json:1:"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_collected_spec("nfsen:/x"), UsageError);
}

TEST(Detect, UnknownOrEmptyInput) {
    flowlab::test::TempDir dir;
    flowlab::test::write_file(dir / "odd.txt", "hello world\n");
    EXPECT_THROW(read_all(dir / "odd.txt"), UsageError);
    flowlab::test::write_file(dir / "empty", "");
    EXPECT_THROW(read_all(dir / "empty"), UsageError);  // cannot tell the format
    EXPECT_TRUE(read_all("pmacct:" + dir / "empty").empty());
}

TEST(Detect, TsharkEkIsRefusedWithAHint) {
    flowlab::test::TempDir dir;
    flowlab::test::write_file(dir / "ek.json", "{\"index\":{\"_index\":\"packets-2023-11-14\",\"_type\":\"doc\"}}\n"
                                               "{\"timestamp\":\"1700000200000\",\"layers\":{}}\n");
    try {
        read_all(dir / "ek.json");
        FAIL() << "no error";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("-T json"), std::string::npos) << e.what();
    }
}

TEST(Detect, NoMatchingFlowsIsEmpty) {
    flowlab::test::TempDir dir;
    flowlab::test::write_file(dir / "n.json", "[\nNo matching flows\n]\n");
    EXPECT_TRUE(read_all(dir / "n.json").empty());
    flowlab::test::write_file(dir / "n.csv",
                              "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,"
                              "nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,"
                              "mpls10,cl,sl,al,ra,eng,exid,tr\nNo matching flows\nSummary\nflows,bytes,packets,avg_bps,"
                              "avg_pps,avg_bpp\n0,0,0,0,0,0\n");
    EXPECT_TRUE(read_all(dir / "n.csv").empty());
}

// ------------------------------------------------------------------ values per tool

TEST(NfdumpReader, JsonCarriesMsTimesExporterAndIcmpFields) {
    const auto rs = read_all(fixture("crafted/nfdump.json"));
    ASSERT_EQ(rs.size(), 21u);
    const FlowRecord& tcp = find(rs, "192.0.2.10", "198.51.100.20", 1700000050750);
    EXPECT_EQ(tcp.exporter, ip("127.0.0.1"));
    EXPECT_EQ(tcp.sport, 40000);
    EXPECT_EQ(tcp.dport, 80);
    EXPECT_EQ(tcp.proto, 6);
    EXPECT_EQ(tcp.tos, 16);
    EXPECT_EQ(tcp.tcp_flags, 0x1b);  // "...AP.SF"
    EXPECT_EQ(tcp.packets, 12u);
    EXPECT_EQ(tcp.bytes, 9000u);
    EXPECT_EQ(tcp.last_ms, 1700000052750);
    EXPECT_EQ(tcp.in_if, 3u);
    EXPECT_EQ(tcp.out_if, 7u);
    EXPECT_EQ(tcp.src_as, 64500u);
    EXPECT_EQ(tcp.next_hop, ip("192.0.2.1"));
    EXPECT_EQ(tcp.src_mask, 0);  // nfdump 1.7.1 reports v5 masks as 0 (24 was sent)
    EXPECT_FALSE(tcp.has(Field::domain) || tcp.has(Field::version) || tcp.has(Field::sequence));
    const FlowRecord& icmp9 = find(rs, "192.0.2.10", "203.0.113.5", 1700000116667);
    EXPECT_EQ(icmp9.icmp_type, 8);
    EXPECT_TRUE(icmp9.has(Field::icmp_code));
    EXPECT_FALSE(icmp9.has(Field::sport) || icmp9.has(Field::dport));
    const FlowRecord& v6 = find(rs, "2001:db8::1", "2001:db8:1::2", 1700000174445);
    EXPECT_EQ(v6.src_mask, 48);
    EXPECT_EQ(v6.dst_mask, 64);
    EXPECT_EQ(v6.next_hop, ip("2001:db8::fe"));
    // The v5 engine sampled 1 in 10: nfcapd multiplied the counters (1 packet, 68 bytes sent).
    const FlowRecord& sampled = find(rs, "10.1.2.3", "10.9.9.9", 1700000053429);
    EXPECT_EQ(sampled.packets, 10u);
    EXPECT_EQ(sampled.bytes, 680u);
}

TEST(NfdumpReader, CsvHasWholeSecondsAndIcmpInThePort) {
    const auto rs = read_all(fixture("crafted/nfdump.csv"));
    ASSERT_EQ(rs.size(), 21u);
    const FlowRecord& tcp = find(rs, "192.0.2.10", "198.51.100.20", 1700000050000);
    EXPECT_EQ(tcp.last_ms, 1700000052000);
    EXPECT_EQ(tcp.tcp_flags, 0x1b);
    EXPECT_EQ(tcp.proto, 6);  // printed "TCP"
    EXPECT_EQ(tcp.exporter, ip("127.0.0.1"));
    const FlowRecord& icmp = find(rs, "192.0.2.10", "203.0.113.5", 1700000116000);
    EXPECT_EQ(icmp.sport, 0);
    EXPECT_EQ(icmp.dport, 8 << 8);
    EXPECT_FALSE(icmp.has(Field::icmp_type));
}

TEST(NfdumpReader, PipeHasMsTimesAndFourWordAddresses) {
    const auto rs = read_all(fixture("crafted/nfdump.pipe"));
    ASSERT_EQ(rs.size(), 21u);
    const FlowRecord& v6 = find(rs, "2001:db8::1", "2001:db8:1::2", 1700000114445);
    EXPECT_EQ(v6.last_ms, 1700000114695);
    EXPECT_EQ(v6.tos, 40);
    EXPECT_EQ(v6.src_as, 64501u);
    EXPECT_FALSE(v6.has(Field::exporter));
}

TEST(PmacctReader, JsonCarriesExactlyTheAggregateKeys) {
    const auto rs = read_all(fixture("crafted/pmacct.json"));
    // 21 records sent, 20 rows: the two v5 DNS records (engines 7 and 8, starting 52.929 and
    // 53.429) have equal aggregate keys in whole seconds, and pmacct summed them.
    ASSERT_EQ(rs.size(), 20u);
    const FlowRecord& dns = find(rs, "10.1.2.3", "10.9.9.9", 1700000053000);
    EXPECT_EQ(dns.packets, 2u);
    EXPECT_EQ(dns.bytes, 136u);
    const FieldSet want{Field::src,     Field::dst,    Field::sport,    Field::dport,    Field::proto,
                        Field::tos,     Field::tcp_flags, Field::in_if,  Field::out_if,   Field::first_ms,
                        Field::last_ms, Field::version, Field::packets, Field::bytes};
    for (const auto& r : rs) EXPECT_EQ(names(r.present), names(want));
    // v5: whole seconds computed without the header's nanoseconds (truth 1700000050.750).
    const FlowRecord& tcp5 = find(rs, "192.0.2.10", "198.51.100.20", 1700000051000);
    EXPECT_EQ(tcp5.version, 5);
    // IPFIX carries ms times and pmacct keeps them.
    const FlowRecord& tcp10 = find(rs, "192.0.2.10", "198.51.100.20", 1700000170500);
    EXPECT_EQ(tcp10.version, 10);
    // v9 ICMP type/code travel in IE 32, which pmacct ignores: port 0.
    for (const auto& r : rs) {
        if (r.proto == 1 && r.version == 9) {
            EXPECT_EQ(r.dport, 0);
        }
    }
}

TEST(PmacctReader, CsvWideAggregate) {
    const auto rs = read_all(fixture("crafted/pmacct_wide.csv"));
    ASSERT_EQ(rs.size(), 21u);
    const FlowRecord& tcp9 = find(rs, "192.0.2.10", "198.51.100.20", 1700000111000);
    EXPECT_EQ(tcp9.exporter, ip("127.0.0.1"));
    EXPECT_EQ(tcp9.domain, 7u);  // v9 source id
    EXPECT_EQ(tcp9.export_ms, 1700000120000);
    EXPECT_EQ(tcp9.src_mask, 24);
    const FlowRecord& tcp5 = find(rs, "192.0.2.10", "198.51.100.20", 1700000051000);
    EXPECT_FALSE(tcp5.has(Field::domain));  // for v5 pmacct prints the engine id alone
    EXPECT_EQ(tcp5.sequence, 1000u);
    EXPECT_EQ(tcp5.sampling_interval, 0u);
    // The sampled engine: its own row here (sysid and sequence are in the aggregate).
    const auto sampled = std::find_if(rs.begin(), rs.end(), [](const FlowRecord& r) { return r.sampling_interval == 10; });
    ASSERT_NE(sampled, rs.end());
    EXPECT_EQ(sampled->src, ip("10.1.2.3"));
    EXPECT_EQ(sampled->packets, 1u);  // pmacct does not renormalise by default
}

TEST(TsharkReader, HeaderFieldsAndAbsoluteTimes) {
    const auto rs = read_all(fixture("crafted/tshark.json"));
    ASSERT_EQ(rs.size(), 21u);
    // v5: export time from unix_secs + nsecs, flow times from sysUpTime.
    const FlowRecord& tcp5 = find(rs, "192.0.2.10", "198.51.100.20", 1700000050750);
    EXPECT_EQ(tcp5.exporter, ip("127.0.0.1"));
    EXPECT_EQ(tcp5.domain, (1u << 8) | 7u);
    EXPECT_EQ(tcp5.version, 5);
    EXPECT_EQ(tcp5.sequence, 1000u);
    EXPECT_EQ(tcp5.template_id, 0);
    EXPECT_EQ(tcp5.export_ms, 1700000060250);
    EXPECT_EQ(tcp5.src_mask, 24);
    // v9: template id from the set, ICMP from IE 32, IPv6 next hop.
    const FlowRecord& icmp9 = find(rs, "192.0.2.10", "203.0.113.5", 1700000116667);
    EXPECT_EQ(icmp9.template_id, 257);
    EXPECT_EQ(icmp9.icmp_type, 8);
    EXPECT_EQ(icmp9.end_reason, 1);
    const FlowRecord& v6 = find(rs, "2001:db8::1", "2001:db8:1::2", 1700000114445);
    EXPECT_EQ(v6.sequence, 1u);
    EXPECT_EQ(v6.next_hop, ip("2001:db8::fe"));
    // IPFIX: flowStartMilliseconds printed as an absolute UTC time.
    const FlowRecord& tcp10 = find(rs, "192.0.2.10", "198.51.100.20", 1700000170500);
    EXPECT_EQ(tcp10.domain, 42u);
    EXPECT_EQ(tcp10.export_ms, 1700000180000);
    const FlowRecord& sampled = find(rs, "10.1.2.3", "10.9.9.9", 1700000053429);
    EXPECT_EQ(sampled.sampling_interval, 10u);
}

TEST(Goflow2Reader, V2AndV1Names) {
    const auto rs = read_all(fixture("crafted/goflow2.json"));
    ASSERT_EQ(rs.size(), 7u);
    const FlowRecord& tcp = find(rs, "192.0.2.10", "198.51.100.20", 1700000110500);
    EXPECT_EQ(tcp.exporter, ip("127.0.0.1"));
    EXPECT_EQ(tcp.version, 9);
    EXPECT_EQ(tcp.proto, 6);  // "TCP"
    EXPECT_EQ(tcp.src_mask, 24);  // "192.0.2.0/24"
    EXPECT_EQ(tcp.dst_mask, 16);
    EXPECT_FALSE(tcp.has(Field::domain));
    const auto v1 = read_all(fixture("crafted/goflow2_v1.json"));
    ASSERT_EQ(v1.size(), 2u);
    EXPECT_EQ(v1[0].first_ms, 1700000110500);  // TimeFlowStartMs beats TimeFlowStart (seconds)
    EXPECT_EQ(v1[0].src_mask, 24);
}

// ------------------------------------------------------------------ semantics: verify each tool against the truth

struct ToolCase {
    const char* file;
    const char* profile;
    const char* verdict;
};

class ToolAgainstTruth : public ::testing::TestWithParam<ToolCase> {};

TEST_P(ToolAgainstTruth, VerdictIsExactlyTheKnownAlterations) {
    const ToolCase c = GetParam();
    VerifyOptions o;
    if (*c.profile) o.profile = load_profile(c.profile);
    const VerifyResult r = run_verify(fixture("crafted/records.csv"), fixture(c.file), o);
    EXPECT_EQ(r.verdict(), c.verdict);
}

INSTANTIATE_TEST_SUITE_P(
    Crafted, ToolAgainstTruth,
    ::testing::Values(
        // nfdump: v5 masks reported as 0 (7 v5 records); the nfcapd profile says so.
        ToolCase{"crafted/nfdump.json", "", "DIFFERENT: 7 altered"},
        ToolCase{"crafted/nfdump.json", "nfcapd", "MATCH: 21 of 21 records"},
        ToolCase{"crafted/nfdump.csv", "nfcapd", "MATCH: 21 of 21 records"},
        ToolCase{"crafted/nfdump.pipe", "", "MATCH: 21 of 21 records"},
        // pmacct: v9/IPFIX ICMP type/code (IE 32) lost; the nfacctd profile says so.
        ToolCase{"crafted/pmacct.json", "", "DIFFERENT: 2 altered"},
        ToolCase{"crafted/pmacct.json", "nfacctd", "MATCH: 21 of 21 records"},
        ToolCase{"crafted/pmacct_wide.csv", "", "DIFFERENT: 2 altered"},
        ToolCase{"crafted/tshark.json", "", "MATCH: 21 of 21 records"}));

TEST(ToolAgainstTruth, Goflow2OnTheV9Records) {
    flowlab::test::TempDir dir;
    std::vector<FlowRecord> v9;
    for (const auto& r : read_all(fixture("crafted/records.csv")))
        if (r.version == 9) v9.push_back(r);
    const VerifyResult r = run_verify(make_truth(dir, v9), fixture("crafted/goflow2.json"));
    EXPECT_EQ(r.verdict(), "MATCH: 7 of 7 records");
    EXPECT_TRUE(r.records->compared.has(Field::src_mask));
}

TEST(ToolAgainstTruth, PmacctSumIsRecognised) {
    VerifyOptions o;
    o.profile = load_profile("nfacctd");
    const VerifyResult r = run_verify(fixture("crafted/records.csv"), fixture("crafted/pmacct.json"), o);
    EXPECT_EQ(r.records->merged_rows, 1u);
    EXPECT_EQ(r.records->merged_records, 2u);
}

TEST(ToolAgainstTruth, PmacctAlterationsAreTheIcmpRecords) {
    const VerifyResult r = run_verify(fixture("crafted/records.csv"), fixture("crafted/pmacct.json"));
    ASSERT_EQ(r.records->altered_examples.size(), 2u);
    for (const auto& e : r.records->altered_examples) {
        EXPECT_EQ(e.truth->proto, 1);
        EXPECT_EQ(names(e.differing), "icmp_type");
    }
}

// ------------------------------------------------------------------ a real probe: readers agree

TEST(SoftflowdFixtures, ReadersAgreeOnVolumes) {
    for (const char* v : {"v5", "v10"}) {
        const auto nf = read_all(fixture(std::string("softflowd/") + v + "_nfdump.json"));
        const auto pm = read_all(fixture(std::string("softflowd/") + v + "_pmacct.json"));
        const auto ts = read_all(fixture(std::string("softflowd/") + v + "_tshark.json"));
        ASSERT_FALSE(nf.empty()) << v;
        EXPECT_EQ(volumes(nf), volumes(pm)) << v;
        EXPECT_EQ(volumes(nf), volumes(ts)) << v;
    }
}

TEST(SoftflowdFixtures, V5TimesAgreeModulo2To32Ms) {
    // softflowd -r stamps flows with the capture's clock but sysUpTime with the wall clock,
    // so v5 start times are sysUpTime minus a value beyond 2^32 ms: nfdump and this reader
    // both take the difference modulo 2^32 ms and agree to the millisecond.
    const auto nf = read_all(fixture("softflowd/v5_nfdump.json"));
    const auto ts = read_all(fixture("softflowd/v5_tshark.json"));
    ASSERT_EQ(nf.size(), ts.size());
    std::vector<std::int64_t> a, b;
    for (const auto& r : nf) a.push_back(r.first_ms);
    for (const auto& r : ts) b.push_back(r.first_ms);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b);
}

// ------------------------------------------------------------------ malformed input: file and line

/// A fixture with `from` replaced by `to`, read as `tool`: the error names the edited line and
/// says `expect`.
struct EditCase {
    const char* file;
    const char* tool;
    std::string from, to;
    const char* expect;
};

void expect_errors_at_the_edit(const std::vector<EditCase>& cases) {
    for (const EditCase& c : cases) {
        const std::string e = error_after_edit(c.file, c.from, c.to, c.tool);
        const std::uint64_t line = line_of(c.file, c.from);
        EXPECT_NE(e.find("edited:" + std::to_string(line) + ":"), std::string::npos) << c.file << ": " << e;
        EXPECT_NE(e.find(c.expect), std::string::npos) << c.file << ": " << e;
    }
}

TEST(Malformed, EveryReaderNamesFileAndLine) {
    const std::vector<EditCase> cases = {
        {"crafted/records.csv", "flowlab", "198.51.100.20,40000", "198.51.100.x,40000", "is not an IPv4 or IPv6 address"},
        {"crafted/nfdump.json", "nfdump", "\"in_packets\" : 12,", "\"in_packets\" : \"twelve\",", "is not an unsigned number"},
        {"crafted/nfdump.csv", "nfdump", "2023-11-14 22:14:10,2023", "2023-11-14 22:14:XX,2023", "is not a time"},
        {"crafted/nfdump.pipe", "nfdump", "|0|0|1|68", "|0|1|68", "expected 22 '|'-separated fields"},
        {"crafted/pmacct.json", "pmacct", "\"packets\": 12,", "\"packets\" 12,", "expected ':'"},
        {"crafted/pmacct_wide.csv", "pmacct", ",12,9000", ",12", "expected 23 columns"},
        {"crafted/tshark.json", "tshark", "\"cflow.srcaddr\": \"192.0.2.10\"", "\"cflow.srcaddr\": \"192.0.2.300\"",
         "is not an IPv4 or IPv6 address"},
        {"crafted/goflow2.json", "goflow2", "\"bytes\":9000", "\"bytes\":-9000", "is not an unsigned number"},
    };
    expect_errors_at_the_edit(cases);
}

// Values outside a field's range are bad input in every reader (exit 2 from the command), never
// an "altered" record: the message names the file, the line and the field.
TEST(Malformed, EveryReaderChecksRanges) {
    const std::vector<EditCase> cases = {
        {"crafted/records.csv", "flowlab", "198.51.100.20,40000", "198.51.100.20,70000", "sport"},
        {"crafted/nfdump.json", "nfdump", "\"src_port\" : 40000,", "\"src_port\" : 70000,", "70000 is out of range for sport (0-65535)"},
        {"crafted/nfdump.json", "nfdump", "\"src_mask\" : 0,", "\"src_mask\" : 200,", "200 is out of range for src_mask (0-128)"},
        {"crafted/nfdump.json", "nfdump", "\"src_tos\" : 16,", "\"src_tos\" : 300,", "300 is out of range for tos (0-255)"},
        {"crafted/nfdump.json", "nfdump", "\"proto\" : 6,", "\"proto\" : 300,", "300 is out of range for proto (0-255)"},
        {"crafted/nfdump.csv", "nfdump", "198.51.100.20,40000,80,", "198.51.100.20,70000,80,", "column sp: 70000 is out of range for sport"},
        {"crafted/nfdump.pipe", "nfdump", "|3221225994|40000|0|", "|3221225994|70000|0|", "field 9: 70000 is out of range for sport"},
        {"crafted/nfdump.pipe", "nfdump", "|3221225994|40000|0|", "|3221225994|40000|4294967296|", "field 10: 4294967296 is not a 32-bit address word"},
        {"crafted/pmacct.json", "pmacct", "\"port_src\": 40000,", "\"port_src\": 70000,", "\"port_src\": 70000 is out of range for sport"},
        {"crafted/pmacct.json", "pmacct", "\"ip_proto\": \"6\"", "\"ip_proto\": \"600\"", "600 is out of range for proto"},
        {"crafted/pmacct_wide.csv", "pmacct", ",24,16,40000,80,", ",24,16,70000,80,", "column SRC_PORT: 70000 is out of range for sport"},
        {"crafted/pmacct_wide.csv", "pmacct", "127.0.0.1,3,7,192.0.2.10,198.51.100.20,24,", "127.0.0.1,3,7,192.0.2.10,198.51.100.20,240,", "240 is out of range for src_mask"},
        {"crafted/tshark.json", "tshark", "\"cflow.srcport\": \"40000\"", "\"cflow.srcport\": \"70000\"", "\"cflow.srcport\": 70000 is out of range for sport"},
        {"crafted/goflow2.json", "goflow2", "\"bytes\":9000,\"packets\":12", "\"bytes\":9000,\"packets\":12,\"src_port\":70000", "70000 is out of range for sport"},
        {"crafted/goflow2.json", "goflow2", "\"bytes\":9000,\"packets\":12", "\"bytes\":9000,\"packets\":12,\"ip_tos\":256", "256 is out of range for tos"},
    };
    expect_errors_at_the_edit(cases);
}

// README promises tshark -T json and says -T ek is refused with its reason: hold it to that.
TEST(Detection, TsharkEkIsRefusedWithTheReason) {
    flowlab::test::TempDir dir;
    flowlab::test::write_file(dir / "ek.json",
                              "{\"index\":{\"_index\":\"packets-2023-11-14\",\"_type\":\"doc\"}}\n"
                              "{\"timestamp\":\"1700000200000\",\"layers\":{\"cflow\":{\"cflow_cflow_version\":\"5\"}}}\n");
    for (const std::string& spec : {dir / "ek.json", "tshark:" + dir / "ek.json"}) {
        try {
            read_all(spec);
            ADD_FAILURE() << spec << ": accepted";
        } catch (const flowlab::Error& e) {
            EXPECT_NE(std::string(e.what()).find("-T json"), std::string::npos) << e.what();
        }
    }
}

TEST(Malformed, BinaryJunkIsEscapedAndCut) {
    const std::string junk = std::string("\x01\x1b[2J") + std::string(500, 'A');
    const std::string e = error_after_edit("crafted/nfdump.csv", "198.51.100.20,40000,80,TCP", "198.51.100.20,40000,80," + junk, "nfdump");
    EXPECT_EQ(e.find('\x1b'), std::string::npos) << e;
    EXPECT_NE(e.find("\\x01\\x1b[2J"), std::string::npos) << e;
    EXPECT_NE(e.find("first 60 shown"), std::string::npos) << e;
    EXPECT_LT(e.size(), 400u) << e;
}

TEST(NfdumpDirectory, RunsNfdumpAndReportsItsFailure) {
    // `nfdump:DIR` runs nfdump; a stand-in program shows both the happy path and the failure.
    flowlab::test::TempDir dir;
    const std::string ok = dir / "nfdump-ok";
    flowlab::test::write_file(ok, "#!/bin/sh\n[ \"$TZ\" = UTC ] || exit 3\ncat '" + fixture("crafted/nfdump.json") + "'\n");
    const std::string bad = dir / "nfdump-bad";
    flowlab::test::write_file(bad, "#!/bin/sh\necho 'Error: no nfcapd files in this directory' >&2\nexit 250\n");
    std::filesystem::permissions(ok, std::filesystem::perms::owner_all);
    std::filesystem::permissions(bad, std::filesystem::perms::owner_all);
    std::filesystem::create_directories(dir / "flows");
    CollectedSpec spec = parse_collected_spec("nfdump:" + dir / "flows");
    spec.nfdump_program = ok;
    auto reader = open_collected(spec);
    std::size_t n = 0;
    FlowRecord r;
    while (reader->next(r)) ++n;
    EXPECT_EQ(n, 21u);
    spec.nfdump_program = bad;
    try {
        auto failing = open_collected(spec);
        while (failing->next(r)) {
        }
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("exited with status 250"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("no nfcapd files"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace flowlab::verify::testing

namespace flowlab::verify::testing {
namespace {

// IPv6 text as flowlab writes it (RFC 5952) when valid, else in any of the forms inet_pton
// weighs: groups of 1 to 5 hexadecimal digits in either case, 6 to 9 of them, "::" anywhere,
// twice, or ":::", a lone leading or trailing ':', a dotted IPv4 tail, a stray character.
std::string random_v6(std::mt19937_64& rng, bool valid) {
    std::uint8_t b[16];
    for (auto& x : b) x = rng() % 3 == 0 ? 0 : static_cast<std::uint8_t>(rng());
    if (valid) {
        std::string t = core::IpAddress::v6_bytes(b).to_string();
        if (rng() % 4 == 0)
            for (char& ch : t) ch = static_cast<char>(ch >= 'a' && ch <= 'f' ? ch - 'a' + 'A' : ch);
        return t;
    }
    static constexpr char kHex[] = "0123456789abcdefABCDEF";
    std::string t;
    const std::size_t groups = 6 + rng() % 4;
    const std::size_t gap = rng() % (groups + 2);  // where "::" goes (none past the end)
    for (std::size_t g = 0; g < groups; ++g) {
        if (g == gap) t += rng() % 8 == 0 ? ":::" : "::";
        else if (g) t += ':';
        const std::size_t n = 1 + rng() % (rng() % 8 == 0 ? 5 : 4);
        for (std::size_t i = 0; i < n; ++i) t += kHex[rng() % (sizeof kHex - 1)];
    }
    switch (rng() % 10) {
        case 0: t = ":" + t; break;
        case 1: t += ":"; break;
        case 2: t += "::"; break;
        case 3: t = t.substr(0, t.rfind(':') + 1) + "192.0.2." + std::to_string(rng() % 300); break;
        case 4: t[rng() % t.size()] = "g. -x"[rng() % 5]; break;
        case 5: t = "::" + t.substr(t.find(':') + 1); break;
        default: break;
    }
    return t;
}

// The flowlab CSV row parser takes shortcuts (eight digits at a time, dotted quads and IPv6
// inline); core::parse_field_text is the reference grammar. Random and edge-case cells, fixed seed.
TEST(FlowlabCsv, FastCellsAgreeWithCore) {
    const std::uint64_t seed = 424242;
    fmt::print("cell seed {}\n", seed);
    std::mt19937_64 rng(seed);
    const std::string header = core::csv_header();
    const detail::FlowlabColumns cols = detail::parse_flowlab_header(header, "test", 1);
    ASSERT_TRUE(cols.canonical);  // flowlab's own order: the row parser specialised for it
    // The same columns in reverse order go through the general row parser.
    std::string reversed_header;
    for (std::size_t i = core::kFieldCount; i-- > 0;)
        reversed_header += std::string(core::field_name(static_cast<Field>(i))) + (i ? "," : "");
    const detail::FlowlabColumns reversed = detail::parse_flowlab_header(reversed_header, "test", 1);
    ASSERT_FALSE(reversed.canonical);
    const std::vector<std::string> edge = {"", "0", "00", "007", "255", "256", "65535", "65536", "4294967295",
                                           "4294967296", "18446744073709551615", "18446744073709551616",
                                           "9223372036854775807", "9223372036854775808", "-5", "12a", "1.5",
                                           "99999999", "100000000", "1234567812345678", "12345678123456789",
                                           "192.0.2.1", "192.0.2.256", "01.2.3.4", "1.2.3", "1.2.3.4.5", "::1",
                                           "2001:db8::1", " 1", "1 "};
    std::size_t compared = 0;
    for (int round = 0; round < 20000; ++round) {
        std::vector<std::string> cells(core::kFieldCount);
        const bool valid_round = round % 2 == 0;  // values in range: the parsed records are compared
        for (std::size_t i = 0; i < cells.size(); ++i) {
            std::string& c = cells[i];
            if (valid_round) {
                const auto f = static_cast<Field>(i);
                const auto pick = rng() % 8;
                if (pick == 0) {
                    c.clear();
                } else if (core::is_address_field(f) && pick == 2) {
                    c = random_v6(rng, true);
                } else if (core::is_address_field(f)) {
                    c = pick == 1 ? "2001:db8::" + std::to_string(rng() % 9999)
                                  : std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + "." +
                                        std::to_string(rng() % 256) + "." + std::to_string(rng() % 256);
                } else {
                    const std::uint64_t max = f == Field::packets || f == Field::bytes ? ~std::uint64_t{0}
                                              : core::is_signed_field(f)              ? std::uint64_t{INT64_MAX}
                                              : f == Field::sport || f == Field::dport || f == Field::template_id ? 0xFFFFu
                                              : f == Field::domain || f == Field::sequence || f == Field::in_if ||
                                                      f == Field::out_if || f == Field::src_as || f == Field::dst_as ||
                                                      f == Field::sampling_interval
                                                  ? 0xFFFFFFFFu
                                                  : 0xFFu;
                    const std::uint64_t v = (rng() >> (rng() % 64)) % (max == ~std::uint64_t{0} ? max : max + 1);
                    c = std::to_string(v);
                }
                continue;
            }
            const auto pick = rng() % 7;
            if (pick == 0) {
                c = edge[rng() % edge.size()];
            } else if (pick == 5) {
                c = random_v6(rng, false);
            } else if (pick == 1) {
                c = std::to_string(rng() >> (rng() % 64));
            } else if (pick == 2) {
                c = std::to_string(rng() % 256) + "." + std::to_string(rng() % 300) + "." + std::to_string(rng() % 256) + "." +
                    std::to_string(rng() % 256);
            } else if (pick == 3) {
                c = std::string(1 + rng() % 20, static_cast<char>('0' + rng() % 10));
            } else if (pick == 4 || pick == 6) {
                // A number or a dotted quad with one byte replaced or added: the byte that ends a
                // run of digits is then not a comma (neighbours of '0'-'9' and of ',', bytes
                // with the high bit set), anywhere in a word or across two.
                static constexpr char kOdd[] = {'/', ':', '+', '-', '.', ' ', '+', '\x80', '\xb0', '\xac', '\xff', 'a', '\t'};
                c = pick == 4 ? std::to_string(rng() >> (rng() % 64))
                              : std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + "." +
                                    std::to_string(rng() % 256) + "." + std::to_string(rng() % 256);
                const char odd = kOdd[rng() % sizeof kOdd];
                const std::size_t at = rng() % (c.size() + 1);
                if (rng() % 2 == 0 && at < c.size()) c[at] = odd;
                else c.insert(at, 1, odd);
            }
        }
        std::string line;
        for (std::size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + cells[i];
        FlowRecord fast, ref;
        const auto err = detail::parse_flowlab_row(cols, line, fast);
        // The message names the first cell (left to right) that core refuses.
        std::string ref_err, ref_reversed_err;
        const auto refusal = [&](std::size_t column, std::size_t i) {
            const auto f = static_cast<Field>(i);
            return "column " + std::to_string(column + 1) + " (" + std::string(core::field_name(f)) + "): '" +
                   cells[i].substr(0, 60) + "' is not " +
                   (core::is_address_field(f) ? "an IPv4 or IPv6 address" : "a number in range");
        };
        for (std::size_t i = 0; i < cells.size(); ++i) {
            FlowRecord scratch;
            if (!core::parse_field_text(static_cast<Field>(i), cells[i], scratch)) {
                if (ref_err.empty()) ref_err = refusal(i, i);
                ref_reversed_err = refusal(cells.size() - 1 - i, i);  // the last refused is the first in reverse
            }
        }
        bool ref_ok = true;
        for (std::size_t i = 0; i < cells.size(); ++i)
            ref_ok = ref_ok && core::parse_field_text(static_cast<Field>(i), cells[i], ref);
        ASSERT_EQ(!err.has_value(), ref_ok) << line << "\n" << err.value_or("");
        ASSERT_EQ(err.value_or(""), ref_err) << line;
        std::string reversed_line;
        for (std::size_t i = cells.size(); i-- > 0;) reversed_line += cells[i] + (i ? "," : "");
        FlowRecord general;
        const auto general_err = detail::parse_flowlab_row(reversed, reversed_line, general);
        ASSERT_EQ(!general_err.has_value(), ref_ok) << reversed_line << "\n" << general_err.value_or("");
        ASSERT_EQ(general_err.value_or(""), ref_reversed_err) << reversed_line;
        if (ref_ok) {
            ASSERT_EQ(fast, ref) << line;
            ASSERT_EQ(general, ref) << reversed_line;
            ++compared;
        }
    }
    EXPECT_GT(compared, 9000u);
}

// Names may be quoted (RFC 4180) with commas and doubled quotes inside; the comma scan must
// not end the cell at those commas, in flowlab's column order and in any other. Rows with too
// few or too many cells name the count.
TEST(FlowlabCsv, QuotedNamesAndColumnCounts) {
    const std::string name = "\"Gi0/1, \"\"uplink\"\"\"";
    std::vector<std::string> cells(core::kFieldCount);
    cells[static_cast<std::size_t>(Field::exporter)] = "192.0.2.1";
    cells[static_cast<std::size_t>(Field::in_if_name)] = name;
    cells[static_cast<std::size_t>(Field::out_if_name)] = "\"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,0,1,2,3,4,5,6,7,8,9\"";
    cells[static_cast<std::size_t>(Field::sampling_algorithm)] = "3";
    FlowRecord ref;
    for (std::size_t i = 0; i < cells.size(); ++i) ASSERT_TRUE(core::parse_field_text(static_cast<Field>(i), cells[i], ref)) << i;
    EXPECT_EQ(ref.in_if_name, "Gi0/1, \"uplink\"");
    std::string line, reversed_line, reversed_header;
    for (std::size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + cells[i];
    for (std::size_t i = cells.size(); i-- > 0;) {
        reversed_line += cells[i] + (i ? "," : "");
        reversed_header += std::string(core::field_name(static_cast<Field>(i))) + (i ? "," : "");
    }
    const auto cols = detail::parse_flowlab_header(core::csv_header(), "test", 1);
    const auto reversed = detail::parse_flowlab_header(reversed_header, "test", 1);
    FlowRecord a, b;
    ASSERT_FALSE(detail::parse_flowlab_row(cols, line, a).has_value());
    ASSERT_FALSE(detail::parse_flowlab_row(reversed, reversed_line, b).has_value());
    EXPECT_EQ(a, ref);
    EXPECT_EQ(b, ref);
    FlowRecord r;
    EXPECT_EQ(detail::parse_flowlab_row(cols, line + ",", r).value_or(""), "expected 37 columns, found more");
    EXPECT_EQ(detail::parse_flowlab_row(cols, line.substr(0, line.rfind(',')), r).value_or(""), "expected 37 columns, found 36");
    EXPECT_EQ(detail::parse_flowlab_row(cols, "192.0.2.1,7", r).value_or(""), "expected 37 columns, found 2");
    EXPECT_EQ(detail::parse_flowlab_row(cols, "192.0.2.1,x" + line.substr(line.find(',', 10)), r).value_or(""),
              "column 2 (domain): 'x' is not a number in range");
}

}  // namespace
}  // namespace flowlab::verify::testing

#include "matcher.hpp"
#include "parallel_csv.hpp"

namespace flowlab::verify::testing {
namespace {

// The parallel reader cuts files into blocks at line starts; tiny blocks (many cuts, lines
// longer than a block) must give the same records, line numbers and errors as reading in order.
TEST(ParallelCsv, TinyBlocksGiveTheSameRecordsAndLines) {
    flowlab::test::TempDir dir;
    auto records = read_all(fixture("crafted/records.csv"));
    std::vector<FlowRecord> many;
    for (int i = 0; i < 40; ++i) many.insert(many.end(), records.begin(), records.end());
    write_records(dir / "t.csv", many);
    // A blank line in the middle: the record after it is one line further down.
    std::string text = flowlab::test::read_file(dir / "t.csv");
    const std::size_t cut = text.find('\n', text.size() / 2) + 1;
    text.insert(cut, "\n");
    flowlab::test::write_file(dir / "t.csv", text);
    const auto sequential = detail::load_truth(dir / "t.csv", 1, detail::KeySpec{});
    for (std::size_t block : {std::size_t{64}, std::size_t{200}, std::size_t{4096}}) {
        const auto parallel = detail::load_truth(dir / "t.csv", 3, detail::KeySpec{}, 0, block);
        ASSERT_EQ(parallel.records.size(), sequential.records.size()) << block;
        for (std::size_t i = 0; i < parallel.records.size(); ++i) {
            ASSERT_EQ(parallel.unpack(i), sequential.unpack(i)) << "block " << block << " record " << i;
            ASSERT_EQ(parallel.lines.line(i), sequential.lines.line(i)) << "block " << block << " record " << i;
            ASSERT_EQ(parallel.key_tops[i], sequential.key_tops[i]) << "block " << block << " record " << i;
        }
    }
    // An error far into the file names its line, whichever block found it.
    text += "192.0.2.1,not-a-domain\n";
    flowlab::test::write_file(dir / "bad.csv", text);
    const auto lines = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
    try {
        detail::load_truth(dir / "bad.csv", 3, detail::KeySpec{}, 0, 100);
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("bad.csv:" + std::to_string(lines) + ": "), std::string::npos) << e.what();
    }
}

// ------------------------------------------------------------------ the columns decode added

// tshark lists every occurrence of a repeated element (an array with --no-duplicate-keys, repeated
// keys without it): the reader applies RFC 7011's logical order as flowlab decode does, so a
// tunnelled flow's addresses are the inner header's and the outer ones are tunnel_src/_dst; an
// all-zero address of one family beside the other family is no address. VRF ids (234/235) are
// per record. The reference is flowlab's decoder on the same messages, through real tshark.
TEST(TsharkReader, TunnelsAndVrfsAsFlowlabDecodeResolvesThem) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    constexpr std::uint32_t kSecs = 1'700'000'000;
    flowlab::test::MsgBuilder t = flowlab::test::MsgBuilder::ipfix(1, 0, kSecs);
    t.set(2)
        .template_record(500, {{8, 4}, {12, 4}, {27, 16}, {28, 16}, {9, 1}, {29, 1}, {4, 1}})
        .template_record(501, {{8, 4}, {12, 4}, {4, 1}, {8, 4}, {12, 4}, {4, 1}, {7, 2}, {234, 4}, {235, 4}})
        .end_set();
    auto v6 = [](flowlab::test::MsgBuilder& b, std::uint32_t last) { b.u32(0x20010db8).u32(0).u32(0).u32(last); };
    flowlab::test::MsgBuilder d = flowlab::test::MsgBuilder::ipfix(1, 1, kSecs);
    d.set(500).u32(0xC0000201).u32(0xC0000202).u64(0).u64(0).u64(0).u64(0).u8(24).u8(0).u8(6);
    d.u32(0).u32(0);
    v6(d, 1);
    v6(d, 2);
    d.u8(0).u8(64).u8(17).end_set();
    d.set(501).u32(0xCB007101).u32(0xCB007102).u8(4).u32(0x0A000001).u32(0x0A000002).u8(6).u16(22).u32(7).u32(9).end_set();
    const std::vector<std::vector<std::uint8_t>> messages = {t.build(), d.build()};

    flowlab::test::TempDir dir;
    const core::IpAddress exporter = ip("192.0.2.10");
    std::vector<FlowRecord> decoded;
    {
        core::PcapWriter w(dir / "x.pcap");
        core::Decoder dec;
        std::int64_t ns = std::int64_t{kSecs} * 1'000'000'000;
        std::uint64_t n = 0;
        for (const auto& m : messages) {
            w.write_udp(ns += 1'000'000, {exporter, 40000}, {ip("198.51.100.1"), 4739}, m);
            dec.decode(core::ExportDatagram{m, exporter, 40000, ++n}, decoded);
        }
        w.commit();
    }
    ASSERT_EQ(decoded.size(), 3u);
    ASSERT_TRUE(decoded[2].has(Field::tunnel_src));  // the decoder's side of the comparison is what it should be
    EXPECT_EQ(decoded[2].src, ip("10.0.0.1"));
    EXPECT_EQ(decoded[2].tunnel_src, ip("203.0.113.1"));

    const FieldSet compared{Field::src,        Field::dst,        Field::tunnel_src, Field::tunnel_dst, Field::src_mask,
                            Field::dst_mask,   Field::proto,      Field::dport,      Field::vrf_in_id,  Field::vrf_out_id,
                            Field::exporter,   Field::domain,     Field::template_id};
    for (const bool no_duplicate_keys : {true, false}) {
        std::vector<std::string> argv = {*flowlab::test::find_tool("tshark"), "-r", dir / "x.pcap", "-T", "json", "-J", "ip ipv6 cflow"};
        if (no_duplicate_keys) argv.insert(argv.begin() + 5, "--no-duplicate-keys");
        const auto r = flowlab::test::run(argv, {"TZ=UTC"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        flowlab::test::write_file(dir / "t.json", r.out);
        const auto rs = read_all("tshark:" + dir / "t.json");
        ASSERT_EQ(rs.size(), decoded.size()) << r.out;
        for (std::size_t i = 0; i < rs.size(); ++i) {
            const FieldSet differ = core::differing_fields(decoded[i], rs[i], compared);
            for (std::size_t f = 0; f < core::kFieldCount; ++f)
                if (differ.has(static_cast<Field>(f)))
                    ADD_FAILURE() << "--no-duplicate-keys " << no_duplicate_keys << ", record " << i << ": "
                                  << core::field_name(static_cast<Field>(f)) << " differs";
        }
        EXPECT_EQ(rs[2].vrf_in_id, 7u);
        EXPECT_EQ(rs[2].vrf_out_id, 9u);
        EXPECT_FALSE(rs[0].has(Field::tunnel_src));
    }
}

TEST(NfdumpReader, JsonTunnelAndVrfColumns) {
    flowlab::test::TempDir dir;
    std::string text = slurp(fixture("crafted/nfdump.json"));
    const std::string at = "\t\"ip4_router\" : \"127.0.0.1\",\n";
    const auto pos = text.find(at);
    ASSERT_NE(pos, std::string::npos);
    text.insert(pos + at.size(), "\t\"src4_tun_ip\" : \"203.0.113.1\",\n\t\"dst6_tun_ip\" : \"2001:db8::2\",\n"
                                 "\t\"ingress_vrf\" : \"7\",\n\t\"egress_vrf\" : \"4294967295\",\n");
    flowlab::test::write_file(dir / "n.json", text);
    const auto rs = read_all("nfdump:" + dir / "n.json");
    const FlowRecord& r = find(rs, "192.0.2.10", "198.51.100.20", 1700000050750);
    EXPECT_EQ(r.tunnel_src, ip("203.0.113.1"));
    EXPECT_EQ(r.tunnel_dst, ip("2001:db8::2"));
    EXPECT_EQ(r.vrf_in_id, 7u);
    EXPECT_EQ(r.vrf_out_id, 4294967295u);
    EXPECT_TRUE(open_collected(parse_collected_spec(dir / "n.json"))->traits().carried.has(Field::vrf_in_id));
    EXPECT_FALSE(find(rs, "198.51.100.20", "192.0.2.10", 1700000050760).has(Field::tunnel_src));
    EXPECT_NE(error_after_edit("crafted/nfdump.json", at, at + "\t\"ingress_vrf\" : \"4294967296\",\n", "nfdump")
                  .find("4294967296 is out of range for vrf_in_id (0-4294967295)"),
              std::string::npos);
    EXPECT_NE(error_after_edit("crafted/nfdump.json", at, at + "\t\"src4_tun_ip\" : \"203.0.113.256\",\n", "nfdump")
                  .find("is not an IPv4 or IPv6 address (tunnel_src)"),
              std::string::npos);
}

TEST(PmacctReader, TunnelPrimitives) {
    const std::string from = "\"event_type\": \"purge\", \"iface_in\": 3,";
    flowlab::test::TempDir dir;
    std::string text = slurp(fixture("crafted/pmacct.json"));
    const auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos);
    text.replace(pos, from.size(), "\"event_type\": \"purge\", \"tunnel_ip_src\": \"203.0.113.1\", \"tunnel_ip_dst\": \"\", \"iface_in\": 3,");
    flowlab::test::write_file(dir / "p.json", text);
    const auto rs = read_all("pmacct:" + dir / "p.json");
    ASSERT_FALSE(rs.empty());
    EXPECT_EQ(rs[0].tunnel_src, ip("203.0.113.1"));
    EXPECT_FALSE(rs[0].has(Field::tunnel_dst));  // pmacct prints "" for an address it does not have
    EXPECT_NE(error_after_edit("crafted/pmacct.json", from, "\"event_type\": \"purge\", \"tunnel_ip_src\": \"x\", \"iface_in\": 3,", "pmacct")
                  .find("\"tunnel_ip_src\": 'x' is not an IPv4 or IPv6 address"),
              std::string::npos);
}

}  // namespace
}  // namespace flowlab::verify::testing
