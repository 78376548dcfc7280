/// @brief Every exporter dialect's exports, field by field, in tshark's cflow dissector: each
/// record tshark shows is one flowlab decoded from the same bytes, each field at the same
/// offset with the same value (and flowlab's decoding equals the truth: dialect_test).
/// tshark stops reading a NetFlow v9 message after the header's count of records, so dialects
/// whose count is not RFC 3954's (pflow v9: 1, softflowd: data records only) are compared with
/// the RFC count, and a separate test shows what tshark misses with the exporter's.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dialects.hpp"
#include "ios_xr_scenario.hpp"
#include "test_support.hpp"
#include "tshark_elements.hpp"

namespace flowlab {
namespace {

/// The dialect as a file with the RFC 3954 header count (the dialect's own path if it has it).
std::string with_rfc_count(const std::string& name, const test::TempDir& tmp) {
    const std::string file = std::string(FLOWLAB_DIALECTS_DIR) + "/" + name + ".json";
    auto doc = nlohmann::ordered_json::parse(test::read_file(file));
    if (!doc.contains("v9_count")) return name;
    doc.erase("v9_count");
    test::write_file(tmp / (name + "-rfc-count.json"), doc.dump(1));
    return tmp / (name + "-rfc-count.json");
}

class DialectInTshark : public ::testing::TestWithParam<std::string> {};

TEST_P(DialectInTshark, EveryFieldAgrees) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    test::TempDir tmp;
    const std::string dialect = with_rfc_count(GetParam(), tmp);
    // example-office samples 1 in 10 on one exporter, so the options records (sampler tables, PSAMP, 160) are compared too.
    for (const char* scenario : {"dual-stack", "example-office"}) {
        const std::string out = tmp / scenario;
        const auto r = test::run({test::flowlab_bin(), "gen", scenario, "-o", out, "--dialect", dialect, "--duration", "3m"});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        const auto c = test::compare_with_tshark(out + "/exports.pcap", {"-d", "udp.port==2055,cflow"});
        EXPECT_GT(c.tshark_records, 0u) << scenario;
        EXPECT_EQ(c.tshark_records, c.flowlab_records) << scenario;
        EXPECT_GT(c.values, 0u) << scenario;
        for (const auto& p : c.problems) ADD_FAILURE() << scenario << ": " << p;
    }
}

TEST(DialectInTshark, TsharkTrustsTheV9HeaderCount) {
    // softflowd counts data records only: in a message with templates and options records
    // tshark stops before the data records; flowlab walks the flowsets and reads them all.
    FLOWLAB_REQUIRE_TOOL("tshark");
    test::TempDir tmp;
    const auto r = test::run({test::flowlab_bin(), "gen", "example-office", "-o", tmp / "g", "--dialect", "softflowd-v9", "--duration", "3m"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto c = test::compare_with_tshark(tmp / "g/exports.pcap", {"-d", "udp.port==2055,cflow"});
    EXPECT_GT(c.tshark_records, 0u);
    EXPECT_LT(c.tshark_records, c.flowlab_records);
}

/// Every part between separators, empty ones included ("a||" is three parts).
std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out(1);
    for (char c : text) {
        if (c == sep) out.emplace_back();
        else out.back() += c;
    }
    return out;
}

/// The text of a NUL-terminated string element from its hex in the truth's "extra".
std::string text_of_hex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        const char c = static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
        if (c == 0) break;
        out += c;
    }
    return out;
}

