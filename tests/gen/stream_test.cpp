/// @brief The merged conversation stream: order, packet invariants, determinism, independence
/// of activities, the --start/--duration/--scale/--seed options, bounded memory.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/sha256.hpp"
#include "flowlab/gen/traffic_source.hpp"
#include "test_support.hpp"

namespace flowlab::gen {
namespace {

Scenario example(const char* name) { return load_scenario(test::source_dir() + "/scenarios/" + name + ".json", {}); }

/// A digest of everything a conversation carries, per activity and overall.
struct StreamDigest {
    Sha256 all;
    std::map<std::uint32_t, Sha256> per_activity;
    std::map<std::uint32_t, std::uint64_t> count;
    std::uint64_t n = 0;
    void add(const Conversation& c, const std::string& activity_name) {
        const auto feed = [&](Sha256& h, bool with_id) {
            if (with_id) h.update(&c.id, sizeof c.id);
            h.update(activity_name);
            h.update(c.key.src.bytes().data(), 16);
            h.update(c.key.dst.bytes().data(), 16);
            const std::uint16_t ports[2] = {c.key.sport, c.key.dport};
            h.update(ports, sizeof ports);
            h.update(&c.key.proto, 1);
            h.update(&c.key.tos, 1);
            for (const Burst& b : c.bursts) {
                h.update(&b.start_us, 8);
                h.update(&b.end_us, 8);
                h.update(&b.packets, 8);
                h.update(&b.bytes, 8);
                h.update(&b.tcp_flags, 1);
            }
        };
        feed(all, true);
        feed(per_activity[c.activity], false);
        ++count[c.activity];
        ++n;
    }
};

StreamDigest digest(const Scenario& s, const SourceOptions& o = {}) {
    TrafficSource src(s, o);
    StreamDigest d;
    Conversation c;
    while (src.next(c)) d.add(c, s.activities[c.activity].name);
    return d;
}

TEST(Stream, OrderedExactAndBoundedOnBothExamples) {
    for (const char* name : {"example-office", "example-incidents"}) {
        SCOPED_TRACE(name);
        const Scenario s = example(name);
        SourceOptions o;
        o.duration_us = 12 * kUsPerHour;  // keep the test quick; the benchmark runs whole spans
        TrafficSource src(s, o);
        Conversation c;
        std::int64_t last = src.start_us();
        std::uint64_t expect_id = 0;
        std::size_t max_pending = 0;
        std::map<std::uint32_t, std::uint64_t> per_activity;
        while (src.next(c)) {
            ASSERT_EQ(c.id, expect_id++);
            ASSERT_LT(c.activity, s.activities.size());
            ASSERT_FALSE(c.bursts.empty());
            ASSERT_GE(c.start_us(), last);
            last = c.start_us();
            ASSERT_LT(c.start_us(), src.end_us() + kUsPerMinute);
            ASSERT_EQ(c.key.src.is_v4(), c.key.dst.is_v4());
            ASSERT_TRUE(c.key.src.is_set());
            const std::uint64_t min_packet = (c.key.src.is_v6() ? 40u : 20u) + (c.key.proto == 6 ? 20u : 8u);
            for (std::size_t i = 0; i < c.bursts.size(); ++i) {
                const Burst& b = c.bursts[i];
                ASSERT_GE(b.packets, 1u);
                ASSERT_GE(b.end_us, b.start_us);
                if (i > 0) {
                    ASSERT_GT(b.start_us, c.bursts[i - 1].end_us);
                }
                ASSERT_GE(b.bytes / b.packets, min_packet);
                ASSERT_LE((b.bytes + b.packets - 1) / b.packets, 1500u);
            }
            ++per_activity[c.activity];
            max_pending = std::max(max_pending, src.pending());
        }
        EXPECT_EQ(src.emitted(), expect_id);
        // Memory holds what one arrival produces and what waits for an earlier start, not the span.
        EXPECT_LT(max_pending, 100u);
        EXPECT_GT(per_activity.size(), 2u);
    }
}

TEST(Stream, SameSeedSameStreamOtherSeedOtherStream) {
    const Scenario s = example("example-incidents");
    SourceOptions o;
    o.duration_us = 6 * kUsPerHour;
    StreamDigest a = digest(s, o), b = digest(s, o);
    const std::string ha = a.all.hex();
    EXPECT_EQ(ha, b.all.hex());
    EXPECT_GT(a.n, 1000u);
    o.seed = s.seed + 1;
    StreamDigest c = digest(s, o);
    EXPECT_NE(ha, c.all.hex());
    // The seed changes the details, not the model: similar volumes.
    EXPECT_NEAR(static_cast<double>(c.n), static_cast<double>(a.n), 0.1 * static_cast<double>(a.n));
}

TEST(Stream, AddingOrReorderingActivitiesLeavesTheOthersAlone) {
    const Scenario full = example("example-office");
    Json doc = full.document;
    // Drop "tokyo-browsing" and move "name-lookups" to the front.
    Json acts = Json::array();
    for (const auto& a : doc["activities"])
        if (a["name"] == "name-lookups") acts.push_back(a);
    for (const auto& a : doc["activities"])
        if (a["name"] != "name-lookups" && a["name"] != "tokyo-browsing") acts.push_back(a);
    doc["activities"] = acts;
    const Scenario fewer = parse_scenario(doc, "fewer.json");
    SourceOptions o;
    o.duration_us = 8 * kUsPerHour;
    StreamDigest a = digest(full, o), b = digest(fewer, o);
    for (const auto& act : fewer.activities) {
        const auto i = static_cast<std::uint32_t>(full.find_activity(act.name));
        const auto j = static_cast<std::uint32_t>(fewer.find_activity(act.name));
        EXPECT_EQ(a.count[i], b.count[j]) << act.name;
        EXPECT_EQ(a.per_activity[i].hex(), b.per_activity[j].hex()) << act.name;
    }
}

TEST(Stream, WindowAndScaleOptions) {
    const Scenario s = example("example-office");
    SourceOptions o;
    o.start_us = parse_time("2024-03-05T08:00:00Z");
    o.duration_us = 2 * kUsPerHour;
    std::map<std::string, double> n1, n2;
    {
        TrafficSource src(s, o);
        EXPECT_EQ(src.start_us(), *o.start_us);
        EXPECT_EQ(src.end_us(), *o.start_us + 2 * kUsPerHour);
        Conversation c;
        while (src.next(c)) {
            ASSERT_GE(c.start_us(), src.start_us());
            ASSERT_LT(c.start_us(), src.end_us() + kUsPerMinute);
            n1[s.activities[c.activity].name] += 1;
        }
    }
    o.scale = 2.0;
    {
        TrafficSource src(s, o);
        EXPECT_DOUBLE_EQ(src.scale(), 2.0);
        Conversation c;
        while (src.next(c)) n2[s.activities[c.activity].name] += 1;
    }
    // Web and DNS arrivals double; the noise is the same in both runs (same bins, same seed).
    for (const char* a : {"browsing", "name-lookups"}) {
        ASSERT_GT(n1[a], 1000) << a;
        EXPECT_NEAR(n2[a] / n1[a], 2.0, 0.1) << a;
    }
}

TEST(Stream, BadOptions) {
    const Scenario s = example("example-office");
    SourceOptions o;
    // The run is checked as `scenarios validate` checks it (check_run), before any work.
    o.scale = 0;
    EXPECT_THROW(TrafficSource(s, o), ScenarioErrors);
    o.scale = 1;
    o.duration_us = 0;
    try {
        TrafficSource src(s, o);
        FAIL();
    } catch (const ScenarioErrors& e) {
        ASSERT_EQ(e.errors().size(), 1u);
        EXPECT_EQ(e.errors()[0].pointer(), "/time/duration");
        EXPECT_NE(std::string(e.what()).find("(--duration)"), std::string::npos) << e.what();
    }
    o.duration_us = 60 * kUsPerDay;  // the v9 exporter booted 12 days before: sysUptime would wrap
    try {
        TrafficSource src(s, o);
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.pointer(), "/exporters/1/boot");
    }
}

}  // namespace
}  // namespace flowlab::gen
