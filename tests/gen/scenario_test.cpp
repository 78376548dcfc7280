/// @brief Scenario parsing: what the example files turn into, defaults, address allocation,
/// calendars and profiles, exporters' view of a conversation, loading by path or name.
#include <gtest/gtest.h>

#include <cmath>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/gen_run.hpp"
#include "flowlab/gen/run_check.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/sha256.hpp"
#include "test_support.hpp"

namespace flowlab::gen {
namespace {

const Scenario& office() {
    static const Scenario s = load_scenario(test::source_dir() + "/scenarios/example-office.json", {});
    return s;
}

std::string addr(const core::IpAddress& a) { return address_text(a); }

TEST(Scenario, TopLevelAndLesson) {
    const Scenario& s = office();
    EXPECT_EQ(s.name, "example-office");
    EXPECT_EQ(s.seed, 20240304u);
    EXPECT_EQ(s.start_us, parse_time("2024-03-04T00:00:00Z"));
    EXPECT_EQ(s.duration_us, 2 * kUsPerDay);
    ASSERT_TRUE(s.lesson);
    EXPECT_NE(s.lesson->question.find("14:00"), std::string::npos);
    EXPECT_EQ(s.lesson->answer.at("host"), "10.20.2.10");
    EXPECT_EQ(s.sha256, sha256_file(s.file));
    EXPECT_EQ(addr(s.collector.address), "127.0.0.1");
    EXPECT_EQ(s.collector.port, 2055);
}

TEST(Scenario, SitesAndCalendar) {
    const Scenario& s = office();
    const Site& london = s.sites[s.find_site("london")];
    const Site& tokyo = s.sites[s.find_site("tokyo")];
    EXPECT_EQ(tokyo.utc_offset_s, 9 * 3600);
    EXPECT_EQ(london.holidays, std::vector<std::int64_t>{parse_date("2024-03-29")});
    EXPECT_EQ(tokyo.holidays, (std::vector<std::int64_t>{parse_date("2024-03-20"), parse_date("2024-03-29")}));
    EXPECT_EQ(london.day_type(parse_date("2024-03-04")), DayType::weekday);
    EXPECT_EQ(london.day_type(parse_date("2024-03-09")), DayType::weekend);
    EXPECT_EQ(london.day_type(parse_date("2024-03-29")), DayType::holiday);
    EXPECT_EQ(london.day_type(parse_date("2024-03-20")), DayType::weekday);
    EXPECT_EQ(tokyo.day_type(parse_date("2024-03-20")), DayType::holiday);
    // 2024-03-04T20:00Z is already the 5th in Tokyo.
    EXPECT_EQ(tokyo.local_day(parse_time("2024-03-04T20:00:00Z")), parse_date("2024-03-05"));
    EXPECT_EQ(tokyo.day_start(parse_date("2024-03-05")), parse_time("2024-03-04T15:00:00Z"));
}

TEST(Scenario, PoolsAreAllocatedInFileOrder) {
    const Scenario& s = office();
    const auto pool = [&](const char* n) { return s.find_pool(n); };
    EXPECT_EQ(addr(s.host_address(pool("desks"), 0, 0)), "10.20.1.10");
    EXPECT_EQ(addr(s.host_address(pool("desks"), 39, 1)), "2001:db8:20:1::31");
    // No offset: right after the previous pool on the same network.
    EXPECT_EQ(addr(s.host_address(pool("terminals"), 0)), "10.20.1.50");
    EXPECT_EQ(addr(s.host_address(pool("mainframe"), 0)), "10.20.2.5");
    // Dual-stack pool without offset: past the previous pools on *both* networks.
    EXPECT_EQ(addr(s.host_address(pool("resolver"), 0, 0)), "10.20.2.6");
    EXPECT_EQ(addr(s.host_address(pool("resolver"), 0, 1)), "2001:db8:20:2::6");
    EXPECT_EQ(addr(s.host_address(pool("reportgen"), 0)), "10.20.2.10");
    EXPECT_EQ(addr(s.host_address(pool("tokyo_desks"), 9)), "10.30.1.10");
    EXPECT_EQ(s.pools[pool("reportgen")].role, "report-generator");
    EXPECT_EQ(s.pools[pool("terminals")].role, "terminal");

    const auto h = s.find_host(parse_address("10.20.1.51"));
    EXPECT_EQ(h.pool, pool("terminals"));
    EXPECT_EQ(h.index, 1u);
    EXPECT_EQ(s.find_host(parse_address("2001:db8:20:1::31")).pool, pool("desks"));
    EXPECT_EQ(s.find_host(parse_address("10.20.1.9")).pool, kNone);
}

TEST(Scenario, ActivitiesAndDefaults) {
    const Scenario& s = office();
    const Activity& web = s.activities[s.find_activity("browsing")];
    EXPECT_EQ(web.kind(), "web");
    EXPECT_TRUE(web.is<WebSpec>());
    EXPECT_DOUBLE_EQ(web.zipf, 1.1);
    EXPECT_DOUBLE_EQ(web.v6_share, 0.3);
    EXPECT_EQ(web.ports, std::vector<std::uint16_t>{443});
    EXPECT_DOUBLE_EQ(web.arrival.rate_per_s, 2.0);
    ASSERT_TRUE(web.arrival.noise);
    EXPECT_DOUBLE_EQ(web.arrival.noise->cv, 0.15);
    EXPECT_EQ(web.clients.size(), 2u);
    const auto& ex = std::get<WebSpec>(web.spec).exchange;
    EXPECT_EQ(ex.requests.kind, Distribution::Kind::empirical);
    EXPECT_EQ(ex.response.kind, Distribution::Kind::pareto);
    EXPECT_DOUBLE_EQ(ex.response.max, 50e6);
    EXPECT_DOUBLE_EQ(ex.bandwidth_bps, 100e6);  // default

    const Activity& backup = s.activities[s.find_activity("nightly-backup")];
    const auto& b = std::get<BulkSpec>(backup.spec);
    ASSERT_TRUE(b.schedule);
    EXPECT_EQ(b.schedule->at, std::vector<std::int64_t>{90 * kUsPerMinute});
    EXPECT_EQ(b.schedule->stagger_us, 3 * kUsPerMinute);
    EXPECT_TRUE(b.schedule->days.weekday);
    EXPECT_DOUBLE_EQ(b.bandwidth_bps, 200e6);
    EXPECT_DOUBLE_EQ(b.variation, 0.1);
    EXPECT_EQ(backup.ports, std::vector<std::uint16_t>{873});

    const Activity& rep = s.activities[s.find_activity("report-generator")];
    const auto& r = std::get<BurstSpec>(rep.spec);
    EXPECT_EQ(r.per_week, 2u);
    EXPECT_EQ(r.window.from_us, 14 * kUsPerHour);
    EXPECT_EQ(r.window.to_us, 16 * kUsPerHour);
    EXPECT_EQ(s.sites[r.window.site].name, "london");
    EXPECT_DOUBLE_EQ(r.rate_per_s, 60);

    const Activity& dns = s.activities[s.find_activity("name-lookups")];
    EXPECT_EQ(dns.proto, 17);
    EXPECT_EQ(dns.ports, std::vector<std::uint16_t>{53});
    EXPECT_DOUBLE_EQ(std::get<DnsSpec>(dns.spec).unanswered, 0.01);
}

TEST(Scenario, ProfilesResolveDayTypes) {
    const Scenario& s = office();
    const Profile& p = s.profiles[s.find_profile("office_hours")];
    double slope = 0;
    std::int64_t next = 0;
    // Monday 12:15: halfway down from 1.0 (12:00) to 0.6 (12:30).
    EXPECT_NEAR(p.shape(0, false).eval(12 * kUsPerHour + 15 * kUsPerMinute, slope, next), 0.8, 1e-12);
    EXPECT_EQ(next, 12 * kUsPerHour + 30 * kUsPerMinute);
    EXPECT_LT(slope, 0);
    EXPECT_DOUBLE_EQ(p.shape(5, false).eval(12 * kUsPerHour, slope, next), 0.05);  // Saturday: weekend
    EXPECT_DOUBLE_EQ(p.shape(2, true).eval(12 * kUsPerHour, slope, next), 0.05);   // a holiday Wednesday
    const Profile& t = s.profiles[s.find_profile("tokyo_hours")];
    EXPECT_EQ(s.sites[t.site].name, "tokyo");
    // Tokyo's holidays fall back to "weekend" (no "holiday" key).
    EXPECT_DOUBLE_EQ(t.shape(2, true).eval(10 * kUsPerHour, slope, next), 0.0);
    EXPECT_DOUBLE_EQ(t.shape(2, false).eval(10 * kUsPerHour, slope, next), 1.0);
}

TEST(ProfileShape, WrapsAtMidnight) {
    ProfileShape sh;
    sh.tod_us = {8 * kUsPerHour, 18 * kUsPerHour};
    sh.level = {1.0, 0.2};
    double slope = 0;
    std::int64_t next = 0;
    // 02:00 is 8 h into the 14 h stretch from 18:00 (0.2) to the next 08:00 (1.0).
    EXPECT_NEAR(sh.eval(2 * kUsPerHour, slope, next), 0.2 + 0.8 * 8.0 / 14.0, 1e-12);
    EXPECT_EQ(next, 8 * kUsPerHour);
    EXPECT_NEAR(sh.eval(20 * kUsPerHour, slope, next), 0.2 + 0.8 * 2.0 / 14.0, 1e-12);
    EXPECT_EQ(next, kUsPerDay);
    EXPECT_NEAR(sh.eval(13 * kUsPerHour, slope, next), 0.6, 1e-12);
    EXPECT_EQ(next, 18 * kUsPerHour);
    EXPECT_DOUBLE_EQ(sh.max_level(), 1.0);
}

TEST(Scenario, ExportersAndWhatTheySee) {
    const Scenario& s = office();
    const Exporter& edge = s.exporters[0];
    EXPECT_EQ(edge.protocol, ExportProtocol::ipfix);
    EXPECT_EQ(edge.time_style, TimeStyle::milliseconds);
    EXPECT_EQ(edge.active_timeout_us, 60 * kUsPerSecond);
    EXPECT_EQ(edge.inactive_timeout_us, 15 * kUsPerSecond);
    EXPECT_EQ(edge.cache_size, 65536u);
    EXPECT_EQ(edge.port, 50000);
    EXPECT_EQ(edge.boot_us, kUsPerDay);
    EXPECT_EQ(edge.template_refresh_packets, 20u);
    EXPECT_EQ(edge.observes.front().block.prefix, 64);  // longest prefixes first

    // What the exporter sees, through the plan the meter runs on (gen_run.hpp).
    const ExporterPlan plan = make_exporter_plan(s, 0, s.start_us);
    ConversationKey k;
    k.src = parse_address("10.20.1.12");
    k.dst = parse_address("198.51.100.5");
    auto seen = observe(plan, k);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->in_if, 2u);
    EXPECT_EQ(seen->out_if, 1u);  // default_if: elsewhere
    k.src = parse_address("10.30.1.3");
    k.dst = parse_address("10.20.2.7");
    seen = observe(plan, k);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->in_if, 4u);
    EXPECT_EQ(seen->out_if, 3u);
    k.src = parse_address("198.51.100.1");
    k.dst = parse_address("198.51.100.2");
    EXPECT_FALSE(observe(plan, k).has_value());

