/// @brief Every scenarios/*.json passes both the parser and scenarios/schema.json; the schema
/// rejects the fixtures whose mistake a schema can see.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/scenario.hpp"
#include "test_support.hpp"

namespace flowlab::gen {

std::vector<std::string> schema_rejected_fixtures();

namespace {

/// Every scenario file shipped: scenarios/*.json and scenarios/<name>/scenario.json.
std::vector<std::string> shipped_scenarios() {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    const fs::path dir = fs::path(test::source_dir()) / "scenarios";
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.is_regular_file() && e.path().extension() == ".json" && e.path().filename() != "schema.json")
            out.push_back(e.path().string());
        if (e.is_directory() && fs::is_regular_file(e.path() / "scenario.json"))
            out.push_back((e.path() / "scenario.json").string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(Shipped, EveryScenarioPassesTheParser) {
    const auto files = shipped_scenarios();
    ASSERT_GE(files.size(), 2u);
    for (const auto& f : files) {
        try {
            const Scenario s = load_scenario(f, {});
            EXPECT_FALSE(s.name.empty());
        } catch (const Error& e) {
            ADD_FAILURE() << e.what();
        }
    }
}

TEST(Shipped, EveryScenarioPassesTheSchemaAndTheSchemaRejectsBadOnes) {
    if (!test::find_tool("python3")) FLOWLAB_MISSING_PACKAGE("python3 is not installed");
    const auto probe = test::run({"python3", "-c", "import jsonschema"});
    if (probe.exit_code != 0)
        FLOWLAB_MISSING_PACKAGE("python3 jsonschema is not installed (Debian package python3-jsonschema)");
    std::vector<std::string> argv{"python3", test::source_dir() + "/tests/gen/check_schema.py",
                                  test::source_dir() + "/scenarios/schema.json", "--valid"};
    for (const auto& f : shipped_scenarios()) argv.push_back(f);
    argv.push_back("--invalid");
    for (const auto& f : schema_rejected_fixtures()) argv.push_back(f);
    const auto r = test::run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace flowlab::gen
