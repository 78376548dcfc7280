/// @brief Every exporter dialect's exports, field by field, in tshark's cflow dissector: each
/// record tshark shows is one flowlab decoded from the same bytes, each field at the same
/// offset with the same value (and flowlab's decoding equals the truth: dialect_test).
/// tshark stops reading a NetFlow v9 message after the header's count of records, so dialects
/// whose count is not RFC 3954's (pflow v9: 1, softflowd: data records only) are compared with
/// the RFC count, and a separate test shows what tshark misses with the exporter's.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dialects.hpp"
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

INSTANTIATE_TEST_SUITE_P(Dialects, DialectInTshark, ::testing::ValuesIn(test::dialect_names()),
                         [](const auto& param_info) { return test::dialect_test_name(param_info.param); });

}  // namespace
}  // namespace flowlab
