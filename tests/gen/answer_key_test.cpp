/// @brief AnswerKeyBuilder: the computed parts of a lesson's answer key, fed by hand-made
/// conversations so that every rule (hosts, episodes, start, peak rate, totals) is pinned down.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/answer_grade.hpp"
#include "flowlab/gen/answer_key.hpp"
#include "flowlab/gen/units.hpp"

namespace flowlab::gen {
namespace {

constexpr std::int64_t T0 = 1704067200LL * 1'000'000;  // 2024-01-01T00:00:00Z
constexpr std::int64_t kS = 1'000'000;

Scenario scenario(const Json& from_truth) {
    Json d = Json::parse(R"({
      "name": "t", "summary": "s",
      "lesson": {"story": "s", "question": "q", "answer": {"port": 22}},
      "time": {"start": "2024-01-01T00:00:00Z", "duration": "1d"},
      "networks": {"a": {"cidr": "10.1.0.0/24", "customer": "acme"}, "a2": {"cidr": "10.3.0.0/24", "customer": "acme"},
                   "b": {"cidr": "10.2.0.0/24", "customer": "bolt"}, "w": {"cidr": "198.51.100.0/24"}},
      "hosts": {"pa": {"network": "a", "count": 4}, "pb": {"network": "b", "count": 4}, "web": {"network": "w", "count": 4}},
      "activities": [{"name": "x", "kind": "web", "clients": "pa", "servers": "web", "rate": "1/min"},
                     {"name": "y", "kind": "web", "clients": "pb", "servers": "web", "rate": "1/min"}],
      "exporters": [{"name": "g", "protocol": "ipfix", "address": "192.0.2.1", "observes": [{"network": "a", "if": 1}]}]
    })");
    d["lesson"]["answer"]["from_truth"] = from_truth;
    return parse_scenario(d, "mem.json");
}

Conversation conv(std::uint32_t activity, const char* src, const char* dst, std::int64_t start_s, std::int64_t end_s,
                  std::uint64_t bytes = 100) {
    Conversation c;
    c.activity = activity;
    c.key.src = *core::IpAddress::parse(src);
    c.key.dst = *core::IpAddress::parse(dst);
    c.key.proto = 6;
    c.bursts.push_back({T0 + start_s * kS, T0 + end_s * kS, 2, bytes, 0x10});
    return c;
}

TEST(AnswerKey, HostsEpisodesAndStartOfOneActivity) {
    const Scenario s = scenario(Json::parse(R"({"activity": "x", "host": "top_source", "windows": {"gap": "10m"}, "start": true})"));
    AnswerKeyBuilder b(s, T0);
    b.observe(conv(1, "10.2.0.1", "198.51.100.1", 0, 1));  // another activity: ignored
    b.observe(conv(0, "10.1.0.2", "198.51.100.1", 60, 70));
    b.observe(conv(0, "10.1.0.1", "198.51.100.1", 65, 300));
    b.observe(conv(0, "10.1.0.1", "198.51.100.2", 800, 801));  // 500 s after 300: same episode
    b.observe(conv(0, "10.1.0.1", "198.51.100.2", 3600, 3660));  // > 10 min later: a new one
    const Json a = b.answer();
    EXPECT_EQ(a["port"], 22);  // verbatim keys stay
    EXPECT_EQ(a["host"], "10.1.0.1");
    EXPECT_EQ(a["start"], format_time(T0 + 60 * kS));
    ASSERT_EQ(a["windows"].size(), 2u);
    EXPECT_EQ(a["windows"][0]["start"], format_time(T0 + 60 * kS));
    EXPECT_EQ(a["windows"][0]["end"], format_time(T0 + 801 * kS));
    EXPECT_EQ(a["windows"][1]["start"], format_time(T0 + 3600 * kS));
}

TEST(AnswerKey, FirstSourceTopDestinationAndPeakRate) {
    {
        const Scenario s = scenario(Json::parse(R"({"activity": "x", "host": "first_source"})"));
        AnswerKeyBuilder b(s, T0);
        b.observe(conv(0, "10.1.0.3", "198.51.100.1", 10, 11));
        b.observe(conv(0, "10.1.0.1", "198.51.100.1", 20, 21));
        b.observe(conv(0, "10.1.0.1", "198.51.100.1", 30, 31));
        EXPECT_EQ(b.answer()["host"], "10.1.0.3");
    }
    const Scenario s = scenario(Json::parse(R"({"activity": "x", "host": "top_destination", "peak_rate": {"bin": "1m"}})"));
    AnswerKeyBuilder b(s, T0);
    for (int i = 0; i < 30; ++i) b.observe(conv(0, "10.1.0.1", "198.51.100.9", 60 + i, 61 + i));  // 30 in minute 1
    for (int i = 0; i < 90; ++i) b.observe(conv(0, "10.1.0.2", "198.51.100.9", 120 + i / 2, 121));  // 90 in minute 2
    b.observe(conv(0, "10.1.0.2", "198.51.100.4", 200, 201));
    const Json a = b.answer();
    EXPECT_EQ(a["host"], "198.51.100.9");
    EXPECT_DOUBLE_EQ(a["peak_rate"]["per_s"].get<double>(), 1.5);
    EXPECT_EQ(a["peak_rate"]["at"], format_time(T0 + 120 * kS));
    EXPECT_EQ(a["peak_rate"]["conversations"], 90);
}

TEST(AnswerKey, TotalsByCustomerCountEachConversationOncePerCustomer) {
    const Scenario s = scenario(Json::parse(R"({"totals": {"by": "customer"}})"));
    AnswerKeyBuilder b(s, T0);
    b.observe(conv(0, "10.1.0.1", "198.51.100.1", 0, 1, 1000));  // acme
    b.observe(conv(0, "198.51.100.1", "10.3.0.1", 0, 1, 500));   // acme's second block
    b.observe(conv(0, "10.1.0.1", "10.3.0.1", 0, 1, 7));         // acme to acme: once
    b.observe(conv(0, "10.1.0.1", "10.2.0.1", 0, 1, 40));        // acme and bolt: both pay
    const Json a = b.answer();
    EXPECT_EQ(a["totals"]["acme"], 1547);
    EXPECT_EQ(a["totals"]["bolt"], 40);
}

TEST(AnswerKey, TotalsByFamily) {
    const Scenario s = scenario(Json::parse(R"({"totals": {"by": "family"}})"));
    AnswerKeyBuilder b(s, T0);
    b.observe(conv(0, "10.1.0.1", "198.51.100.1", 0, 1, 1000));
    b.observe(conv(0, "2001:db8::1", "2001:db8::2", 0, 1, 300));
    const Json a = b.answer();
    EXPECT_EQ(a["totals"]["ipv4"], 1000);
    EXPECT_EQ(a["totals"]["ipv6"], 300);
}

TEST(AnswerKey, AComputedKeyGivenVerbatimIsRefused) {
    Json ft = Json::parse(R"({"activity": "x", "host": "top_source"})");
    try {
        Scenario s = scenario(ft);
        Json doc = s.document;
        doc["lesson"]["answer"]["host"] = "10.1.0.1";
        parse_scenario(doc, "mem.json");
        FAIL() << "accepted";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.pointer(), "/lesson/answer/host") << e.what();
    }
}

}  // namespace
}  // namespace flowlab::gen

