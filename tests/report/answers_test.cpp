/// @brief The event marks of report --answers without a browser: backups every night for half
/// a year are capped at kMaxEventMarks with a note, in order and labelled; a scenario file that
/// changed since the run gives a note and no marks.
#include <gtest/gtest.h>

#include "answers.hpp"
#include "flowlab/gen/activity_windows.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/units.hpp"
#include "test_support.hpp"

namespace flowlab::report {
namespace {

using nlohmann::json;

constexpr const char* kScenario = R"({
  "name": "nightly", "summary": "backups every night",
  "time": {"start": "2024-01-01T00:00:00Z", "duration": "1d"},
  "networks": {"a": {"cidr": "10.1.0.0/24"}, "s": {"cidr": "10.2.0.0/24"}},
  "hosts": {"pcs": {"network": "a", "count": 2}, "store": {"network": "s", "count": 1}},
  "activities": [
    {"name": "browsing", "kind": "web", "clients": "pcs", "servers": "store", "rate": "1/h"},
    {"name": "backup", "kind": "bulk", "clients": "pcs", "servers": "store", "bandwidth": "100Mbps", "size": "100MB",
     "schedule": {"at": "02:00", "stagger": "3m"}}],
  "exporters": [{"name": "g", "protocol": "ipfix", "address": "192.0.2.1", "observes": [{"network": "a", "if": 1}]}]
})";

struct GenDir {
    test::TempDir dir;
    json manifest;
    explicit GenDir(std::int64_t days) {
        test::write_file(dir / "nightly.json", kScenario);
        const gen::Scenario s = gen::load_scenario(dir / "nightly.json", {});
        const std::int64_t start_ms = s.start_us / 1000;
        manifest = {{"scenario", {{"name", "nightly"}, {"sha256", s.sha256}}},
                    {"seed", s.seed},
                    {"scale", 1.0},
                    {"span", {{"start_ms", start_ms}, {"end_ms", start_ms + days * 86'400'000}}}};
    }
};

TEST(EventMarks, HalfAYearOfNightlyBackupsIsCappedWithANote) {
    GenDir r(200);
    std::vector<std::string> notes;
    const json marks = detail::event_marks(r.manifest, {r.dir.path().string()}, notes);
    ASSERT_EQ(marks.size(), detail::kMaxEventMarks);
    for (std::size_t i = 0; i < marks.size(); ++i) {
        EXPECT_EQ(marks[i]["kind"], "event");
        EXPECT_EQ(marks[i]["label"], "backup (bulk)");
        // Night i: 02:00 plus the first client's start (no jitter), one window a night.
        EXPECT_EQ(marks[i]["start_ms"], 1704067200000 + static_cast<std::int64_t>(i) * 86'400'000 + 2 * 3'600'000);
        EXPECT_LT(marks[i]["end_ms"].get<std::int64_t>(), marks[i]["start_ms"].get<std::int64_t>() + 3'600'000);
    }
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(notes[0], "only the first 100 windows of backup are marked; 100 more are not");
}

TEST(EventMarks, AFewNightsAreAllMarkedWithoutANote) {
    GenDir r(3);
    std::vector<std::string> notes;
    const json marks = detail::event_marks(r.manifest, {r.dir.path().string()}, notes);
    EXPECT_EQ(marks.size(), 3u);
    EXPECT_TRUE(notes.empty()) << ::testing::PrintToString(notes);
    EXPECT_EQ(marks.dump().find("browsing"), std::string::npos) << "background traffic is never an event";
}

TEST(EventMarks, AChangedScenarioGivesANoteAndNoMarks) {
    GenDir r(3);
    r.manifest["scenario"]["sha256"] = std::string(64, '0');
    std::vector<std::string> notes;
    EXPECT_TRUE(detail::event_marks(r.manifest, {r.dir.path().string()}, notes).empty());
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("the scenario's events not shown"), std::string::npos) << notes[0];
}

}  // namespace
}  // namespace flowlab::report
