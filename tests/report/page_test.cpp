/// @brief Report pages opened in headless Chromium: they load without console errors and without
/// any request leaving the file, the charts draw at their size, dragging across the traffic
/// chart selects a window and the tables follow, and every number agrees with sums made here
/// from the records. Verdict, rate-sweep and conformance pages draw too. Screenshots go to
/// the build tree (tests/report/artifacts).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "browser.hpp"
#include "flowlab/core/record_format.hpp"
#include "reference.hpp"
#include "test_support.hpp"

namespace flowlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run;

/// Office hours of example-office, small enough for a unit test: a day's morning, both exporters.
class Pages : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        browser_ = test::start_suite_browser();
        dir_ = new test::TempDir();
        const auto g = run({test::flowlab_bin(), "gen", test::source_dir() + "/scenarios/example-office.json", "-o", *dir_ / "gen",
                            "--start", "2024-03-05T08:00:00Z", "--duration", "3h"});
        ASSERT_EQ(g.exit_code, 0) << g.err;
        const auto r = run({test::flowlab_bin(), "report", *dir_ / "gen", "-o", *dir_ / "office.html"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("flowlab report: " + (*dir_ / "office.html")), std::string::npos) << r.err;
        records_ = new std::vector<core::FlowRecord>(test::read_records(*dir_ / "gen/truth/records.csv"));
    }
    static void TearDownTestSuite() {
        delete browser_;  // stops chromium (by its PID) and removes its profile
        delete records_;
        delete dir_;
    }
    void SetUp() override { ASSERT_NE(browser_, nullptr) << "chromium did not start"; }
    static test::Browser* browser_;
    static test::TempDir* dir_;
    static std::vector<core::FlowRecord>* records_;
};
test::Browser* Pages::browser_ = nullptr;
test::TempDir* Pages::dir_ = nullptr;
std::vector<core::FlowRecord>* Pages::records_ = nullptr;

/// Every chart canvas of the page: its size, its box's size, and how much of its plot area is
/// painted in colour (data; the axes, grid and labels are grey).
json charts(test::Browser& b) {
    return b.eval(R"JS((() => [...document.querySelectorAll('[data-chart] canvas')].map((c) => {
        const chart = Chart.getChart(c), a = chart.chartArea, ctx = c.getContext('2d');
        const d = ctx.getImageData(a.left, a.top, a.right - a.left, a.bottom - a.top).data;
        let coloured = 0;
        for (let i = 0; i < d.length; i += 4)
          if (d[i + 3] > 0 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 40) coloured++;
        return { chart: c.parentElement.dataset.chart, width: c.clientWidth, height: c.clientHeight,
                 box_width: c.parentElement.clientWidth, box_height: c.parentElement.clientHeight,
                 coloured: coloured / (d.length / 4), datasets: chart.data.datasets.length };
      }))())JS");
}

void expect_clean(test::Browser& b, const std::string& page) {
    EXPECT_TRUE(b.errors().empty()) << ::testing::PrintToString(b.errors());
    const std::string url = "file://" + fs::absolute(page).string();
    for (const auto& r : b.requests()) EXPECT_EQ(r, url) << "a request left the page";
    EXPECT_EQ(b.eval("document.documentElement.getAttribute('data-ready')"), "1");
}

