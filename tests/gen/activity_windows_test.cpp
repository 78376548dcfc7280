/// @brief activity_windows against the truth: the conversations gen generates for the whole
/// scenario. Every conversation of an event activity lies in a window of its activity, every
/// window holds some, background activities have none, and the report generator's windows are
/// the answer key's episodes.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "flowlab/gen/activity_windows.hpp"
#include "flowlab/gen/answer_key.hpp"
#include "flowlab/gen/traffic_source.hpp"
#include "flowlab/gen/units.hpp"
#include "test_support.hpp"

namespace flowlab::gen {
namespace {

Scenario canned(const std::string& name) { return load_scenario(test::source_dir() + "/scenarios/" + name + ".json", {}); }

/// The windows of each activity, by index.
std::map<std::size_t, std::vector<ActivityWindow>> by_activity(const std::vector<ActivityWindow>& all) {
    std::map<std::size_t, std::vector<ActivityWindow>> out;
    for (const auto& w : all) out[w.activity].push_back(w);
    return out;
}

/// Checks the windows against every conversation of the run: each conversation of an event
/// activity inside exactly one window of its activity, the window's count right, nothing of
/// the background activities. Returns the windows by activity.
std::map<std::size_t, std::vector<ActivityWindow>> check_against_truth(const Scenario& s, const SourceOptions& o) {
    const auto all = activity_windows(s, o);
    EXPECT_FALSE(all.empty());
    for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].start_us, all[i].start_us) << "in order of start";
    auto windows = by_activity(all);
    for (auto& [a, ws] : windows) {
        SCOPED_TRACE(s.activities[a].name);
        EXPECT_TRUE(is_event(s.activities[a]));
        for (const auto& w : ws) {
            EXPECT_EQ(w.name, s.activities[a].name);
            EXPECT_EQ(w.kind, s.activities[a].kind());
            EXPECT_LE(w.start_us, w.end_us);
        }
        for (std::size_t i = 1; i < ws.size(); ++i) EXPECT_GT(ws[i].start_us, ws[i - 1].end_us + kEventGapUs) << "merged";
    }
    std::map<std::size_t, std::vector<std::uint64_t>> seen;  // conversations per window
    for (const auto& [a, ws] : windows) seen[a].assign(ws.size(), 0);
    TrafficSource source(s, o);
    Conversation c;
    std::uint64_t events = 0, outside = 0;
    while (source.next(c)) {
        if (!is_event(s.activities[c.activity])) continue;
        ++events;
        const auto it = windows.find(c.activity);
        if (it == windows.end()) {
            ++outside;
            continue;
        }
        const auto& ws = it->second;
        // The last window starting at or before the conversation.
        const auto w = std::upper_bound(ws.begin(), ws.end(), c.start_us(),
                                        [](std::int64_t t, const ActivityWindow& x) { return t < x.start_us; });
        if (w == ws.begin() || c.end_us() > (w - 1)->end_us) {
            ++outside;
            ADD_FAILURE() << s.activities[c.activity].name << ": conversation " << format_time(c.start_us()) << " to "
                          << format_time(c.end_us()) << " lies in no window";
            continue;
        }
        ++seen[c.activity][static_cast<std::size_t>(w - 1 - ws.begin())];
    }
    EXPECT_GT(events, 0u);
    EXPECT_EQ(outside, 0u);
    for (const auto& [a, ws] : windows)
        for (std::size_t i = 0; i < ws.size(); ++i) {
            EXPECT_GT(seen[a][i], 0u) << ws[i].name << " window " << i << " holds no conversation";
            EXPECT_EQ(seen[a][i], ws[i].conversations) << ws[i].name << " window " << i;
        }
    return windows;
}

std::size_t index_of(const Scenario& s, const std::string& name) {
    for (std::size_t i = 0; i < s.activities.size(); ++i)
        if (s.activities[i].name == name) return i;
    ADD_FAILURE() << "no activity " << name;
    return 0;
}

TEST(ActivityWindows, OnlyScheduledAndAttackKindsAreEvents) {
    const Scenario s = canned("example-office");
    for (const auto& a : s.activities) {
        const bool expected = a.name == "nightly-backup" || a.name == "report-generator";
        EXPECT_EQ(is_event(a), expected) << a.name;
    }
    const Scenario i = canned("example-incidents");
    for (const auto& a : i.activities) {
        const bool expected = a.name == "slow-scan" || a.name == "worm" || a.name == "flood";
        EXPECT_EQ(is_event(a), expected) << a.name;
    }
}

