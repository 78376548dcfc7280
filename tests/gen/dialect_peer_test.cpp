/// @brief Every exporter dialect's exports, field by field, in tshark's cflow dissector: each
/// record tshark shows is one flowlab decoded from the same bytes, each field at the same
/// offset with the same value (and flowlab's decoding equals the truth: dialect_test).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dialects.hpp"
#include "test_support.hpp"
#include "tshark_elements.hpp"

namespace flowlab {
namespace {

class DialectInTshark : public ::testing::TestWithParam<std::string> {};

TEST_P(DialectInTshark, EveryFieldAgrees) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    test::TempDir tmp;
    // example-office samples 1 in 10 on one exporter, so the options records (sampler tables, PSAMP, 160) are compared too.
    for (const char* scenario : {"dual-stack", "example-office"}) {
        const std::string out = tmp / scenario;
        const auto r = test::run({test::flowlab_bin(), "gen", scenario, "-o", out, "--dialect", GetParam(), "--duration", "3m"});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        const auto c = test::compare_with_tshark(out + "/exports.pcap", {"-d", "udp.port==2055,cflow"});
        EXPECT_GT(c.tshark_records, 0u) << scenario;
        EXPECT_EQ(c.tshark_records, c.flowlab_records) << scenario;
        EXPECT_GT(c.values, 0u) << scenario;
        for (const auto& p : c.problems) ADD_FAILURE() << scenario << ": " << p;
    }
}

INSTANTIATE_TEST_SUITE_P(Dialects, DialectInTshark, ::testing::ValuesIn(test::dialect_names()),
                         [](const auto& param_info) { return test::dialect_test_name(param_info.param); });

}  // namespace
}  // namespace flowlab
