/// @brief `flowlab report --memory-limit`: an input whose span is known is refused before it is
/// read when its aggregation and page could need more, any input stops the report once what it
/// holds (aggregation and page's data) grows past the limit, nothing is written either way
/// (exit 2), and the summary states what it held, the process's peak and, where every span is
/// known, a bound of that peak which holds.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <regex>

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

/// A size the summary states after `label`, e.g. "peak memory 33.5 MB"; -1 when absent.
double stated(const std::string& text, const std::string& label) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(label + R"( ([0-9.]+) (bytes|kB|MB|GB))"))) return -1;
    const double scale = m[2] == "GB" ? 1e9 : m[2] == "MB" ? 1e6 : m[2] == "kB" ? 1e3 : 1;
    return std::stod(m[1].str()) * scale;
}

TEST_F(ReportMemory, TheSummaryStatesWhatTheReportHeldAndTheBound) {
    const auto r = run({test::flowlab_bin(), "report", *dir_ / "gen", "-o", out("held.html"), "--no-progress"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_GT(stated(r.err, "aggregation and page held at most"), stated(r.err, "aggregation held at most")) << r.err;
    EXPECT_GT(stated(r.err, R"(\(bound)"), 0) << r.err;
    // A collector's data alone has no span ahead: no bound is stated.
    const auto c = run({test::flowlab_bin(), "report", "--collected", "flowlab:" + (*dir_ / "gen/truth/records.csv"), "-o",
                        out("held-collected.html"), "--no-progress"});
    ASSERT_EQ(c.exit_code, 0) << c.err;
    EXPECT_GT(stated(c.err, "aggregation and page held at most"), 0) << c.err;
    EXPECT_LT(stated(c.err, R"(\(bound)"), 0) << c.err;
}

// The bound is an upper bound of the process's peak (VmHWM, which the summary states) on the
// trading floor and on random spans, scales and candidate counts of the canned scenarios.
TEST_F(ReportMemory, TheStatedPeakNeverExceedsTheStatedBound) {
#if defined(__SANITIZE_ADDRESS__)
    // ASan's shadow memory and quarantine multiply what stays resident; the bound is for the
    // build users run.
    GTEST_SKIP() << "the bound is for a build without AddressSanitizer";
#endif
    struct Case {
        std::string scenario, duration, scale, candidates;
        bool collected;
    };
    std::vector<Case> cases = {{"trading-floor", "", "1", "10", false}};
    const std::uint64_t seed = 20261206;
    std::mt19937_64 rng(seed);
    const char* scenarios[] = {"example-office", "trading-floor"};
    const char* durations[] = {"30m", "3h", "1d", "3d"};
    const char* scales[] = {"0.2", "1", "2"};
    const char* candidates[] = {"10", "40", "200"};
    for (int i = 0; i < 4; ++i)
        cases.push_back({scenarios[rng() % 2], durations[rng() % 4], scales[rng() % 3], candidates[rng() % 3], rng() % 2 == 0});
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const Case& c = cases[i];
        SCOPED_TRACE("seed " + std::to_string(seed) + ": " + c.scenario + " " + c.duration + " scale " + c.scale +
                     " candidates " + c.candidates + (c.collected ? " with its truth as collected" : ""));
        const std::string gen_dir = out("bound-gen-" + std::to_string(i));
        std::vector<std::string> g = {test::flowlab_bin(), "gen", test::source_dir() + "/scenarios/" + c.scenario + ".json",
                                      "-o", gen_dir, "--scale", c.scale, "--no-progress"};
        if (!c.duration.empty()) g.insert(g.end(), {"--duration", c.duration});
        const auto gr = run(g);
        ASSERT_EQ(gr.exit_code, 0) << gr.err;
        std::vector<std::string> rep = {test::flowlab_bin(), "report", gen_dir, "-o", out("bound-" + std::to_string(i) + ".html"),
                                        "--candidates", c.candidates, "--no-progress"};
        if (c.collected) rep.insert(rep.end(), {"--collected", "flowlab:" + gen_dir + "/truth/records.csv"});
        const auto r = run(rep);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const double peak = stated(r.err, "peak memory"), bound = stated(r.err, R"(\(bound)");
        ASSERT_GT(peak, 0) << r.err;
        ASSERT_GT(bound, 0) << r.err;
        EXPECT_LE(peak, bound) << r.err;
    }
}

// Before the page was counted, a limit above the aggregation's peak let the report through, and
// building the page then took several times the limit. Now the page's data counts with the
// aggregation, so such a limit stops the report, with nothing written.
TEST_F(ReportMemory, ALimitBetweenTheAggregationAndThePageRefuses) {
    const std::string collected = "flowlab:" + (*dir_ / "gen/truth/records.csv");
    const auto free = run({test::flowlab_bin(), "report", "--collected", collected, "-o", out("between-free.html"), "--no-progress"});
    ASSERT_EQ(free.exit_code, 0) << free.err;
    const double aggregation = stated(free.err, "aggregation held at most");
    const double whole = stated(free.err, "aggregation and page held at most");
    // The summary rounds to 0.1 MB: the limit lies clear of both.
    ASSERT_GT(whole - aggregation, 200e3) << free.err;
    const std::string limit = std::to_string(static_cast<std::uint64_t>((aggregation + whole) / 2));

    // A span unknown ahead: stopped while it is read.
    const auto r = run({test::flowlab_bin(), "report", "--collected", collected, "-o", out("between.html"), "--memory-limit",
                        limit, "--no-progress"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("more than --memory-limit"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("page"), std::string::npos) << r.err;
    expect_nothing_written("between.html");

    // A gen directory: refused before it is read, the page in the estimate.
    const auto g = run({test::flowlab_bin(), "report", *dir_ / "gen", "-o", out("between-gen.html"), "--memory-limit", limit,
                        "--no-progress"});
    EXPECT_EQ(g.exit_code, 2) << g.err;
    EXPECT_NE(g.err.find("could need up to"), std::string::npos) << g.err;
    EXPECT_NE(g.err.find("and its page"), std::string::npos) << g.err;
    expect_nothing_written("between-gen.html");
}

TEST_F(ReportMemory, ALimitThatIsNotASizeIsAUsageError) {
    const auto r = run({test::flowlab_bin(), "report", *dir_ / "gen", "-o", out("bad.html"), "--memory-limit", "lots"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--memory-limit"), std::string::npos) << r.err;
    expect_nothing_written("bad.html");
}

}  // namespace
}  // namespace flowlab