TEST(ActivityWindows, TradingFloorWeekBackupsEveryNightBurstsAreTheAnswersEpisodes) {
    const Scenario s = canned("trading-floor");
    SourceOptions o;
    o.duration_us = 7 * kUsPerDay;  // Monday 2024-02-05 to Sunday
    auto windows = check_against_truth(s, o);
    EXPECT_EQ(windows.size(), 2u) << "nightly-backup and report-generator, nothing of the desks or browsing";
    const auto& backups = windows[index_of(s, "nightly-backup")];
    ASSERT_EQ(backups.size(), 7u) << "one window a night";
    for (std::size_t d = 0; d < backups.size(); ++d) {
        // The schedule: 01:00 London (UTC+0) every day, each host 4 minutes after the one before.
        const std::int64_t one_am = s.start_us + static_cast<std::int64_t>(d) * kUsPerDay + kUsPerHour;
        EXPECT_GE(backups[d].start_us, one_am);
        EXPECT_LT(backups[d].start_us, one_am + 5 * kUsPerMinute);
        EXPECT_LT(backups[d].end_us, one_am + 12 * kUsPerHour);
    }
    // The report generator's windows are the answer key's episodes (both split at 10 minutes).
    AnswerKeyBuilder key(s, s.start_us);
    TrafficSource source(s, o);
    Conversation c;
    while (source.next(c)) key.observe(c);
    const Json episodes = key.answer()["windows"];
    const auto& bursts = windows[index_of(s, "report-generator")];
    ASSERT_EQ(bursts.size(), episodes.size());
    EXPECT_EQ(bursts.size(), 2u) << "two working days a week";
    for (std::size_t i = 0; i < bursts.size(); ++i) {
        // The key keeps milliseconds, its ends rounded up.
        EXPECT_EQ(format_time(bursts[i].start_us / 1000 * 1000), episodes[i]["start"]);
        EXPECT_EQ(format_time((bursts[i].end_us + 999) / 1000 * 1000), episodes[i]["end"]);
    }
}

TEST(ActivityWindows, ScanWormAndFloodOneWindowEachInTheirTimes) {
    Scenario s = canned("example-incidents");
    // A web activity gated to a daily window stays background traffic.
    Json doc = s.document;
    doc["activities"].push_back(Json::parse(R"({"name": "lunch-web", "kind": "web", "clients": "lab_pcs",
        "servers": "webserver", "rate": "10/min", "window": {"from": "12:00", "to": "13:00"}})"));
    s = parse_scenario(doc, "incidents+lunch.json");
    auto windows = check_against_truth(s, {});
    ASSERT_EQ(windows.size(), 3u) << "slow-scan, worm, flood; not lunch-web";
    const std::int64_t t0 = s.start_us;
    const auto& scan = windows[index_of(s, "slow-scan")];
    ASSERT_EQ(scan.size(), 1u);
    EXPECT_GE(scan[0].start_us, t0 + 2 * kUsPerHour);
    EXPECT_LT(scan[0].start_us, t0 + 2 * kUsPerHour + 5 * kUsPerMinute);
    // 2 × 256 addresses × 6 ports at one probe per 10 s: about 8.5 hours.
    EXPECT_GT(scan[0].end_us, t0 + 10 * kUsPerHour);
    EXPECT_LT(scan[0].end_us, t0 + 11 * kUsPerHour);
    const auto& worm = windows[index_of(s, "worm")];
    ASSERT_EQ(worm.size(), 1u);
    EXPECT_EQ(worm[0].start_us, parse_time("2024-05-14T13:00:00Z")) << "patient zero probes at the time of entry";
    EXPECT_GT(worm[0].end_us, t0 + kUsPerDay - 10 * kUsPerMinute) << "it goes on to the end of the span";
    const auto& flood = windows[index_of(s, "flood")];
    ASSERT_EQ(flood.size(), 1u);
    EXPECT_GE(flood[0].start_us, t0 + 20 * kUsPerHour);
    EXPECT_LE(flood[0].end_us, t0 + 20 * kUsPerHour + 21 * kUsPerMinute);
    EXPECT_GT(flood[0].conversations, 100'000u);
}

TEST(ActivityWindows, LeavingActivitiesOutChangesNoneOfTheOthersConversations) {
    const Scenario s = canned("example-incidents");
    SourceOptions only;
    only.only = {index_of(s, "slow-scan")};
    TrafficSource all(s), one(s, only);
    Conversation a, b;
    std::uint64_t n = 0;
    while (all.next(a)) {
        if (a.activity != only.only[0]) continue;
        ASSERT_TRUE(one.next(b));
        ASSERT_EQ(b.activity, a.activity);
        ASSERT_TRUE(a.key == b.key) << n;
        ASSERT_EQ(a.start_us(), b.start_us()) << n;
        ASSERT_EQ(a.end_us(), b.end_us()) << n;
        ASSERT_EQ(a.bytes(), b.bytes()) << n;
        ++n;
    }
    EXPECT_FALSE(one.next(b));
    EXPECT_GT(n, 1000u);
}

TEST(ActivityWindows, AScenarioWithoutEventsHasNoWindows) {
    EXPECT_TRUE(activity_windows(canned("dual-stack"), {}).empty());
}

}  // namespace
}  // namespace flowlab::gen
