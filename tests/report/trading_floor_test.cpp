/// @brief The trading-floor lesson's report, in headless Chromium: without --answers it gives
/// nothing away, its weekly overlay shows weeks that match, and on each day of a freeze the
/// report generator is first by flows and not by bytes; with --answers the key's episodes are
/// marked, and so are the scenario's events (nightly backups, the report generator's bursts),
/// as gen's activity_windows finds them, and nothing of them is in the student's page.
/// The same report made from nfcapd's files (the exports replayed into nfcapd here) shows the
/// tables the nfdump commands printed under them give on those files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "browser.hpp"
#include "flowlab/gen/activity_windows.hpp"
#include "flowlab/gen/units.hpp"
#include "flowlab/harness/collector.hpp"
#include "flowlab/verify/profile.hpp"
#include "reference.hpp"
#include "test_support.hpp"

namespace flowlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run;

class TradingFloor : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        browser_ = test::start_suite_browser();
        dir_ = new test::TempDir();
        const auto g = run({test::flowlab_bin(), "gen", "trading-floor", "-o", *dir_ / "gen", "--answer-key"},
                           {"FLOWLAB_SCENARIOS=" + test::source_dir() + "/scenarios"});
        ASSERT_EQ(g.exit_code, 0) << g.err;
        for (const bool answers : {false, true}) {
            std::vector<std::string> argv{test::flowlab_bin(), "report", *dir_ / "gen", "-o", *dir_ / (answers ? "teacher.html" : "student.html")};
            if (answers) argv.push_back("--answers");
            const auto r = run(argv, {"FLOWLAB_SCENARIOS=" + test::source_dir() + "/scenarios"});
            ASSERT_EQ(r.exit_code, 0) << r.err;
        }
        // The lesson's answer key as gen wrote it beside the directory: the host and the episodes.
        const json k = json::parse(test::read_file(*dir_ / "gen.answer-key.json"));
        key_ = new json(k["lesson"]["answer"]);
    }
    static void TearDownTestSuite() {
        delete browser_;  // stops chromium (by its PID) and removes its profile
        delete key_;
        delete dir_;
    }
    static std::string host() { return (*key_)["host"]; }
    /// Midnight (UTC, ms) of each day with a freeze.
    static std::vector<std::int64_t> freeze_days() {
        std::vector<std::int64_t> out;
        for (const auto& w : (*key_)["windows"]) {
            const std::int64_t ms = gen::parse_time(w["start"].get<std::string>()) / 1000;
            out.push_back(ms - ms % 86'400'000);
        }
        return out;
    }
    void SetUp() override { ASSERT_NE(browser_, nullptr) << "chromium did not start"; }
    static test::Browser* browser_;
    static test::TempDir* dir_;
    static json* key_;
};
test::Browser* TradingFloor::browser_ = nullptr;
test::TempDir* TradingFloor::dir_ = nullptr;
json* TradingFloor::key_ = nullptr;

/// Slot index of a time in the first traffic section.
std::string slot_of(std::int64_t ms) { return "flowlab.sections[0].slotOf(" + std::to_string(ms) + ")"; }

TEST_F(TradingFloor, TheStudentsReportGivesNothingAway) {
    test::Browser& b = *browser_;
    b.open(*dir_ / "student.html");
    EXPECT_TRUE(b.errors().empty()) << ::testing::PrintToString(b.errors());
    EXPECT_EQ(b.eval("JSON.stringify(flowlab.data).includes('report-generator')"), false);
    EXPECT_EQ(b.eval("flowlab.data.answers_shown"), false);
    EXPECT_EQ(b.eval("'answers' in flowlab.data.sections[0]"), false);
    EXPECT_EQ(b.eval("document.querySelectorAll('tr.answer, .answerbox').length"), 0);
    EXPECT_EQ(b.eval("flowlab.sections[0].marks.length"), 0);
    // No activity name and no event window's time anywhere in the page's data or text.
    const std::string data = b.eval("JSON.stringify(flowlab.data)");
    const std::string text = b.eval("document.body.innerText");
    const gen::Scenario s = gen::load_scenario(test::source_dir() + "/scenarios/trading-floor.json", {});
    for (const auto& a : s.activities) {
        EXPECT_EQ(data.find(a.name), std::string::npos) << a.name;
        EXPECT_EQ(text.find(a.name), std::string::npos) << a.name;
    }
    for (const auto& w : gen::activity_windows(s, {})) {
        EXPECT_EQ(data.find(std::to_string(w.start_us / 1000)), std::string::npos) << w.name;
        EXPECT_EQ(text.find(gen::format_time(w.start_us / 1'000'000 * 1'000'000).substr(11, 8)), std::string::npos) << w.name;
    }
    EXPECT_EQ(data.find("\"event\""), std::string::npos);
    EXPECT_EQ(b.eval("Chart.getChart(document.querySelector('[data-chart=main] canvas')).$flMarks.length"), 0);
    // The story and the question are there: they are public (flowlab scenarios show).
    EXPECT_NE(b.eval("document.body.innerText").get<std::string>().find("rank hosts by number of flows"), std::string::npos);
}

