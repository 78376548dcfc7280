/// @brief Faults on gen's export stream (`gen --fault`, a scenario's `faults`): for every kind,
/// flowlab's decoder outputs every record the truth keeps and nothing beyond what it may lose;
/// tshark agrees on an IPFIX run; verify honours the marks; faulted runs are reproducible; bad
/// faults are refused with their place.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dialects.hpp"
#include "gen_output.hpp"
#include "interop_support.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

using Bag = std::map<std::string, int>;  ///< CSV rows with their multiplicity

std::vector<std::string> rows_of(const std::string& text) {
    std::vector<std::string> rows;
    std::istringstream in(text);
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (header) {
            header = false;
            continue;
        }
        if (!line.empty()) rows.push_back(line);
    }
    return rows;
}

Bag bag_of(const std::vector<std::string>& rows) {
    Bag b;
    for (const auto& r : rows) ++b[r];
    return b;
}

std::size_t size_of(const Bag& b) {
    std::size_t n = 0;
    for (const auto& [row, k] : b) n += static_cast<std::size_t>(k);
    return n;
}

struct Truth {
    Bag keep, may_lose, discard;
};

Truth truth_of(const std::string& dir) {
    return {bag_of(rows_of(read_file(dir + "/truth/records.csv"))),
            bag_of(rows_of(read_file_if_exists(dir + "/truth/may-lose.csv"))),
            bag_of(rows_of(read_file_if_exists(dir + "/truth/discard.csv")))};
}

/// The superset rule: `out` holds every kept record (as often as the truth has it) and
/// otherwise only records the truth lets a decoder lose; no record it must discard unless an
/// identical one is also expected.
void expect_within_truth(const Bag& out, const Truth& t, const std::string& what) {
    for (const auto& [row, k] : t.keep) {
        const auto it = out.find(row);
        EXPECT_GE(it == out.end() ? 0 : it->second, k) << what << ": a kept record is missing: " << row;
    }
    for (const auto& [row, k] : out) {
        const auto kept = t.keep.find(row);
        const auto optional = t.may_lose.find(row);
        const int allowed = (kept == t.keep.end() ? 0 : kept->second) + (optional == t.may_lose.end() ? 0 : optional->second);
        EXPECT_LE(k, allowed) << what << ": a record the truth does not allow: " << row
                              << (t.discard.count(row) ? " (it is in discard.csv)" : "");
    }
}

RunResult gen(const std::string& scenario, const std::string& out, const std::vector<std::string>& faults,
              const std::string& duration = "10m") {
    std::vector<std::string> argv{flowlab_bin(), "gen", scenario, "-o", out, "--duration", duration, "--no-progress"};
    for (const auto& f : faults) {
        argv.push_back("--fault");
        argv.push_back(f);
    }
    return run(argv);
}

