/// @brief `flowlab gen --shard I/N`: the shards of a run together are the unsharded run, per
/// exporter (frames byte for byte with their timestamps and order, truth rows, conversations),
/// each shard holds exactly the exporters k with k mod N = I, and bad values are usage errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "flowlab/core/error.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/record_format.hpp"
#include "flowlab/gen/gen_run.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/units.hpp"
#include "gen_output.hpp"
#include "test_support.hpp"

namespace flowlab::gen {
namespace {

namespace fs = std::filesystem;
using test::run;
using Json = nlohmann::json;
using test::datagrams_by_source;
using test::Endpoint;
using test::five_exporters_scenario;

/// truth/records.csv rows per exporter (address, domain).
std::map<std::string, std::vector<std::string>> records_by_exporter(const std::string& dir) {
    return test::records_by_exporter(dir + "/truth/records.csv");
}

/// An exporter as the files tell it: source endpoint in exports.pcap, address and domain in
/// truth/records.csv.
struct ExporterId {
    std::string address;
    std::uint16_t port = 0;
    std::uint32_t domain = 0;
};

std::string records_key(const ExporterId& e) { return e.address + "," + std::to_string(e.domain); }

std::vector<ExporterId> exporters_of(const std::string& dir) {
    const Json m = Json::parse(test::read_file(dir + "/manifest.json"));
    std::vector<ExporterId> out;
    for (const auto& e : m["exporters"])
        out.push_back({e["address"].get<std::string>(), e["port"].get<std::uint16_t>(), e["domain"].get<std::uint32_t>()});
    return out;
}

test::RunResult gen(const std::string& scenario, const std::string& out, const std::string& duration,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{test::flowlab_bin(), "gen", scenario, "-o", out, "--duration", duration};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
}

/// The scenario's exporter plans, for conversation_owner (the span's start does not matter to it).
std::vector<ExporterPlan> plans_of(const std::string& scenario) {
    const Scenario s = load_scenario(scenario, {test::source_dir() + "/scenarios"});
    std::vector<ExporterPlan> plans;
    for (std::size_t i = 0; i < s.exporters.size(); ++i) plans.push_back(make_exporter_plan(s, i, 0));
    return plans;
}

/// The shard a truth/conversations.csv row belongs to, by the documented rule.
std::size_t shard_of_row(const std::vector<ExporterPlan>& plans, const std::string& row, std::size_t n) {
    std::istringstream in(row);
    std::string id, src, dst;
    std::getline(in, id, ',');
    std::getline(in, src, ',');
    std::getline(in, dst, ',');
    ConversationKey key;
    key.src = parse_address(src);
    key.dst = parse_address(dst);
    const auto owner = conversation_owner(plans, key);
    return owner ? *owner % n : 0;
}

/// Runs the scenario whole and as N shards, and checks the union, exporter by exporter.
void expect_shards_make_the_whole(const std::string& scenario, const std::string& duration, std::size_t expect_exporters) {
    test::TempDir tmp;
    const std::string whole = tmp / "whole";
    auto r = gen(scenario, whole, duration);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<ExporterId> exporters = exporters_of(whole);
    ASSERT_EQ(exporters.size(), expect_exporters);
    const auto whole_frames = datagrams_by_source(whole + "/exports.pcap");
    const auto whole_records = records_by_exporter(whole);
    const auto whole_convs = test::csv_rows(whole + "/truth/conversations.csv", kConversationCsvHeader);
    // Each exporter sends something, or the comparison would prove little.
    for (const auto& e : exporters) {
        ASSERT_FALSE(whole_frames.count({e.address, e.port}) == 0) << e.address << ":" << e.port;
        ASSERT_FALSE(whole_records.count(records_key(e)) == 0) << records_key(e);
    }
    ASSERT_EQ(whole_frames.size(), exporters.size()) << "the test wants one source endpoint per exporter";
    ASSERT_GT(whole_convs.size(), 100u);
    const std::vector<ExporterPlan> plans = plans_of(scenario);

    for (std::size_t n : {1, 2, 3, 7}) {
        SCOPED_TRACE("N = " + std::to_string(n));
        std::vector<std::string> all_convs;
        std::uint64_t conversations = 0, record_count = 0, messages = 0;
        for (std::size_t i = 0; i < n; ++i) {
            SCOPED_TRACE("shard " + std::to_string(i));
            const std::string dir = tmp / ("s" + std::to_string(n) + "-" + std::to_string(i));
            r = gen(scenario, dir, duration, {"--shard", std::to_string(i) + "/" + std::to_string(n)});
            ASSERT_EQ(r.exit_code, 0) << r.err;
            const auto frames = datagrams_by_source(dir + "/exports.pcap");
            const auto records = records_by_exporter(dir);
            std::set<Endpoint> held;
            std::set<std::string> held_records;
            for (std::size_t k = i; k < exporters.size(); k += n) {
                const ExporterId& e = exporters[k];
                SCOPED_TRACE("exporter " + std::to_string(k) + " " + e.address + ":" + std::to_string(e.port));
                held.insert({e.address, e.port});
                held_records.insert(records_key(e));
                ASSERT_TRUE(frames.count({e.address, e.port}));
                const auto& mine = frames.at({e.address, e.port});
                const auto& theirs = whole_frames.at({e.address, e.port});
                ASSERT_EQ(mine.size(), theirs.size());
                for (std::size_t j = 0; j < mine.size(); ++j) {
                    EXPECT_EQ(mine[j].ts_ns, theirs[j].ts_ns) << "datagram " << j;
                    EXPECT_EQ(mine[j].payload, theirs[j].payload) << "datagram " << j;
                    ASSERT_EQ(mine[j].frame, theirs[j].frame) << "datagram " << j << " (payload equal: IP header?)";
                }
                ASSERT_TRUE(records.count(records_key(e)));
                EXPECT_EQ(records.at(records_key(e)), whole_records.at(records_key(e)));
            }
            // Nothing else: no other exporter's datagrams or rows.
            for (const auto& [ep, list] : frames) EXPECT_TRUE(held.count(ep)) << ep.first << ":" << ep.second;
            for (const auto& [key, list] : records) EXPECT_TRUE(held_records.count(key)) << key;

            const auto convs = test::csv_rows(dir + "/truth/conversations.csv", kConversationCsvHeader);
            for (const auto& row : convs) EXPECT_EQ(shard_of_row(plans, row, n), i) << row;
            if (held.empty()) {
                EXPECT_TRUE(convs.empty());
                EXPECT_NE(r.err.find("holds no exporter"), std::string::npos) << r.err;
            }
            all_convs.insert(all_convs.end(), convs.begin(), convs.end());

            const Json m = Json::parse(test::read_file(dir + "/manifest.json"));
            EXPECT_EQ(m["shard"]["index"], i);
            EXPECT_EQ(m["shard"]["count"], n);
            EXPECT_EQ(m["shard"]["rule"], "exporter index mod count");
            ASSERT_EQ(m["exporters"].size(), held.size());
            for (const auto& e : m["exporters"]) EXPECT_EQ(e["index"].get<std::size_t>() % n, i);
            EXPECT_EQ(m["counts"]["conversations"], convs.size());
            conversations += m["counts"]["conversations"].get<std::uint64_t>();
            record_count += m["counts"]["records"].get<std::uint64_t>();
            messages += m["counts"]["messages"].get<std::uint64_t>();
        }
        // Conversations: each row in exactly one shard, the same rows as the whole run.
        std::vector<std::string> expected = whole_convs;
        std::sort(expected.begin(), expected.end());
        std::sort(all_convs.begin(), all_convs.end());
        EXPECT_TRUE(all_convs == expected) << all_convs.size() << " rows in the shards, " << expected.size()
                                           << " in the unsharded run";
        const Json w = Json::parse(test::read_file(whole + "/manifest.json"));
        EXPECT_TRUE(w["shard"].is_null());
        EXPECT_EQ(conversations, w["counts"]["conversations"].get<std::uint64_t>());
        EXPECT_EQ(record_count, w["counts"]["records"].get<std::uint64_t>());
        EXPECT_EQ(messages, w["counts"]["messages"].get<std::uint64_t>());
    }
}

TEST(GenShard, OneExporterShardsMakeTheUnshardedRun) {
    expect_shards_make_the_whole("trading-floor", "2h", 1);
}

TEST(GenShard, SeveralExportersShardsMakeTheUnshardedRun) {
    test::TempDir tmp;
    expect_shards_make_the_whole(five_exporters_scenario(tmp), "10m", 5);
}

/// An exporter's IPv4 identifications count 0, 1, 2, ... in its own frames whatever the other
/// exporters send: what lets a shard's frames be the unsharded run's.
TEST(GenShard, EachExporterCountsItsOwnIpIdentification) {
    test::TempDir tmp;
    const auto r = gen(five_exporters_scenario(tmp), tmp / "out", "20m");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto frames = datagrams_by_source(tmp / "out/exports.pcap");
    ASSERT_EQ(frames.size(), 5u);
    for (const auto& [ep, list] : frames)
        for (std::size_t j = 0; j < list.size(); ++j) {
            ASSERT_GE(list[j].frame.size(), 34u);
            const unsigned id = list[j].frame[18] << 8 | list[j].frame[19];  // Ethernet 14 + IPv4 offset 4
            ASSERT_EQ(id, j % 65536) << ep.first << ":" << ep.second << " datagram " << j;
        }
}

TEST(GenShard, BadValuesAreUsageErrors) {
    test::TempDir tmp;
    for (const char* bad : {"3/3", "0/0", "x", "1/2/3", "-1/2", "1/", "/2", "1/x"}) {
        const auto r = gen("trading-floor", tmp / "out", "10m", {"--shard", bad});
        EXPECT_EQ(r.exit_code, 2) << bad;
        EXPECT_NE(r.err.find("--shard"), std::string::npos) << bad << ": " << r.err;
        EXPECT_NE(r.err.find("expected I/N"), std::string::npos) << bad << ": " << r.err;
        EXPECT_NE(r.err.find(std::string("\"") + bad + "\""), std::string::npos) << bad << ": " << r.err;
        EXPECT_FALSE(fs::exists(tmp / "out")) << bad;
    }
    const auto r = gen("trading-floor", tmp / "out", "10m", {"--shard", "0/2", "--packets"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(tmp / "out"));
}

TEST(GenShard, AConversationBelongsToTheFirstExporterThatObservesIt) {
    std::vector<ExporterPlan> plans(3);
    plans[0].observes.push_back({parse_cidr("10.2.0.0/16"), 1, 0, 0});
    plans[1].observes.push_back({parse_cidr("10.1.0.0/16"), 1, 0, 0});
    plans[2].observes.push_back({parse_cidr("10.0.0.0/8"), 1, 0, 0});
    const auto owner = [&](const char* src, const char* dst) {
        ConversationKey k;
        k.src = parse_address(src);
        k.dst = parse_address(dst);
        return conversation_owner(plans, k);
    };
    EXPECT_EQ(owner("10.1.0.5", "192.0.2.1"), 1u);
    EXPECT_EQ(owner("192.0.2.1", "10.2.3.4"), 0u);
    EXPECT_EQ(owner("10.1.0.5", "10.2.3.4"), 0u);
    EXPECT_EQ(owner("10.9.0.1", "192.0.2.1"), 2u);
    EXPECT_EQ(owner("192.0.2.1", "198.51.100.1"), std::nullopt);
}

TEST(GenShard, ParseShard) {
    const Shard s = parse_shard("2/7");
    EXPECT_EQ(s.index, 2u);
    EXPECT_EQ(s.count, 7u);
    EXPECT_TRUE(s.holds_exporter(9));
    EXPECT_FALSE(s.holds_exporter(8));
    EXPECT_THROW(parse_shard("7/7"), UsageError);
    EXPECT_THROW(parse_shard("1/0"), UsageError);
    EXPECT_THROW(parse_shard("1 /2"), UsageError);
}

}  // namespace
}  // namespace flowlab::gen