TEST_F(Pages, TrafficPageLoadsDrawsAndFollowsADragAcrossTheChart) {
    test::Browser& b = *browser_;
    b.open(*dir_ / "office.html", 1280, 1400);
    expect_clean(b, *dir_ / "office.html");
    const json c = charts(b);
    ASSERT_EQ(c.size(), 3u) << c.dump();
    const std::map<std::string, int> heights = {{"main", 320}, {"detail", 240}, {"week", 280}};
    for (const auto& x : c) {
        SCOPED_TRACE(x.dump());
        EXPECT_EQ(x["height"].get<int>(), heights.at(x["chart"]));
        EXPECT_EQ(x["width"], x["box_width"]);
        EXPECT_GT(x["width"].get<int>(), 1000);
        // Three hours fill the traffic charts; on the week's axis they are a sliver.
        EXPECT_GT(x["coloured"].get<double>(), x["chart"] == "week" ? 0.001 : 0.02) << "the chart draws (almost) nothing";
        EXPECT_GE(x["datasets"].get<int>(), 1);
    }
    b.save_screenshot(test::artifact("office-initial.png"));

    const json before = b.eval("[...document.querySelectorAll('[data-role=tables] table')].map((t) => t.innerText)");
    const std::string summary_before = b.eval("document.querySelector('[data-role=window-summary]').textContent");
    // Drag across the main chart from 40% to 55% of its plot area.
    const json g = b.eval(R"JS((() => { const c = document.querySelector('[data-chart=main] canvas'); c.scrollIntoView();
        const r = c.getBoundingClientRect(), a = Chart.getChart(c).chartArea;
        return { x0: r.left + a.left + 0.40 * (a.right - a.left), x1: r.left + a.left + 0.55 * (a.right - a.left), y: r.top + (a.top + a.bottom) / 2 }; })())JS");
    b.mouse("mousePressed", g["x0"], g["y"]);
    b.mouse("mouseMoved", (g["x0"].get<double>() + g["x1"].get<double>()) / 2, g["y"]);
    b.mouse("mouseMoved", g["x1"], g["y"]);
    b.mouse("mouseReleased", g["x1"], g["y"]);
    const json win = b.eval("flowlab.sections[0].state.win");
    const int slots = b.eval("flowlab.sections[0].slots").get<int>();
    EXPECT_NEAR(win[0].get<double>(), 0.40 * slots, 1.0) << win;
    EXPECT_NEAR(win[1].get<double>(), 0.55 * slots, 1.0) << win;
    const json after = b.eval("[...document.querySelectorAll('[data-role=tables] table')].map((t) => t.innerText)");
    EXPECT_EQ(after.size(), 6u);
    EXPECT_NE(after, before) << "the tables did not change with the window";
    EXPECT_NE(b.eval("document.querySelector('[data-role=window-summary]').textContent").get<std::string>(), summary_before);
    // The window's inputs follow, and the window chart shows it with context around.
    EXPECT_NE(b.eval("document.querySelector('[data-control=from]').value").get<std::string>(), "2024-03-05 08:00");
    b.eval("document.querySelector('input[data-metric=bytes]').click(), true");
    EXPECT_EQ(b.eval("flowlab.sections[0].state.metric").get<int>(), 2);
    expect_clean(b, *dir_ / "office.html");
    b.save_screenshot(test::artifact("office-window.png"));
}

TEST_F(Pages, SlotSumsEqualTheRecords) {
    test::Browser& b = *browser_;
    b.open(*dir_ / "office.html");
    const json sec = b.eval("(() => { const s = flowlab.data.sections[0]; return { first: s.first_slot, slots: s.slots, slot: s.slot_ms, "
                            "sources: s.sources, series: s.series, outside: s.counts.outside_span }; })()");
    std::map<std::tuple<std::string, std::int64_t, int, int>, std::uint64_t> truth, page;
    const std::int64_t slot_ms = sec["slot"], first = sec["first"], slots = sec["slots"];
    std::uint64_t outside = 0;
    for (const auto& r : *records_) {
        const int p = r.proto == 6 ? 0 : r.proto == 17 ? 1 : (r.proto == 1 || r.proto == 58) ? 2 : 3;
        const std::int64_t s = r.first_ms / slot_ms;
        if (s < first || s >= first + slots) {  // the span of the gen run is drawn, nothing else
            ++outside;
            continue;
        }
        const std::string src = r.exporter.to_string();
        truth[{src, s, p, 0}] += 1;
        truth[{src, s, p, 1}] += r.packets;
        truth[{src, s, p, 2}] += r.bytes;
    }
    for (std::size_t src = 0; src < sec["sources"].size(); ++src)
        for (int p = 0; p < 4; ++p)
            for (int m = 0; m < 3; ++m) {
                const json& a = sec["series"][src][p][m];
                for (std::size_t i = 0; i < a.size(); ++i)
                    if (a[i].get<std::uint64_t>())
                        page[{sec["sources"][src]["name"], sec["first"].get<std::int64_t>() + static_cast<std::int64_t>(i), p, m}] = a[i];
            }
    EXPECT_EQ(sec["outside"].get<std::uint64_t>(), outside);
    EXPECT_EQ(page.size(), truth.size());
    EXPECT_TRUE(page == truth) << "per-slot sums differ from records.csv";
}

