/// @brief `flowlab gen -j N`: every file is byte-identical for every N (one exporter, many,
/// --packets, --shard, dialects and their message habits), the conversation pump hands on its
/// producer's stream and errors unchanged and never hangs, and a cancelled threaded run leaves
/// nothing behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "flowlab/core/error.hpp"
#include "flowlab/core/run_control.hpp"
#include "flowlab/gen/conversation_pump.hpp"
#include "flowlab/gen/gen_run.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/traffic_source.hpp"
#include "gen_output.hpp"
#include "test_support.hpp"

namespace flowlab::gen {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kFiles{"exports.pcap",           "truth/records.csv", "truth/conversations.csv",
                                      "manifest.json",          "packets.pcap",      "truth/packet-conversations.csv",
                                      "truth/may-lose.csv",     "truth/discard.csv"};

/// Runs gen with -j 1, 2, 3 and 7 and expects every file of each run to equal the -j 1 run's;
/// returns the -j 1 run's files (kFiles' order).
std::vector<std::string> expect_same_for_every_jobs(const std::string& scenario, std::vector<std::string> extra) {
    test::TempDir tmp;
    std::vector<std::string> base{test::flowlab_bin(), "gen", scenario};
    base.insert(base.end(), extra.begin(), extra.end());
    std::vector<std::string> reference;
    for (const std::string jobs : {"1", "2", "3", "7"}) {
        SCOPED_TRACE("-j " + jobs);
        const std::string out = tmp / ("j" + jobs);
        std::vector<std::string> argv = base;
        argv.insert(argv.end(), {"-o", out, "-j", jobs});
        const auto r = test::run(argv);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        if (r.exit_code != 0) return {};
        std::vector<std::string> contents;
        for (const auto& f : kFiles) contents.push_back(test::read_file_if_exists(out + "/" + f));
        if (reference.empty()) {
            reference = contents;
            // Enough to compare: records and conversations were written.
            EXPECT_GT(reference[1].size(), 1000u);
            EXPECT_GT(reference[2].size(), 1000u);
            continue;
        }
        for (std::size_t i = 0; i < kFiles.size(); ++i)
            EXPECT_TRUE(contents[i] == reference[i]) << kFiles[i] << " differs from -j 1's (" << contents[i].size()
                                                     << " bytes against " << reference[i].size() << ")";
    }
    return reference;
}

TEST(GenJobs, OneExporterIsTheSameForEveryJobs) {
    expect_same_for_every_jobs("trading-floor", {"--duration", "2h"});
}

TEST(GenJobs, ManyExportersAreTheSameForEveryJobs) {
    test::TempDir tmp;
    expect_same_for_every_jobs(test::five_exporters_scenario(tmp), {"--duration", "20m"});
}

TEST(GenJobs, PacketsAreTheSameForEveryJobs) {
    expect_same_for_every_jobs("example-office", {"--duration", "30m", "--packets", "--max-packets", "200k"});
}

TEST(GenJobs, AShardIsTheSameForEveryJobs) {
    test::TempDir tmp;
    expect_same_for_every_jobs(test::five_exporters_scenario(tmp), {"--duration", "20m", "--shard", "1/3"});
}

TEST(GenJobs, ADialectIsTheSameForEveryJobs) {
    expect_same_for_every_jobs("example-office", {"--duration", "1h", "--dialect", "cisco-iosxr-ipfix"});
}

// Templates in messages of their own put several messages of one exporter at one export time,
// and one data set per message ends messages at a template change rather than when full.
TEST(GenJobs, DialectMessageHabitsAreTheSameForEveryJobs) {
    for (const std::string dialect : {"cisco-iosxr-v9", "openbsd-pflow-v9", "openbsd-pflow-ipfix"}) {
        SCOPED_TRACE(dialect);
        expect_same_for_every_jobs("example-office", {"--duration", "1h", "--dialect", dialect});
    }
}

/// The faults select messages by their number in each exporter's stream and the truth of the
/// damaged stream follows the order they are sent in: both must not depend on the threads.
TEST(GenJobs, FaultsAreTheSameForEveryJobs) {
    test::TempDir tmp;
    const auto files = expect_same_for_every_jobs(
        test::five_exporters_scenario(tmp),
        {"--duration", "20m", "--fault", "drop:every=7", "--fault", "duplicate:every=5", "--fault",
         "reorder:messages=3,by=2", "--fault", "sequence_gap:messages=4", "--fault", "restart:messages=6", "--fault",
         "uptime_wrap:messages=9", "--fault", "data_before_template:messages=1", "--fault", "truncate:messages=8",
         "--fault", "export_time_back:messages=10,by=5s", "--fault", "template_redefine:messages=5,every=6", "--fault",
         "template_reuse:exporter=edge,messages=11", "--fault", "template_withdraw:messages=2", "--fault",
         "template_refresh_never:messages=12-", "--fault", "short_set:messages=13", "--fault", "padding:messages=14",
         "--fault", "set_length_past:messages=15", "--fault", "field_count_large:messages=16",
         "--fault", "unknown_element:messages=17", "--fault", "varlen_3byte:messages=18-19"});
    ASSERT_EQ(files.size(), kFiles.size());
    // Enough to compare: some records may be lost, some must be discarded.
    EXPECT_GT(std::count(files[6].begin(), files[6].end(), '\n'), 1);
    EXPECT_GT(std::count(files[7].begin(), files[7].end(), '\n'), 1);
    EXPECT_NE(files[3].find("\"faults\""), std::string::npos);
}

/// options_scope_zero follows which options templates a decoder could use, message by message.
TEST(GenJobs, OptionsScopeZeroIsTheSameForEveryJobs) {
    const auto files = expect_same_for_every_jobs(
        "dual-stack", {"--duration", "20m", "--dialect", "cisco-iosxr-v9", "--fault", "options_scope_zero:messages=3",
                       "--fault", "drop:messages=6-,every=5"});
    ASSERT_EQ(files.size(), kFiles.size());
    EXPECT_NE(files[3].find("options_scope_zero"), std::string::npos);
}

TEST(GenJobs, ZeroJobsIsAUsageError) {
    test::TempDir tmp;
    const auto r = test::run({test::flowlab_bin(), "gen", "trading-floor", "-o", tmp / "out", "-j", "0"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--jobs"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(tmp / "out"));
}

Scenario load(const std::string& name) { return load_scenario(name, {test::source_dir() + "/scenarios"}); }

TEST(ConversationPump, HandsOnTheSourceUnchanged) {
    const Scenario s = load("example-office");
    SourceOptions o;
    o.duration_us = 20 * 60 * kUsPerSecond;
    TrafficSource direct(s, o), pumped(s, o);
    // A small batch and queue so that the producer waits for room many times.
    ConversationPump pump([&](Conversation& c) { return pumped.next(c); }, 7, 2);
    Conversation a, b;
    std::uint64_t n = 0;
    while (direct.next(a)) {
        ASSERT_TRUE(pump.next(b)) << "after " << n;
        ASSERT_EQ(a.id, b.id);
        ASSERT_EQ(a.key, b.key);
        ASSERT_EQ(a.bursts.size(), b.bursts.size());
        for (std::size_t i = 0; i < a.bursts.size(); ++i) {
            ASSERT_EQ(a.bursts[i].start_us, b.bursts[i].start_us);
            ASSERT_EQ(a.bursts[i].bytes, b.bursts[i].bytes);
        }
        ++n;
    }
    EXPECT_GT(n, 1000u);
    EXPECT_FALSE(pump.next(b));
    EXPECT_FALSE(pump.next(b));
}

TEST(ConversationPump, AnErrorInTheProducerReachesTheConsumerAfterWhatCameBefore) {
    std::uint64_t made = 0;
    ConversationPump pump(
        [&](Conversation& c) {
            if (made == 2500) throw IoError("the source failed");
            c.id = made++;
            c.bursts.assign(1, Burst{1, 1, 1, 40, 0});
            return true;
        },
        64, 2);
    Conversation c;
    for (std::uint64_t i = 0; i < 2500; ++i) {
        ASSERT_TRUE(pump.next(c));
        ASSERT_EQ(c.id, i);
    }
    try {
        pump.next(c);
        FAIL() << "no error";
    } catch (const IoError& e) {
        EXPECT_STREQ(e.what(), "the source failed");
    }
}

TEST(ConversationPump, StopsAnEndlessProducerWhenDestroyed) {
    std::atomic<std::uint64_t> made{0};
    {
        ConversationPump pump([&](Conversation& c) {
            c.id = made++;
            c.bursts.assign(1, Burst{1, 1, 1, 40, 0});
            return true;
        });
        Conversation c;
        ASSERT_TRUE(pump.next(c));
    }  // the producer is blocked for room or filling a batch: both must end
    EXPECT_LE(made.load(), (ConversationPump::kQueued + 2) * ConversationPump::kBatch);
    EXPECT_GT(made.load(), 0u);
}

/// A run stopped by its cancel token in mid-simulation (threads busy) throws Interrupted and
/// leaves no output directory and no temporary one.
TEST(GenJobs, CancelledThreadedRunLeavesNothing) {
    for (std::size_t jobs : {1, 2, 3}) {
        SCOPED_TRACE("jobs " + std::to_string(jobs));
        test::TempDir tmp;
        const Scenario s = load("example-office");
        GenOptions o;
        o.output_dir = tmp / "out";
        o.source.duration_us = 12 * 3600 * kUsPerSecond;
        o.jobs = jobs;
        CancelToken stop;
        RunHooks hooks;
        hooks.cancel = &stop;
        int reports = 0;
        hooks.progress = [&](const Progress& p) {
            if (p.done > 0 && ++reports == 2) stop.cancel(2);
        };
        try {
            run_gen(s, o, hooks);
            FAIL() << "not interrupted";
        } catch (const Interrupted& e) {
            EXPECT_EQ(e.signal(), 2);
            EXPECT_NE(std::string(e.what()).find("nothing was written"), std::string::npos) << e.what();
        }
        std::size_t entries = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp.path())) ++entries;
        EXPECT_EQ(entries, 0u);
    }
}

}  // namespace
}  // namespace flowlab::gen