std::string decode(const std::string& dir) {
    const auto r = run({flowlab_bin(), "decode", dir + "/exports.pcap", "-f", "csv"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

struct Case {
    const char* scenario;  ///< dual-stack: NetFlow v9 and IPFIX; example-incidents: NetFlow v5
    const char* fault;
    /// What the fault must have done to the truth, against the run without it.
    std::function<void(const Truth& faulted, const Truth& clean)> effect;
    const char* duration = "10m";
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.scenario << " --fault " << c.fault; }

class FaultKinds : public ::testing::TestWithParam<Case> {};

const auto kept_all = [](const Truth& f, const Truth& c) { EXPECT_EQ(size_of(f.keep), size_of(c.keep)); };
const auto changed_rows = [](const Truth& f, const Truth& c) {
    EXPECT_EQ(size_of(f.keep), size_of(c.keep));
    EXPECT_NE(f.keep, c.keep) << "the fault changed no record's header fields";
    EXPECT_TRUE(f.may_lose.empty());
    EXPECT_TRUE(f.discard.empty());
};
const auto some_discarded = [](const Truth& f, const Truth& c) {
    EXPECT_FALSE(f.discard.empty());
    EXPECT_EQ(size_of(f.keep) + size_of(f.may_lose) + size_of(f.discard), size_of(c.keep));
};
const auto some_may_be_lost = [](const Truth& f, const Truth& c) {
    EXPECT_FALSE(f.may_lose.empty());
    EXPECT_LT(size_of(f.keep), size_of(c.keep));
    EXPECT_EQ(size_of(f.keep) + size_of(f.may_lose), size_of(c.keep));
};
/// Only what the records do not carry changed (a decoder must see through it).
const auto same_records = [](const Truth& f, const Truth& c) {
    EXPECT_EQ(f.keep, c.keep);
    EXPECT_TRUE(f.may_lose.empty());
    EXPECT_TRUE(f.discard.empty());
};
const auto wraps = [](const Truth& f, const Truth& c) {
    changed_rows(f, c);
    const bool found = std::any_of(f.keep.begin(), f.keep.end(),
                                   [](const auto& r) { return r.first.find(",4294967295,") != std::string::npos; });
    EXPECT_TRUE(found) << "no record with sequence 2^32-1";
};

const Case kCases[] = {
    {"dual-stack", "drop:messages=2-4", some_discarded},
    {"dual-stack", "duplicate:every=3",
     [](const Truth& f, const Truth& c) {
         EXPECT_EQ(f.keep, c.keep);
         EXPECT_FALSE(f.may_lose.empty());  // the copies
     }},
    {"dual-stack", "reorder:messages=1,by=2", some_may_be_lost},  // data ahead of its template
    {"dual-stack", "sequence_gap:messages=3", changed_rows},
    {"dual-stack", "sequence_reset:messages=4", changed_rows},
    {"dual-stack", "sequence_wrap:messages=2", wraps},
    {"dual-stack", "export_time_back:messages=2-5,by=3600s", changed_rows},
    {"dual-stack", "uptime_wrap:exporter=building-a,messages=3", same_records},
    {"dual-stack", "restart:exporter=building-a,messages=4", changed_rows},
    {"dual-stack", "missing_template",
     [](const Truth& f, const Truth& c) {
         EXPECT_TRUE(f.keep.empty());
         EXPECT_EQ(size_of(f.may_lose), size_of(c.keep));
     }},
    // Never refreshed: building-a refreshes its templates every 20 messages, which takes more
    // than 10 minutes.
    {"dual-stack", "missing_template:exporter=building-a,messages=2-", kept_all, "2h"},
    {"dual-stack", "data_before_template:messages=1", some_may_be_lost},
    {"dual-stack", "truncate:messages=2,by=10", some_discarded},
    {"dual-stack", "message_length:messages=2", some_discarded},
    {"dual-stack", "drop:from=2m,to=4m", some_discarded},
    // Over UDP a withdrawal must be ignored (RFC 7011 8.4): every record keeps its template.
    {"dual-stack", "template_withdraw:messages=2", same_records},
    {"dual-stack", "template_redefine:messages=3", same_records},
    {"dual-stack", "template_redefine:messages=3-6,every=2", same_records},
    {"dual-stack", "template_reuse:messages=3-4", changed_rows},  // the records' domain
    {"dual-stack", "template_refresh_never", same_records, "2h"},
    {"dual-stack", "zero_length_set:messages=2", some_discarded},
    {"dual-stack", "short_set:messages=2,by=3", some_discarded},
    {"dual-stack", "set_length_past:messages=2-3", some_discarded},
    {"dual-stack", "padding:messages=2-4,by=3", same_records},  // shorter than any record: allowed
    {"dual-stack", "field_count_large:messages=1", some_discarded},
    // A decoder skips what it does not know by its length and keeps the rest of the record.
    {"dual-stack", "unknown_element:messages=2-4", same_records},
    {"dual-stack", "enterprise_element:messages=2,by=7", same_records},
    {"dual-stack", "varlen_3byte:messages=2-3,by=300", same_records},
    {"example-incidents", "drop:messages=2-4", some_discarded},
    {"example-incidents", "duplicate:messages=1", [](const Truth& f, const Truth&) { EXPECT_FALSE(f.may_lose.empty()); }},
    {"example-incidents", "sequence_wrap:messages=2", wraps},
    {"example-incidents", "export_time_back:messages=2,by=10s", changed_rows},
    {"example-incidents", "uptime_wrap:messages=2,by=10ms", same_records},
    {"example-incidents", "restart:messages=3", changed_rows},
    {"example-incidents", "truncate:messages=3,by=100", some_discarded},
};

TEST_P(FaultKinds, FlowlabDecodesWhatTheTruthKeepsAndNothingItForbids) {
    const Case& c = GetParam();
    TempDir dir;
    const auto clean_run = gen(c.scenario, dir / "clean", {}, c.duration);
    ASSERT_EQ(clean_run.exit_code, 0) << clean_run.err;
    const auto r = gen(c.scenario, dir / "faulted", {c.fault}, c.duration);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Truth clean = truth_of(dir / "clean");
    const Truth faulted = truth_of(dir / "faulted");
    ASSERT_FALSE(clean.keep.empty());
    EXPECT_TRUE(read_file(dir / "clean/exports.pcap") != read_file(dir / "faulted/exports.pcap")) << "the fault changed nothing";
    c.effect(faulted, clean);
    expect_within_truth(bag_of(rows_of(decode(dir / "faulted"))), faulted, "flowlab decode");

    const auto manifest = nlohmann::json::parse(read_file(dir / "faulted/manifest.json"));
    ASSERT_TRUE(manifest.contains("faults"));
    EXPECT_GT(manifest["faults"]["applied"][0]["messages_hit"].get<int>(), 0);
    EXPECT_EQ(manifest["faults"]["records"]["keep"].get<std::size_t>(), size_of(faulted.keep));
    EXPECT_EQ(manifest["faults"]["records"]["may_lose"].get<std::size_t>(), size_of(faulted.may_lose));
    EXPECT_EQ(manifest["faults"]["records"]["discard"].get<std::size_t>(), size_of(faulted.discard));
}

INSTANTIATE_TEST_SUITE_P(Gen, FaultKinds, ::testing::ValuesIn(kCases));

TEST(Faults, ARunWithoutFaultsHasNoFaultFilesAndAnEmptyListChangesNothing) {
    TempDir dir;
    ASSERT_EQ(gen("dual-stack", dir / "plain", {}).exit_code, 0);
    EXPECT_FALSE(std::filesystem::exists(dir / "plain/truth/may-lose.csv"));
    EXPECT_FALSE(std::filesystem::exists(dir / "plain/truth/discard.csv"));
    EXPECT_FALSE(nlohmann::json::parse(read_file(dir / "plain/manifest.json")).contains("faults"));

    auto doc = nlohmann::ordered_json::parse(read_file(source_dir() + "/scenarios/dual-stack.json"));
    doc["faults"] = nlohmann::ordered_json::array();
    write_file(dir / "empty.json", doc.dump(2));
    ASSERT_EQ(gen(dir / "empty.json", dir / "empty", {}).exit_code, 0);
    EXPECT_TRUE(read_file(dir / "plain/exports.pcap") == read_file(dir / "empty/exports.pcap"));
    EXPECT_EQ(read_file(dir / "plain/truth/records.csv"), read_file(dir / "empty/truth/records.csv"));
}

TEST(Faults, AFaultedRunIsTheSameBytesEveryTime) {
    TempDir dir;
    const std::vector<std::string> faults{"drop:every=5", "duplicate:messages=2", "reorder:messages=3-4",
                                          "sequence_gap:messages=6,by=7", "truncate:messages=8"};
    ASSERT_EQ(gen("dual-stack", dir / "a", faults).exit_code, 0);
    ASSERT_EQ(gen("dual-stack", dir / "b", faults).exit_code, 0);
    for (const char* f : {"exports.pcap", "truth/records.csv", "truth/may-lose.csv", "truth/discard.csv", "manifest.json"})
        EXPECT_TRUE(read_file(dir / "a/" + f) == read_file(dir / "b/" + f)) << f;
}

TEST(Faults, TheScenarioListAndTheOptionAreOneVocabulary) {
    TempDir dir;
    auto doc = nlohmann::ordered_json::parse(read_file(source_dir() + "/scenarios/dual-stack.json"));
    doc["faults"] = {{{"fault", "drop"}, {"exporter", "building-a"}, {"messages", "2-4"}},
                     {{"fault", "sequence_gap"}, {"messages", 3}, {"by", 50}}};
    write_file(dir / "faulted.json", doc.dump(2));
    if (run({"python3", "-c", "import jsonschema"}).exit_code == 0) {
        const auto schema = run({"python3", source_dir() + "/tests/gen/check_schema.py", source_dir() + "/scenarios/schema.json",
                                 "--valid", dir / "faulted.json"});
        EXPECT_EQ(schema.exit_code, 0) << schema.out << schema.err;
    }
    ASSERT_EQ(gen(dir / "faulted.json", dir / "file", {}).exit_code, 0);
    ASSERT_EQ(gen("dual-stack", dir / "option", {"drop:exporter=building-a,messages=2-4", "sequence_gap:messages=3,by=50"})
                  .exit_code,
              0);
    EXPECT_TRUE(read_file(dir / "file/exports.pcap") == read_file(dir / "option/exports.pcap"));
    EXPECT_EQ(read_file(dir / "file/truth/discard.csv"), read_file(dir / "option/truth/discard.csv"));
}

/// The schema's list of fault kinds is the one gen accepts (its refusal of an unknown kind
/// lists them).
TEST(Faults, TheSchemaKnowsEveryKindGenAccepts) {
    TempDir dir;
    const auto r = gen("dual-stack", dir / "out", {"bogus"});
    ASSERT_EQ(r.exit_code, 2);
    const auto from = r.err.find("expected one of ");
    ASSERT_NE(from, std::string::npos) << r.err;
    const auto list = r.err.substr(from + 16, r.err.find(')', from) - from - 16);
    std::set<std::string> accepted;
    std::stringstream in(list);
    for (std::string k; std::getline(in, k, ',');) accepted.insert(k.substr(k.find_first_not_of(' ')));
    const auto schema = nlohmann::json::parse(read_file(source_dir() + "/scenarios/schema.json"));
    std::set<std::string> listed;
    for (const auto& k : schema.at("$defs").at("fault").at("properties").at("fault").at("enum")) listed.insert(k.get<std::string>());
    EXPECT_GE(accepted.size(), 13u);
    EXPECT_EQ(listed, accepted);
}

TEST(Faults, VerifyLetsMayLoseRecordsGoAndCountsDiscardedOnesAsUnexpected) {
    TempDir dir;
    ASSERT_EQ(gen("dual-stack", dir / "run", {"duplicate:every=4", "drop:messages=2"}).exit_code, 0);
    const Truth t = truth_of(dir / "run");
    ASSERT_FALSE(t.may_lose.empty());
    ASSERT_FALSE(t.discard.empty());
    const std::string header = read_file(dir / "run/truth/records.csv").substr(0, read_file(dir / "run/truth/records.csv").find('\n') + 1);
    auto write_rows = [&](const std::string& path, const std::vector<std::string>& rows) {
        std::string text = header;
        for (const auto& r : rows) text += r + "\n";
        write_file(path, text);
    };
    const auto verify = [&](const std::string& collected) {
        return run({flowlab_bin(), "verify", "--truth", dir / "run", "--collected", collected, "--no-progress"});
    };
    // Everything a decoder outputs: matches, the copies counted apart.
    write_file(dir / "all.csv", decode(dir / "run"));
    const auto full = verify(dir / "all.csv");
    EXPECT_EQ(full.exit_code, 0) << full.out << full.err;
    EXPECT_NE(full.out.find("may lose   " + std::to_string(size_of(t.may_lose))), std::string::npos) << full.out;
    // Only what it must output: still a match, the may-lose records reported as not received.
    std::vector<std::string> kept;
    for (const auto& [row, k] : t.keep)
        for (int i = 0; i < k; ++i) kept.push_back(row);
    write_rows(dir / "kept.csv", kept);
    const auto only_kept = verify(dir / "kept.csv");
    EXPECT_EQ(only_kept.exit_code, 0) << only_kept.out;
    EXPECT_NE(only_kept.out.find("0 received, " + std::to_string(size_of(t.may_lose)) + " not"), std::string::npos)
        << only_kept.out;
    // A record it must discard: a difference.
    std::vector<std::string> with_discarded = kept;
    with_discarded.push_back(t.discard.begin()->first);
    write_rows(dir / "discarded.csv", with_discarded);
    const auto bad = verify(dir / "discarded.csv");
    EXPECT_EQ(bad.exit_code, 1) << bad.out;
    EXPECT_NE(bad.out.find("unexpected 1"), std::string::npos) << bad.out;
    // A kept record missing: still loss.
    kept.pop_back();
    write_rows(dir / "short.csv", kept);
    EXPECT_EQ(verify(dir / "short.csv").exit_code, 1);
}

TEST(Faults, VerifyOfARunWithoutFaultsSaysNothingOfMayLose) {
    TempDir dir;
    ASSERT_EQ(gen("dual-stack", dir / "run", {}).exit_code, 0);
    write_file(dir / "all.csv", decode(dir / "run"));
    const auto r = run({flowlab_bin(), "verify", "--truth", dir / "run", "--collected", dir / "all.csv", "--no-progress"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.find("may lose"), std::string::npos) << r.out;
}

TEST(Faults, BadFaultOptionsAreRefusedWithTheirText) {
    TempDir dir;
    const struct {
        std::vector<std::string> faults;
        const char* scenario;
        const char* says;
    } cases[] = {
        {{"bogus"}, "dual-stack", "--fault \"bogus\" (fault): unknown fault \"bogus\""},
        {{"drop:messages=0"}, "dual-stack", "--fault \"drop:messages=0\" (messages)"},
        {{"drop:messages=5-2"}, "dual-stack", "is empty"},
        {{"drop:mesages=2"}, "dual-stack", "mesages"},
        {{"drop:exporter=nope"}, "dual-stack", "no exporter \"nope\""},
        {{"drop:by=3"}, "dual-stack", "takes no \"by\""},
        {{"drop:messages"}, "dual-stack", "KEY=VALUE"},
        {{"export_time_back:by=1500ms"}, "dual-stack", "whole seconds"},
        {{"message_length"}, "example-incidents", "applies to none of the scenario's exporters"},
        {{"missing_template:exporter=building-a"}, "example-incidents", "no exporter"},
        {{"uptime_wrap:exporter=building-b"}, "dual-stack", "does not apply to exporter building-b (ipfix)"},
        {{"uptime_wrap:by=0s"}, "dual-stack", "--fault \"uptime_wrap:by=0s\" (by): expected whole milliseconds from 1ms"},
        {{"restart:by=50d"}, "example-incidents", "to 49d"},
        {{"restart"}, "ddos", "applies to none of the scenario's exporters (it needs NetFlow v5 or v9)"},
        {{"template_withdraw:exporter=building-a"}, "dual-stack", "does not apply to exporter building-a (v9)"},
        {{"template_reuse:exporter=building-b,by=42"}, "dual-stack",
         "--fault \"template_reuse:exporter=building-b,by=42\" (by): template_reuse needs another observation domain"},
        // Sampled: the rate reaches a collector in options data of the exporter's own domain.
        {{"template_reuse"}, "example-office", "cannot apply to exporter core-v9: it sends options data"},
        {{"short_set:by=0"}, "dual-stack", "expected a set length from 1 to 3"},
        {{"padding:by=0"}, "dual-stack", "(by): expected an integer from 1 to 65535"},
        {{"unknown_element:by=8"}, "dual-stack", "(by): element 8 is sourceIPv4Address, which a decoder knows"},
        {{"enterprise_element:exporter=building-a"}, "dual-stack", "does not apply to exporter building-a (v9)"},
        {{"varlen_3byte"}, "example-incidents", "applies to none of the scenario's exporters (it needs IPFIX)"},
        {{"options_scope_zero:exporter=building-b"}, "dual-stack",
         "--fault \"options_scope_zero:exporter=building-b\" (exporter): options_scope_zero needs an exporter that sends an "
         "options template; building-b sends none"},
        {{"options_scope_zero"}, "dual-stack", "applies to none of the scenario's exporters (it needs a NetFlow v9 or IPFIX exporter that sends an options template)"},
        {{"options_scope_zero"}, "example-incidents", "applies to none of the scenario's exporters (it needs a NetFlow v9 or IPFIX"},
        {{"options_scope_zero:by=1"}, "dual-stack", "takes no \"by\""},
    };
    for (const auto& c : cases) {
        const auto r = gen(c.scenario, dir / "out", c.faults);
        EXPECT_EQ(r.exit_code, 2) << c.faults[0] << ": " << r.err;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << c.faults[0] << ": " << r.err;
        EXPECT_FALSE(std::filesystem::exists(dir / "out")) << c.faults[0];
    }
}

TEST(Faults, BadFaultsInAScenarioAreRefusedWithFileAndPath) {
    TempDir dir;
    const struct {
        nlohmann::ordered_json fault;
        const char* place;
        const char* says;
    } cases[] = {
        {{{"fault", "smash"}}, "/faults/0/fault", "unknown fault"},
        {{{"fault", "drop"}, {"exporter", "nope"}}, "/faults/0/exporter", "no exporter"},
        {{{"fault", "drop"}, {"messages", "x"}}, "/faults/0/messages", "message numbers"},
        {{{"fault", "reorder"}, {"by", 0}}, "/faults/0/by", ""},
        {{{"fault", "drop"}, {"from", "5m"}, {"to", "1m"}}, "/faults/0/to", "ends before it starts"},
        {{{"fault", "drop"}, {"every", 2}, {"extra", 1}}, "/faults/0", "extra"},
        {{{"fault", "message_length"}, {"exporter", "building-a"}}, "/faults/0", "does not apply to exporter building-a"},
        {{{"fault", "uptime_wrap"}, {"exporter", "building-b"}}, "/faults/0", "does not apply to exporter building-b (ipfix)"},
        {{{"fault", "uptime_wrap"}, {"by", "1500us"}}, "/faults/0/by", "whole milliseconds from 1ms to 49d"},
        {{{"fault", "restart"}, {"by", "50d"}}, "/faults/0/by", "whole milliseconds from 0s to 49d"},
        {{{"fault", "restart"}, {"by", "soon"}}, "/faults/0/by", ""},
        {{{"fault", "options_scope_zero"}, {"exporter", "building-a"}}, "/faults/0/exporter",
         "options_scope_zero needs an exporter that sends an options template; building-a sends none"},
        {{{"fault", "options_scope_zero"}}, "/faults/0", "it needs a NetFlow v9 or IPFIX exporter that sends an options template"},
    };
    for (const auto& c : cases) {
        auto doc = nlohmann::ordered_json::parse(read_file(source_dir() + "/scenarios/dual-stack.json"));
        doc["faults"] = nlohmann::ordered_json::array({c.fault});
        const std::string file = dir / "bad.json";
        write_file(file, doc.dump(2));
        const auto r = gen(file, dir / "out", {});
        EXPECT_EQ(r.exit_code, 2) << c.fault.dump() << ": " << r.err;
        EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(c.place), std::string::npos) << c.fault.dump() << ": " << r.err;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << c.fault.dump() << ": " << r.err;
        EXPECT_FALSE(std::filesystem::exists(dir / "out"));
    }
}

std::uint32_t be32(const std::vector<std::uint8_t>& b, std::size_t at) {
    return std::uint32_t{b.at(at)} << 24 | std::uint32_t{b.at(at + 1)} << 16 | std::uint32_t{b.at(at + 2)} << 8 | b.at(at + 3);
}

/// The export time a v5 or v9 header states, in ms (sysUptime counts up to it).
std::int64_t header_ms(const std::vector<std::uint8_t>& b) {
    const std::int64_t ms = std::int64_t{be32(b, 8)} * 1000;
    return b.at(1) == 5 ? ms + be32(b, 12) / 1'000'000 : ms;
}

std::vector<Datagram> messages_of(const std::string& pcap, const std::string& address) {
    for (auto& [source, datagrams] : datagrams_by_source(pcap))
        if (source.first == address) return datagrams;
    ADD_FAILURE() << "no datagram from " << address;
    return {};
}

/// truth/records.csv of a run as columns: the header, then each row's cells (as many as the header).
struct TruthTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;

    explicit TruthTable(const std::string& dir) {
        const auto all = lines(dir + "/truth/records.csv");
        header = split(all.at(0));
        for (std::size_t i = 1; i < all.size(); ++i) {
            rows.push_back(split(all[i]));
            rows.back().resize(header.size());
        }
    }
    std::size_t column(std::string_view name) const {
        return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    }
    static std::vector<std::string> split(const std::string& line) {
        std::vector<std::string> cols;
        std::stringstream in(line);
        for (std::string c; std::getline(in, c, ',');) cols.push_back(c);
        return cols;
    }
};

/// Truth rows of one exporter whose flow began before `ms` and was exported at or after it.
std::size_t records_spanning(const std::string& dir, const std::string& address, std::int64_t ms) {
    const TruthTable t(dir);
    const std::size_t first = t.column("first_ms"), exported = t.column("export_ms");
    std::size_t n = 0;
    for (const auto& cols : t.rows) {
        if (cols[0] != address) continue;
        if (std::stoll(cols.at(first)) < ms && std::stoll(cols.at(exported)) >= ms) ++n;
    }
    return n;
}

/// sysUptime wraps (or restarts) where the fault says and keeps counting from there, and some
/// records' flows span the wrap or began before the restart, so a decoder that gets the
/// truth's flow times back has read their uptime fields modulo 2^32.
TEST(Faults, UptimeWrapAndRestartMoveTheHeaderClockAndFlowsSpanIt) {
    const struct {
        const char* scenario;
        const char* address;
        std::size_t sequence_at;
    } exporters[] = {{"dual-stack", "192.0.2.41", 12}, {"example-incidents", "192.0.2.254", 16}};
    for (const auto& x : exporters) {
        SCOPED_TRACE(x.scenario);
        TempDir dir;
        ASSERT_EQ(gen(x.scenario, dir / "wrap", {"uptime_wrap:messages=3,by=5s"}).exit_code, 0);
        const auto wrapped = messages_of(dir / "wrap/exports.pcap", x.address);
        ASSERT_GT(wrapped.size(), 4u);
        EXPECT_EQ(be32(wrapped[2].payload, 4), 0xFFFFFFFFu - 4999u);
        const std::int64_t wrap_ms = header_ms(wrapped[2].payload) + 5000;
        for (std::size_t i = 2; i < wrapped.size(); ++i)
            EXPECT_EQ(be32(wrapped[i].payload, 4), static_cast<std::uint32_t>(header_ms(wrapped[i].payload) - wrap_ms))
                << "message " << i + 1;
        EXPECT_GT(records_spanning(dir / "wrap", x.address, wrap_ms), 0u);
        expect_within_truth(bag_of(rows_of(decode(dir / "wrap"))), truth_of(dir / "wrap"), "uptime_wrap");

        ASSERT_EQ(gen(x.scenario, dir / "restart", {"restart:messages=3"}).exit_code, 0);
        const auto restarted = messages_of(dir / "restart/exports.pcap", x.address);
        ASSERT_GT(restarted.size(), 4u);
        EXPECT_EQ(be32(restarted[2].payload, 4), 0u);  // the default: restarted at the export
        EXPECT_EQ(be32(restarted[2].payload, x.sequence_at), 0u);
        const std::int64_t boot_ms = header_ms(restarted[2].payload);
        for (std::size_t i = 2; i < restarted.size(); ++i)
            EXPECT_EQ(be32(restarted[i].payload, 4), static_cast<std::uint32_t>(header_ms(restarted[i].payload) - boot_ms))
                << "message " << i + 1;
        ASSERT_EQ(gen(x.scenario, dir / "clean", {}).exit_code, 0);
        const auto clean = messages_of(dir / "clean/exports.pcap", x.address);
        ASSERT_EQ(clean.size(), restarted.size());
        for (std::size_t i = 2; i < restarted.size(); ++i)
            EXPECT_EQ(be32(restarted[i].payload, x.sequence_at),
                      be32(clean[i].payload, x.sequence_at) - be32(clean[2].payload, x.sequence_at))
                << "message " << i + 1;
        EXPECT_GT(records_spanning(dir / "restart", x.address, boot_ms), 0u);
        expect_within_truth(bag_of(rows_of(decode(dir / "restart"))), truth_of(dir / "restart"), "restart");
    }
}

/// A restarted exporter counts its sequence numbers again as it does from boot: from 0 (RFC
/// 3954), from 1 where it counts the packet itself (softflowd), from the message's own records
/// where it counts them including the message's (OpenBSD pflow v9); the truth carries those
/// numbers and flowlab's decoder reads the same.
TEST(Faults, RestartCountsTheSequenceAgainFromTheExportersFirstNumber) {
    const struct {
        const char* dialect;
        bool counts_this_message;  ///< the message carries the counter including itself
        std::uint32_t first;       ///< what message 1 of a run carries (records_including: varies)
    } dialects[] = {{"cisco-ios-v9", false, 0}, {"softflowd-v9", true, 1}, {"openbsd-pflow-v9", true, 0}};
    for (const auto& d : dialects) {
        SCOPED_TRACE(d.dialect);
        TempDir dir;
        const auto run_with = [&](const std::string& out, const std::vector<std::string>& faults) {
            std::vector<std::string> argv{flowlab_bin(), "gen", "dual-stack", "-o", dir / out, "--duration", "10m",
                                          "--no-progress", "--dialect", d.dialect};
            for (const auto& f : faults) argv.insert(argv.end(), {"--fault", f});
            const auto r = run(argv);
            EXPECT_EQ(r.exit_code, 0) << r.err;
        };
        run_with("clean", {});
        run_with("restart", {"restart:exporter=building-a,messages=3"});
        const auto clean = messages_of(dir / "clean/exports.pcap", "192.0.2.41");
        const auto restarted = messages_of(dir / "restart/exports.pcap", "192.0.2.41");
        ASSERT_GT(clean.size(), 4u);
        ASSERT_EQ(clean.size(), restarted.size());
        constexpr std::size_t kSequence = 12;
        if (std::string_view(d.dialect) != "openbsd-pflow-v9") {
            EXPECT_EQ(be32(clean[0].payload, kSequence), d.first);
            EXPECT_EQ(be32(restarted[2].payload, kSequence), d.first) << "the restart does not start at the first number";
        } else {
            // Each message carries the records sent including its own: message 1 its own
            // count (0 in its template-only first message), and so the first after the restart.
            EXPECT_EQ(be32(clean[0].payload, kSequence), 0u);
            ASSERT_NE(be32(clean[2].payload, kSequence), be32(clean[1].payload, kSequence)) << "message 3 has no records";
        }
        const std::uint32_t before = be32(clean[d.counts_this_message ? 1 : 2].payload, kSequence);
        for (std::size_t i = 0; i < restarted.size(); ++i)
            EXPECT_EQ(be32(restarted[i].payload, kSequence), be32(clean[i].payload, kSequence) - (i < 2 ? 0u : before))
                << "message " << i + 1;
        EXPECT_EQ(be32(restarted[2].payload, 4), 0u);
        expect_within_truth(bag_of(rows_of(decode(dir / "restart"))), truth_of(dir / "restart"), d.dialect);
        // The truth carries the restarted numbers, not the clean ones.
        const TruthTable truth(dir / "restart");
        const std::size_t sequence = truth.column("sequence"), exporter = truth.column("exporter");
        std::set<std::uint32_t> carried;
        for (const auto& row : truth.rows)
            if (row[exporter] == "192.0.2.41") carried.insert(static_cast<std::uint32_t>(std::stoul(row[sequence])));
        std::set<std::uint32_t> sent;
        for (const auto& m : restarted)
            if (be32(m.payload, 0) >> 16 == 9 && (be32(m.payload, 0) & 0xFFFFu) != 0) sent.insert(be32(m.payload, kSequence));
        for (const std::uint32_t n : carried) EXPECT_EQ(sent.count(n), 1u) << "the truth has sequence " << n << ", no message does";
    }
}

/// A v9 exporter that counts only data records in the header (softflowd) keeps that count when
/// its templates are left out; one that counts every record (RFC 3954) loses theirs from it.
TEST(Faults, MissingTemplatesKeepTheExportersV9Count) {
    TempDir dir;
    for (const char* dialect : {"softflowd-v9", ""}) {
        SCOPED_TRACE(*dialect ? dialect : "RFC count");
        std::vector<std::string> clean_argv{flowlab_bin(), "gen", "example-office", "-o", dir / "clean",
                                            "--duration", "10m", "--no-progress"};
        if (*dialect) clean_argv.insert(clean_argv.end(), {"--dialect", dialect});
        auto faulted_argv = clean_argv;
        faulted_argv[4] = dir / "faulted";
        faulted_argv.insert(faulted_argv.end(), {"--fault", "missing_template:messages=1"});
        const auto c = run(clean_argv), f = run(faulted_argv);
        ASSERT_EQ(c.exit_code, 0) << c.err;
        ASSERT_EQ(f.exit_code, 0) << f.err;
        std::size_t compared = 0;
        const auto clean = datagrams_by_source(dir / "clean/exports.pcap");
        const auto faulted = datagrams_by_source(dir / "faulted/exports.pcap");
        for (const auto& [source, messages] : clean) {
            const auto& first = messages.at(0).payload;
            if (first.at(1) != 9) continue;
            const auto& damaged = faulted.at(source).at(0).payload;
            ASSERT_LT(damaged.size(), first.size()) << "no template was left out";
            const unsigned count = first.at(2) * 256u + first.at(3), left = damaged.at(2) * 256u + damaged.at(3);
            if (*dialect) EXPECT_EQ(left, count) << source.first;
            else EXPECT_LT(left, count) << source.first;
            ++compared;
        }
        EXPECT_GT(compared, 0u);
        expect_within_truth(bag_of(rows_of(decode(dir / "faulted"))), truth_of(dir / "faulted"), "flowlab decode");
        std::filesystem::remove_all(dir / "clean");
        std::filesystem::remove_all(dir / "faulted");
    }
}

std::uint16_t be16(const std::vector<std::uint8_t>& b, std::size_t at) { return static_cast<std::uint16_t>(b.at(at) << 8 | b.at(at + 1)); }

struct WireSet {
    std::uint16_t id;
    std::size_t offset, length;
};

/// The sets of a v9 or IPFIX message as its set headers chain them.
std::vector<WireSet> sets_of(const std::vector<std::uint8_t>& b) {
    std::vector<WireSet> out;
    for (std::size_t at = b.at(1) == 10 ? 16 : 20; at + 4 <= b.size();) {
        const WireSet s{be16(b, at), at, be16(b, at + 2)};
        if (s.length < 4) break;
        out.push_back(s);
        at += s.length;
    }
    return out;
}

/// Template id -> its field specifiers "id/length" (enterprise ones "id/length/pen"), from
/// the message's (non-options) template sets; a withdrawal has no fields.
std::map<std::uint16_t, std::vector<std::string>> templates_of(const std::vector<std::uint8_t>& b) {
    std::map<std::uint16_t, std::vector<std::string>> out;
    const bool ipfix = b.at(1) == 10;
    for (const auto& s : sets_of(b)) {
        if (s.id != (ipfix ? 2 : 0)) continue;
        for (std::size_t q = s.offset + 4; q + 4 <= s.offset + s.length;) {
            const std::uint16_t id = be16(b, q), n = be16(b, q + 2);
            if (id < 256) break;
            q += 4;
            auto& fields = out[id];
            for (std::uint16_t i = 0; i < n; ++i) {
                std::string f = std::to_string(be16(b, q) & 0x7FFF) + "/" + std::to_string(be16(b, q + 2));
                if (ipfix && (be16(b, q) & 0x8000)) {
                    f += "/" + std::to_string(be32(b, q + 4));
                    q += 4;
                }
                fields.push_back(f);
                q += 4;
            }
        }
    }
    return out;
}

/// The ids of the data sets of a message.
std::vector<std::uint16_t> data_sets_of(const std::vector<std::uint8_t>& b) {
    std::vector<std::uint16_t> ids;
    for (const auto& s : sets_of(b))
        if (s.id >= 256) ids.push_back(s.id);
    return ids;
}

/// Every template id -> its fields, over all messages of one exporter in a clean run.
std::map<std::uint16_t, std::vector<std::string>> all_templates(const std::vector<Datagram>& messages) {
    std::map<std::uint16_t, std::vector<std::string>> out;
    for (const auto& m : messages)
        for (auto& [id, fields] : templates_of(m.payload)) out[id] = fields;
    return out;
}

/// template_redefine and template_reuse write the templates of the messages they select with
/// the fields reversed, the data records to match, and a template set where the layout the
/// collector holds changes; template_withdraw appends an IPFIX withdrawal set; with
/// template_refresh_never no template id is carried twice.
TEST(Faults, TemplateFaultsWriteTheLayoutTheyName) {
    TempDir dir;
    ASSERT_EQ(gen("dual-stack", dir / "clean", {}).exit_code, 0);
    ASSERT_EQ(gen("dual-stack", dir / "redefine", {"template_redefine:messages=3"}).exit_code, 0);
    ASSERT_EQ(gen("dual-stack", dir / "reuse", {"template_reuse:exporter=building-b,messages=3,by=7"}).exit_code, 0);
    ASSERT_EQ(gen("dual-stack", dir / "withdraw", {"template_withdraw:messages=2"}).exit_code, 0);
    for (const char* address : {"192.0.2.41", "192.0.2.42"}) {
        SCOPED_TRACE(address);
        const auto clean = messages_of(dir / "clean/exports.pcap", address);
        const auto redefined = messages_of(dir / "redefine/exports.pcap", address);
        ASSERT_EQ(redefined.size(), clean.size());
        ASSERT_GT(clean.size(), 4u);
        const auto defined = all_templates(clean);
        // Message 3: every template its data uses is there, reversed; the data sets are as long.
        const auto third = templates_of(redefined[2].payload);
        ASSERT_FALSE(data_sets_of(redefined[2].payload).empty());
        for (std::uint16_t id : data_sets_of(redefined[2].payload)) {
            if (!defined.count(id) || third.count(id) == 0) {
                ADD_FAILURE() << "message 3 has data of template " << id << " without defining it";
                continue;
            }
            const auto& original = defined.at(id);
            EXPECT_EQ(third.at(id), std::vector<std::string>(original.rbegin(), original.rend())) << "template " << id;
        }
        // The data records are rewritten in place: as many bytes, other ones.
        EXPECT_GE(redefined[2].payload.size(), clean[2].payload.size());
        EXPECT_TRUE(redefined[2].payload != clean[2].payload);
        // Message 4: back to the exporter's layout, defined again before its data.
        const auto fourth = templates_of(redefined[3].payload);
        for (std::uint16_t id : data_sets_of(redefined[3].payload))
            if (defined.count(id) && third.count(id)) {
                ASSERT_EQ(fourth.count(id), 1u) << "message 4 has data of template " << id << " without defining it again";
                EXPECT_EQ(fourth.at(id), defined.at(id)) << "template " << id;
            }
        // The other messages are untouched.
        for (std::size_t i : {0u, 1u, 4u}) EXPECT_TRUE(redefined[i].payload == clean[i].payload) << "message " << i + 1;
        expect_within_truth(bag_of(rows_of(decode(dir / "redefine"))), truth_of(dir / "redefine"), "template_redefine");
    }
    {
        const auto clean = messages_of(dir / "clean/exports.pcap", "192.0.2.42");
        const auto reused = messages_of(dir / "reuse/exports.pcap", "192.0.2.42");
        ASSERT_EQ(reused.size(), clean.size());
        EXPECT_EQ(be32(reused[2].payload, 12), 7u);
        EXPECT_EQ(be32(reused[3].payload, 12), 42u);
        const auto defined = all_templates(clean);
        const auto third = templates_of(reused[2].payload);
        for (std::uint16_t id : data_sets_of(reused[2].payload)) {
            ASSERT_EQ(third.count(id), 1u) << "domain 7 uses template " << id << " without defining it";
            EXPECT_EQ(third.at(id), std::vector<std::string>(defined.at(id).rbegin(), defined.at(id).rend()));
        }
        // The exporter's own domain keeps its definition: message 4 needs none.
        EXPECT_TRUE(reused[3].payload == clean[3].payload);
        const auto rows = rows_of(read_file(dir / "reuse/truth/records.csv"));
        EXPECT_TRUE(std::any_of(rows.begin(), rows.end(), [](const std::string& r) { return r.rfind("192.0.2.42,7,", 0) == 0; }));
        expect_within_truth(bag_of(rows_of(decode(dir / "reuse"))), truth_of(dir / "reuse"), "template_reuse");
    }
    {
        const auto clean = messages_of(dir / "clean/exports.pcap", "192.0.2.42");
        const auto withdrawn = messages_of(dir / "withdraw/exports.pcap", "192.0.2.42");
        const auto& b = withdrawn[1].payload;
        const auto sets = sets_of(b);
        ASSERT_FALSE(sets.empty());
        const WireSet last = sets.back();
        EXPECT_EQ(last.id, 2);
        EXPECT_EQ(last.offset, clean[1].payload.size()) << "the withdrawal follows the message as it was";
        EXPECT_EQ(be16(b, 2), b.size());
        std::vector<std::uint16_t> ids;
        for (std::size_t q = last.offset + 4; q + 4 <= last.offset + last.length; q += 4) {
            EXPECT_EQ(be16(b, q + 2), 0) << "field count of a withdrawal";
            ids.push_back(be16(b, q));
        }
        std::vector<std::uint16_t> first_ids;
        for (const auto& [id, fields] : templates_of(clean[0].payload)) first_ids.push_back(id);
        EXPECT_EQ(ids, first_ids);
        EXPECT_TRUE(std::equal(clean[1].payload.begin() + 4, clean[1].payload.end(), b.begin() + 4));
    }
}

TEST(Faults, TemplateRefreshNeverCarriesEachTemplateOnce) {
    TempDir dir;
    ASSERT_EQ(gen("dual-stack", dir / "clean", {}, "2h").exit_code, 0);
    ASSERT_EQ(gen("dual-stack", dir / "never", {"template_refresh_never"}, "2h").exit_code, 0);
    for (const char* address : {"192.0.2.41", "192.0.2.42"}) {
        SCOPED_TRACE(address);
        const auto count = [](const std::vector<Datagram>& messages) {
            std::map<std::uint16_t, int> n;
            for (const auto& m : messages)
                for (const auto& [id, fields] : templates_of(m.payload)) ++n[id];
            return n;
        };
        const auto clean = count(messages_of(dir / "clean/exports.pcap", address));
        const auto never = count(messages_of(dir / "never/exports.pcap", address));
        EXPECT_TRUE(std::any_of(clean.begin(), clean.end(), [](const auto& c) { return c.second > 1; }))
            << "the clean run refreshes no template";
        ASSERT_EQ(never.size(), clean.size());
        for (const auto& [id, n] : never) EXPECT_EQ(n, 1) << "template " << id;
    }
    // The v9 count (every record, RFC 3954 5.1) goes down by the template records left out.
    const auto template_records = [](const std::vector<std::uint8_t>& b) {
        int n = 0;
        for (const auto& s : sets_of(b)) {
            if (s.id > 1) continue;
            for (std::size_t q = s.offset + 4; q + 6 <= s.offset + s.length && be16(b, q) >= 256; ++n)
                q += s.id == 0 ? 4 + 4 * std::size_t{be16(b, q + 2)} : 6 + std::size_t{be16(b, q + 2)} + be16(b, q + 4);
        }
        return n;
    };
    const auto clean_v9 = messages_of(dir / "clean/exports.pcap", "192.0.2.41");
    const auto never_v9 = messages_of(dir / "never/exports.pcap", "192.0.2.41");
    ASSERT_EQ(clean_v9.size(), never_v9.size());
    int left_out = 0;
    for (std::size_t i = 0; i < clean_v9.size(); ++i) {
        const int removed = template_records(clean_v9[i].payload) - template_records(never_v9[i].payload);
        left_out += removed;
        EXPECT_EQ(be16(clean_v9[i].payload, 2) - be16(never_v9[i].payload, 2), removed) << "message " << i + 1;
    }
    EXPECT_GT(left_out, 0);
    expect_within_truth(bag_of(rows_of(decode(dir / "never"))), truth_of(dir / "never"), "template_refresh_never");
}

/// The set faults write the length they name into the header of the first data set (or the
/// field count into the first template record), pad that set with zeros, and change nothing else.
TEST(Faults, SetFaultsWriteTheLengthTheyName) {
    TempDir dir;
    ASSERT_EQ(gen("dual-stack", dir / "clean", {}).exit_code, 0);
    const struct {
        const char* fault;
        std::function<std::size_t(std::size_t size, std::size_t offset)> length;  ///< expected set length
    } cases[] = {
        {"zero_length_set:messages=2", [](std::size_t, std::size_t) { return std::size_t{0}; }},
        {"short_set:messages=2,by=1", [](std::size_t, std::size_t) { return std::size_t{1}; }},
        {"set_length_past:messages=2,by=9", [](std::size_t size, std::size_t at) { return size - at + 9; }},
    };
    for (const auto& c : cases)
        for (const char* address : {"192.0.2.41", "192.0.2.42"}) {
            SCOPED_TRACE(std::string(c.fault) + " " + address);
            std::filesystem::remove_all(dir / "f");
            ASSERT_EQ(gen("dual-stack", dir / "f", {c.fault}).exit_code, 0);
            const auto clean = messages_of(dir / "clean/exports.pcap", address);
            const auto faulted = messages_of(dir / "f/exports.pcap", address);
            ASSERT_EQ(clean.size(), faulted.size());
            const auto& a = clean[1].payload;
            const auto& b = faulted[1].payload;
            ASSERT_EQ(a.size(), b.size());
            std::vector<std::size_t> differ;
            for (std::size_t i = 0; i < a.size(); ++i)
                if (a[i] != b[i]) differ.push_back(i);
            ASSERT_FALSE(differ.empty());
            ASSERT_LE(differ.back() - differ.front(), 1u) << "more than one length field changed";
            const std::size_t field = differ.front() - (differ.front() % 2 == 0 ? 0 : 1);
            const auto sets = sets_of(a);
            const auto set = std::find_if(sets.begin(), sets.end(), [&](const WireSet& s) { return s.offset + 2 == field; });
            ASSERT_NE(set, sets.end()) << "byte " << field << " is no set length";
            EXPECT_GE(set->id, 256) << "not a data set";
            EXPECT_EQ(be16(b, field), c.length(b.size(), set->offset));
            for (std::size_t i : {0u, 2u}) EXPECT_TRUE(clean[i].payload == faulted[i].payload) << "message " << i + 1;
            expect_within_truth(bag_of(rows_of(decode(dir / "f"))), truth_of(dir / "f"), c.fault);
        }
    std::filesystem::remove_all(dir / "f");
    ASSERT_EQ(gen("dual-stack", dir / "f", {"padding:messages=2,by=3", "field_count_large:messages=1,by=2"}).exit_code, 0);
    for (const char* address : {"192.0.2.41", "192.0.2.42"}) {
        SCOPED_TRACE(address);
        const auto clean = messages_of(dir / "clean/exports.pcap", address);
        const auto faulted = messages_of(dir / "f/exports.pcap", address);
        // Padding: the first data set 3 bytes longer, ending in zeros; the rest moved along.
        const auto& a = clean[1].payload;
        const auto& b = faulted[1].payload;
        ASSERT_EQ(b.size(), a.size() + 3);
        const auto sa = sets_of(a), sb = sets_of(b);
        ASSERT_EQ(sa.size(), sb.size());
        std::size_t padded = 0;
        for (std::size_t i = 0; i < sa.size(); ++i) {
            if (sb[i].length == sa[i].length) continue;
            ++padded;
            EXPECT_GE(sa[i].id, 256);
            EXPECT_EQ(sb[i].length, sa[i].length + 3);
            for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(b.at(sb[i].offset + sa[i].length + k), 0);
        }
        EXPECT_EQ(padded, 1u);
        if (b.at(1) == 10) {
            EXPECT_EQ(be16(b, 2), b.size());
        }
        // Field count: the first template record claims 2 more fields than its set could hold.
        const auto& t = faulted[0].payload;
        const auto tset = sets_of(t);
        const auto first = std::find_if(tset.begin(), tset.end(), [&](const WireSet& s) { return s.id == (t.at(1) == 10 ? 2 : 0); });
        ASSERT_NE(first, tset.end());
        EXPECT_EQ(be16(t, first->offset + 6), (first->length - 8) / 4 + 2);
    }
    expect_within_truth(bag_of(rows_of(decode(dir / "f"))), truth_of(dir / "f"), "padding and field count");
}

/// unknown_element, enterprise_element and varlen_3byte add their element to every template of
/// the messages they select and its value to every record; the next message defines the
/// exporter's own layout again.
TEST(Faults, ElementFaultsAddTheElementToTemplatesAndRecords) {
    TempDir dir;
    ASSERT_EQ(gen("dual-stack", dir / "clean", {}).exit_code, 0);
    const struct {
        const char* fault;
        const char* address;
        const char* spec;                   ///< as templates_of shows it
        std::vector<std::uint8_t> value;    ///< the start of each record's value
        std::size_t bytes;                  ///< added to each record
    } cases[] = {
        {"unknown_element:messages=2,by=31000", "192.0.2.41", "31000/4", {0xDE, 0xAD, 0xBE, 0xEF}, 4},
        {"unknown_element:messages=2", "192.0.2.42", "32000/4", {0xDE, 0xAD, 0xBE, 0xEF}, 4},
        {"enterprise_element:messages=2,by=9", "192.0.2.42", "9/4/32473", {0xCA, 0xFE, 0xF0, 0x0D}, 4},
        {"varlen_3byte:messages=2,by=2", "192.0.2.42", "32001/65535", {0xFF, 0x00, 0x02, 'a', 'b'}, 5},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.fault);
        std::filesystem::remove_all(dir / "f");
        ASSERT_EQ(gen("dual-stack", dir / "f", {c.fault}).exit_code, 0);
        const auto clean = messages_of(dir / "clean/exports.pcap", c.address);
        const auto faulted = messages_of(dir / "f/exports.pcap", c.address);
        ASSERT_EQ(clean.size(), faulted.size());
        const auto defined = all_templates(clean);
        const auto& b = faulted[1].payload;
        const auto second = templates_of(b);
        const auto ids = data_sets_of(b);
        ASSERT_FALSE(ids.empty());
        for (std::uint16_t id : ids) {
            if (!defined.count(id)) continue;  // options data
            ASSERT_EQ(second.count(id), 1u) << "message 2 has data of template " << id << " without defining it";
            auto expected = defined.at(id);
            expected.push_back(c.spec);
            EXPECT_EQ(second.at(id), expected) << "template " << id;
        }
        // Every record ends in the value: find it as often as the data sets hold records.
        std::size_t found = 0;
        for (std::size_t i = 0; i + c.value.size() <= b.size(); ++i)
            if (std::equal(c.value.begin(), c.value.end(), b.begin() + static_cast<std::ptrdiff_t>(i))) ++found;
        EXPECT_GT(found, 0u);
        EXPECT_GE(b.size(), clean[1].payload.size() + found * c.bytes);
        if (b.at(1) == 10) {
            EXPECT_EQ(be16(b, 2), b.size());
        }
        // Message 3 is the exporter's own layout again, defined before its data.
        const auto third = templates_of(faulted[2].payload);
        for (std::uint16_t id : data_sets_of(faulted[2].payload))
            if (defined.count(id) && second.count(id)) {
                ASSERT_EQ(third.count(id), 1u) << "template " << id;
                EXPECT_EQ(third.at(id), defined.at(id));
            }
        expect_within_truth(bag_of(rows_of(decode(dir / "f"))), truth_of(dir / "f"), c.fault);
    }
}

/// dual-stack with interface and VRF tables: building-a (v9) on the IOS XR dialect (options
/// templates 256 and 334, each alone in a message, then their tables), building-b (IPFIX,
/// absolute times) with tables of its own sent with its templates; `faults` if not empty.
void write_tables_scenario(const std::string& path, const nlohmann::ordered_json& faults) {
    auto doc = nlohmann::ordered_json::parse(read_file(source_dir() + "/scenarios/dual-stack.json"));
    doc.erase("$schema");
    auto& a = doc["exporters"][0];
    for (const char* k : {"protocol", "time_style", "template_refresh", "domain"}) a.erase(k);
    a["dialect"] = "cisco-iosxr-v9";
    doc["exporters"][1]["options"] = nlohmann::ordered_json::parse(R"([
        {"id": 300, "scope": 1, "fields": ["observationDomainId", "ingressInterface:4", "interfaceName:32"], "when": "interface_table"},
        {"id": 301, "scope": 1, "fields": ["observationDomainId", "ingressVRFID:4", "VRFname:32"], "when": "vrf_table"}])");
    if (!faults.empty()) doc["faults"] = faults;
    write_file(path, doc.dump(1));
}