TEST_F(TradingFloor, EveryWeekLooksTheSameInBytes) {
    test::Browser& b = *browser_;
    b.open(*dir_ / "student.html", 1280, 1400);
    b.eval("document.querySelector('input[data-metric=bytes]').click(), true");
    const json weeks = b.eval("Chart.getChart(document.querySelector('[data-chart=week] canvas')).data.datasets.map((d) => ({label: d.label, x: d.data.map((p) => p.x), y: d.data.map((p) => p.y)}))");
    ASSERT_EQ(weeks.size(), 2u) << "two weeks from Monday 2024-02-05";
    EXPECT_EQ(weeks[0]["label"], "week of 2024-02-05");
    EXPECT_EQ(weeks[1]["label"], "week of 2024-02-12");
    // Hourly bytes of each week on the Monday-to-Sunday axis.
    std::vector<std::vector<double>> hourly(2, std::vector<double>(168, 0.0));
    for (int w = 0; w < 2; ++w)
        for (std::size_t i = 0; i < weeks[w]["x"].size(); ++i)
            hourly[w][static_cast<std::size_t>(weeks[w]["x"][i].get<double>() / 3.6e6)] += weeks[w]["y"][i].get<double>();
    auto correlation = [](const std::vector<double>& a, const std::vector<double>& c, std::size_t shift) {
        const std::size_t n = a.size();
        double ma = 0, mc = 0;
        for (std::size_t i = 0; i < n; ++i) ma += a[i], mc += c[(i + shift) % n];
        ma /= static_cast<double>(n), mc /= static_cast<double>(n);
        double sab = 0, saa = 0, scc = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double x = a[i] - ma, y = c[(i + shift) % n] - mc;
            sab += x * y, saa += x * x, scc += y * y;
        }
        return sab / std::sqrt(saa * scc);
    };
    const double same = correlation(hourly[0], hourly[1], 0), shifted = correlation(hourly[0], hourly[1], 12);
    EXPECT_GT(same, 0.95) << "the weeks do not match";
    EXPECT_LT(shifted, 0.5) << "the test cannot tell matching weeks from any two weeks";
    b.save_screenshot(test::artifact("trading-floor-weeks-bytes.png"));
}

