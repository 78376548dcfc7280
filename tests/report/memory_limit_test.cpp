/// @brief `flowlab report --memory-limit`: an input whose span is known is refused before it is
/// read when its aggregation could need more, any input stops the report once its aggregation
/// grows past the limit, nothing is written either way (exit 2), and the summary states the
/// aggregation's and the process's peak.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.hpp"

namespace flowlab {
namespace {

namespace fs = std::filesystem;
using test::run;

class ReportMemory : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new test::TempDir();
        const auto g = run({test::flowlab_bin(), "gen", test::source_dir() + "/scenarios/example-office.json", "-o",
                            *dir_ / "gen", "--start", "2024-03-05T08:00:00Z", "--duration", "2h", "--no-progress"});
        ASSERT_EQ(g.exit_code, 0) << g.err;
    }
    static void TearDownTestSuite() { delete dir_; }
    static std::string out(const std::string& name) { return *dir_ / name; }
    /// Nothing named after the page, not even a temporary file.
    static void expect_nothing_written(const std::string& page) {
        for (const auto& e : fs::directory_iterator(dir_->path()))
            EXPECT_EQ(e.path().filename().string().find(page), std::string::npos) << e.path();
    }
    static test::TempDir* dir_;
};
test::TempDir* ReportMemory::dir_ = nullptr;

TEST_F(ReportMemory, TheSummaryStatesThePeaks) {
    const auto r = run({test::flowlab_bin(), "report", *dir_ / "gen", "-o", out("ok.html"), "--no-progress"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("aggregation held at most"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("peak memory"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(out("ok.html")));
}

TEST_F(ReportMemory, AKnownSpanIsRefusedBeforeReading) {
    const auto r = run({test::flowlab_bin(), "report", *dir_ / "gen", "-o", out("refused.html"), "--memory-limit", "200k",
                        "--no-progress"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("could need up to"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--memory-limit"), std::string::npos) << r.err;
    expect_nothing_written("refused.html");
}

TEST_F(ReportMemory, AnUnknownSpanStopsWhenTheAggregationGrowsPastTheLimit) {
    // A collector's output alone: no span ahead, so the account stops it while reading.
    const auto r = run({test::flowlab_bin(), "report", "--collected", "flowlab:" + (*dir_ / "gen/truth/records.csv"),
                        "-o", out("stopped.html"), "--memory-limit", "200k", "--no-progress"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("aggregation holds"), std::string::npos) << r.err;
    expect_nothing_written("stopped.html");
}

TEST_F(ReportMemory, ALimitThatIsNotASizeIsAUsageError) {
    const auto r = run({test::flowlab_bin(), "report", *dir_ / "gen", "-o", out("bad.html"), "--memory-limit", "lots"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--memory-limit"), std::string::npos) << r.err;
    expect_nothing_written("bad.html");
}

}  // namespace
}  // namespace flowlab
