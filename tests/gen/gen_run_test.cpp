/// @brief `flowlab gen` end to end: determinism, exact truth (the exports decode to
/// truth/records.csv byte for byte), conservation through the meter, atomic output.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "flowlab/core/decoder.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/record_format.hpp"
#include "flowlab/gen/gen_run.hpp"
#include "flowlab/gen/sha256.hpp"
#include "test_support.hpp"

namespace flowlab::gen {
namespace {

namespace fs = std::filesystem;
using test::run;

std::string scenario_path(const std::string& name) { return test::source_dir() + "/scenarios/" + name + ".json"; }

test::RunResult gen(const std::string& scenario, const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{test::flowlab_bin(), "gen", scenario, "-o", out};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
}

TEST(GenRun, SameSeedGivesByteIdenticalOutputsAndAnotherSeedDoesNot) {
    test::TempDir dir;
    const auto a = gen(scenario_path("example-office"), dir / "a", {"--duration", "3h", "--seed", "11"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const auto b = gen(scenario_path("example-office"), dir / "b", {"--duration", "3h", "--seed", "11"});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const auto c = gen(scenario_path("example-office"), dir / "c", {"--duration", "3h", "--seed", "12"});
    ASSERT_EQ(c.exit_code, 0) << c.err;
    for (const char* f : {"exports.pcap", "truth/records.csv", "truth/conversations.csv", "manifest.json"}) {
        EXPECT_EQ(test::read_file(dir / "a/" + f), test::read_file(dir / "b/" + f)) << f;
    }
    EXPECT_NE(test::read_file(dir / "a/exports.pcap"), test::read_file(dir / "c/exports.pcap"));
    EXPECT_NE(a.err.find("flowlab gen: example-office (seed 11)"), std::string::npos) << a.err;
}

TEST(GenRun, ExportsDecodeToTheTruthByteForByte) {
    test::TempDir dir;
    const auto g = gen(scenario_path("example-office"), dir / "out", {"--duration", "2h"});
    ASSERT_EQ(g.exit_code, 0) << g.err;
    const auto d = run({test::flowlab_bin(), "decode", dir / "out/exports.pcap"});
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_NE(d.err.find("errors: none"), std::string::npos) << d.err;
    EXPECT_EQ(d.err.find("sequence gaps"), std::string::npos) << d.err;
    const std::string truth = test::read_file(dir / "out/truth/records.csv");
    ASSERT_GT(truth.size(), 1000u);
    EXPECT_TRUE(d.out == truth) << "flowlab decode of exports.pcap differs from truth/records.csv";

    // The manifest's file hashes are those of the files.
    const auto m = nlohmann::json::parse(test::read_file(dir / "out/manifest.json"));
    for (const char* f : {"exports.pcap", "truth/records.csv", "truth/conversations.csv"}) {
        EXPECT_EQ(m["files"][f]["sha256"].get<std::string>(), sha256_file(dir / (std::string("out/") + f))) << f;
    }
    EXPECT_EQ(m["scenario"]["name"], "example-office");
}

// Sums records back to conversations: every packet and byte an unsampled exporter observed
// is in its records; a sampled one holds 1/N of them within five standard deviations.
TEST(GenRun, PacketsAndBytesAreConservedThroughTheMeter) {
    test::TempDir dir;
    const Scenario s = load_scenario(scenario_path("example-office"), {});
    GenOptions o;
    o.output_dir = dir / "out";
    o.source.duration_us = 4 * kUsPerHour;
    const GenSummary summary = run_gen(s, o);

    std::vector<ExporterPlan> plans;
    for (std::size_t i = 0; i < s.exporters.size(); ++i) plans.push_back(make_exporter_plan(s, i, s.start_us));
    std::vector<std::uint64_t> seen_packets(plans.size()), seen_bytes(plans.size());
    {
        std::ifstream in(dir / "out/truth/conversations.csv");
        std::string line;
        std::getline(in, line);
        ASSERT_EQ(line, kConversationCsvHeader);
        while (std::getline(in, line)) {
            std::vector<std::string> cell;
            std::size_t from = 0;
            for (std::size_t comma; (comma = line.find(',', from)) != std::string::npos; from = comma + 1)
                cell.push_back(line.substr(from, comma - from));
            cell.push_back(line.substr(from));
            ASSERT_EQ(cell.size(), 12u) << line;
            ConversationKey k;
            k.src = *core::IpAddress::parse(cell[1]);
            k.dst = *core::IpAddress::parse(cell[2]);
            for (std::size_t e = 0; e < plans.size(); ++e) {
                if (!observe(plans[e], k)) continue;
                if (plans[e].exporter.protocol == core::Protocol::v5 && k.src.is_v6()) continue;
                seen_packets[e] += std::stoull(cell[8]);
                seen_bytes[e] += std::stoull(cell[9]);
            }
        }
    }
    std::map<core::IpAddress, std::pair<std::uint64_t, std::uint64_t>> got;
    core::RecordCsvReader reader(dir / "out/truth/records.csv");
    core::FlowRecord r;
    while (reader.next(r)) {
        got[r.exporter].first += r.packets;
        got[r.exporter].second += r.bytes;
    }
    for (std::size_t e = 0; e < plans.size(); ++e) {
        const auto [packets, bytes] = got[plans[e].exporter.address];
        const auto n = plans[e].meter.sampling_interval;
        if (plans[e].meter.sampling == MeterSampling::none || n <= 1) {
            EXPECT_EQ(packets, seen_packets[e]) << plans[e].name;
            EXPECT_EQ(bytes, seen_bytes[e]) << plans[e].name;
        } else {
            const double expect = static_cast<double>(seen_packets[e]) / n;
            const double sd = std::sqrt(static_cast<double>(seen_packets[e]) * (1.0 / n) * (1.0 - 1.0 / n));
            EXPECT_NEAR(static_cast<double>(packets), expect, 5 * sd) << plans[e].name;
        }
        EXPECT_EQ(summary.stats.exporters[e].cache.packets, packets) << plans[e].name;
    }
}

TEST(GenRun, BadScenarioLeavesNoOutputBehind) {
    test::TempDir dir;
    const std::string bad = dir / "bad.json";
    auto doc = nlohmann::json::parse(test::read_file(scenario_path("example-office")));
    doc["time"]["duration"] = "-3h";  // one mistake in an otherwise good scenario
    test::write_file(bad, doc.dump());
    const auto g = gen(bad, dir / "out");
    EXPECT_EQ(g.exit_code, 2);
    EXPECT_NE(g.err.find("/time/duration"), std::string::npos) << g.err;
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
    EXPECT_EQ(entries, 1u) << "only bad.json: no output directory, no temporary one";
}

TEST(GenRun, RefusesToOverwriteSomethingElse) {
    test::TempDir dir;
    fs::create_directories(dir / "precious");
    test::write_file(dir / "precious/notes.txt", "keep me");
    const auto g = gen(scenario_path("example-office"), dir / "precious", {"--duration", "10m"});
    EXPECT_EQ(g.exit_code, 2);
    EXPECT_NE(g.err.find("is not a flowlab output directory"), std::string::npos) << g.err;
    EXPECT_EQ(test::read_file(dir / "precious/notes.txt"), "keep me");
    // An earlier flowlab output is replaced.
    ASSERT_EQ(gen(scenario_path("example-office"), dir / "out", {"--duration", "10m"}).exit_code, 0);
    ASSERT_EQ(gen(scenario_path("example-office"), dir / "out", {"--duration", "20m"}).exit_code, 0);
    const auto m = nlohmann::json::parse(test::read_file(dir / "out/manifest.json"));
    EXPECT_EQ(m["span"]["end_ms"].get<std::int64_t>() - m["span"]["start_ms"].get<std::int64_t>(), 20 * 60 * 1000);
}

TEST(GenRun, BadCommandLineValuesAreUsageErrors) {
    test::TempDir dir;
    auto g = gen(scenario_path("example-office"), dir / "out", {"--duration", "soon"});
    EXPECT_EQ(g.exit_code, 2);
    EXPECT_NE(g.err.find("--duration"), std::string::npos) << g.err;
    g = gen(scenario_path("example-office"), dir / "out", {"--start", "yesterday"});
    EXPECT_EQ(g.exit_code, 2);
    EXPECT_NE(g.err.find("--start"), std::string::npos) << g.err;
    g = gen("no-such-scenario", dir / "out");
    EXPECT_EQ(g.exit_code, 2);
    EXPECT_FALSE(fs::exists(dir / "out"));
}

}  // namespace
}  // namespace flowlab::gen