/// The message with every options template record declaring no scope, as RFC 7011 3.4.2.2
/// (IPFIX: scope field count) and RFC 3954 6.1 (v9: scope length, the option length then
/// covering every field) lay the record out; counts the records in `changed`.
std::vector<std::uint8_t> without_scope(std::vector<std::uint8_t> b, std::size_t& changed) {
    const bool ipfix = b.at(1) == 10;
    for (const auto& s : sets_of(b)) {
        if (s.id != (ipfix ? 3 : 1)) continue;
        for (std::size_t q = s.offset + 4; q + 6 <= s.offset + s.length && be16(b, q) >= 256; ++changed) {
            if (ipfix) {
                const std::size_t fields = be16(b, q + 2);
                b.at(q + 4) = b.at(q + 5) = 0;
                q += 6;
                for (std::size_t i = 0; i < fields; ++i) q += (b.at(q) & 0x80) ? 8 : 4;
            } else {
                const std::size_t scope = be16(b, q + 2), option = be16(b, q + 4);
                b.at(q + 2) = b.at(q + 3) = 0;
                b.at(q + 4) = static_cast<std::uint8_t>((scope + option) >> 8);
                b.at(q + 5) = static_cast<std::uint8_t>((scope + option) & 0xFF);
                q += 6 + scope + option;
            }
        }
    }
    return b;
}

