/// @brief The conformance suite: the shipped cases load and cite RFC text; judging turns what
/// an implementation returned into verdicts; cards and baselines; bad case files are rejected
/// with file, JSON pointer and reason; flowlab's own decoder against every case.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "flowlab/core/error.hpp"
#include "flowlab/harness/conformance.hpp"
#include "test_support.hpp"

namespace flowlab::harness {
namespace {

using Json = nlohmann::ordered_json;
using core::Field;

std::string cases_dir() { return test::source_dir() + "/conformance"; }

Case small_case(bool informational = false) {
    return parse_case(Json::parse(std::string(R"({"id": "3.99", "group": "framing", "title": "t", "rfc": "RFC 7011 9.1", "rule": "r",
        "informational": )") + (informational ? "true" : "false") + R"(,
        "export": {"protocol": "ipfix", "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address", "destinationIPv4Address", "sourceTransportPort", "octetDeltaCount:4"]}},
                   "messages": [{"sets": [{"templates": ["t"]}, {"data": "t", "records": 2}]}, {"sets": [{"data": "t", "records": 1}]}],
                   "faults": [{"fault": "duplicate", "message": 2}]}})"),
                      "case.json");
}

/// What a perfect decoder returns for a case: every record it must or may keep, once.
Observed perfect(const Case& c) {
    Observed o;
    o.carried = core::FieldSet::all();
    for (const auto& m : c.script.messages)
        for (const auto& e : m.records)
            if (e.expect != gen::Expect::discard) o.records.push_back(e.record);
    return o;
}

TEST(Conformance, ShippedCasesLoadAndCoverEveryGroup) {
    const auto cases = load_cases({cases_dir()});
    EXPECT_GE(cases.size(), 60u);
    std::set<std::string> groups, ids;
    for (const auto& c : cases) {
        groups.insert(c.group);
        EXPECT_TRUE(ids.insert(c.id).second) << c.id;
        EXPECT_FALSE(c.rule.empty()) << c.id;
        EXPECT_TRUE(c.rfc.starts_with("RFC ") || c.rfc.starts_with("Cisco ")) << c.id;
        EXPECT_GE(c.script.record_count(), 1u) << c.id;
    }
    EXPECT_EQ(groups.size(), std::size(kGroups));
}

TEST(Conformance, PerfectDecoderPassesEveryShippedCase) {
    // The truth is self-consistent: returning exactly the kept records passes every case.
    for (const auto& c : load_cases({cases_dir()})) {
        const CaseResult r = judge(c, perfect(c));
        EXPECT_TRUE(r.verdict == Verdict::pass || r.verdict == Verdict::informational) << c.id << ": " << r.detail;
    }
}

TEST(Conformance, JudgeVerdicts) {
    const Case c = small_case();
    Observed o = perfect(c);
    EXPECT_EQ(judge(c, o).verdict, Verdict::pass);

    Observed altered = o;
    altered.records[0].bytes += 1;
    CaseResult r = judge(c, altered);
    EXPECT_EQ(r.verdict, Verdict::fail);
    ASSERT_FALSE(r.diffs.empty());
    EXPECT_EQ(r.diffs[0].field, "bytes");
    EXPECT_EQ(r.diffs[0].record, "message 1, set 2, record 1");

    Observed lost = o;
    lost.records.erase(lost.records.begin());
    EXPECT_EQ(judge(c, lost).verdict, Verdict::lost);
    EXPECT_EQ(judge(small_case(true), lost).verdict, Verdict::informational);

    Observed extra = o;
    extra.records.push_back(o.records[0]);
    extra.records.back().set_address(Field::src, core::IpAddress::v4(0x0A000001));
    EXPECT_EQ(judge(c, extra).verdict, Verdict::fail);

    // The duplicated message: twice is allowed, three times is not; summed copies count as two.
    Observed twice = o;
    twice.records.push_back(o.records[2]);
    EXPECT_EQ(judge(c, twice).verdict, Verdict::pass);
    twice.records.push_back(o.records[2]);
    EXPECT_EQ(judge(c, twice).verdict, Verdict::fail);
    Observed summed = o;
    summed.records[2].bytes *= 2;
    EXPECT_EQ(judge(c, summed).verdict, Verdict::fail);
    summed.sums_equal_records = true;
    summed.records[2].packets *= 2;
    EXPECT_EQ(judge(c, summed).verdict, Verdict::pass);

    // Fields the implementation does not output are not compared.
    Observed narrow = o;
    narrow.carried.clear(Field::bytes);
    for (auto& rec : narrow.records) rec.bytes = 0;
    EXPECT_EQ(judge(c, narrow).verdict, Verdict::pass);

    Observed crashed = o;
    crashed.status = Observed::Status::crash;
    EXPECT_EQ(judge(c, crashed).verdict, Verdict::crash);
}

CaseResult result(const std::string& id, const std::string& title, Verdict v) {
    CaseResult r;
    r.id = id;
    r.title = title;
    r.verdict = v;
    return r;
}

