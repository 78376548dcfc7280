/// @brief Exporter dialects (gen/dialects/*.json): every one generates a canned scenario whose
/// exports flowlab's decoder reads back to exactly the truth, whose first messages match a
/// committed digest, and whose trading-floor story still answers its question from the
/// decoded records; bad dialect files and bad templates are refused with file, JSON path and
/// reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/decoder.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/record_format.hpp"
#include "flowlab/gen/sha256.hpp"
#include "flowlab/gen/units.hpp"
#include "dialects.hpp"
#include "ios_xr_scenario.hpp"
#include "test_support.hpp"

namespace flowlab {
namespace {

namespace fs = std::filesystem;
using test::ios_xr_run;
using test::kIosXrNames;
using test::kTwoVrfs;
using test::run;
using test::write_scenario;

std::vector<std::string> sorted_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::sort(lines.begin(), lines.end());
    return lines;
}

/// gen of a canned scenario with a dialect, 10 minutes (both families, v9 and IPFIX exporters).
std::string gen_small(const std::string& dialect, const test::TempDir& tmp) {
    const std::string out = tmp / "gen";
    const auto r = run({test::flowlab_bin(), "gen", "dual-stack", "-o", out, "--dialect", dialect, "--duration", "10m"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return out;
}

class EveryDialect : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryDialect, DecodesToExactlyTheTruth) {
    test::TempDir tmp;
    const std::string out = gen_small(GetParam(), tmp);
    const auto d = run({test::flowlab_bin(), "decode", out + "/exports.pcap", "-o", tmp / "decoded.csv"});
    ASSERT_EQ(d.exit_code, 0) << d.err;
    const auto truth = sorted_lines(out + "/truth/records.csv");
    const auto decoded = sorted_lines(tmp / "decoded.csv");
    ASSERT_GT(truth.size(), 10u);
    EXPECT_EQ(truth, decoded);
    // Both families went out (dialects without a public IPv6 layout say so in their note).
    bool v4 = false, v6 = false;
    for (const auto& l : truth) {
        if (l.rfind("exporter", 0) == 0) continue;
        const auto c1 = l.find(','), c2 = l.find(',', c1 + 1);
        const std::string src = l.substr(c2 + 1, l.find(',', c2 + 1) - c2 - 1);
        (src.find(':') != std::string::npos ? v6 : v4) = true;
    }
    EXPECT_TRUE(v4 && v6);
}

TEST_P(EveryDialect, SamplingIsAnnouncedAndDecoded) {
    // example-office has an exporter sampling 1 in 10 at random; the dialect's own way of saying so
    // (sampler table, PSAMP options, or flowlab's sampling options) must reach the decoder.
    test::TempDir tmp;
    const std::string out = tmp / "gen";
    auto r = run({test::flowlab_bin(), "gen", "example-office", "-o", out, "--dialect", GetParam(), "--duration", "5m"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    r = run({test::flowlab_bin(), "decode", out + "/exports.pcap", "-o", tmp / "decoded.csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sorted_lines(out + "/truth/records.csv"), sorted_lines(tmp / "decoded.csv"));
}

/// SHA-256 of the first two export datagrams' payloads, as committed in dialect_golden.txt.
std::string first_messages_digest(const std::string& pcap) {
    core::PcapReader reader(pcap);
    core::UdpDatagram d;
    std::string bytes;
    for (int i = 0; i < 2 && reader.next_udp(d); ++i) bytes.append(reinterpret_cast<const char*>(d.payload.data()), d.payload.size());
    return gen::sha256_hex(bytes);
}

TEST_P(EveryDialect, FirstMessagesMatchTheGolden) {
    std::map<std::string, std::string> golden;
    std::ifstream in(test::source_dir() + "/tests/gen/dialect_golden.txt");
    for (std::string name, digest; in >> name >> digest;) golden[name] = digest;
    ASSERT_TRUE(golden.count(GetParam())) << "no golden digest for " << GetParam() << " in tests/gen/dialect_golden.txt";
    test::TempDir tmp;
    const std::string out = gen_small(GetParam(), tmp);
    EXPECT_EQ(first_messages_digest(out + "/exports.pcap"), golden[GetParam()])
        << "the first messages of " << GetParam() << " changed; if on purpose, update tests/gen/dialect_golden.txt";
}

/// The trading-floor question answered from decoded exports of three days, as a student would:
/// minutes with far more flows than usual, the host that owns them.
TEST_P(EveryDialect, TradingFloorStoryStillAnswers) {
    test::TempDir tmp;
    const std::string out = tmp / "gen";
    auto r = run({test::flowlab_bin(), "gen", "trading-floor", "-o", out, "--dialect", GetParam(), "--duration", "3d",
                  "--answer-key"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    r = run({test::flowlab_bin(), "decode", out + "/exports.pcap", "-o", tmp / "decoded.csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    constexpr std::int64_t kMinute = 60'000;
    std::map<std::int64_t, std::uint64_t> per_minute;
    std::vector<core::FlowRecord> flows;
    core::RecordCsvReader reader(tmp / "decoded.csv");
    for (core::FlowRecord x; reader.next(x);) {
        ++per_minute[x.first_ms / kMinute * kMinute];
        flows.push_back(x);
    }
    ASSERT_GT(flows.size(), 10'000u);
    std::vector<std::uint64_t> counts;
    for (const auto& [m, n] : per_minute) counts.push_back(n);
    std::nth_element(counts.begin(), counts.begin() + counts.size() / 2, counts.end());
    const std::uint64_t median = counts[counts.size() / 2];
    std::vector<std::pair<std::int64_t, std::int64_t>> eps;
    for (const auto& [m, n] : per_minute)
        if (n > 200 && n > 10 * median) {
            if (eps.empty() || m > eps.back().second + 10 * kMinute) eps.push_back({m, m});
            else eps.back().second = m;
        }
    ASSERT_GE(eps.size(), 1u);
    std::map<core::IpAddress, std::uint64_t> by_host;
    for (const auto& f : flows)
        if (f.first_ms >= eps.front().first && f.first_ms < eps.front().second + kMinute) {
            ++by_host[f.src];
            ++by_host[f.dst];
        }
    const auto top = std::max_element(by_host.begin(), by_host.end(), [](auto& a, auto& b) { return a.second < b.second; });
    std::vector<std::string> args{test::flowlab_bin(), "scenarios", "answer", "trading-floor", "--from", out,
                                  "--host", top->first.to_string()};
    for (const auto& [from, to] : eps) {
        args.push_back("--window");
        args.push_back(gen::format_time(from * 1000) + "/" + gen::format_time((to + kMinute) * 1000));
    }
    r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

/// One export message as the habit tests see it: header fields, its sets, and how many flow
/// records flowlab's decoder read from it.
struct Message {
    std::uint16_t version = 0, count = 0;
    std::uint32_t sequence = 0, domain = 0;
    std::vector<std::uint16_t> sets;  ///< set ids in order
    std::size_t template_records = 0;  ///< records in template and options template sets
    std::size_t flows = 0;
    bool has_template_set() const {
        return std::any_of(sets.begin(), sets.end(), [&](std::uint16_t id) { return id <= (version == 9 ? 1 : 3); });
    }
    std::size_t data_sets() const {
        return static_cast<std::size_t>(std::count_if(sets.begin(), sets.end(), [](std::uint16_t id) { return id >= 256; }));
    }
};

/// The messages of one exporter (the first one seen) in `pcap`, in order.
std::vector<Message> messages_of_first_exporter(const std::string& pcap) {
    core::PcapReader reader(pcap);
    core::UdpDatagram d;
    core::Decoder decoder;
    std::vector<Message> out;
    std::optional<std::pair<core::IpAddress, std::uint16_t>> first;
    for (std::uint64_t n = 1; reader.next_udp(d); ++n) {
        if (!first) first = {d.src, d.sport};
        std::vector<core::FlowRecord> recs;
        decoder.decode(core::ExportDatagram{d.payload, d.src, d.sport, n}, recs);
        if (std::pair{d.src, d.sport} != *first) continue;
        const std::uint8_t* p = d.payload.data();
        Message m;
        m.version = core::load_be16(p);
        m.count = m.version == 9 ? core::load_be16(p + 2) : 0;
        m.sequence = core::load_be32(p + (m.version == 9 ? 12 : 8));
        m.domain = core::load_be32(p + (m.version == 9 ? 16 : 12));
        for (std::size_t pos = m.version == 9 ? 20 : 16; pos + 4 <= d.payload.size();) {
            const std::uint16_t id = core::load_be16(p + pos), len = core::load_be16(p + pos + 2);
            if (len < 4) break;
            m.sets.push_back(id);
            if (id <= (m.version == 9 ? 1 : 3)) {
                // Template records: id, count (and scope count), then 4 bytes per field
                // (8 with an enterprise number, IPFIX only).
                for (std::size_t q = pos + 4; q + 4 <= pos + len;) {
                    const std::uint16_t fields = core::load_be16(p + q + 2);
                    const bool opt = id == (m.version == 9 ? 1 : 3);
                    std::size_t specs = opt ? (m.version == 9 ? (fields + core::load_be16(p + q + 4)) / 4u : fields) : fields;
                    q += opt ? 6 : 4;
                    for (std::size_t f = 0; f < specs; ++f) q += (m.version == 10 && (core::load_be16(p + q) & 0x8000)) ? 8 : 4;
                    ++m.template_records;
                    if (pos + len - q < 4) break;  // padding
                }
            }
            pos += len;
        }
        m.flows = recs.size();
        out.push_back(m);
    }
    return out;
}

/// The first messages of a 10-minute dual-stack run: the habits DIALECTS.md gives each exporter.
std::vector<Message> habit_messages(const std::string& dialect, const test::TempDir& tmp) {
    const std::string out = gen_small(dialect, tmp);
    auto m = messages_of_first_exporter(out + "/exports.pcap");
    EXPECT_GE(m.size(), 5u);
    return m;
}

TEST(DialectHabits, IosXrSendsEveryTemplateAloneApartFromData) {
    test::TempDir tmp;
    const auto msgs = habit_messages("cisco-iosxr-v9", tmp);
    // Templates 260 and 266 each in a message holding that one record (count 1, DIALECTS.md 2.1).
    ASSERT_GE(msgs.size(), 3u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(msgs[i].sets, std::vector<std::uint16_t>{0}) << i;
        EXPECT_EQ(msgs[i].template_records, 1u) << i;
        EXPECT_EQ(msgs[i].count, 1u) << i;
        EXPECT_EQ(msgs[i].flows, 0u) << i;
    }
    std::size_t data = 0;
    for (const auto& m : msgs) {
        EXPECT_FALSE(m.has_template_set() && m.data_sets() > 0) << "a template travelled with data";
        data += m.flows;
        if (m.has_template_set()) {
            EXPECT_EQ(m.template_records, 1u);
        }
    }
    EXPECT_GT(data, 0u);
}

TEST(DialectHabits, PflowSendsOneSetPerMessage) {
    for (const char* d : {"openbsd-pflow-ipfix", "openbsd-pflow-v9"}) {
        test::TempDir tmp;
        const auto msgs = habit_messages(d, tmp);
        ASSERT_FALSE(msgs.empty());
        // The template message carries the one template set with both templates (DIALECTS.md 1.2/1.3).
        EXPECT_EQ(msgs[0].sets.size(), 1u) << d;
        EXPECT_EQ(msgs[0].template_records, 2u) << d;
        bool v4 = false, v6 = false;
        for (const auto& m : msgs) {
            EXPECT_EQ(m.sets.size(), 1u) << d;
            if (m.data_sets()) (m.sets[0] == 256 ? v4 : v6) = true;
        }
        EXPECT_TRUE(v4 && v6) << d;
    }
}

TEST(DialectHabits, PflowV9CountIsOneAndSequenceCountsFlowsIncludingTheMessage) {
    test::TempDir tmp;
    const auto msgs = habit_messages("openbsd-pflow-v9", tmp);
    std::uint32_t flows = 0;
    for (const auto& m : msgs) {
        flows += static_cast<std::uint32_t>(m.flows);
        EXPECT_EQ(m.count, 1u);  // DIALECTS.md 1.5
        EXPECT_EQ(m.sequence, flows);
        EXPECT_EQ(m.domain, 42u);
    }
    EXPECT_GT(flows, 1u);
}

TEST(DialectHabits, PflowIpfixSequenceCountsRecordsBefore) {
    test::TempDir tmp;
    const auto msgs = habit_messages("openbsd-pflow-ipfix", tmp);
    std::uint32_t flows = 0;
    for (const auto& m : msgs) {
        EXPECT_EQ(m.sequence, flows);  // rev >= 1.13: RFC 7011 (DIALECTS.md 1.3); template message: the value so far
        flows += static_cast<std::uint32_t>(m.flows);
    }
    EXPECT_GT(flows, 1u);
}

TEST(DialectHabits, SoftflowdV9CountsDataRecordsAndPacketsFromOne) {
    test::TempDir tmp;
    const auto msgs = habit_messages("softflowd-v9", tmp);
    ASSERT_TRUE(msgs[0].has_template_set());
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        EXPECT_EQ(msgs[i].count, msgs[i].flows) << i;  // templates and options not counted (DIALECTS.md 4.2)
        EXPECT_EQ(msgs[i].sequence, i + 1) << i;
    }
    EXPECT_GT(msgs[0].template_records, 0u);
}

TEST(DialectHabits, SoftflowdIpfixSequenceIncludesTheMessage) {
    test::TempDir tmp;
    const auto msgs = habit_messages("softflowd-ipfix", tmp);
    std::uint32_t flows = 0;
    for (const auto& m : msgs) {
        flows += static_cast<std::uint32_t>(m.flows);
        EXPECT_EQ(m.sequence, flows);  // DIALECTS.md 4.2
    }
    EXPECT_GT(flows, 1u);
}

TEST(DialectHabits, DefaultsAreTheRfcs) {
    // An exporter without habits: templates with the data, v9 count of every record, v9
    // sequence of messages from 0.
    test::TempDir tmp;
    const auto r = run({test::flowlab_bin(), "gen", "dual-stack", "-o", tmp / "g", "--duration", "10m"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto msgs = messages_of_first_exporter(tmp / "g/exports.pcap");
    ASSERT_FALSE(msgs.empty());
    EXPECT_TRUE(msgs[0].has_template_set() && msgs[0].data_sets() > 0);
    for (std::size_t i = 0; i < msgs.size(); ++i)
        if (msgs[i].version == 9) {
            EXPECT_EQ(msgs[i].count, msgs[i].flows + msgs[i].template_records) << i;
            EXPECT_EQ(msgs[i].sequence, i) << i;
        }
}

INSTANTIATE_TEST_SUITE_P(Dialects, EveryDialect, ::testing::ValuesIn(test::dialect_names()),
                         [](const auto& param_info) { return test::dialect_test_name(param_info.param); });

TEST(Dialects, ListedWithTheirSource) {
    const auto r = run({test::flowlab_bin(), "scenarios", "dialects"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& n : test::dialect_names()) EXPECT_NE(r.out.find(n), std::string::npos) << n;
    EXPECT_NE(r.out.find("source: "), std::string::npos);
}

TEST(Dialects, UnknownNameIsAUsageError) {
    test::TempDir tmp;
    const auto r = run({test::flowlab_bin(), "gen", "dual-stack", "-o", tmp / "g", "--dialect", "openbsd-pflow-ipfx"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("openbsd-pflow-ipfix"), std::string::npos) << r.err;  // the suggestion
}

// ---------------------------------------------------------------------------------------------
// Bad dialect files and bad templates: exit 2, naming the file, the JSON path and the reason.

struct BadCase {
    const char* name;
    const char* dialect;   ///< dialect file text ("" = none)
    const char* exporter;  ///< merged into the first exporter
    const char* where;     ///< expected in the message: the place
    const char* why;       ///< expected in the message: the reason
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadDialect : public ::testing::TestWithParam<BadCase> {};

constexpr const char* kGood4 = R"("v4": {"id": 256, "fields": ["sourceIPv4Address", "destinationIPv4Address", "octetDeltaCount:4", "packetDeltaCount:4", "flowStartMilliseconds", "flowEndMilliseconds"]})";

TEST_P(BadDialect, RefusedWithFilePathAndReason) {
    const BadCase& c = GetParam();
    test::TempDir tmp;
    std::string exporter = c.exporter;
    if (*c.dialect) {
        std::ofstream(tmp / "bad.json") << c.dialect;
        exporter = R"({"dialect": ")" + (tmp / "bad.json") + "\"}";
    }
    write_scenario(tmp / "s.json", exporter);
    for (const std::vector<std::string>& cmd :
         {std::vector<std::string>{test::flowlab_bin(), "scenarios", "validate", tmp / "s.json"},
          std::vector<std::string>{test::flowlab_bin(), "gen", tmp / "s.json", "-o", tmp / "g", "--duration", "1m"}}) {
        const auto r = run(cmd);
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        const std::string file = *c.dialect ? "bad.json" : "s.json";
        EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(c.where), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(c.why), std::string::npos) << r.err;
        EXPECT_FALSE(fs::exists(tmp / "g/manifest.json"));
    }
}

const BadCase kBad[] = {
    {"dialect_missing_source", R"({"name": "x", "protocol": "ipfix", "templates": {)" "\"v4\": {\"id\": 256, \"fields\": [\"sourceIPv4Address\"]}}}",
     "", "/source", "required key is missing"},
    {"dialect_unknown_element", R"({"name": "x", "source": "a public capture", "protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "octetDeltaCnt"]}}})",
     "", "/templates/v4/fields/1", "unknown element name"},
    {"dialect_no_value", R"({"name": "x", "source": "a public capture", "protocol": "v9", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "forwardingStatus:1"]}}})",
     "", "/templates/v4/fields/1", "gen has no value for it"},
    {"dialect_bad_length", R"({"name": "x", "source": "a public capture", "protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address:2"]}}})",
     "", "/templates/v4/fields/0", "cannot be sent in 2 bytes"},
    {"dialect_low_template_id", R"({"name": "x", "source": "a public capture", "protocol": "ipfix", "templates": {"v4": {"id": 255, "fields": ["sourceIPv4Address"]}}})",
     "", "/templates/v4/id", "256"},
    {"dialect_options_unfillable", R"({"name": "x", "source": "a public capture", "protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address"]}}, "options": [{"id": 300, "scope": 1, "fields": ["observationDomainId", "interfaceName:16"]}]})",
     "", "/options/0/fields/1", "no value for element 82"},
    {"dialect_malformed_json", R"({"name": "x",)", "", "bad.json", "1:"},
    {"exporter_unknown_dialect", "", R"({"dialect": "no-such-dialect"})", "/exporters/0/dialect", "no dialect named"},
    {"exporter_enterprise_in_v9", "", R"({"protocol": "v9", "templates": {"v4": {"id": 256, "fields": ["5951:130:var"]}}})",
     "/exporters/0/templates/v4/fields/0", "enterprise elements exist only in IPFIX"},
    {"exporter_value_for_no_field", "",
     R"({"protocol": "ipfix", "templates": {)" "\"v4\": {\"id\": 256, \"fields\": [\"sourceIPv4Address\", \"destinationIPv4Address\"]}}, \"values\": {\"vlanId\": 3}}",
     "/exporters/0/values/vlanId", "no template here carries"},
    {"exporter_no_protocol", "", R"({"templates": {)" "\"v4\": {\"id\": 256, \"fields\": [\"sourceIPv4Address\"]}}}",
     "/exporters/0/protocol", "required key is missing"},
    {"dialect_bad_template_messages", R"({"name": "x", "source": "a public capture", "protocol": "v9", "template_messages": "alone", "templates": {)" "\"v4\": {\"id\": 256, \"fields\": [\"sourceIPv4Address\"]}}}",
     "", "/template_messages", "expected \"with_data\""},
    {"dialect_bad_data_sets", R"({"name": "x", "source": "a public capture", "protocol": "v9", "data_sets": 1, "templates": {)" "\"v4\": {\"id\": 256, \"fields\": [\"sourceIPv4Address\"]}}}",
     "", "/data_sets", "expected a string"},
    {"dialect_v9_count_in_ipfix", R"({"name": "x", "source": "a public capture", "protocol": "ipfix", "v9_count": "one", "templates": {)" "\"v4\": {\"id\": 256, \"fields\": [\"sourceIPv4Address\"]}}}",
     "", "/v9_count", "NetFlow v9 only"},
    {"exporter_packets_from_1_in_ipfix", "", R"({"protocol": "ipfix", "sequence": "packets_from_1"})",
     "/exporters/0/sequence", "\"packets_from_1\" is for NetFlow v9 only"},
    {"exporter_bad_sequence", "", R"({"protocol": "v9", "sequence": "flows"})", "/exporters/0/sequence", "expected \"rfc\""},
    {"exporter_rule_in_template", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "5951:130:var"], "values": {"5951:130": {"choose": ["/"]}}}}})",
     "/exporters/0/templates/v4/values/5951:130", "not a template's"},
    {"exporter_rule_two_kinds", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "5951:129:4"]}}, "values": {"5951:129": {"choose": [1], "range": [1, 9]}}})",
     "/exporters/0/values/5951:129", "exactly one of"},
    {"exporter_rule_range_on_string", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "5951:130:var"]}}, "values": {"5951:130": {"range": [1, 9]}}})",
     "/exporters/0/values/5951:130/range", "integer field"},
    {"exporter_rule_range_too_wide", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "5951:193:1"]}}, "values": {"5951:193": {"range": [1, 300]}}})",
     "/exporters/0/values/5951:193/range/1", "300"},
    {"exporter_rule_otherwise_without_when", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "5951:130:var"]}}, "values": {"5951:130": {"value": "/", "otherwise": ""}}})",
     "/exporters/0/values/5951:130/otherwise", "give \"when\""},
    {"exporter_rule_mixed_weights", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "5951:130:var"]}}, "values": {"5951:130": {"choose": [["/a", 2], "/b"]}}})",
     "/exporters/0/values/5951:130/choose/1", "[value, weight]"},
    {"exporter_rule_zero_weight", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "5951:130:var"]}}, "values": {"5951:130": {"choose": [["/a", 0]]}}})",
     "/exporters/0/values/5951:130/choose/0/1", "from 1 to"},
    {"exporter_rule_nul_on_fixed", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "interfaceName:8"]}}, "values": {"interfaceName": {"value": "ge0", "nul_terminated": true}}})",
     "/exporters/0/values/interfaceName/nul_terminated", "only variable-length"},
    {"exporter_rule_bad_protocol", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "5951:130:var"]}}, "values": {"5951:130": {"value": "/", "when": {"protocol": "sctp"}}}})",
     "/exporters/0/values/5951:130/when/protocol", "tcp, udp"},
    {"exporter_rule_options_only", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address"]}}, "options": [{"id": 300, "scope": 1, "fields": ["observationDomainId", "interfaceName:16"]}], "values": {"interfaceName": {"choose": ["a", "b"]}}})",
     "/exporters/0/values/interfaceName", "options records have no conversation"},
    {"exporter_rule_for_model_field", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "ingressInterface"]}}, "values": {"ingressInterface": {"range": [1, 9]}}})",
     "/exporters/0/templates/v4/fields/1", "filled from the flow model"},
    {"exporter_too_long_constant", "",
     R"({"protocol": "ipfix", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "interfaceName:4"], "values": {"interfaceName": "GigabitEthernet0"}}}})",
     "/exporters/0/templates/v4/values/interfaceName", "longer than the field"},
    {"dialect_table_without_name", R"({"name": "x", "source": "a public capture", "protocol": "v9", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "ingressInterface"]}}, "options": [{"id": 300, "scope": 1, "fields": ["system:4", "ingressInterface:4"], "when": "interface_table"}]})",
     "", "/options/0/fields", "needs exactly one name field"},
    {"dialect_unknown_table", R"({"name": "x", "source": "a public capture", "protocol": "v9", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address"]}}, "options": [{"id": 300, "scope": 1, "fields": ["system:4", "ingressVRFID:4", "VRFname:32"], "when": "vrfs"}]})",
     "", "/options/0/when", "\"vrf_table\""},
    {"dialect_names_without_table", R"({"name": "x", "source": "a public capture", "protocol": "v9", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address"]}}, "options": [{"id": 300, "scope": 1, "fields": ["system:4", "samplerId:2"], "names": {"1": "a"}}]})",
     "", "/options/0/names", "belong to an interface or VRF table"},
    {"dialect_pattern_without_index", R"({"name": "x", "source": "a public capture", "protocol": "v9", "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address"]}}, "options": [{"id": 300, "scope": 1, "fields": ["system:4", "ingressVRFID:4", "VRFname:32"], "when": "vrf_table", "names": {"*": "vrf"}}]})",
     "", "/options/0/names/*", "{index}"},
    {"exporter_interface_name_bad_index", "", R"({"dialect": "cisco-iosxr-v9", "interface_names": {"ge-1": "x"}})",
     "/exporters/0/interface_names/ge-1", "expected an index"},
    {"exporter_interface_zero", "", R"({"dialect": "cisco-iosxr-v9", "interface_names": {"0": "x"}})",
     "/exporters/0/interface_names/0", "ifIndex 0"},
    {"exporter_vrf_name_too_long", "", R"({"dialect": "cisco-iosxr-v9", "vrf_names": {"5": "A-VRF-NAME-LONGER-THAN-THIRTY-TWO-BYTES"}})",
     "/exporters/0/vrf_names/5", "longer than the 32-byte name field of options template 334"},
    {"exporter_interface_name_empty", "", R"({"dialect": "cisco-iosxr-ipfix", "interface_names": {"3": ""}})",
     "/exporters/0/interface_names/3", "cannot be empty"},
};

