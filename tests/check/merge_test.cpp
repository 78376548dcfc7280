/// @brief `flowlab merge`: the shards of a gen run merged are the unsharded run (conversations
/// byte for byte; the same records and datagrams, each exporter's in its order; the counts and
/// exporters of its manifest), verify finds them equal both ways, and what is not every shard
/// of one intact run is refused with nothing written.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowlab/core/pcap_io.hpp"
#include "gen_output.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

RunResult gen(const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{flowlab_bin(), "gen", "example-office", "-o", out, "--duration", "15m"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
}

class Merge : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        // example-office has two exporters: with three shards, shard 2 holds none.
        ASSERT_EQ(gen(*dir_ / "whole").exit_code, 0);
        for (int i = 0; i < 3; ++i) {
            const auto r = gen(*dir_ / ("s" + std::to_string(i)), {"--shard", std::to_string(i) + "/3"});
            ASSERT_EQ(r.exit_code, 0) << r.err;
        }
    }
    static void TearDownTestSuite() {
        delete dir_;
        dir_ = nullptr;
    }
    static std::string at(const std::string& name) { return *dir_ / name; }
    static TempDir* dir_;
};
TempDir* Merge::dir_ = nullptr;

TEST_F(Merge, ShardsMergedAreTheUnshardedRun) {
    // Any order of the arguments.
    const auto r = run({flowlab_bin(), "merge", at("s2"), at("s0"), at("s1"), "-o", at("merged")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "3 shards, 2 exporters")) << r.err;
    const std::string whole = at("whole"), merged = at("merged");

    for (const char* file : {"exports.pcap", "truth/records.csv", "truth/conversations.csv"})
        EXPECT_TRUE(read_file(merged + "/" + file) == read_file(whole + "/" + file)) << file << " differs";

    // What the byte comparison implies, said again where a difference would show first.
    const auto whole_records = lines(whole + "/truth/records.csv"),
               merged_records = lines(merged + "/truth/records.csv");
    ASSERT_GT(whole_records.size(), 100u);
    auto a = whole_records, b = merged_records;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b);
    EXPECT_EQ(records_by_exporter(whole + "/truth/records.csv"),
              records_by_exporter(merged + "/truth/records.csv"));

    const auto whole_frames = datagrams_by_source(whole + "/exports.pcap");
    ASSERT_EQ(whole_frames.size(), 2u);
    EXPECT_EQ(datagrams_by_source(merged + "/exports.pcap"), whole_frames);
    // Interleaved by time, as a capture of the whole run would be.
    core::PcapReader reader(merged + "/exports.pcap");
    core::Frame f;
    std::int64_t last = 0;
    while (reader.next_frame(f)) {
        EXPECT_GE(f.ts_ns, last) << "frame " << f.number;
        last = f.ts_ns;
    }

    const Json wm = Json::parse(read_file(whole + "/manifest.json"));
    const Json mm = Json::parse(read_file(merged + "/manifest.json"));
    EXPECT_EQ(mm["counts"], wm["counts"]);
    EXPECT_EQ(mm["exporters"], wm["exporters"]);
    for (const char* key : {"scenario", "seed", "span", "collector"}) EXPECT_EQ(mm[key], wm[key]) << key;
    EXPECT_TRUE(mm["shard"].is_null());
    EXPECT_EQ(mm["merged_from"]["count"], 3);
    EXPECT_EQ(mm["files"]["truth/conversations.csv"], wm["files"]["truth/conversations.csv"]);
    for (const auto& [name, entry] : mm["files"].items())
        EXPECT_EQ(entry["bytes"].get<std::uint64_t>(), fs::file_size(merged + "/" + name)) << name;

    // verify: the merged exports decode to the whole run's truth, and the other way round.
    auto d = run({flowlab_bin(), "decode", merged + "/exports.pcap", "-o", at("merged.csv")});
    ASSERT_EQ(d.exit_code, 0) << d.err;
    d = run({flowlab_bin(), "verify", "--truth", whole, "--collected", "flowlab:" + at("merged.csv")});
    EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
    d = run({flowlab_bin(), "decode", whole + "/exports.pcap", "-o", at("whole.csv")});
    ASSERT_EQ(d.exit_code, 0) << d.err;
    d = run({flowlab_bin(), "verify", "--truth", merged, "--collected", "flowlab:" + at("whole.csv")});
    EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
}

TEST(MergeDialect, ExportersSharingAnAddressDomainAndSequencesStillMergeToTheWholeRun) {
    // Five exporters, two on one address (other ports), in a dialect whose exporters all use
    // domain 0: a datagram's rows cannot be told by exporter, domain and sequence alone.
    TempDir tmp;
    const std::string five = five_exporters_scenario(tmp);
    const std::vector<std::string> common = {"--duration", "20m", "--dialect", "softflowd-ipfix"};
    auto gen5 = [&](const std::string& out, std::vector<std::string> extra) {
        std::vector<std::string> argv{flowlab_bin(), "gen", five, "-o", out};
        argv.insert(argv.end(), common.begin(), common.end());
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run(argv);
    };
    ASSERT_EQ(gen5(tmp / "whole", {}).exit_code, 0);
    ASSERT_EQ(gen5(tmp / "s0", {"--shard", "0/2"}).exit_code, 0);
    ASSERT_EQ(gen5(tmp / "s1", {"--shard", "1/2"}).exit_code, 0);
    const auto r = run({flowlab_bin(), "merge", tmp / "s0", tmp / "s1", "-o", tmp / "merged"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(contains(r.err, "note")) << r.err;
    for (const char* file : {"exports.pcap", "truth/records.csv", "truth/conversations.csv"})
        EXPECT_TRUE(read_file(tmp / "merged" + "/" + file) == read_file(tmp / "whole" + "/" + file))
            << file << " differs";
}

TEST_F(Merge, WhatIsNotEveryShardOfOneIntactRunIsRefused) {
    auto refused = [&](std::vector<std::string> args, const std::string& message) {
        std::vector<std::string> argv{flowlab_bin(), "merge"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"-o", at("refused")});
        const auto r = run(argv);
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_TRUE(contains(r.err, message)) << r.err;
        EXPECT_FALSE(fs::exists(at("refused")));
    };
    refused({at("s0"), at("s2")}, "shard 1 of 3 missing");
    refused({at("s0"), at("s1"), at("s1"), at("s2")}, "shard 1 is given twice");
    refused({at("whole"), at("s1")}, "not a shard");

    // Another seed: another run.
    ASSERT_EQ(gen(at("other1"), {"--shard", "1/3", "--seed", "7"}).exit_code, 0);
    refused({at("s0"), at("other1"), at("s2")}, "shards of different runs");

    // A shard edited after gen: caught by its manifest's hash, even when the size is the same.
    fs::copy(at("s1"), at("damaged1"), fs::copy_options::recursive);
    std::string records = read_file(at("damaged1") + "/truth/records.csv");
    const auto digit = records.find_first_of("0123456789", records.find('\n'));
    records[digit] = records[digit] == '9' ? '8' : '9';
    write_file(at("damaged1") + "/truth/records.csv", records);
    refused({at("s0"), at("damaged1"), at("s2")}, "damaged1/truth/records.csv: does not match");
}

}  // namespace
}  // namespace flowlab::test
