/// @brief Reports: verdict first, counts, loss ranges and per-field diffs in text; the same in JSON;
/// JUnit XML with one testcase per check. Collector profiles: shipped ones load, bad ones are named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "flowlab/core/error.hpp"
#include "flowlab/verify/report.hpp"
#include "verify_helpers.hpp"

namespace flowlab::verify::testing {
namespace {

VerifyResult altered_and_missing(flowlab::test::TempDir& dir) {
    auto truth = read_all(fixture("crafted/records.csv"));
    auto c = truth;
    c[0].set_number(Field::bytes, 9001);
    c.erase(c.begin() + 20);  // the IPFIX IPv6 record, sequence 6
    write_records(dir / "c.csv", c);
    return run_verify(fixture("crafted/records.csv"), "flowlab:" + dir / "c.csv");
}

TEST(Report, TextStartsWithTheVerdictAndShowsDiffsAndLoss) {
    flowlab::test::TempDir dir;
    const std::string text = format_text(altered_and_missing(dir));
    EXPECT_EQ(text.substr(0, text.find('\n')), "DIFFERENT: 1 missing, 1 altered");
    EXPECT_NE(text.find("    bytes: truth 9000, collected 9001"), std::string::npos) << text;
    EXPECT_NE(text.find("127.0.0.1 domain 42 IPFIX: 1 of 7 records missing, in 1 of 2 messages"), std::string::npos) << text;
    EXPECT_NE(text.find("sequence 6 (1 message, whole): 1 record; exported 2023-11-14 22:16:20.000"), std::string::npos) << text;
    EXPECT_NE(text.find("truth line 22: 127.0.0.1/42 v10 seq 6: [2001:db8::1]:1234 -> [2001:db8:1::2]:4321"), std::string::npos)
        << text;
}

TEST(Report, JsonCarriesCountsExamplesAndLoss) {
    flowlab::test::TempDir dir;
    const nlohmann::json j = to_json(altered_and_missing(dir));
    EXPECT_EQ(j["match"], false);
    EXPECT_EQ(j["counts"]["missing"], 1);
    EXPECT_EQ(j["counts"]["altered"], 1);
    EXPECT_EQ(j["altered_fields"]["bytes"], 1);
    EXPECT_EQ(j["examples"]["altered"][0]["differences"]["bytes"]["collected"], "9001");
    EXPECT_EQ(j["loss"][0]["ranges"][0]["first_sequence"], 6);
    EXPECT_EQ(j["examples"]["missing"][0]["truth"]["src"], "2001:db8::1");
}

TEST(Report, JunitHasOneTestcasePerCheck) {
    flowlab::test::TempDir dir;
    const VerifyResult r = altered_and_missing(dir);
    const std::string x = format_junit(r);
    EXPECT_EQ(x.rfind("<?xml", 0), 0u);
    EXPECT_NE(x.find("<testcase classname=\"verify.records\" name=\"records\">"), std::string::npos);
    EXPECT_NE(x.find("name=\"exporter 127.0.0.1\">"), std::string::npos);
    EXPECT_NE(x.find("name=\"loss 127.0.0.1 domain 42 IPFIX\">"), std::string::npos);
    EXPECT_NE(x.find("<testcase classname=\"verify.field\" name=\"field bytes\">"), std::string::npos);
    EXPECT_NE(x.find("<testcase classname=\"verify.field\" name=\"field packets\"/>"), std::string::npos);
    // failures: records, the exporter, the loss stream, field bytes.
    EXPECT_NE(x.find("failures=\"4\""), std::string::npos) << x;
}

TEST(Report, WrittenAtomically) {
    flowlab::test::TempDir dir;
    write_file_atomic(dir / "r.json", "{}\n");
    EXPECT_EQ(flowlab::test::read_file(dir / "r.json"), "{}\n");
    EXPECT_THROW(write_file_atomic(dir / "no/such/dir/r.json", "{}"), Error);
}

TEST(Profiles, ShippedProfilesLoad) {
    for (const char* name : {"nfcapd", "nfacctd"}) {
        const CollectorProfile p = load_profile(name);
        EXPECT_EQ(p.name, name);
        EXPECT_TRUE(p.keeps.has(Field::src));
    }
    EXPECT_EQ(load_profile("nfcapd").reader, Tool::nfdump);
    EXPECT_TRUE(load_profile("nfcapd").drops.at(5).has(Field::src_mask));
    EXPECT_TRUE(*load_profile("nfacctd").sums_equal_records);
    EXPECT_THROW(load_profile("no-such-collector"), UsageError);
}

TEST(Profiles, MistakesAreNamedByJsonPointer) {
    auto error = [](const char* doc) -> std::string {
        try {
            parse_profile(nlohmann::json::parse(doc), "p.json");
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "(no error)";
    };
    EXPECT_EQ(error(R"({"name":"x","reader":"nfdump","keeps":["src"],"keep":[]})"),
              "p.json: /keep: unknown key 'keep' (expected one of: description, drops, flow_time, keeps, name, reader, "
              "run, sums_equal_records)");
    EXPECT_EQ(error(R"({"name":"x","reader":"nfdump","keeps":["src","dest"]})"),
              "p.json: /keeps/1: unknown field 'dest' (expected one of the CSV columns: exporter, domain, src, ...)");
    EXPECT_EQ(error(R"({"name":"x","reader":"nfsen","keeps":[]})"),
              "p.json: /reader: unknown reader 'nfsen' (expected flowlab, nfdump, pmacct, tshark or goflow2)");
    EXPECT_EQ(error(R"({"name":"x","reader":"pmacct","keeps":[],"drops":{"7":[]}})"),
              "p.json: /drops/7: expected an export version: 5, 9 or 10");
    EXPECT_EQ(error(R"({"name":"x","reader":"pmacct","keeps":[],"flow_time":{"granularity":"soon"}})"),
              "p.json: /flow_time/granularity: expected a duration such as \"1ms\", \"1s\" or a number of milliseconds");
}

TEST(Profiles, ProfileReaderMustMatchTheData) {
    VerifyOptions o;
    o.profile = load_profile("nfacctd");
    EXPECT_THROW(run_verify(fixture("crafted/records.csv"), fixture("crafted/nfdump.json"), o), UsageError);
}

}  // namespace
}  // namespace flowlab::verify::testing