    const Exporter& core = s.exporters[1];
    EXPECT_EQ(core.protocol, ExportProtocol::v9);
    EXPECT_EQ(core.time_style, TimeStyle::uptime);
    EXPECT_EQ(core.sampling, SamplingMode::random);
    EXPECT_EQ(core.sampling_rate, 10u);
    EXPECT_EQ(core.boot_us, 12 * kUsPerDay);
    EXPECT_TRUE(core.uses_uptime());
    EXPECT_FALSE(edge.uses_uptime());
}

TEST(Scenario, CheckRunCatchesUptimeOverflowAfterOverrides) {
    const Scenario& s = office();
    EXPECT_NO_THROW(check_run(s, RunSpan::of(s, {})));
    // The v9 exporter booted 12 days before the start: 38 days more pass 2^32 ms.
    SourceOptions o;
    o.duration_us = 38 * kUsPerDay;
    try {
        check_run(s, RunSpan::of(s, o));
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.pointer(), "/exporters/1/boot");
        EXPECT_NE(std::string(e.what()).find("(--duration)"), std::string::npos) << e.what();
    }
    o.duration_us = 37 * kUsPerDay;
    EXPECT_NO_THROW(check_run(s, RunSpan::of(s, o)));
}

TEST(Scenario, LoadByNameFromSearchDirs) {
    test::TempDir a, b;
    const std::string text = test::read_file(test::source_dir() + "/scenarios/example-incidents.json");
    test::write_file(a / "flat.json", text);
    std::filesystem::create_directories(b.path() / "nested");
    test::write_file(b / "nested/scenario.json", text);
    const Scenario flat = load_scenario("flat", {a.path().string(), b.path().string()});
    EXPECT_EQ(flat.file, a / "flat.json");
    const Scenario nested = load_scenario("nested", {a.path().string(), b.path().string()});
    EXPECT_EQ(nested.file, b / "nested/scenario.json");
    EXPECT_EQ(flat.sha256, sha256_hex(text));
    EXPECT_EQ(nested.sha256, flat.sha256);
    try {
        load_scenario("missing", {a.path().string()});
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(a / "missing.json"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(a / "missing/scenario.json"), std::string::npos) << e.what();
    }
    EXPECT_THROW(load_scenario("no/such/file.json", {}), ConfigError);
}