TEST_F(Pages, WindowTablesEqualTheRecordsOrSayHowFarOffTheyMayBe) {
    test::Browser& b = *browser_;
    b.open(*dir_ / "office.html");
    const std::int64_t first = b.eval("flowlab.sections[0].first").get<std::int64_t>(), slots = b.eval("flowlab.sections[0].slots").get<std::int64_t>();
    const std::int64_t slot_ms = 300'000;
    // One slot, an hour, an odd range of slots, everything.
    const std::vector<std::pair<std::int64_t, std::int64_t>> windows = {{5, 5}, {12, 23}, {7, 29}, {0, slots - 1}};
    std::size_t exact = 0, tables = 0;
    for (const auto& [s, e] : windows) {
        const auto ref = test::window_reference(*records_, (first + s) * slot_ms, (first + e + 1) * slot_ms);
        for (int dim = 0; dim < 3; ++dim)
            for (int metric = 0; metric < 2; ++metric) {
                const json t = b.eval("flowlab.sections[0].table(" + std::to_string(dim) + ", '" + (metric ? "bytes" : "flows") + "', " +
                                      std::to_string(s) + ", " + std::to_string(e) + ", 10)");
                EXPECT_EQ(t["total"][0].get<std::uint64_t>(), ref.flows);
                EXPECT_EQ(t["total"][2].get<std::uint64_t>(), ref.bytes);
                test::expect_table_matches(t, ref.dims[dim], metric, 10,
                                           "slots " + std::to_string(s) + ".." + std::to_string(e) + " dim " + std::to_string(dim) + " metric " + std::to_string(metric));
                exact += t["exact"].get<bool>();
                ++tables;
            }
    }
    // The single slot and the whole hour are exact in every dimension.
    EXPECT_GE(exact, 12u) << exact << " of " << tables << " tables exact";
}

