/// @brief Every fixture in tests/gen/bad/ is one mistake: the parser names its JSON pointer,
/// `flowlab scenarios validate` exits 2 with the file and pointer, and (where a schema can
/// see it) scenarios/schema.json rejects it too.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/scenario.hpp"
#include "test_support.hpp"

namespace flowlab::gen {
namespace {

struct BadCase {
    const char* file;
    const char* pointer;   ///< expected ConfigError::pointer()
    const char* fragment;  ///< a piece of the message that says what was expected
    bool schema_rejects;   ///< the schema alone can tell (types, keys, unit syntax)
};

const BadCase kCases[] = {
    {"unknown_key", "/activities/0/sise", "unknown key \"sise\"", true},
    {"negative_rate", "/activities/0/rate", "expected a rate of events", true},
    {"cidr_too_small", "/hosts/pcs/count", "is too small: 20 hosts", false},
    {"exporter_observes_nothing", "/exporters/0/observes", "observes no network; list at least one {\"network\": NAME, \"if\": N} it sees (\"vrf\": ID optional", true},
    {"exporter_vrf_not_a_number", "/exporters/0/observes/0/vrf", "expected an integer from 0 to 4294967295, got \"blue\"", true},
    {"exporter_vrf_out_of_range", "/exporters/0/observes/1/vrf", "expected an integer from 0 to 4294967295, got 4294967296", true},
    {"bad_duration_unit", "/time/duration", "unknown unit \"x\"", true},
    {"unknown_pool", "/activities/0/servers", "unknown host pool \"webfarm\"", false},
    {"missing_exporters", "/exporters", "required key is missing", true},
    {"count_not_a_number", "/hosts/pcs/count", "expected an integer", true},
    {"cidr_host_bits_set", "/networks/lan/cidr", "did you mean \"10.1.0.0/24\"", false},
    {"pools_overlap", "/hosts/printers", "overlap host pool \"pcs\"", false},
    {"uptime_overflow", "/exporters/0/boot", "sysUptime would pass 2^32 ms", false},
    {"profile_without_weekend", "/profiles/office", "no shape for Saturdays", false},
    {"window_past_midnight", "/activities/0/window/to", "from 00:00 to 24:00", true},
    {"negative_median", "/activities/0/response/median", "expected a size in bytes", true},
    {"unknown_distribution", "/activities/0/request/dist", "unknown distribution \"gauss\"", true},
    {"v5_absolute_times", "/exporters/0/time_style", "sysUptime only", false},
    // The entry as written: "observes" is kept sorted by prefix length (dmz's /25 first).
    {"v5_vrf_unexpected", "/exporters/0/observes/1/vrf", "NetFlow v5 records have no VRF field; leave \"vrf\" out", false},
    {"v5_interface_too_large", "/exporters/0/observes/1/if", "v5 carries 16-bit interface indexes: at most 65535", false},
    {"fault_unknown_kind", "/faults/1/fault", "unknown fault \"smash\"", true},
    {"fault_unknown_exporter", "/faults/0/exporter", "no exporter \"gateway\" (the scenario has gw)", false},
    {"fault_withdraw_v9", "/faults/0", "fault template_withdraw does not apply to exporter gw (v9)", false},
    {"fault_reuse_own_domain", "/faults/0/by", "another observation domain than the exporter's own: gw exports domain 5", false},
    {"fault_short_set_incorrect", "/faults/0/by", "expected a set length from 1 to 3", false},
    {"scan_after_end", "/activities/1/start", "outside the scenario's span", false},
    {"duplicate_activity", "/activities/1/name", "duplicate activity name", false},
    {"no_common_family", "/activities/0/servers", "share no address family", false},
    {"collector_family_mismatch", "/exporters/0/address", "differs from the collector's", false},
    {"time_without_zone", "/time/start", "no zone", true},
    {"probability_over_100", "/activities/0/v6_share", "at most 100%", false},
    {"syntax_error", "", ":5:47: invalid JSON: syntax error", true},
    {"duplicate_key", "/activities/0/rate", "appears twice", false},
    {"answer_unknown_activity", "/lesson/answer/from_truth/activity", "unknown activity \"browsnig\"; defined: browsing", false},
    {"answer_totals_without_customers", "/lesson/answer/from_truth/totals/by", "need networks with a \"customer\" label", false},
};

std::string bad_dir() { return test::source_dir() + "/tests/gen/bad"; }

TEST(BadScenarios, EveryFixtureIsListedAndThereAreAtLeastTen) {
    std::set<std::string> listed;
    for (const auto& c : kCases) listed.insert(std::string(c.file) + ".json");
    std::set<std::string> present;
    for (const auto& e : std::filesystem::directory_iterator(bad_dir())) present.insert(e.path().filename().string());
    EXPECT_EQ(listed, present) << "a fixture in tests/gen/bad is not covered by kCases, or the reverse";
    EXPECT_GE(present.size(), 10u);
}

class BadScenario : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadScenario, ParserNamesThePointer) {
    const BadCase& c = GetParam();
    const std::string path = bad_dir() + "/" + c.file + ".json";
    try {
        load_scenario(path, {});
        FAIL() << path << " was accepted";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), path);
        EXPECT_EQ(e.pointer(), c.pointer) << e.what();
        EXPECT_NE(std::string(e.what()).find(c.fragment), std::string::npos) << e.what();
    }
}

TEST_P(BadScenario, ValidateCommandExitsTwo) {
    const BadCase& c = GetParam();
    const std::string path = bad_dir() + "/" + c.file + ".json";
    const auto r = test::run({test::flowlab_bin(), "scenarios", "validate", path});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    // file:line:column: pointer: what
    const std::string where = std::string(c.pointer).empty() ? ": " : ": " + std::string(c.pointer) + ": ";
    const auto at = r.err.find(path + ":");
    ASSERT_NE(at, std::string::npos) << r.err;
    const std::regex place(R"(^:\d+:\d+)" + where);
    EXPECT_TRUE(std::regex_search(r.err.substr(at + path.size()), place)) << r.err;
    EXPECT_NE(r.err.find(c.fragment), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BadScenario, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<BadCase>& i) { return std::string(i.param.file); });

TEST(BadScenarios, ValidateReportsEveryFileThenFails) {
    const std::string good = test::source_dir() + "/scenarios/example-office.json";
    const auto r = test::run({test::flowlab_bin(), "scenarios", "validate", bad_dir() + "/unknown_key.json", good,
                              bad_dir() + "/cidr_too_small.json"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.out.find("example-office.json: ok"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("unknown_key.json"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cidr_too_small.json"), std::string::npos) << r.err;
}

TEST(BadScenarios, ValidateUsageErrors) {
    EXPECT_EQ(test::run({test::flowlab_bin(), "scenarios", "validate"}).exit_code, 2);
    EXPECT_EQ(test::run({test::flowlab_bin(), "scenarios"}).exit_code, 2);
    const auto r = test::run({test::flowlab_bin(), "scenarios", "validate", "/nonexistent/x.json"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no such scenario file"), std::string::npos) << r.err;
}

}  // namespace

// Used by schema_test.cpp: the fixtures a schema must reject.
std::vector<std::string> schema_rejected_fixtures() {
    std::vector<std::string> out;
    for (const auto& c : kCases)
        if (c.schema_rejects) out.push_back(bad_dir() + "/" + c.file + ".json");
    return out;
}

}  // namespace flowlab::gen