std::string base_text() {
    return R"({
  "name": "t", "summary": "s",
  "time": {"start": "2024-01-01T00:00:00Z", "duration": "1h"},
  "networks": {"lan": {"cidr": "10.1.0.0/24"}, "wan": {"cidr": "198.51.100.0/24"}},
  "hosts": {"pcs": {"network": "lan", "count": 20}, "web": {"network": "wan", "count": 5}},
  "activities": [{"name": "browsing", "kind": "web", "clients": "pcs", "servers": "web", "rate": "10/min"}],
  "exporters": [{"name": "gw", "protocol": "ipfix", "address": "192.0.2.1", "observes": [{"network": "lan", "if": 1}]}]
})";
}

Json base() { return Json::parse(base_text()); }

std::string error_of(const Json& j) {
    try {
        parse_scenario(j, "mem.json");
    } catch (const ConfigError& e) {
        return e.pointer() + " | " + e.what();
    }
    return "accepted";
}

TEST(Scenario, MinimalDocumentGetsDefaults) {
    const Scenario s = parse_scenario(base(), "mem.json");
    ASSERT_EQ(s.sites.size(), 1u);
    EXPECT_EQ(s.sites[0].name, "utc");
    EXPECT_EQ(s.sites[0].weekend_mask, 0x60);
    EXPECT_EQ(s.seed, 1u);
    EXPECT_EQ(s.pools[0].offset, 1u);
    EXPECT_EQ(s.pools[0].role, "host");
    const auto& x = std::get<WebSpec>(s.activities[0].spec).exchange;
    EXPECT_EQ(x.requests.sample_count(*std::make_unique<Rng>(1)), 1u);
    EXPECT_FALSE(s.lesson);
}