TEST_F(Pages, ResultPagesDrawVerdictsSweepsAndCards) {
    // A collector that lost 300 records and altered one: the verdict JSON verify writes.
    const std::string in = test::read_file(*dir_ / "gen/truth/records.csv");
    std::string partial;
    std::size_t line = 0, pos = 0;
    while (pos < in.size()) {
        const std::size_t nl = in.find('\n', pos);
        std::string row = in.substr(pos, nl - pos + 1);
        pos = nl + 1;
        if (line >= 2000 && line < 2300) {
            ++line;
            continue;
        }
        if (line == 4000) {  // one more byte than was exported (column 10: bytes)
            std::size_t c = 0;
            for (int k = 0; k < 10; ++k) c = row.find(',', c) + 1;
            const std::size_t end = row.find(',', c);
            row.replace(c, end - c, std::to_string(std::stoull(row.substr(c, end - c)) + 1));
        }
        partial += row;
        ++line;
    }
    test::write_file(*dir_ / "partial.csv", partial);
    auto v = run({test::flowlab_bin(), "verify", "--truth", *dir_ / "gen", "--collected", "flowlab:" + (*dir_ / "partial.csv"), "--report-json",
                  *dir_ / "verdict.json", "-q"});
    ASSERT_EQ(v.exit_code, 1) << v.out << v.err;
    v = run({test::flowlab_bin(), "verify", "--truth", *dir_ / "gen", "--collected", "flowlab:" + (*dir_ / "gen/truth/records.csv"),
             "--report-json", *dir_ / "match.json", "-q"});
    ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
    // check --rates writes an array of verdicts with the rate: two loss-free, then a lossy one.
    json sweep = json::array();
    for (const auto& [file, rate] : std::vector<std::pair<std::string, std::string>>{{"match.json", "10k pps"}, {"match.json", "20k pps"},
                                                                                      {"verdict.json", "40k pps"}}) {
        json j = json::parse(test::read_file(*dir_ / file));
        j["rate"] = rate;
        j["achieved_pps"] = std::stod(rate) * 1000;
        j["messages_sent"] = 6608;
        sweep.push_back(j);
    }
    test::write_file(*dir_ / "sweep.json", sweep.dump());
    // A conformance report card as flowlab conformance writes it, with a key this page does not know.
    const json card = {{"implementation", "nfcapd 1.7.1"}, {"suite", "flowlab-ipfix"}, {"generated_by", "test"},
                       {"cases", {{{"id", "3.1"}, {"group", "framing"}, {"title", "message length"}, {"rfc", "RFC 7011 3.1"}, {"verdict", "pass"}, {"detail", ""}, {"diffs", json::array()}},
                                  {{"id", "3.4"}, {"group", "framing"}, {"title", "set padding"}, {"rfc", "RFC 7011 3.3.1"}, {"verdict", "fail"}, {"detail", "2 records altered"},
                                   {"diffs", {{{"field", "bytes"}, {"truth", 10}, {"collected", 0}}}}},
                                  {{"id", "7.2"}, {"group", "templates"}, {"title", "withdrawal"}, {"rfc", "RFC 7011 8.1"}, {"verdict", "lost"}, {"detail", "all"}, {"diffs", json::array()}},
                                  {{"id", "9.9"}, {"group", "misc"}, {"title", "x"}, {"rfc", ""}, {"verdict", "hang"}, {"detail", ""}, {"diffs", json::array()}}}},
                       {"summary", {{"pass", 1}, {"fail", 1}, {"lost", 1}, {"hang", 1}}}};
    test::write_file(*dir_ / "card.json", card.dump());
    const auto r = run({test::flowlab_bin(), "report", *dir_ / "verdict.json", *dir_ / "sweep.json", *dir_ / "card.json", "-o", *dir_ / "results.html"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("loss-free up to 20k pps"), std::string::npos) << r.err;

    test::Browser& b = *browser_;
    b.open(*dir_ / "results.html", 1280, 1400);
    expect_clean(b, *dir_ / "results.html");
    const json c = charts(b);
    std::set<std::string> kinds;
    for (const auto& x : c) {
        kinds.insert(x["chart"]);
        EXPECT_EQ(x["width"], x["box_width"]) << x;
        EXPECT_EQ(x["height"], x["box_height"]) << x;
        EXPECT_GT(x["coloured"].get<double>(), x["chart"] == "loss" ? 0.0002 : 0.005) << x;  // the loss chart: a few points
    }
    EXPECT_EQ(kinds, (std::set<std::string>{"timeline", "exporters", "loss", "fields", "sweep", "card"}));
    EXPECT_EQ(b.eval("document.querySelector('[data-role=verdict]').textContent"), "DIFFERENT: 300 missing, 1 altered");
    EXPECT_EQ(b.eval("document.querySelector('[data-role=capacity]').textContent").get<std::string>().rfind("Capacity: no loss up to 20k pps", 0), 0u);
    EXPECT_EQ(b.eval("[...document.querySelectorAll('[data-role=matrix] .case')].map((c) => c.dataset.verdict + ':' + getComputedStyle(c).backgroundColor)"),
              json({"pass:rgb(26, 127, 55)", "fail:rgb(207, 34, 46)", "lost:rgb(232, 113, 10)", "hang:rgb(123, 31, 162)"}));
    // The lost records are located: one run of messages, on the timeline as missing.
    EXPECT_EQ(b.eval("flowlab.data.sections[0].timeline.slots.reduce((n, s) => n + s[4], 0)").get<int>(), 300);
    b.save_screenshot(test::artifact("results.png"));
}

TEST(ReportCommand, BadInputNamesTheFileAndPlaceAndWritesNothing) {
    test::TempDir dir;
    test::write_file(dir / "card.json", R"({"implementation": "x", "cases": [{"id": "1", "verdict": 3}]})");
    auto r = run({test::flowlab_bin(), "report", dir / "card.json", "-o", dir / "out.html"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(dir / "card.json"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("/cases/0/verdict: expected a string"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.html"));

    r = run({test::flowlab_bin(), "report", "-o", dir / "out.html"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("nothing to report"), std::string::npos) << r.err;

    test::write_file(dir / "bad.csv", "exporter,src\n192.0.2.1,not-an-address\n");
    r = run({test::flowlab_bin(), "report", "--collected", "flowlab:" + (dir / "bad.csv"), "-o", dir / "out.html"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("bad.csv:2"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.html"));

    r = run({test::flowlab_bin(), "report", dir / "card.json", "-o", dir / "out.html"}, {"FLOWLAB_CHARTJS=" + (dir / "missing.js")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("libjs-chart.js"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.html"));
}

}  // namespace
}  // namespace flowlab