/// The truth's rows with the name columns (joined from options tables) emptied.
Bag without_names(const std::string& dir) {
    const TruthTable t(dir);
    Bag out;
    for (const auto& cols : t.rows) {
        std::string row;
        for (std::size_t k = 0; k < cols.size(); ++k) {
            const std::string& h = t.header[k];
            const bool name = h == "in_if_name" || h == "out_if_name" || h == "vrf_in" || h == "vrf_out";
            row += (k ? "," : "") + (name ? std::string() : cols[k]);
        }
        ++out[row];
    }
    return out;
}

/// How many truth rows of `address` name their input interface and their input VRF.
std::pair<std::size_t, std::size_t> named_rows(const std::string& dir, const std::string& address) {
    const TruthTable t(dir);
    const std::size_t if_name = t.column("in_if_name"), vrf = t.column("vrf_in");
    std::size_t interfaces = 0, vrfs = 0;
    for (const auto& cols : t.rows) {
        if (cols[0] != address) continue;
        interfaces += !cols[if_name].empty();
        vrfs += !cols[vrf].empty();
    }
    return {interfaces, vrfs};
}

/// options_scope_zero: every options template record of the selected messages declares no
/// scope and nothing else changes; a decoder cannot use those templates (RFC 7011 3.4.2.2), so
/// the tables under them name nothing, while every flow record is still kept.
TEST(Faults, OptionsScopeZeroDeclaresNoScopeAndTheTablesNameNothing) {
    TempDir dir;
    write_tables_scenario(dir / "clean.json", {});
    write_tables_scenario(dir / "faulted.json", {{{"fault", "options_scope_zero"}}});
    ASSERT_EQ(gen(dir / "clean.json", dir / "clean", {}, "5m").exit_code, 0);
    const auto r = gen(dir / "faulted.json", dir / "faulted", {}, "5m");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* address : {"192.0.2.41", "192.0.2.42"}) {
        SCOPED_TRACE(address);
        const auto clean = messages_of(dir / "clean/exports.pcap", address);
        const auto faulted = messages_of(dir / "faulted/exports.pcap", address);
        ASSERT_EQ(clean.size(), faulted.size());
        std::size_t changed = 0;
        for (std::size_t i = 0; i < clean.size(); ++i)
            EXPECT_TRUE(faulted[i].payload == without_scope(clean[i].payload, changed)) << "message " << i + 1;
        EXPECT_GE(changed, 2u) << "no options template damaged";
        // The clean run names interfaces and VRFs from the tables; the faulted truth nothing.
        const auto [interfaces, vrfs] = named_rows(dir / "clean", address);
        EXPECT_GT(interfaces, 10u);
        if (std::string(address) == "192.0.2.41") {
            EXPECT_GT(vrfs, 10u);  // building-b's records carry no VRF
        }
        EXPECT_EQ(named_rows(dir / "faulted", address), (std::pair<std::size_t, std::size_t>{0, 0}));
    }
    // IOS XR's interface table template 256 (DIALECTS.md 2.1): scope System (4 bytes) moved into
    // the option length.
    const std::vector<std::uint8_t> tpl256{
        0x00, 0x01, 0x00, 0x18,              // options template flowset, 24 bytes
        0x01, 0x00, 0x00, 0x00, 0x00, 0x0c,  // template 256, scope length 0, option length 12
        0x00, 0x01, 0x00, 0x04,              // System, 4
        0x00, 0x0a, 0x00, 0x04,              // INPUT_SNMP, 4
        0x00, 0x53, 0x00, 0x40,              // IF_DESC, 64
        0x00, 0x00};                         // padding
    const auto v9 = messages_of(dir / "faulted/exports.pcap", "192.0.2.41");
    EXPECT_TRUE(std::any_of(v9.begin(), v9.end(), [&](const Datagram& d) {
        return std::vector<std::uint8_t>(d.payload.begin() + 20, d.payload.end()) == tpl256;
    }));
    // The flow records are those of the clean run without the names.
    const Truth faulted = truth_of(dir / "faulted");
    EXPECT_TRUE(faulted.may_lose.empty());
    EXPECT_TRUE(faulted.discard.empty());
    EXPECT_EQ(faulted.keep, without_names(dir / "faulted"));
    EXPECT_EQ(without_names(dir / "faulted"), without_names(dir / "clean"));
    const Bag decoded = bag_of(rows_of(decode(dir / "faulted")));
    expect_within_truth(decoded, faulted, "flowlab decode");
    EXPECT_EQ(size_of(decoded), size_of(faulted.keep));
    const auto manifest = nlohmann::json::parse(read_file(dir / "faulted/manifest.json"));
    EXPECT_GT(manifest["faults"]["applied"][0]["messages_hit"].get<int>(), 0);
}