TEST(Scenario, FocusedMistakes) {
    Json j = base();
    j["hosts"]["pcs"]["count"] = 254;
    EXPECT_EQ(error_of(j), "accepted");
    j["hosts"]["pcs"]["count"] = 255;
    EXPECT_EQ(error_of(j).substr(0, 16), "/hosts/pcs/count");

    j = base();
    j["sites"] = {{"a", {{"utc_offset", "+01:00"}}}, {"b", {{"utc_offset", "+02:00"}}}};
    EXPECT_EQ(error_of(j).substr(0, 19), "/networks/lan/site ") << error_of(j);

    j = base();
    j["activities"][0]["kind"] = "webb";
    EXPECT_NE(error_of(j).find("/activities/0/kind | "), std::string::npos);

    j = base();
    j["exporters"][0]["protocol"] = "v5";
    j["exporters"][0]["domain"] = 70000;
    EXPECT_EQ(error_of(j).substr(0, 19), "/exporters/0/domain");

    j = base();
    j["activities"][0]["profiles"] = {"nope"};
    EXPECT_EQ(error_of(j).substr(0, 27), "/activities/0/profiles/0 | ");

    j = base();
    j["activities"][0]["request"] = {{"dist", "lognormal"}, {"median", "1KB"}, {"mean", "2KB"}, {"sigma", 1}};
    EXPECT_NE(error_of(j).find("exactly one of \"median\" and \"mean\""), std::string::npos);

    j = base();
    j["activities"][0]["request"] = {{"dist", "uniform"}, {"min", "2KB"}, {"max", "1KB"}};
    EXPECT_EQ(error_of(j).substr(0, 26), "/activities/0/request/max ");

    j = base();
    j["networks"]["dup"] = {{"cidr", "10.1.0.128/25"}};
    EXPECT_NE(error_of(j).find("overlaps network \"lan\""), std::string::npos);

    j = base();
    j["hosts"]["web"]["offset"] = 0;
    EXPECT_NE(error_of(j).find("network address"), std::string::npos);

    j = base();
    j["exporters"].push_back(j["exporters"][0]);
    j["exporters"][1]["name"] = "gw2";
    EXPECT_EQ(error_of(j).substr(0, 19), "/exporters/1/domain");

    j = base();
    j["activities"][0]["window"] = {{"from", "09:00"}, {"to", "09:00"}};
    EXPECT_EQ(error_of(j).substr(0, 24), "/activities/0/window/to ");

    j = base();
    j["activities"][0]["noise"] = {{"cv", "20%"}, {"bin", "1m"}};
    EXPECT_EQ(error_of(j), "accepted");
    j["activities"][0]["noise"]["cv"] = "x%";
    EXPECT_EQ(error_of(j).substr(0, 23), "/activities/0/noise/cv ");
}