// Judging a student's answer, without the command line: each part of the key right or wrong,
// missing parts named, parts the question does not ask for set apart, nothing of the key shown.
namespace flowlab::gen {
namespace {

Json grading_key() {
    return Json::parse(R"({
      "host": "10.1.2.3",
      "windows": [{"start": "2024-02-06T10:40:00Z", "end": "2024-02-06T10:45:00Z"},
                  {"start": "2024-02-07T10:40:00Z", "end": "2024-02-07T10:46:00Z"}],
      "peak_rate": {"per_s": 200.0, "bin": "1m"},
      "totals": {"alpha": 1000000, "beta": 5000}
    })");
}

AnswerWindow window(const char* start, const char* end) { return {parse_time(start), parse_time(end)}; }

TEST(AnswerGrade, EveryPartRightIsRight) {
    StudentAnswer a;
    a.host = core::IpAddress::parse("10.1.2.3");
    a.windows = {window("2024-02-06T10:41:00Z", "2024-02-06T10:44:00Z"), window("2024-02-07T10:39:00Z", "2024-02-07T10:47:00Z")};
    a.peak_rate_per_s = 215.0;  // within 10%
    a.totals = Json::parse(R"({"alpha": 1005000, "beta": 5010})");
    const AnswerGrade g = grade_answer(grading_key(), a);
    EXPECT_TRUE(g.right());
    ASSERT_EQ(g.parts.size(), 4u);
    for (const auto& p : g.parts) EXPECT_TRUE(p.right) << p.name;
    EXPECT_TRUE(g.missing.empty());
}

TEST(AnswerGrade, WrongMissingAndNotAskedAreTold) {
    StudentAnswer a;
    a.host = core::IpAddress::parse("10.1.2.4");
    // One episode found, the other missed, and a window that matches none.
    a.windows = {window("2024-02-06T10:40:00Z", "2024-02-06T10:45:00Z"), window("2024-02-08T10:40:00Z", "2024-02-08T10:45:00Z")};
    a.port = 443;
    a.totals = Json::parse(R"({"alpha": 2000000, "gamma": 1})");
    const AnswerGrade g = grade_answer(grading_key(), a);
    EXPECT_FALSE(g.right());
    std::map<std::string, const AnswerGrade::Part*> parts;
    for (const auto& p : g.parts) parts[p.name] = &p;
    ASSERT_TRUE(parts.count("host") && parts.count("windows") && parts.count("totals"));
    EXPECT_FALSE(parts["host"]->right);
    EXPECT_FALSE(parts["windows"]->right);
    EXPECT_EQ(parts["windows"]->details, std::vector<std::string>{"1 of 2 episodes found, 1 window(s) matching none"});
    EXPECT_FALSE(parts["totals"]->right);
    EXPECT_EQ(parts["totals"]->details,
              (std::vector<std::string>{"alpha: wrong", "beta: missing", "gamma: not in the answer key"}));
    EXPECT_EQ(g.missing, std::vector<std::string>{"peak rate (--peak-rate, flows per second)"});
    EXPECT_EQ(g.not_asked, std::vector<std::string>{"port"});
    // Nothing of the key leaks into what is shown.
    for (const auto& p : g.parts)
        for (const auto& d : p.details) EXPECT_EQ(d.find("10.1.2.3"), std::string::npos) << d;
}

TEST(AnswerGrade, AStartAloneIsJudgedAgainstTheKeysStart) {
    const Json key = Json::parse(R"({"host": "2001:db8::7", "start": "2024-03-04T09:00:00Z"})");
    StudentAnswer a;
    a.host = core::IpAddress::parse("2001:DB8:0:0::7");  // any spelling
    a.start_us = parse_time("2024-03-04T09:01:30Z");
    EXPECT_TRUE(grade_answer(key, a).right());
    a.start_us = parse_time("2024-03-04T09:03:00Z");  // outside the 2-minute tolerance
    EXPECT_FALSE(grade_answer(key, a).right());
}

TEST(AnswerGrade, AHandEditedKeyIsBadInput) {
    const Json key = Json::parse(R"({"windows": [{"start": 5}]})");
    StudentAnswer a;
    a.windows = {window("2024-02-06T10:40:00Z", "2024-02-06T10:45:00Z")};
    EXPECT_THROW(grade_answer(key, a), InputError);
}

}  // namespace
}  // namespace flowlab::gen
