/// @brief Reports: verdict first, counts, loss ranges and per-field diffs in text; the same in JSON;
/// JUnit XML with one testcase per check. Collector profiles: shipped ones load, bad ones are named.
#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <fstream>
#include <map>

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

/// Every field a shipped profile leaves out names its kind and the conformance case that shows
/// it; the case exists, and a deviation is on the peer's committed report card, so a profile
/// cannot hide a difference that the card does not show.
TEST(Profiles, EveryDropNamesTheConformanceCaseThatShowsIt) {
    namespace fs = std::filesystem;
    std::map<std::string, std::string> case_versions;  // id -> export protocol
    for (const auto& group : fs::directory_iterator(flowlab::test::source_dir() + "/conformance"))
        for (const auto& f : fs::directory_iterator(group.path())) {
            const auto doc = nlohmann::json::parse(std::ifstream(f.path()));
            case_versions[doc.at("id").get<std::string>()] = doc.at("export").at("protocol").get<std::string>();
        }
    for (const char* name : {"nfcapd", "nfacctd"}) {
        SCOPED_TRACE(name);
        const CollectorProfile p = load_profile(name);
        const auto card = nlohmann::json::parse(
            std::ifstream(flowlab::test::source_dir() + "/tests/conformance/peers/" + name + ".json"));
        std::size_t dropped = 0;
        for (const auto& [version, fields] : p.drops) dropped += static_cast<std::size_t>(std::popcount(fields.bits()));
        ASSERT_EQ(p.drop_reasons.size(), dropped);
        for (const ProfileDrop& d : p.drop_reasons) {
            SCOPED_TRACE(std::string(core::kFieldNames[static_cast<std::size_t>(d.field)]) + " in version " +
                         std::to_string(d.version));
            EXPECT_TRUE(d.kind == "deviation" || d.kind == "not stored");
            EXPECT_FALSE(d.why.empty());
            ASSERT_TRUE(case_versions.count(d.shown_by)) << "no conformance case " << d.shown_by;
            const std::string protocol = d.version == 5 ? "v5" : d.version == 9 ? "v9" : "ipfix";
            EXPECT_EQ(case_versions[d.shown_by], protocol) << "case " << d.shown_by << " exports another version";
            // The card keeps one example per case, so it need not name this very field.
            if (d.kind == "deviation") {
                EXPECT_TRUE(card.at("deviations").contains(d.shown_by)) << "the card shows no deviation in " << d.shown_by;
            }
        }
    }
}

TEST(Profiles, DropReasonsAreCheckedAndReported) {
    auto error = [](const char* doc) -> std::string {
        try {
            parse_profile(nlohmann::json::parse(doc), "p.json");
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "(no error)";
    };
    EXPECT_EQ(error(R"({"name":"x","reader":"pmacct","keeps":[],"drops":{"9":[{"field":"tcp_flags","kind":"bug"}]}})"),
              "p.json: /drops/9/0/kind: expected \"not stored\" (by design) or \"deviation\" (from the RFC), got 'bug'");
    EXPECT_EQ(error(R"({"name":"x","reader":"pmacct","keeps":[],"drops":{"9":[{"field":"tcp_flags","shown_by":"2.1a"}]}})"),
              "p.json: /drops/9/0/shown_by: expected a conformance case number such as \"2.14\", got '2.1a'");
    EXPECT_EQ(error(R"({"name":"x","reader":"pmacct","keeps":[],"drops":{"9":[{"field":"flags"}]}})"),
              "p.json: /drops/9/0/field: unknown field 'flags' (expected one of the CSV columns: exporter, domain, src, ...)");
    EXPECT_EQ(error(R"({"name":"x","reader":"pmacct","keeps":[],"drops":{"9":[{"kind":"deviation"}]}})"),
              "p.json: /drops/9/0: missing \"field\"");
    EXPECT_EQ(error(R"({"name":"x","reader":"pmacct","keeps":[],"drops":{"9":[{"field":"src","case":"2.14"}]}})"),
              "p.json: /drops/9/0/case: unknown key 'case' (expected field, kind, shown_by, why)");

    // The plain form still reads, without reasons; both forms reach the matcher alike.
    const CollectorProfile plain = parse_profile(
        nlohmann::json::parse(R"({"name":"x","reader":"flowlab","keeps":["src","tcp_flags"],"drops":{"10":["tcp_flags"]}})"), "p.json");
    EXPECT_TRUE(plain.drops.at(10).has(Field::tcp_flags));
    ASSERT_EQ(plain.drop_reasons.size(), 1u);
    EXPECT_TRUE(plain.drop_reasons[0].shown_by.empty());

    VerifyOptions o;
    o.profile = parse_profile(nlohmann::json::parse(R"({"name":"x","reader":"flowlab","keeps":["src","dst","sport","dport","proto","packets","bytes","tcp_flags"],
        "drops":{"10":[{"field":"tcp_flags","kind":"deviation","shown_by":"2.14","why":"read in one byte"}]}})"),
                              "p.json");
    flowlab::test::TempDir dir;
    const VerifyResult r = run_verify(fixture("crafted/records.csv"), "flowlab:" + fixture("crafted/records.csv"), o);
    const std::string text = format_text(r);
    EXPECT_NE(text.find("not compared in IPFIX: tcp_flags (x deviates from the RFC; conformance case 2.14: read in one byte)"),
              std::string::npos)
        << text;
    const auto j = to_json(r);
    ASSERT_TRUE(j.contains("profile_drops")) << j.dump();
    EXPECT_EQ(j["profile_drops"][0]["shown_by"], "2.14");
    EXPECT_EQ(j["profile_drops"][0]["version"], 10);
}

TEST(Profiles, ProfileReaderMustMatchTheData) {
    VerifyOptions o;
    o.profile = load_profile("nfacctd");
    EXPECT_THROW(run_verify(fixture("crafted/records.csv"), fixture("crafted/nfdump.json"), o), UsageError);
}

}  // namespace
}  // namespace flowlab::verify::testing