TEST(Scenario, SyntaxErrorsGiveLineAndColumn) {
    try {
        parse_scenario_text("{\n  \"name\": \"x\",\n  \"summary\": oops\n}\n", "f.json");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.pointer(), "");
        EXPECT_NE(std::string(e.what()).find("f.json:3:14: invalid JSON"), std::string::npos) << e.what();
        ASSERT_TRUE(e.position());
        EXPECT_EQ(e.position()->line, 3u);
        EXPECT_EQ(e.position()->column, 14u);
        EXPECT_NE(std::string(e.what()).find("  \"summary\": oops\n"), std::string::npos) << e.what();
    }
}

TEST(Scenario, DuplicateKeysAreRefusedWithTheirPointer) {
    std::string text = base_text();
    // A nested array before the duplicate checks that array indexes are tracked.
    text.replace(text.find("\"activities\": ["), 15, "\"activities\": [{\"a\": [1, [2, 3], {\"b\": 1}]}, ");
    text.replace(text.find("{\"network\": \"lan\", \"if\": 1}"), 28, "{\"network\": \"lan\", \"if\": 1, \"if\": 2}");
    try {
        parse_scenario_text(text, "dup.json");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.pointer(), "/exporters/0/observes/0/if") << e.what();
        EXPECT_NE(std::string(e.what()).find("appears twice"), std::string::npos) << e.what();
    }
}

TEST(Scenario, UnknownKeysSuggestTheClosestValidKey) {
    Json j = base();
    j["exporters"][0]["inactive_timout"] = "15s";
    const std::string e = error_of(j);
    EXPECT_NE(e.find("/exporters/0/inactive_timout | "), std::string::npos) << e;
    EXPECT_NE(e.find("did you mean \"inactive_timeout\"?"), std::string::npos) << e;
    EXPECT_NE(e.find("valid keys here: name, note, protocol"), std::string::npos) << e;
}

}  // namespace
}  // namespace flowlab::gen