/// A decoder learns a sampler's rate from options data (IOS XR: its sampler table; flowlab's own
/// exporters: sampling options) and gives it to the records that follow: a dropped table
/// message or options templates without a scope leave records without a rate, and the truth
/// says so, as `flowlab decode` outputs them.
TEST(Faults, SamplingRateOnlyFromOptionsADecoderReceived) {
    TempDir dir;
    const auto gen_office = [&](const std::string& out, const std::string& dialect, const std::string& fault) {
        std::vector<std::string> argv{flowlab_bin(), "gen", "example-office", "-o", dir / out, "--duration", "10m", "--no-progress"};
        if (!dialect.empty()) argv.insert(argv.end(), {"--dialect", dialect});
        if (!fault.empty()) argv.insert(argv.end(), {"--fault", fault});
        return run(argv);
    };
    const auto unrated = [](const std::string& d) {
        const TruthTable t(d);
        const std::size_t interval = t.column("sampling_interval");
        EXPECT_LT(interval, t.header.size());
        return std::count_if(t.rows.begin(), t.rows.end(), [&](const auto& cols) { return cols[interval].empty(); });
    };
    const struct {
        const char* dialect;
        const char* fault;
    } cases[] = {
        {"cisco-iosxr-v9", ""},
        {"cisco-iosxr-v9", "drop:exporter=core-v9,messages=4"},
        {"", ""},
        {"", "options_scope_zero:exporter=core-v9"},
    };
    std::ptrdiff_t clean = 0;
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.dialect) + " " + c.fault);
        const std::string out = std::string("run-") + c.dialect + (*c.fault ? "-faulted" : "");
        const auto r = gen_office(out, c.dialect, c.fault);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        if (!*c.fault) {
            clean = unrated(dir / out);
            continue;
        }
        EXPECT_GT(unrated(dir / out), clean) << "the fault took no record's rate";
        const Truth t = truth_of(dir / out);
        const Bag decoded = bag_of(rows_of(decode(dir / out)));
        expect_within_truth(decoded, t, "flowlab decode");
        EXPECT_EQ(size_of(decoded), size_of(t.keep));
    }
}