TEST_F(TradingFloor, OnEachFreezeDayTheReportGeneratorIsFirstByFlowsAndNotByBytes) {
    test::Browser& b = *browser_;
    b.open(*dir_ / "student.html", 1280, 1400);
    const auto records = test::read_records(*dir_ / "gen/truth/records.csv");
    const auto days = freeze_days();
    ASSERT_EQ(days.size(), 4u);
    for (const std::int64_t day : days) {
        SCOPED_TRACE(gen::format_time(day * 1000));
        // The window a student picks: the day, as the tables on the page show it.
        b.eval("flowlab.sections[0].setWindow(" + slot_of(day) + ", " + slot_of(day + 86'400'000) + " - 1), true");
        const json shown = b.eval(R"JS([...document.querySelectorAll('table[data-dim=host]')].map((t) => ({
            metric: t.dataset.metric, first: t.querySelector('tr[data-key]').dataset.key,
            exact: t.parentElement.querySelector('[data-exact]').dataset.exact })))JS");
        ASSERT_EQ(shown.size(), 2u);
        EXPECT_EQ(shown[0]["metric"], "flows");
        EXPECT_EQ(shown[0]["first"], host());
        EXPECT_EQ(shown[1]["metric"], "bytes");
        EXPECT_NE(shown[1]["first"], host());
        EXPECT_EQ(shown[0]["exact"], "1");
        EXPECT_EQ(shown[1]["exact"], "1");
        // And the tables are the truth's.
        const auto ref = test::window_reference(records, day, day + 86'400'000);
        for (int dim = 0; dim < 3; ++dim)
            for (int metric = 0; metric < 2; ++metric) {
                const json t = b.eval("(() => { const T = flowlab.sections[0]; return T.table(" + std::to_string(dim) + ", '" +
                                      (metric ? "bytes" : "flows") + "', T.state.win[0], T.state.win[1], 10); })()");
                test::expect_table_matches(t, ref.dims[dim], metric, 10, "dim " + std::to_string(dim));
            }
    }
    b.eval("flowlab.sections[0].setWindow(" + slot_of(days[0]) + ", " + slot_of(days[0] + 86'400'000) + " - 1), true");
    b.save_screenshot(test::artifact("trading-floor.png"));
}

TEST_F(TradingFloor, TheTeachersReportMarksTheEpisodesAndTheHost) {
    test::Browser& b = *browser_;
    b.open(*dir_ / "teacher.html", 1280, 1400);
    EXPECT_TRUE(b.errors().empty()) << ::testing::PrintToString(b.errors());
    const json marks = b.eval("flowlab.sections[0].marks");
    std::size_t answers = 0;
    for (const auto& m : marks) answers += m["kind"] == "answer";
    EXPECT_EQ(answers, (*key_)["windows"].size()) << marks.dump();
    const auto days = freeze_days();
    b.eval("flowlab.sections[0].setWindow(" + slot_of(days[0]) + ", " + slot_of(days[0] + 86'400'000) + " - 1), true");
    EXPECT_EQ(b.eval("document.querySelector('table[data-dim=host][data-metric=flows] tr.answer').dataset.key"), host());
    b.save_screenshot(test::artifact("trading-floor-answers.png"));
}

