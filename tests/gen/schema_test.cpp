/// @brief Every scenarios/*.json passes both the parser and scenarios/schema.json; the schema
/// rejects the fixtures whose mistake a schema can see.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

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

// A copy to start from keeps finding its schema: schema.json comes along, or, when another
// schema.json is already there, "$schema" names the installed one. A copy made by hand without
// the schema is validated as before, with a note that editors will not find the schema.
TEST(ScenarioCopy, TheSchemaComesAlong) {
    namespace fs = std::filesystem;
    test::TempDir dir;
    const std::vector<std::string> env{"FLOWLAB_SCENARIOS=" + test::source_dir() + "/scenarios"};
    const std::string canned = test::read_file(test::source_dir() + "/scenarios/port-scan.json");
    const std::string schema = test::read_file(test::source_dir() + "/scenarios/schema.json");

    auto r = test::run({test::flowlab_bin(), "scenarios", "copy", "port-scan", dir / "nowhere/scan.json"}, env);
    EXPECT_EQ(r.exit_code, 2) << "no directory nowhere: " << r.err;
    EXPECT_NE(r.err.find("no directory"), std::string::npos) << r.err;
    fs::create_directories(dir / "mine");
    r = test::run({test::flowlab_bin(), "scenarios", "copy", "port-scan", dir / "mine"}, env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(test::read_file(dir / "mine/port-scan.json"), canned);
    EXPECT_EQ(test::read_file(dir / "mine/schema.json"), schema);
    r = test::run({test::flowlab_bin(), "scenarios", "validate", dir / "mine/port-scan.json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("note:"), std::string::npos) << r.err;

    // Nothing is overwritten.
    r = test::run({test::flowlab_bin(), "scenarios", "copy", "port-scan", dir / "mine"}, env);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;

    // Another schema.json beside: "$schema" names flowlab's own, which exists.
    fs::create_directories(dir / "other");
    test::write_file(dir / "other/schema.json", "{\"title\": \"someone else's\"}");
    r = test::run({test::flowlab_bin(), "scenarios", "copy", "port-scan", dir / "other/scan.json"}, env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(test::read_file(dir / "other/schema.json"), "{\"title\": \"someone else's\"}");
    const auto doc = nlohmann::json::parse(test::read_file(dir / "other/scan.json"));
    const std::string named = doc.at("$schema").get<std::string>();
    EXPECT_TRUE(fs::path(named).is_absolute()) << named;
    EXPECT_EQ(test::read_file(named), schema);

    // Copied by hand, without the schema: still valid, and told.
    fs::create_directories(dir / "bare");
    test::write_file(dir / "bare/scan.json", canned);
    r = test::run({test::flowlab_bin(), "scenarios", "validate", dir / "bare/scan.json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("note: " + dir / "bare/scan.json"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("scenarios copy"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace flowlab::gen