TEST(Conformance, CardJsonRoundTripAndBaseline) {
    Card before;
    before.implementation = "x";
    before.cases.push_back(result("1.1", "a", Verdict::pass));
    before.cases.push_back(result("1.2", "b", Verdict::fail));
    Card now = before;
    now.cases[0].verdict = Verdict::lost;  // a new failure
    now.cases[1].verdict = Verdict::pass;  // a fix
    now.cases.push_back(result("1.3", "c", Verdict::pass));

    const nlohmann::json j = card_json(before);
    EXPECT_EQ(j["implementation"], "x");
    EXPECT_EQ(j["cases"][1]["verdict"], "fail");
    EXPECT_EQ(j["summary"]["fail"], 1);
    test::TempDir dir;
    {
        std::ofstream(dir / "b.json") << j.dump();
    }
    const Card read = read_card_json(dir / "b.json");
    ASSERT_EQ(read.cases.size(), 2u);
    EXPECT_EQ(read.cases[1].verdict, Verdict::fail);

    const auto changes = compare_cards(read, now);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_TRUE(changes[0].regression);
    EXPECT_FALSE(changes[1].regression);
    EXPECT_FALSE(changes[2].regression);
    EXPECT_NE(changes_text(changes).find("NEW FAILURE 1.1 a: pass -> lost"), std::string::npos);
    EXPECT_NE(card_junit(now).find("<failure message=\"lost"), std::string::npos);
    EXPECT_NE(card_html(now).find("<!DOCTYPE html>"), std::string::npos);
}

struct BadCase {
    std::string name, text, expected;
};

void PrintTo(const BadCase& b, std::ostream* os) { *os << b.name; }

class BadCaseFiles : public testing::TestWithParam<BadCase> {};

TEST_P(BadCaseFiles, RejectedWithFilePointerAndReason) {
    test::TempDir dir;
    const std::string path = dir / (GetParam().name + ".json");
    {
        std::ofstream(path) << GetParam().text;
    }
    const auto r = test::run({test::flowlab_bin(), "conformance", "--cases", path, "--list"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(path + ": " + GetParam().expected), std::string::npos) << r.err;
}

const std::string kExport = R"("export": {"protocol": "ipfix", "messages": [{"sets": []}]})";
INSTANTIATE_TEST_SUITE_P(
    Conformance, BadCaseFiles,
    testing::Values(
        BadCase{"group_unknown", R"({"id": "1.1", "group": "misc", "title": "t", "rfc": "RFC 7011 8", "rule": "r", )" + kExport + "}", "/group: unknown group \"misc\""},
        BadCase{"id_incorrect", R"({"id": "2.1", "group": "templates", "title": "t", "rfc": "RFC 7011 8", "rule": "r", )" + kExport + "}",
                "/id: id \"2.1\" must be \"1.N\""},
        BadCase{"key_unexpected", R"({"id": "1.1", "group": "templates", "title": "t", "rfc": "RFC 7011 8", "rule": "r", "colour": 1, )" + kExport + "}",
                "/colour: unknown key"},
        BadCase{"rfc_missing", R"({"id": "1.1", "group": "templates", "title": "t", "rule": "r", )" + kExport + "}", "required key is missing: \"rfc\""},
        BadCase{"json_malformed", "{\"id\": \"1.1\",\n  \"group\" \"templates\"}", "line 2, column"},
        BadCase{"template_missing", R"({"id": "1.1", "group": "templates", "title": "t", "rfc": "RFC 7011 8", "rule": "r",
              "export": {"protocol": "ipfix", "messages": [{"sets": [{"data": "x", "records": 1}]}]}})",
                "/export/messages/0/sets/0/data: no template named \"x\""},
        BadCase{"fault_incorrect", R"({"id": "1.1", "group": "templates", "title": "t", "rfc": "RFC 7011 8", "rule": "r",
              "export": {"protocol": "ipfix", "messages": [{"sets": []}], "faults": [{"fault": "drop", "message": 5}]}})",
                "/export/faults/0/message:"}),
    [](const testing::TestParamInfo<BadCase>& p) { return p.param.name; });

TEST(Conformance, FlowlabDecoderCard) {
    // flowlab's own decoder passes every case it can run: each expectation comes from the RFC
    // text the case cites, so a failure here is a decoder bug (or a wrong case), never a
    // known deviation to be listed.
    test::TempDir dir;
    const auto run = test::run({test::flowlab_bin(), "conformance", "--decoder", "flowlab", "-j", "2", "-q", "--report-json", dir / "card.json"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const Card card = read_card_json(dir / "card.json");
    EXPECT_GE(card.cases.size(), 60u);
    for (const auto& c : card.cases) {
        EXPECT_TRUE(c.verdict == Verdict::pass || c.verdict == Verdict::informational || c.verdict == Verdict::skipped)
            << c.id << " " << c.title << ": " << to_string(c.verdict) << ": " << c.detail;
        // Only the TCP cases are out of reach of a reader of UDP captures.
        if (c.verdict == Verdict::skipped) {
            EXPECT_NE(c.detail.find("TCP"), std::string::npos) << c.id << ": " << c.detail;
        }
    }
}

TEST(Conformance, BaselineExitsOneOnANewFailureOnly) {
    test::TempDir dir;
    const std::string base = dir / "base.json";
    auto r = test::run({test::flowlab_bin(), "conformance", "--decoder", "flowlab", "--only", "1.", "-q", "--report-json", base});
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    r = test::run({test::flowlab_bin(), "conformance", "--decoder", "flowlab", "--only", "1.", "-q", "--baseline", base});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("no change since the baseline"), std::string::npos) << r.out;
    // A "decoder" that outputs nothing loses every record: every passing case is a new failure.
    r = test::run({test::flowlab_bin(), "conformance", "--decoder", "true", "--only", "1.", "-q", "--baseline", base});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("NEW FAILURE 1.1 "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace flowlab::harness