TEST_F(TradingFloor, TheTeachersReportMarksTheScenariosEventsApartFromTheAnswer) {
    test::Browser& b = *browser_;
    b.open(*dir_ / "teacher.html", 1280, 1400);
    EXPECT_TRUE(b.errors().empty()) << ::testing::PrintToString(b.errors());
    // The page's data: one mark per window gen's activity_windows lists, labelled name (kind).
    const gen::Scenario s = gen::load_scenario(test::source_dir() + "/scenarios/trading-floor.json", {});
    const auto windows = gen::activity_windows(s, {});
    const json marks = b.eval("flowlab.data.sections[0].answers.marks.filter((m) => m.kind === 'event')");
    ASSERT_EQ(marks.size(), windows.size()) << marks.dump();
    std::map<std::string, std::size_t> per;
    for (std::size_t i = 0; i < windows.size(); ++i) {
        EXPECT_EQ(marks[i]["label"], windows[i].name + " (" + windows[i].kind + ")");
        EXPECT_EQ(marks[i]["activity"], windows[i].name);
        EXPECT_EQ(marks[i]["activity_kind"], windows[i].kind);
        EXPECT_EQ(marks[i]["start_ms"], windows[i].start_us / 1000);
        EXPECT_EQ(marks[i]["end_ms"], (windows[i].end_us + 999) / 1000);
        ++per[windows[i].name];
    }
    EXPECT_EQ(per["nightly-backup"], 14u) << "every night of two weeks";
    EXPECT_EQ(per["report-generator"], (*key_)["windows"].size()) << "the bursts are the answer's episodes";
    EXPECT_EQ(per.size(), 2u) << "no mark for the always-on desks and browsing";
    // Each answer episode lies within a report-generator window.
    for (const auto& e : (*key_)["windows"]) {
        const std::int64_t a = gen::parse_time(e["start"].get<std::string>()) / 1000;
        bool inside = false;
        for (const auto& m : marks)
            inside |= m["activity"] == "report-generator" && m["start_ms"].get<std::int64_t>() <= a + 999 &&
                      a <= m["end_ms"].get<std::int64_t>();
        EXPECT_TRUE(inside) << e.dump();
    }
    EXPECT_NE(b.eval("document.querySelector('[data-role=events]').textContent").get<std::string>().find("nightly-backup (bulk): 14 windows"),
              std::string::npos);
    // The chart draws them: on the first night's window, the detail chart shades the backup in
    // the events' purple, apart from the answer's red and from the unshaded chart.
    const std::int64_t night = marks[0]["start_ms"].get<std::int64_t>();
    ASSERT_EQ(marks[0]["activity"], "nightly-backup");
    const std::int64_t day = night - night % 86'400'000;
    b.eval("flowlab.sections[0].setWindow(" + slot_of(day) + ", " + slot_of(day + 86'400'000) + " - 1), true");
    const json drawn = b.eval(R"JS((() => {
        const c = Chart.getChart(document.querySelector('[data-chart=detail] canvas'));
        const ctx = c.canvas.getContext('2d'), r = c.currentDevicePixelRatio, y = c.chartArea.top + 1;
        const px = (x) => [...ctx.getImageData(Math.round(x * r), Math.round(y * r), 1, 1).data];
        const m = c.$flMarks.find((m) => m.kind === 'event');
        return { marks: c.$flMarks, inside: m ? px((m.x0 + m.x1) / 2) : null, before: m ? px(m.x0 - 6) : null };
    })())JS");
    ASSERT_FALSE(drawn["inside"].is_null()) << drawn.dump();
    EXPECT_EQ(drawn["marks"][0]["label"], "nightly-backup (bulk)");
    // The canvas is transparent where nothing is drawn (RGBA, not premultiplied); the selected
    // window is a light blue (11, 98, 164), the events' bands purple (123, 31, 162), the
    // answer's red (207, 34, 46). Inside the band: more covered than just before it, about as
    // much red as green (the window's blue alone has far more green), and far more blue than
    // red (not the answer's red).
    const auto& in = drawn["inside"];
    const auto& before = drawn["before"];
    const auto v = [](const json& p, int i) { return p[static_cast<std::size_t>(i)].get<int>(); };
    EXPECT_GT(v(in, 3), v(before, 3)) << "shaded; " << drawn.dump();
    EXPECT_GT(v(in, 0), v(in, 1) - 20) << "purple, not the window's blue alone; " << drawn.dump();
    EXPECT_GT(v(in, 2), v(in, 0) + 50) << "not the answer's red; " << drawn.dump();
    b.save_screenshot(test::artifact("trading-floor-events.png"));
}

/// One nfdump -s table as key -> (flows, bytes).
test::KeyValues nfdump_table(const std::vector<std::string>& command, const std::string& stat) {
    std::vector<std::string> argv = command;
    const bool record = stat == "record";
    if (record) argv.insert(argv.end(), {"-N", "-q", "-o", "fmt:%sa|%da|%fl|%byt"});
    else argv.insert(argv.end(), {"-o", "csv"});
    const auto r = run(argv, {"TZ=UTC"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    test::KeyValues out;
    std::istringstream in(r.out);
    std::string line;
    auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(' '));
        s.erase(s.find_last_not_of(' ') + 1);
        return s;
    };
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ls(line);
        for (std::string x; std::getline(ls, x, record ? '|' : ',');) f.push_back(trim(x));
        if (record) {
            if (f.size() == 4) out[f[0] + " \u2192 " + f[1]] = {std::stoull(f[2]), std::stoull(f[3])};
        } else if (f.size() >= 10 && !f[0].empty() && std::isdigit(static_cast<unsigned char>(f[0][0]))) {
            out[f[4]] = {std::stoull(f[5]), std::stoull(f[9])};  // val, fl, ..., ibyt
        }
    }
    return out;
}

std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