/// IOS XR IPFIX times its records by flowStart/EndSysUpTime (22/21) and sends
/// systemInitTimeMilliseconds (160) in options data: a decoder that never received 160 keeps
/// the records without times (core's decoder counts them as unresolved; RFC 7012 gives 22/21
/// only relative to the device's initialisation). The truth gives times only once the session
/// received 160, so flowlab decode outputs exactly the truth.
RunResult gen_160_run(const std::string& out, const std::string& fault) {
    return run({flowlab_bin(), "gen", "dual-stack", "-o", out, "--duration", "30m", "--no-progress", "--dialect",
                "cisco-iosxr-ipfix", "--fault", fault});
}

TEST(Faults, SystemInitTimeOnlyFromOptionsADecoderReceived) {
    TempDir dir;
    const auto untimed = [](const std::string& d) {
        const TruthTable t(d);
        const std::size_t first = t.column("first_ms"), last = t.column("last_ms");
        return std::count_if(t.rows.begin(), t.rows.end(),
                             [&](const auto& cols) { return cols[first].empty() && cols[last].empty(); });
    };
    for (const std::string fault : {"options_scope_zero", "drop:messages=1"}) {
        SCOPED_TRACE(fault);
        const std::string out = dir / fault.substr(0, 4);
        ASSERT_EQ(gen_160_run(out, fault).exit_code, 0);
        const Truth t = truth_of(out);
        // IOS XR sends 160 with the templates: dropping them loses the records up to the
        // refresh rather than their times.
        if (fault == "options_scope_zero") EXPECT_GT(untimed(out), 0) << "no record lost its times";
        else EXPECT_FALSE(t.may_lose.empty());
        const Bag decoded = bag_of(rows_of(decode(out)));
        expect_within_truth(decoded, t, "flowlab decode");
        EXPECT_EQ(size_of(decoded), size_of(t.keep));
    }
}