TEST(AppFlowInTshark, HttpFieldsAreTheTruth) {
    // tshark 4.0 names NetScaler's HTTP elements: each record's URL, method, host, user agent
    // and transaction id as tshark reads them must be those of gen's truth, record by record
    // (truth/records.jsonl is in the order of the datagrams).
    FLOWLAB_REQUIRE_TOOL("tshark");
    test::TempDir tmp;
    const std::string out = tmp / "gen";
    auto r = test::run({test::flowlab_bin(), "gen", "dual-stack", "-o", out, "--dialect", "citrix-netscaler-appflow", "--duration",
                        "10m", "--truth-jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<std::pair<std::string, std::string>> fields = {
        {"cflow.srcport", ""}, {"cflow.dstport", ""}, {"cflow.pie.netscaler.transaction-id", "5951:129"},
        {"cflow.pie.netscaler.http-req-url", "5951:130"}, {"cflow.pie.netscaler.http-req-method", "5951:141"},
        {"cflow.pie.netscaler.http-req-host", "5951:142"}, {"cflow.pie.netscaler.http-req-useragent", "5951:143"},
        {"cflow.pie.netscaler.http-req-cookie", "5951:131"}};
    std::vector<std::string> argv{"tshark", "-r", out + "/exports.pcap", "-d", "udp.port==2055,cflow", "-T", "fields",
                                  "-E", "occurrence=a", "-E", "aggregator=|"};
    for (const auto& f : fields) {
        argv.push_back("-e");
        argv.push_back(f.first);
    }
    r = test::run(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::vector<std::string>> records;  // per record, the fields' values
    for (const std::string& line : split(r.out, '\n')) {
        const auto cells = split(line, '\t');
        if (cells.empty() || cells[0].empty()) continue;  // a datagram of templates only
        ASSERT_EQ(cells.size(), fields.size()) << line;
        const std::size_t n = split(cells[0], '|').size();
        for (std::size_t i = 0; i < n; ++i) records.emplace_back();
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const auto values = split(cells[c], '|');
            ASSERT_EQ(values.size(), n) << fields[c].first << " in " << line;
            for (std::size_t i = 0; i < n; ++i) records[records.size() - n + i].push_back(values[i]);
        }
    }
    std::ifstream in(out + "/truth/records.jsonl");
    std::size_t k = 0, urls = 0;
    for (std::string line; std::getline(in, line); ++k) {
        ASSERT_LT(k, records.size()) << "tshark shows fewer records than the truth has";
        const auto t = nlohmann::json::parse(line);
        std::map<std::string, std::string> extra;
        for (const auto& e : t.at("extra")) extra[std::to_string(e.at("enterprise").get<unsigned>()) + ":" + std::to_string(e.at("id").get<unsigned>())] = e.at("hex");
        const auto& ts = records[k];
        EXPECT_EQ(ts[0], std::to_string(t.at("sport").get<unsigned>())) << k;
        EXPECT_EQ(ts[1], std::to_string(t.at("dport").get<unsigned>())) << k;
        EXPECT_EQ(std::stoul(ts[2], nullptr, 16), std::stoul(extra.at("5951:129"), nullptr, 16)) << k;
        for (std::size_t c = 3; c < fields.size(); ++c) EXPECT_EQ(ts[c], text_of_hex(extra.at(fields[c].second))) << fields[c].first << " record " << k;
        if (!ts[3].empty()) ++urls;
    }
    EXPECT_EQ(k, records.size());
    EXPECT_GT(urls, 10u);
}

TEST(IosXrTablesInTshark, IfDescAndVrfNameAreTheScenariosNames) {
    // tshark's own reading of the interface (IF_DESC 83) and VRF (VRFname 236) options records
    // of both IOS XR dialects: ifIndex -> name and VRF id -> name as the scenario gives them.
    FLOWLAB_REQUIRE_TOOL("tshark");
    const std::map<std::string, std::string> interfaces = {
        {"1", "TenGigE0_0_1_0"}, {"2", "GigabitEthernet0_0_0_2"}, {"7", "Bundle-Ether7"}, {"9", "GigabitEthernet0_0_0_9"}};
    const std::map<std::string, std::string> vrfs = {{"0", "default"}, {"5", "CUSTOMER-A"}};
    for (const char* dialect : {"cisco-iosxr-v9", "cisco-iosxr-ipfix"}) {
        test::TempDir tmp;
        test::ios_xr_run(dialect, tmp, test::kIosXrNames, "3m");
        if (::testing::Test::HasFailure()) return;
        // In a message, the tables' records come before any data record (the IPFIX dialect
        // sends its tables with the templates in front of data): the first values pair up.
        const auto table = [&](const char* key, const char* name) {
            std::map<std::string, std::string> out;
            const auto t = test::run({"tshark", "-r", tmp / "g/exports.pcap", "-d", "udp.port==2055,cflow", "-Y",
                                      std::string(name) + " && ip.src==192.0.2.41", "-T", "fields", "-E", "occurrence=a",
                                      "-E", "aggregator=|", "-e", key, "-e", name});
            EXPECT_EQ(t.exit_code, 0) << t.err;
            for (const std::string& line : split(t.out, '\n')) {
                if (line.empty()) continue;
                const auto cells = split(line, '\t');
                if (cells.size() != 2) {
                    ADD_FAILURE() << line;
                    continue;
                }
                const auto keys = split(cells[0], '|'), names = split(cells[1], '|');
                EXPECT_GE(keys.size(), names.size()) << line;
                for (std::size_t i = 0; i < names.size() && i < keys.size(); ++i) {
                    const auto [it, fresh] = out.emplace(keys[i], names[i]);
                    EXPECT_EQ(it->second, names[i]) << dialect << ": " << key << " " << keys[i] << " named twice differently";
                    (void)fresh;
                }
            }
            return out;
        };
        EXPECT_EQ(table("cflow.inputint", "cflow.if_descr"), interfaces) << dialect;
        EXPECT_EQ(table("cflow.ingress_vrfid", "cflow.vrfname"), vrfs) << dialect;
    }
}

TEST(IosXrTablesInTshark, IngressAndEgressVrfIdsAreTheScenariosVrfs) {
    // building-a's networks in VRFs 10 (a4, a6: "RED") and 20 (printers): tshark reads each data
    // record's ingressVRFID / egressVRFID (234 / 235) as the truth's vrf_in_id / vrf_out_id, in
    // export order, and the VRF table (334) as 0, 10 and 20 with their names.
    FLOWLAB_REQUIRE_TOOL("tshark");
    for (const char* dialect : {"cisco-iosxr-v9", "cisco-iosxr-ipfix"}) {
        test::TempDir tmp;
        test::ios_xr_run(dialect, tmp, test::kTwoVrfs, "5m", {"--truth-jsonl"});
        if (::testing::Test::HasFailure()) return;
        // Per message: the table's 234 values come first (tables precede data in a message),
        // then one per data record; 235 only in data records, so the last ones pair up.
        const auto t = test::run({"tshark", "-r", tmp / "g/exports.pcap", "-d", "udp.port==2055,cflow", "-Y",
                                  "ip.src==192.0.2.41 && cflow.ingress_vrfid", "-T", "fields", "-E", "occurrence=a",
                                  "-E", "aggregator=|", "-e", "cflow.ingress_vrfid", "-e", "cflow.egress_vrfid", "-e",
                                  "cflow.vrfname"});
        ASSERT_EQ(t.exit_code, 0) << t.err;
        std::vector<std::pair<std::string, std::string>> seen;
        std::map<std::string, std::string> table;
        for (const std::string& line : split(t.out, '\n')) {
            if (line.empty()) continue;
            auto cells = split(line, '\t');
            cells.resize(3);
            const auto ins = split(cells[0], '|');
            const auto outs = cells[1].empty() ? std::vector<std::string>{} : split(cells[1], '|');
            const auto names = cells[2].empty() ? std::vector<std::string>{} : split(cells[2], '|');
            ASSERT_EQ(ins.size(), names.size() + outs.size()) << line;
            for (std::size_t i = 0; i < names.size(); ++i) table[ins[i]] = names[i];
            for (std::size_t i = 0; i < outs.size(); ++i) seen.emplace_back(ins[names.size() + i], outs[i]);
        }
        EXPECT_EQ(table, (std::map<std::string, std::string>{{"0", "default"}, {"10", "RED"}, {"20", "vrf20"}})) << dialect;
        std::vector<std::pair<std::string, std::string>> truth;  // in the order of the datagrams
        std::set<std::string> vrfs;
        std::ifstream in(tmp / "g/truth/records.jsonl");
        for (std::string l; std::getline(in, l);) {
            const auto x = nlohmann::json::parse(l);
            if (x.at("exporter") != "192.0.2.41") continue;
            truth.emplace_back(std::to_string(x.at("vrf_in_id").get<unsigned>()), std::to_string(x.at("vrf_out_id").get<unsigned>()));
            vrfs.insert(truth.back().first);
            vrfs.insert(truth.back().second);
        }
        EXPECT_EQ(vrfs, (std::set<std::string>{"0", "10", "20"})) << dialect;
        EXPECT_GT(truth.size(), 10u) << dialect;
        EXPECT_EQ(seen, truth) << dialect;
    }
}

INSTANTIATE_TEST_SUITE_P(Dialects, DialectInTshark, ::testing::ValuesIn(test::dialect_names()),
                         [](const auto& param_info) { return test::dialect_test_name(param_info.param); });

}  // namespace
}  // namespace flowlab