TEST_F(TradingFloor, TablesFromNfcapdFilesAreWhatTheNfdumpCommandsShownUnderThemPrint) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    FLOWLAB_REQUIRE_TOOL("nfdump");
    // nfcapd's files of the lesson: its exports replayed into an nfcapd started here.
    harness::CollectorRunOptions co;
    co.dir = *dir_ / "nfcapd";
    harness::CollectorRun nfcapd(verify::load_profile(test::source_dir() + "/verify/collectors/nfcapd.json"), co);
    const auto rp = run({test::flowlab_bin(), "replay", *dir_ / "gen/exports.pcap", "--to", "127.0.0.1:" + std::to_string(nfcapd.port()),
                         "--pps", "40000"});
    ASSERT_EQ(rp.exit_code, 0) << rp.err;
    const verify::CollectedSpec spec = nfcapd.finish();
    const auto r = run({test::flowlab_bin(), "report", "--collected", "nfdump:" + spec.path, "-o", *dir_ / "nfcapd.html"});
    ASSERT_EQ(r.exit_code, 0) << r.err;

    test::Browser& b = *browser_;
    b.open(*dir_ / "nfcapd.html", 1280, 1400);
    EXPECT_TRUE(b.errors().empty()) << ::testing::PrintToString(b.errors());
    const auto days = freeze_days();
    const std::int64_t episode = gen::parse_time((*key_)["windows"][0]["start"].get<std::string>()) / 1000;
    const std::int64_t slot = episode - episode % 300'000;
    // A freeze day (exact), one slot of the freeze (exact), the freeze (its 5-minute slots), all.
    const std::vector<std::pair<std::int64_t, std::int64_t>> windows = {
        {days[0], days[0] + 86'400'000}, {slot, slot + 300'000}, {slot, slot + 1'200'000}, {0, 0}};
    std::size_t exact = 0;
    for (const auto& [a, e] : windows) {
        const std::string set = a == 0 ? "flowlab.sections[0].setWindow(0, 1e9)"
                                       : "flowlab.sections[0].setWindow(" + slot_of(a) + ", " + slot_of(e) + " - 1)";
        b.eval(set + ", true");
        const json commands = b.eval("[...document.querySelectorAll('[data-role=tables] code.cmd')].map((c) => c.textContent)");
        ASSERT_EQ(commands.size(), 6u);
        for (int dim = 0; dim < 3; ++dim)
            for (int metric = 0; metric < 2; ++metric) {
                // The command exactly as shown (without its TZ=UTC, which goes into the environment).
                std::vector<std::string> argv = words(commands[dim * 2 + metric].get<std::string>());
                ASSERT_EQ(argv.front(), "TZ=UTC");
                argv.erase(argv.begin());
                ASSERT_EQ(argv[2], spec.path) << "the command names the directory the data came from";
                const std::string stat = dim == 0 ? "ip" : dim == 1 ? "port" : "record";
                const std::vector<std::string> shown = argv;
                argv[argv.size() - 1] = "0";  // -n 0: every key, for the bounds
                const test::KeyValues all = nfdump_table(argv, stat);
                const json t = b.eval("(() => { const T = flowlab.sections[0]; return T.table(" + std::to_string(dim) + ", '" +
                                      (metric ? "bytes" : "flows") + "', T.state.win[0], T.state.win[1], 10); })()");
                const std::string what = commands[dim * 2 + metric].get<std::string>();
                test::expect_table_matches(t, all, metric, 10, what);
                if (t["exact"].get<bool>()) {
                    ++exact;
                    const test::KeyValues top = nfdump_table(shown, stat);  // the command as shown
                    // The page's rows are nfdump's rows (keys tied at the last place may differ).
                    EXPECT_EQ(t["rows"].size(), top.size()) << what;
                    std::vector<std::uint64_t> page_values, nfdump_values;
                    for (const auto& row : t["rows"]) page_values.push_back(row[metric ? "bytes" : "flows"]);
                    for (const auto& [k, v] : top) nfdump_values.push_back(v[metric]);
                    std::sort(nfdump_values.rbegin(), nfdump_values.rend());
                    EXPECT_EQ(page_values, nfdump_values) << what;
                }
            }
    }
    EXPECT_GE(exact, 12u) << "the day and the slot are exact in every table";
    b.save_screenshot(test::artifact("trading-floor-nfcapd.png"));
}

}  // namespace
}  // namespace flowlab