/// Every dialect under faults that take templates and options data away: what `flowlab decode`
/// outputs stays within the truth, so names, sampling rates and times the truth gives are the
/// ones a decoder could learn from what it received.
class FaultsInEveryDialect : public ::testing::TestWithParam<std::string> {};

TEST_P(FaultsInEveryDialect, DecodeStaysWithinTheTruth) {
    TempDir dir;
    for (const std::string fault : {"drop:messages=2-6", "missing_template:messages=1-2", "options_scope_zero"}) {
        SCOPED_TRACE(fault);
        const std::string out = dir / "out";
        std::filesystem::remove_all(out);
        const auto r = run({flowlab_bin(), "gen", "example-office", "-o", out, "--duration", "20m", "--no-progress",
                            "--dialect", GetParam(), "--fault", fault});
        if (fault == "options_scope_zero" && r.exit_code == 2) {
            // Refused where the dialect sends no options template.
            EXPECT_NE(r.err.find("applies to none of the scenario's exporters"), std::string::npos) << r.err;
            continue;
        }
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
        EXPECT_GT(manifest["faults"]["applied"][0]["messages_hit"].get<int>(), 0);
        const Truth t = truth_of(out);
        // IOS XR refreshes templates every 30 minutes: without the first ones, all may be lost.
        EXPECT_GT(size_of(t.keep) + size_of(t.may_lose), 100u);
        expect_within_truth(bag_of(rows_of(decode(out))), t, "flowlab decode");
    }
}