INSTANTIATE_TEST_SUITE_P(Files, BadDialect, ::testing::ValuesIn(kBad), [](const auto& param_info) { return std::string(param_info.param.name); });

// ---------------------------------------------------------------------------------------------
// Values drawn per conversation, and the truth that carries them.

/// The "extra" of a truth or decoded JSON line as element -> hex ("5951:130" -> "2f00").
std::map<std::string, std::string> extras(const nlohmann::json& line) {
    std::map<std::string, std::string> out;
    for (const auto& e : line.value("extra", nlohmann::json::array()))
        out[std::to_string(e.at("enterprise").get<unsigned>()) + ":" + std::to_string(e.at("id").get<unsigned>())] =
            e.at("hex").get<std::string>();
    return out;
}

std::vector<nlohmann::json> json_lines(const std::string& path) {
    std::vector<nlohmann::json> out;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);) out.push_back(nlohmann::json::parse(l));
    return out;
}

std::string hex_of(const std::string& text) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : text) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

TEST(AppFlow, HttpFieldsAreInTheTruthAndDecodeToIt) {
    test::TempDir tmp;
    const std::string out = tmp / "gen";
    auto r = run({test::flowlab_bin(), "gen", "dual-stack", "-o", out, "--dialect", "citrix-netscaler-appflow", "--duration", "20m",
                  "--truth-jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({test::flowlab_bin(), "decode", out + "/exports.pcap", "-f", "jsonl", "--keep-extra", "--no-elements", "-o",
             tmp / "decoded.jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto truth = sorted_lines(out + "/truth/records.jsonl");
    ASSERT_GT(truth.size(), 20u);
    EXPECT_EQ(truth, sorted_lines(tmp / "decoded.jsonl"));
    // The manifest vouches for the file.
    const auto manifest = nlohmann::json::parse(test::read_file(out + "/manifest.json"));
    EXPECT_TRUE(manifest.at("files").contains("truth/records.jsonl"));

    // HTTP conversations (TCP to 443 and 8080 in dual-stack) carry a URL, a method and a host
    // from the dialect's lists, NUL-terminated; others (DNS) an empty string (a lone NUL).
    const std::set<std::string> urls = {hex_of(std::string("/") + '\0'), hex_of(std::string("/index.html") + '\0'),
                                        hex_of(std::string("/api/quotes?sym=ACME") + '\0'),
                                        hex_of(std::string("/static/app.js") + '\0'), hex_of(std::string("/login") + '\0')};
    std::size_t http = 0, other = 0;
    std::map<std::string, std::map<std::string, std::string>> per_flow;  // 5-tuple -> values
    for (const auto& l : json_lines(out + "/truth/records.jsonl")) {
        const auto x = extras(l);
        ASSERT_TRUE(x.count("5951:130") && x.count("5951:141") && x.count("5951:129")) << l.dump();
        const bool is_http = l.at("proto") == 6 && (l.at("dport") == 443 || l.at("sport") == 443 || l.at("dport") == 8080 ||
                                                    l.at("sport") == 8080);
        if (is_http) {
            ++http;
            EXPECT_TRUE(urls.count(x.at("5951:130"))) << x.at("5951:130");
            EXPECT_TRUE(x.at("5951:141") == hex_of(std::string("GET") + '\0') || x.at("5951:141") == hex_of(std::string("POST") + '\0'));
        } else {
            ++other;
            EXPECT_EQ(x.at("5951:130"), "00");
            EXPECT_EQ(x.at("5951:151"), "00000000");
        }
        // A conversation split into several records carries one set of values.
        const std::string key = l.at("src").dump() + l.at("dst").dump() + l.at("sport").dump() + l.at("dport").dump() +
                                l.at("proto").dump() + l.at("exporter").dump();
        auto [it, fresh] = per_flow.emplace(key, x);
        if (!fresh) {
            for (const char* k : {"5951:129", "5951:130", "5951:143", "0:148"}) EXPECT_EQ(it->second.at(k), x.at(k)) << key;
        }
    }
    EXPECT_GT(http, 10u);
    EXPECT_GT(other, 0u);
    EXPECT_LT(per_flow.size(), truth.size()) << "no conversation was split: the same-values check checked nothing";
    // The drawn values differ between conversations.
    std::set<std::string> transactions;
    for (const auto& [k, x] : per_flow) transactions.insert(x.at("5951:129"));
    EXPECT_GT(transactions.size(), per_flow.size() * 9 / 10);
}

TEST(AppFlow, SameBytesTwiceAndTheSameValuesForALongerRun) {
    // Twice, once with the exporters on threads of their own and once on the main thread.
    test::TempDir tmp;
    for (const char* n : {"a", "b"}) {
        const auto r = run({test::flowlab_bin(), "gen", "dual-stack", "-o", tmp / n, "--dialect", "citrix-netscaler-appflow",
                            "--duration", "10m", "--truth-jsonl", "-j", std::string(n) == "a" ? "2" : "1"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    EXPECT_EQ(test::read_file(tmp / "a/exports.pcap"), test::read_file(tmp / "b/exports.pcap"));
    EXPECT_EQ(test::read_file(tmp / "a/truth/records.jsonl"), test::read_file(tmp / "b/truth/records.jsonl"));
    // Values are keyed by conversation, not by the order records expire: a longer run (whose
    // records interleave differently at the end) gives the early conversations the same values.
    const auto r = run({test::flowlab_bin(), "gen", "dual-stack", "-o", tmp / "c", "--dialect", "citrix-netscaler-appflow",
                        "--duration", "30m", "--truth-jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> first;
    const auto key = [](const nlohmann::json& l) {
        return l.at("src").dump() + l.at("sport").dump() + l.at("dst").dump() + l.at("first_ms").dump();
    };
    for (const auto& l : json_lines(tmp / "a/truth/records.jsonl")) first[key(l)] = l.dump();
    std::size_t same = 0;
    for (const auto& l : json_lines(tmp / "c/truth/records.jsonl"))
        if (auto it = first.find(key(l)); it != first.end()) {
            auto a = nlohmann::json::parse(it->second);
            EXPECT_EQ(extras(a), extras(l)) << key(l);
            ++same;
        }
    EXPECT_GT(same, first.size() / 2);
}

TEST(ValueRules, ChooseRangeAndWhen) {
    // An exporter of its own with weighted choices, a range and a "when".
    test::TempDir tmp;
    write_scenario(tmp / "s.json", R"({"protocol": "ipfix", "templates": {
        "v4": {"id": 300, "fields": ["sourceIPv4Address", "destinationIPv4Address", "sourceTransportPort", "destinationTransportPort",
                                     "protocolIdentifier", "octetDeltaCount:8", "packetDeltaCount:8", "flowStartMilliseconds",
                                     "flowEndMilliseconds", "5951:130:var", "5951:129:4", "5951:152:8"]},
        "v6": {"id": 301, "fields": ["sourceIPv6Address", "destinationIPv6Address", "octetDeltaCount:8", "packetDeltaCount:8",
                                     "flowStartMilliseconds", "flowEndMilliseconds", "5951:130:var"]}},
      "values": {"5951:130": {"choose": [["/a", 3], ["/b", 1]], "when": {"protocol": "tcp", "ports": [443, 8080]}, "otherwise": "-"},
                 "5951:129": {"range": [100, 199]},
                 "5951:152": {"choose": ["web", "api"]}}})");
    auto r = run({test::flowlab_bin(), "gen", tmp / "s.json", "-o", tmp / "g", "--duration", "30m", "--truth-jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({test::flowlab_bin(), "decode", tmp / "g/exports.pcap", "-f", "jsonl", "--keep-extra", "--no-elements", "-o", tmp / "d.jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sorted_lines(tmp / "g/truth/records.jsonl"), sorted_lines(tmp / "d.jsonl"));
    EXPECT_EQ(sorted_lines(tmp / "g/truth/records.csv"), [&] {
        r = run({test::flowlab_bin(), "decode", tmp / "g/exports.pcap", "-o", tmp / "d.csv"});
        return sorted_lines(tmp / "d.csv");
    }());
    std::map<std::string, std::size_t> seen;
    for (const auto& l : json_lines(tmp / "g/truth/records.jsonl")) {
        if (l.at("template_id") != 300) continue;  // the other exporter's, and IPv6 (no port rule there)
        const auto x = extras(l);
        const bool web = l.at("proto") == 6 && (l.at("dport") == 443 || l.at("sport") == 443 || l.at("dport") == 8080 ||
                                                l.at("sport") == 8080);
        const std::string url = x.at("5951:130");
        if (web) EXPECT_TRUE(url == hex_of("/a") || url == hex_of("/b")) << url;
        else EXPECT_EQ(url, hex_of("-"));
        ++seen[url];
        const auto id = std::stoul(x.at("5951:129"), nullptr, 16);
        EXPECT_GE(id, 100u);
        EXPECT_LE(id, 199u);
        // A fixed-length string is NUL-padded, as a constant would be.
        EXPECT_TRUE(x.at("5951:152") == hex_of(std::string("web") + std::string(5, '\0')) ||
                    x.at("5951:152") == hex_of(std::string("api") + std::string(5, '\0')));
    }
    // 3:1 weights: "/a" clearly ahead (binomial, hundreds of conversations).
    EXPECT_GT(seen[hex_of("/a")], 2 * seen[hex_of("/b")]);
    EXPECT_GT(seen[hex_of("/b")], 0u);
}

TEST(AppFlow, AnExportersConstantReplacesTheDialectsRule) {
    test::TempDir tmp;
    write_scenario(tmp / "s2.json", R"({"dialect": "citrix-netscaler-appflow", "values": {"5951:130": "/fixed"}})");
    const auto r = run({test::flowlab_bin(), "gen", tmp / "s2.json", "-o", tmp / "g2", "--duration", "10m", "--truth-jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::size_t n = 0;
    for (const auto& l : json_lines(tmp / "g2/truth/records.jsonl"))
        if (l.at("exporter") == nlohmann::json::parse(test::read_file(tmp / "s2.json"))["exporters"][0]["address"]) {
            EXPECT_EQ(extras(l).at("5951:130"), hex_of("/fixed"));
            ++n;
        }
    EXPECT_GT(n, 0u);
}

TEST(ValueRules, TruthJsonlIsRefusedWithShards) {
    test::TempDir tmp;
    const auto r = run({test::flowlab_bin(), "gen", "dual-stack", "-o", tmp / "g", "--duration", "1m", "--truth-jsonl", "--shard", "0/2"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--truth-jsonl"), std::string::npos) << r.err;
}

TEST(Dialects, SwitchKeepsTheDomainThatTellsExportersApart) {
    // Two exporters on one address and port, told apart by their domains (41 and 42): a
    // dialect's single domain for both would make them one exporter, so each keeps its own.
    test::TempDir tmp;
    auto doc = nlohmann::ordered_json::parse(test::read_file(test::source_dir() + "/scenarios/dual-stack.json"));
    doc.erase("$schema");
    doc["exporters"][1]["address"] = doc["exporters"][0]["address"];
    std::ofstream(tmp / "s.json") << doc.dump(1);
    auto r = run({test::flowlab_bin(), "gen", tmp / "s.json", "-o", tmp / "g", "--duration", "3m", "--dialect", "cisco-ios-v9"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({test::flowlab_bin(), "decode", tmp / "g/exports.pcap", "-o", tmp / "d.csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sorted_lines(tmp / "g/truth/records.csv"), sorted_lines(tmp / "d.csv"));
    const std::string decoded = test::read_file(tmp / "d.csv");
    EXPECT_NE(decoded.find(",41,"), std::string::npos);
    EXPECT_NE(decoded.find(",42,"), std::string::npos);
    // An exporter alone on its address takes the dialect's domain (cisco-ios-v9: 512).
    r = run({test::flowlab_bin(), "gen", "dual-stack", "-o", tmp / "g2", "--duration", "3m", "--dialect", "cisco-ios-v9"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({test::flowlab_bin(), "decode", tmp / "g2/exports.pcap", "-o", tmp / "d2.csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(test::read_file(tmp / "d2.csv").find(",512,"), std::string::npos);
    // The manifest names each exporter's dialect.
    const auto manifest = nlohmann::json::parse(test::read_file(tmp / "g2/manifest.json"));
    for (const auto& e : manifest.at("exporters"))
        EXPECT_EQ(e.value("dialect", ""), "cisco-ios-v9");
}

TEST(Dialects, ExporterKeysOverrideTheDialect) {
    // softflowd's -A milli: the dialect's uptime pair becomes 152/153, the domain is the exporter's.
    test::TempDir tmp;
    write_scenario(tmp / "s.json", R"({"dialect": "softflowd-ipfix", "time_style": "milliseconds", "domain": 9,
                                       "values": {"flowDirection": 1}})");
    auto r = run({test::flowlab_bin(), "gen", tmp / "s.json", "-o", tmp / "g", "--duration", "5m"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({test::flowlab_bin(), "decode", tmp / "g/exports.pcap", "-f", "jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"flowStartMilliseconds\""), std::string::npos);
    EXPECT_EQ(r.out.find("\"flowStartSysUpTime\""), std::string::npos);
    r = run({test::flowlab_bin(), "decode", tmp / "g/exports.pcap", "-o", tmp / "d.csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sorted_lines(tmp / "g/truth/records.csv"), sorted_lines(tmp / "d.csv"));
    EXPECT_NE(test::read_file(tmp / "d.csv").find(",9,"), std::string::npos);
}


// ---------------------------------------------------------------------------------------------
// IOS XR interface (256) and VRF (334) tables: options records per interface and per VRF.

/// building-a's interfaces as kIosXrNames and the IOS XR dialects' pattern name them.
const std::map<std::uint32_t, std::string> kIosXrInterfaces = {
    {1, "TenGigE0_0_1_0"}, {2, "GigabitEthernet0_0_0_2"}, {7, "Bundle-Ether7"}, {9, "GigabitEthernet0_0_0_9"}};

/// Hex text to bytes; spaces and "|" (field separators in the expectations) are skipped.
std::vector<std::uint8_t> unhex(const std::string& text) {
    std::vector<std::uint8_t> out;
    std::string digits;
    for (char c : text)
        if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
    return out;
}

/// A name as the table carries it: its bytes, NUL-padded to the field's length, as hex.
std::string padded_hex(const std::string& name, std::size_t length) {
    std::string out;
    static const char* digits = "0123456789abcdef";
    for (std::size_t i = 0; i < length; ++i) {
        const unsigned char c = i < name.size() ? static_cast<unsigned char>(name[i]) : 0;
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string be32_hex(std::uint32_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (int shift = 28; shift >= 0; shift -= 4) out += digits[(v >> shift) & 15];
    return out;
}

TEST(IosXrTables, V9OptionsTemplatesAndTablesByteByByte) {
    test::TempDir tmp;
    const std::string out = ios_xr_run("cisco-iosxr-v9", tmp);
    // DIALECTS.md 2.1: options template set (id 1), template 256 / 334, scope System 4 (1 field,
    // 4 bytes), option fields 8 bytes (2 fields), 2 bytes of padding to 24.
    const auto tpl256 = unhex("0001 0018 | 0100 0004 0008 | 0001 0004 | 000a 0004 | 0053 0040 | 0000");
    const auto tpl334 = unhex("0001 0018 | 014e 0004 0008 | 0001 0004 | 00ea 0004 | 00ec 0020 | 0000");
    // Records of 72 bytes: System = the exporter's address, INPUT_SNMP, IF_DESC (64, NUL-padded).
    std::string rows256 = "0100 " + be32_hex(4 + 72 * static_cast<std::uint32_t>(kIosXrInterfaces.size())).substr(4);
    for (const auto& [index, name] : kIosXrInterfaces) rows256 += " | c0000229 " + be32_hex(index) + " " + padded_hex(name, 64);
    // Records of 40 bytes: System, ingressVRFID, VRFname (32): VRF 0 ("default") and the named 5.
    const std::string rows334 = "014e 0054 | c0000229 00000000 " + padded_hex("default", 32) + " | c0000229 00000005 " +
                                padded_hex("CUSTOMER-A", 32);
    core::PcapReader reader(out + "/exports.pcap");
    core::UdpDatagram d;
    std::map<std::string, int> seen;
    std::vector<std::string> order;
    for (std::uint64_t n = 1; reader.next_udp(d); ++n) {
        if (d.src != *core::IpAddress::parse("192.0.2.41")) continue;
        const std::vector<std::uint8_t> body(d.payload.begin() + 20, d.payload.end());
        const std::uint16_t count = core::load_be16(d.payload.data() + 2);
        std::string what;
        if (body == tpl256) what = "template 256";
        else if (body == tpl334) what = "template 334";
        else if (body == unhex(rows256)) what = "table 256";
        else if (body == unhex(rows334)) what = "table 334";
        else if (core::load_be16(body.data()) == 256 || core::load_be16(body.data()) == 334)
            ADD_FAILURE() << "message " << n << ": unexpected table bytes";
        if (what.empty()) continue;
        // Each alone in its message: count = its records (RFC 3954), as in the captures.
        EXPECT_EQ(count, what == "table 256" ? kIosXrInterfaces.size() : what == "table 334" ? 2u : 1u) << what;
        if (!seen[what]++) order.push_back(what);
    }
    // Sent with every template refresh (the first only in 5 minutes), in the dialect's order.
    EXPECT_EQ(order, (std::vector<std::string>{"template 256", "template 334", "table 256", "table 334"}));
    for (const auto& [what, times] : seen) EXPECT_EQ(times, 1) << what;
}

/// Records of exporter 192.0.2.41 in a flowlab CSV.
std::vector<core::FlowRecord> building_a(const std::string& csv) {
    std::vector<core::FlowRecord> out;
    core::RecordCsvReader reader(csv);
    for (core::FlowRecord x; reader.next(x);)
        if (x.exporter == *core::IpAddress::parse("192.0.2.41")) out.push_back(x);
    return out;
}

TEST(IosXrTables, DecodeJoinsTheNamesAndTheTruthSaysSo) {
    for (const char* dialect : {"cisco-iosxr-v9", "cisco-iosxr-ipfix"}) {
        test::TempDir tmp;
        const std::string out = ios_xr_run(dialect, tmp);
        const auto r = run({test::flowlab_bin(), "decode", out + "/exports.pcap", "-o", tmp / "d.csv"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto decoded = building_a(tmp / "d.csv");
        ASSERT_GT(decoded.size(), 10u) << dialect;
        std::set<std::uint32_t> used;
        for (const auto& x : decoded) {
            for (const auto& [index, name] : {std::pair{x.in_if, x.in_if_name}, std::pair{x.out_if, x.out_if_name}}) {
                ASSERT_TRUE(kIosXrInterfaces.count(index)) << dialect << ": ifIndex " << index;
                EXPECT_EQ(name, kIosXrInterfaces.at(index)) << dialect << ": ifIndex " << index;
                used.insert(index);
            }
            // flowlab's records carry VRF 0, the table's "default".
            EXPECT_EQ(x.vrf_in_id, 0u);
            EXPECT_EQ(x.vrf_in, "default") << dialect;
            EXPECT_EQ(x.vrf_out, "default") << dialect;
        }
        EXPECT_EQ(used, (std::set<std::uint32_t>{1, 2, 9})) << dialect;
        // The truth carries the same names: a decoder that joins the tables outputs exactly it.
        EXPECT_EQ(sorted_lines(out + "/truth/records.csv"), sorted_lines(tmp / "d.csv")) << dialect;
        const auto truth = building_a(out + "/truth/records.csv");
        ASSERT_EQ(truth.size(), decoded.size());
        EXPECT_EQ(truth.front().in_if_name, kIosXrInterfaces.at(truth.front().in_if));
    }
}

const std::map<std::uint32_t, std::string> kTwoVrfNames = {{0, "default"}, {10, "RED"}, {20, "vrf20"}};

/// The VRF of the interface towards `a`, by the scenario's networks (longest prefix first).
std::uint32_t vrf_of(const core::IpAddress& a) {
    if (gen::parse_cidr("10.60.1.0/24").contains(a) || gen::parse_cidr("2001:db8:60:1::/64").contains(a)) return 10;
    if (gen::parse_cidr("10.60.3.0/24").contains(a)) return 20;
    return 0;
}

TEST(IosXrTables, RecordsCarryTheVrfsOfTheirNetworks) {
    for (const char* dialect : {"cisco-iosxr-v9", "cisco-iosxr-ipfix"}) {
        test::TempDir tmp;
        write_scenario(tmp / "s.json", std::string(R"({"dialect": ")") + dialect + "\", " + kTwoVrfs + "}");
        auto r = run({test::flowlab_bin(), "gen", tmp / "s.json", "-o", tmp / "g", "--duration", "5m"});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        r = run({test::flowlab_bin(), "decode", tmp / "g/exports.pcap", "-o", tmp / "d.csv"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        // A decoder reads the VRF ids and joins the names exactly as the truth says.
        EXPECT_EQ(sorted_lines(tmp / "g/truth/records.csv"), sorted_lines(tmp / "d.csv")) << dialect;
        const auto decoded = building_a(tmp / "d.csv");
        ASSERT_GT(decoded.size(), 10u) << dialect;
        std::set<std::uint32_t> in, out;
        for (const auto& x : decoded) {
            ASSERT_TRUE(x.has(core::Field::vrf_in_id) && x.has(core::Field::vrf_out_id)) << dialect;
            EXPECT_EQ(x.vrf_in_id, vrf_of(x.src)) << dialect << ": " << x.src.to_string();
            EXPECT_EQ(x.vrf_out_id, vrf_of(x.dst)) << dialect << ": " << x.dst.to_string();
            EXPECT_EQ(x.vrf_in, kTwoVrfNames.at(x.vrf_in_id)) << dialect;
            EXPECT_EQ(x.vrf_out, kTwoVrfNames.at(x.vrf_out_id)) << dialect;
            in.insert(x.vrf_in_id);
            out.insert(x.vrf_out_id);
        }
        EXPECT_TRUE(in.count(10) && in.count(0) && out.count(10) && out.count(0)) << dialect;
        EXPECT_TRUE(in.count(20) || out.count(20)) << dialect;
        // The same output with the exporters' work spread over threads.
        r = run({test::flowlab_bin(), "gen", tmp / "s.json", "-o", tmp / "j", "--duration", "5m", "-j", "3"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        for (const char* f : {"exports.pcap", "truth/records.csv"})
            EXPECT_EQ(test::read_file(tmp / (std::string("g/") + f)), test::read_file(tmp / (std::string("j/") + f))) << dialect << ": " << f;
    }
}

TEST(IosXrTables, NamesDefaultToTheDialectsPattern) {
    // Without interface_names every interface is named by the dialect's "*" pattern.
    test::TempDir tmp;
    write_scenario(tmp / "s.json", R"({"dialect": "cisco-iosxr-v9"})");
    auto r = run({test::flowlab_bin(), "gen", tmp / "s.json", "-o", tmp / "g", "--duration", "3m"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({test::flowlab_bin(), "decode", tmp / "g/exports.pcap", "-o", tmp / "d.csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> names;
    for (const auto& x : building_a(tmp / "d.csv")) names.insert(std::string(x.in_if_name));
    EXPECT_EQ(names, (std::set<std::string>{"GigabitEthernet0_0_0_1", "GigabitEthernet0_0_0_2", "GigabitEthernet0_0_0_9"}));
}

TEST(IosXrTables, ALostTableLosesItsNamesInTheTruth) {
    // building-a's stream: 1-2 data templates, 3-4 options templates 256 and 334, 5-6 their
    // tables. Without template 256 (missing_template on 3) or without the table (drop of 5)
    // a decoder cannot name interfaces: the truth names none, VRFs still come from 334.
    for (const char* fault : {R"({"fault": "missing_template", "exporter": "building-a", "messages": 3})",
                              R"({"fault": "drop", "exporter": "building-a", "messages": 5})"}) {
        test::TempDir tmp;
        write_scenario(tmp / "s.json", std::string(R"({"dialect": "cisco-iosxr-v9", )") + kIosXrNames + "}");
        auto doc = nlohmann::ordered_json::parse(test::read_file(tmp / "s.json"));
        doc["faults"] = nlohmann::ordered_json::array({nlohmann::ordered_json::parse(fault)});
        std::ofstream(tmp / "s.json") << doc.dump(1);
        auto r = run({test::flowlab_bin(), "gen", tmp / "s.json", "-o", tmp / "g", "--duration", "5m"});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        r = run({test::flowlab_bin(), "decode", tmp / "g/exports.pcap", "-o", tmp / "d.csv"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(sorted_lines(tmp / "g/truth/records.csv"), sorted_lines(tmp / "d.csv")) << fault;
        const auto truth = building_a(tmp / "g/truth/records.csv");
        ASSERT_GT(truth.size(), 10u) << fault;
        for (const auto& x : truth) {
            EXPECT_FALSE(x.has(core::Field::in_if_name) || x.has(core::Field::out_if_name)) << fault;
            EXPECT_EQ(x.vrf_in, "default") << fault;
        }
    }
}

TEST(IosXrTables, ALargeTableSpansMessages) {
    // 40 interfaces of 72 bytes do not fit one 512-byte message: the table goes out in as
    // many as it needs, each a set of whole records, and every name still reaches the decoder.
    test::TempDir tmp;
    std::string names = R"({"dialect": "cisco-iosxr-v9", "max_message": 512, "interface_names": {)";
    for (int i = 1; i <= 40; ++i) names += (i > 1 ? ", \"" : "\"") + std::to_string(100 + i) + "\": \"Hu0_0_0_" + std::to_string(i) + "\"";
    names += "}}";
    write_scenario(tmp / "s.json", names);
    auto r = run({test::flowlab_bin(), "gen", tmp / "s.json", "-o", tmp / "g", "--duration", "3m"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    core::PcapReader reader(tmp / "g/exports.pcap");
    core::UdpDatagram d;
    std::size_t rows = 0, messages = 0;
    while (reader.next_udp(d)) {
        if (d.src != *core::IpAddress::parse("192.0.2.41") || core::load_be16(d.payload.data() + 20) != 256) continue;
        EXPECT_LE(d.payload.size(), 512u);
        const std::size_t set = core::load_be16(d.payload.data() + 22);
        EXPECT_EQ(set % 4, 0u);
        EXPECT_EQ(set - 4 - (set - 4) / 72 * 72, 0u) << "whole records only";
        EXPECT_EQ(core::load_be16(d.payload.data() + 2), (set - 4) / 72);
        rows += (set - 4) / 72;
        ++messages;
    }
    EXPECT_EQ(rows, 43u);  // the 40 named, and 1, 2, 9 that the records use
    EXPECT_GE(messages, 7u);
    r = run({test::flowlab_bin(), "decode", tmp / "g/exports.pcap", "-o", tmp / "d.csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sorted_lines(tmp / "g/truth/records.csv"), sorted_lines(tmp / "d.csv"));
}

}  // namespace
}  // namespace flowlab