INSTANTIATE_TEST_SUITE_P(Dialects, FaultsInEveryDialect, ::testing::ValuesIn(test::dialect_names()),
                         [](const auto& param_info) { return test::dialect_test_name(param_info.param); });

/// The fault on the message of one options template (IOS XR's interface table, 256) loses
/// that table's names only; the VRF table (334) still names the VRFs. Where the id was already
/// defined (the refresh at 30 minutes), the decoder keeps that definition: nothing is lost.
TEST(Faults, OptionsScopeZeroLosesOnlyWhatTheTemplateWouldHaveDefined) {
    TempDir dir;
    write_tables_scenario(dir / "one.json", {{{"fault", "options_scope_zero"}, {"exporter", "building-a"}, {"messages", 3}}});
    ASSERT_EQ(gen(dir / "one.json", dir / "one", {}, "5m").exit_code, 0);
    const auto [interfaces, vrfs] = named_rows(dir / "one", "192.0.2.41");
    EXPECT_EQ(interfaces, 0u);
    EXPECT_GT(vrfs, 10u);
    EXPECT_GT(named_rows(dir / "one", "192.0.2.42").first, 10u);  // another exporter
    const Bag decoded = bag_of(rows_of(decode(dir / "one")));
    EXPECT_EQ(decoded, truth_of(dir / "one").keep);

    write_tables_scenario(dir / "clean.json", {});
    write_tables_scenario(dir / "late.json", {{{"fault", "options_scope_zero"}, {"from", "1m"}}});
    ASSERT_EQ(gen(dir / "clean.json", dir / "clean", {}, "35m").exit_code, 0);
    ASSERT_EQ(gen(dir / "late.json", dir / "late", {}, "35m").exit_code, 0);
    EXPECT_TRUE(read_file(dir / "clean/exports.pcap") != read_file(dir / "late/exports.pcap")) << "no refresh damaged";
    EXPECT_EQ(read_file(dir / "clean/truth/records.csv"), read_file(dir / "late/truth/records.csv"));
    EXPECT_EQ(bag_of(rows_of(decode(dir / "late"))), truth_of(dir / "late").keep);
}

/// Padding a set with as many bytes as its smallest record is not padding (RFC 7011 3.3.1): a
/// collector would read a record of zeros. gen refuses it, naming the fault and the message.
TEST(Faults, PaddingAsLongAsARecordIsRefused) {
    TempDir dir;
    auto doc = nlohmann::ordered_json::parse(read_file(source_dir() + "/scenarios/dual-stack.json"));
    doc["faults"] = {{{"fault", "padding"}, {"exporter", "building-b"}, {"messages", 2}, {"by", 2000}}};
    write_file(dir / "pad.json", doc.dump(2));
    const auto r = gen(dir / "pad.json", dir / "out", {});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(dir / "pad.json"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("/faults/0"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("padding of 2000 bytes is not shorter than the smallest record"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("message 2 of exporter building-b"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

/// tshark keeps templates per exporter and domain across a capture and decodes each record it
/// has a template for: on an IPFIX stream with message-level faults that is the RFC behaviour.
void expect_tshark_within_truth(const std::string& dir, bool damaged, const std::string& scenario_name = "ddos") {
    // Compared on what both decoders show the same way: the key and the counters.
    const auto key = [](const std::string& row, const std::vector<std::string>& header) {
        std::vector<std::string> cols;
        std::stringstream in(row);
        for (std::string c; std::getline(in, c, ',');) cols.push_back(c);
        std::string k;
        for (const char* name : {"src", "dst", "sport", "dport", "proto", "packets", "bytes"}) {
            const auto at = std::find(header.begin(), header.end(), name) - header.begin();
            k += cols.at(static_cast<std::size_t>(at)) + " ";
        }
        return k;
    };
    std::vector<std::string> header;
    {
        std::stringstream in(read_file(dir + "/truth/records.csv").substr(0, read_file(dir + "/truth/records.csv").find('\n')));
        for (std::string c; std::getline(in, c, ',');) header.push_back(c);
    }
    const Truth rows = truth_of(dir);
    Truth t;
    for (const auto& [b, to] : {std::pair{&rows.keep, &t.keep}, {&rows.may_lose, &t.may_lose}, {&rows.discard, &t.discard}})
        for (const auto& [row, k] : *b) (*to)[key(row, header)] += k;
    if (damaged) {
        ASSERT_FALSE(t.may_lose.empty());
        ASSERT_FALSE(t.discard.empty());
    }

    const auto scenario = nlohmann::json::parse(read_file(source_dir() + "/scenarios/" + scenario_name + ".json"));
    const auto port = scenario.contains("collector") && scenario["collector"].contains("port")
                          ? scenario["collector"]["port"].get<std::uint16_t>()
                          : std::uint16_t{4739};
    interop::TsharkReader reader;
    Bag out;
    for (const auto& p : interop::run_tshark(dir + "/exports.pcap", port)) {
        const interop::TsharkMessage m = reader.read(p);
        for (const auto& rec : m.records)
            ++out[rec.src.to_string() + " " + rec.dst.to_string() + " " + std::to_string(rec.sport) + " " +
                  std::to_string(rec.dport) + " " + std::to_string(rec.proto) + " " + std::to_string(rec.packets) + " " +
                  std::to_string(rec.bytes) + " "];
    }
    expect_within_truth(out, t, "tshark");
}

TEST(FaultsPeer, TsharkDecodesAFaultedIpfixRunWithinTheTruth) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    TempDir dir;
    const auto r = gen("ddos", dir / "run",
                       {"drop:messages=2", "duplicate:every=3", "reorder:messages=1", "sequence_wrap:messages=4",
                        "data_before_template:messages=5-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_tshark_within_truth(dir / "run", true);
}

/// tshark scopes templates by observation domain: the same id in another layout from another
/// domain decodes as the truth says; templates sent once stay known; a withdrawal over UDP is
/// ignored. (template_redefine is left out: tshark does not replace a template redefined over
/// UDP, conformance case 1.4.)
TEST(FaultsPeer, TsharkFollowsReusedTemplatesAndIgnoresWithdrawals) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    TempDir dir;
    const auto r = gen("ddos", dir / "run",
                       {"template_reuse:messages=3-4,by=99", "template_refresh_never", "template_withdraw:messages=5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_tshark_within_truth(dir / "run", false);
}

/// tshark skips an element it does not know (IANA or enterprise) by its length, also one of
/// variable length in the 3-byte form, and decodes the rest of each record. On every message,
/// so that the first definition has them: tshark does not replace a template redefined over
/// UDP (conformance case 1.4).
TEST(FaultsPeer, TsharkSkipsUnknownElements) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    TempDir dir;
    const auto r = gen("ddos", dir / "run", {"unknown_element", "enterprise_element", "varlen_3byte:by=260"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_tshark_within_truth(dir / "run", false);
}

/// A set length below 4 or past the message makes the IPFIX message malformed (RFC 7011 9.1):
/// tshark shows no record of it; padding shorter than a record changes none.
TEST(FaultsPeer, TsharkOnBrokenSetLengthsAndPadding) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    TempDir dir;
    const auto r = gen("ddos", dir / "run",
                       {"zero_length_set:messages=2", "short_set:messages=3", "set_length_past:messages=4",
                        "padding:messages=5-7,by=2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_FALSE(truth_of(dir / "run").discard.empty());
    expect_tshark_within_truth(dir / "run", false);
}

/// tshark reads options templates without a scope in v9 and IPFIX and still decodes every
/// flow record beside them.
TEST(FaultsPeer, TsharkKeepsTheFlowRecordsBesideOptionsTemplatesWithoutScope) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    TempDir dir;
    write_tables_scenario(dir / "s.json", {{{"fault", "options_scope_zero"}}});
    ASSERT_EQ(gen(dir / "s.json", dir / "run", {}, "5m").exit_code, 0);
    expect_tshark_within_truth(dir / "run", false);
}

/// Records whose times a decoder cannot resolve without 160 are still flow records: tshark
/// keeps each of them (it shows 22/21 as they are).
TEST(FaultsPeer, TsharkKeepsTheRecordsTimedFromSystemInitTime) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    TempDir dir;
    for (const std::string fault : {"options_scope_zero", "drop:messages=1"}) {
        SCOPED_TRACE(fault);
        const std::string out = dir / fault.substr(0, 4);
        ASSERT_EQ(gen_160_run(out, fault).exit_code, 0);
        expect_tshark_within_truth(out, false, "dual-stack");
    }
}

}  // namespace
}  // namespace flowlab::test
