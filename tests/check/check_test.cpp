/// @brief `flowlab check` against the real collectors (nfcapd/nfdump, nfacctd) that the tests
/// start on loopback: v5, v9 and IPFIX exporters, IPv4 and IPv6 flows, verdict MATCH at a
/// modest rate; a wrong expectation reported as DIFFERENT; rate sweeps; bad input.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <regex>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "flowlab/core/process.hpp"
#include "flowlab/core/record_format.hpp"
#include "test_support.hpp"

namespace flowlab {
namespace {

namespace fs = std::filesystem;
using test::run;

std::string scenario() { return test::source_dir() + "/tests/check/all-exporters.json"; }

test::RunResult check(std::vector<std::string> extra) {
    std::vector<std::string> argv{test::flowlab_bin(), "check", scenario()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, {}, std::chrono::seconds(600));
}

/// The truth holds what the test claims to cover: three protocols, IPv6 in v9 and IPFIX.
void expect_coverage(const std::string& gen_dir) {
    core::RecordCsvReader reader(gen_dir + "/truth/records.csv");
    core::FlowRecord r;
    std::map<int, std::pair<std::uint64_t, std::uint64_t>> by_version;  // v4, v6 records
    while (reader.next(r)) (r.src.is_v6() ? by_version[r.version].second : by_version[r.version].first)++;
    EXPECT_GT(by_version[5].first, 0u);
    EXPECT_GT(by_version[9].first, 0u);
    EXPECT_GT(by_version[9].second, 0u);
    EXPECT_GT(by_version[10].first, 0u);
    EXPECT_GT(by_version[10].second, 0u);
}

class CheckCollector : public ::testing::TestWithParam<const char*> {};

TEST_P(CheckCollector, EveryRecordOfEveryExporterMatches) {
    const std::string collector = GetParam();
    FLOWLAB_REQUIRE_TOOL(collector);
    FLOWLAB_REQUIRE_TOOL("nfdump");
    test::TempDir dir;
    // nfacctd's print plugin falls behind from about 2k messages/s on a busy 2-core machine
    // (its core then drops what the plugin's buffer cannot take): stay well below.
    const std::string pps = collector == "nfacctd" ? "1000" : "2000";
    const auto r = check({"--collector", collector, "--pps", pps, "--workdir", dir / "work", "--report-json",
                          dir / "report.json", "--html", dir / "report.html"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("MATCH: ", 0), 0u) << r.out;
    expect_coverage(dir / "work/gen");
    const auto report = nlohmann::json::parse(test::read_file(dir / "report.json"));
    EXPECT_TRUE(report["match"].get<bool>());
    // Each exporter was replayed from its own loopback address and mapped back: all three count.
    std::size_t exporters = 0;
    for (const auto& e : report["per_exporter"]) {
        EXPECT_GT(e["matched"].get<std::uint64_t>(), 0u) << e.dump();
        ++exporters;
    }
    EXPECT_EQ(exporters, 3u) << report["per_exporter"].dump();
    // --html: the page flowlab report draws from that JSON (tests/report opens such pages in
    // Chromium), self-contained: Chart.js inside, nothing fetched.
    const std::string html = test::read_file(dir / "report.html");
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u) << html.substr(0, 200);
    EXPECT_NE(html.find("Chart.js"), std::string::npos);
    EXPECT_EQ(html.find("src=\"http"), std::string::npos);
    EXPECT_NE(html.find("flowlab check: "), std::string::npos) << "the page's title";
}

INSTANTIATE_TEST_SUITE_P(Collectors, CheckCollector, ::testing::Values("nfcapd", "nfacctd"));

/// Live processes whose process group is `pgid` (a collector leads its own group); zombies,
/// already dead and waiting for init to reap them, do not count.
std::vector<pid_t> group_members(pid_t pgid) {
    std::vector<pid_t> out;
    for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string stat = test::read_file_if_exists(e.path() / "stat");
        // pid (comm) state ppid pgrp ...: comm may hold spaces, so parse after its ')'.
        const auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        char state = 0;
        long ppid = 0, pgrp = 0;
        if (std::sscanf(stat.c_str() + close + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3 && pgrp == pgid && state != 'Z')
            out.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return out;
}

/// SIGINT/SIGTERM while replay feeds the collector: check stops the collector by PID, removes the
/// work directory it created, says what was done, and exits 130/143 within a second or so.
class CheckSignal : public ::testing::TestWithParam<std::tuple<const char*, int>> {};

TEST_P(CheckSignal, StopsTheCollectorRemovesTheWorkdirAndExits128PlusSignal) {
    const std::string collector = std::get<0>(GetParam());
    const int sig = std::get<1>(GetParam());
    FLOWLAB_REQUIRE_TOOL(collector);
    test::TempDir dir;
    core::Process::Options o;
    // 50 messages/s: the replay would take a minute, the signal comes once it has begun.
    o.argv = {test::flowlab_bin(), "check", scenario(), "--collector", collector, "--pps", "50", "--workdir", dir / "work"};
    o.out = core::Process::Stream::file(dir / "out.txt");
    o.err = core::Process::Stream::file(dir / "err.txt");
    core::Process p = core::Process::start(o);
    ASSERT_TRUE(test::wait_until(
        [&] { return test::read_file_if_exists(dir / "err.txt").find(", sending at") != std::string::npos || !p.running(); },
        std::chrono::seconds(60)));
    ASSERT_TRUE(p.running()) << test::read_file(dir / "err.txt");
    std::smatch m;
    std::string err = test::read_file(dir / "err.txt");
    ASSERT_TRUE(std::regex_search(err, m, std::regex(" listening on [^ ]+ \\(pid ([0-9]+)\\)"))) << err;
    const pid_t collector_pid = static_cast<pid_t>(std::stol(m[1].str()));
    ASSERT_EQ(::kill(collector_pid, 0), 0);

    const auto t0 = std::chrono::steady_clock::now();
    const core::ExitStatus st = p.stop(sig, std::chrono::seconds(10));  // a hang shows as SIGKILL
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    err = test::read_file(dir / "err.txt");
    EXPECT_EQ(st.signal, 0) << "died by the signal instead of handling it: " << err;
    EXPECT_EQ(st.code, 128 + sig) << err;
    EXPECT_LT(took, std::chrono::seconds(5)) << "took " << took.count() << " ms to stop";
    EXPECT_NE(err.find("stopped collector " + collector + " (pid " + std::to_string(collector_pid) + ")"),
              std::string::npos) << err;
    EXPECT_NE(err.find("interrupted by " + core::signal_name(sig) + " while sending to " + collector), std::string::npos)
        << err;
    EXPECT_NE(err.find("removed work directory"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(dir / "work"));
    EXPECT_EQ(test::read_file(dir / "out.txt"), "") << "no verdict after an interrupt";
    EXPECT_NE(::kill(collector_pid, 0), 0) << collector << " (pid " << collector_pid << ") survived";
    // SIGKILL to the group's stragglers (nfacctd's plugin) takes effect a moment after kill().
    EXPECT_TRUE(test::wait_until([&] { return group_members(collector_pid).empty(); }, std::chrono::seconds(2)))
        << "a process of " << collector << "'s group survived: pid " << group_members(collector_pid).front();
}

INSTANTIATE_TEST_SUITE_P(Signals, CheckSignal,
                         ::testing::Combine(::testing::Values("nfcapd", "nfacctd"), ::testing::Values(SIGINT, SIGTERM)),
                         [](const ::testing::TestParamInfo<std::tuple<const char*, int>>& p) {
                             return std::string(std::get<0>(p.param)) + "_" + core::signal_name(std::get<1>(p.param));
                         });

TEST(Check, AWrongExpectationIsReportedAsDifferent) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    test::TempDir dir;
    // The shipped profile knows nfcapd stores v5 masks as 0; a profile that does not, must fail.
    auto profile = nlohmann::json::parse(test::read_file(test::source_dir() + "/verify/collectors/nfcapd.json"));
    profile["name"] = "nfcapd-naive";
    profile.erase("drops");
    test::write_file(dir / "naive.json", profile.dump());
    const auto r = check({"--collector", dir / "naive.json", "--pps", "2000"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("DIFFERENT: ", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("src_mask"), std::string::npos) << r.out;
}

TEST(Check, RateSweepPrintsOneRowPerRateAndTheCapacity) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    // Each rate sends for at least a second (the exports in loops), not for a buffer's worth.
    const auto r = check({"--collector", "nfcapd", "--rates", "1k,3k", "--duration", "10m", "--step-min", "1s",
                          "--step-buffers", "0"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("\n1k pps"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\n3k pps"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("capacity: no loss up to 3k pps"), std::string::npos) << r.out;
}

/// A rate far beyond what this machine can send (about 1.5M datagrams/s at best, PEERS.md): the
/// row says SHORT with the rate achieved, the capacity line claims only the rate below it, the
/// JSON and JUnit (one testcase per rate) say the same, and the exit status is 1.
TEST(Check, ARateTheSenderCannotReachIsShortNeverPassed) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    test::TempDir dir;
    const auto r = check({"--collector", "nfcapd", "--rates", "1k,20M", "--duration", "10m", "--step-min", "1s",
                          "--step-buffers", "0", "--report-json", dir / "sweep.json", "--junit", dir / "sweep.xml"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\n20M pps +([0-9]+) .* SHORT: the sender achieved ([0-9]+) of 20M pps")))
        << r.out;
    EXPECT_LT(std::stod(m[1].str()), 20e6 * 0.99);
    EXPECT_NE(r.out.find("capacity: no loss up to 1k pps"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("up to 20M"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("SHORT: 20M pps achieved only"), std::string::npos) << r.out;
    const auto j = nlohmann::json::parse(test::read_file(dir / "sweep.json"));
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["status"], "MATCH") << j[0].dump();
    EXPECT_GE(j[0]["messages_sent"].get<std::uint64_t>(), 1000u) << "a step of at least --step-min at the rate";
    EXPECT_EQ(j[1]["status"], "SHORT");
    EXPECT_TRUE(j[1]["short"].get<bool>());
    EXPECT_FALSE(j[1]["match"].get<bool>());
    // Whatever was sent in the step's time was verified record by record, against a truth
    // that repeats the generated one per loop (and the part of the last loop that went out).
    EXPECT_GT(j[1]["loops"].get<double>(), 1.0);
    EXPECT_EQ(j[1]["records_sent"].get<std::uint64_t>(), j[1]["counts"]["truth"].get<std::uint64_t>());
    EXPECT_EQ(j[1]["records_sent"].get<std::uint64_t>(),
              j[1]["records_stored"].get<std::uint64_t>() + j[1]["records_lost"].get<std::uint64_t>());
    const std::string junit = test::read_file(dir / "sweep.xml");
    EXPECT_NE(junit.find("<testsuite name=\"check-all-exporters on nfcapd rate sweep\" tests=\"2\" failures=\"1\""),
              std::string::npos) << junit;
    EXPECT_NE(junit.find("name=\"1k pps\""), std::string::npos) << junit;
    EXPECT_NE(junit.find("<failure message=\"SHORT: "), std::string::npos) << junit;
}

/// With --step-min 0s a step still sends at least the collector's receive buffer (read from
/// nfcapd's socket: its -B 4 MB, as the kernel doubles and caps it) in payload bytes.
TEST(Check, AStepSendsAtLeastTheCollectorsReceiveBuffer) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    test::TempDir dir;
    const auto r = check({"--collector", "nfcapd", "--rates", "20k", "--duration", "10m", "--step-min", "0s", "--report-json",
                          dir / "sweep.json"});
    ASSERT_NE(r.exit_code, 2) << r.out << r.err;
    const auto j = nlohmann::json::parse(test::read_file(dir / "sweep.json"));
    ASSERT_EQ(j.size(), 1u);
    const auto buffer = j[0]["receive_buffer"].get<std::uint64_t>();
    EXPECT_GE(buffer, 4'194'304u) << "nfcapd -B 4194304";
    EXPECT_GE(j[0]["payload_bytes_sent"].get<std::uint64_t>(), buffer) << j[0].dump();
    EXPECT_GT(j[0]["loops"].get<double>(), 1.0);
    EXPECT_NE(r.err.find("receive buffer " + std::to_string(buffer) + " bytes"), std::string::npos) << r.err;
}

/// A profile for tests/check/lossy_collector.py, which loses every tenth message on purpose.
std::string lossy_profile(const fs::path& dir) {
    nlohmann::json doc = {
        {"name", "lossy"},
        {"reader", "flowlab"},
        {"keeps", {"exporter", "domain", "version", "sequence", "src", "dst", "sport", "dport", "proto", "tos", "tcp_flags",
                   "packets", "bytes", "first_ms", "last_ms", "in_if", "out_if", "src_as", "dst_as"}},
        {"run",
         {{"start", {"python3", test::source_dir() + "/tests/check/lossy_collector.py", "{address}", "{port}", "{dir}/flows.csv"}},
          {"ready_log", "taking data"},
          {"stop", {{"signal", "TERM"}}},
          {"collected", "flowlab:{dir}/flows.csv"}}}};
    const fs::path p = dir / "lossy.json";
    test::write_file(p.string(), doc.dump(2));
    return p.string();
}

test::RunResult check_v5(std::vector<std::string> extra) {
    std::vector<std::string> argv{test::flowlab_bin(), "check", test::source_dir() + "/tests/check/v5-only.json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, {}, std::chrono::seconds(600));
}

/// The search finds the fake's loss at every rate it tries: each step lost exactly the tenth
/// messages (located by exporter and sequence), no rate passes a 1% threshold, and the loss is
/// named as the bound.
TEST(CheckCapacity, TheSearchFindsACollectorThatLosesEveryTenthMessage) {
    FLOWLAB_REQUIRE_TOOL("python3");
    test::TempDir dir;
    const auto r = check_v5({"--collector", lossy_profile(dir.path()), "--find-capacity", "--start-rate", "1k", "--max-steps", "3",
                             "--loss-threshold", "1%", "--step-min", "1s", "--step-buffers", "0", "--report-json",
                             dir / "search.json", "--junit", dir / "search.xml", "--html", dir / "search.html"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("capacity: no rate passed (loss <= 1%"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("upper bound: collector loss"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("lost at exporter 192.0.2.3 domain 258 v5: "), std::string::npos) << r.out;
    const auto j = nlohmann::json::parse(test::read_file(dir / "search.json"));
    EXPECT_EQ(j["kind"], "capacity_search");
    EXPECT_TRUE(j["capacity"].is_null());
    EXPECT_EQ(j["upper_bound"], "collector loss");
    ASSERT_EQ(j["steps"].size(), 3u) << j.dump();
    for (const auto& step : j["steps"]) {
        EXPECT_EQ(step["status"], "LOSS") << step["verdict"];
        ASSERT_EQ(step["loss"].size(), 1u) << step.dump();
        const auto& loss = step["loss"][0];
        EXPECT_EQ(loss["messages"].get<std::uint64_t>(), step["messages_sent"].get<std::uint64_t>());
        EXPECT_EQ(loss["messages_hit"].get<std::uint64_t>(), step["messages_sent"].get<std::uint64_t>() / 10) << loss.dump();
        EXPECT_EQ(step["counts"]["altered"].get<std::uint64_t>(), 0u);
        EXPECT_EQ(step["counts"]["unexpected"].get<std::uint64_t>(), 0u);
    }
    const std::string junit = test::read_file(dir / "search.xml");
    EXPECT_NE(junit.find("tests=\"3\" failures=\"3\""), std::string::npos) << junit;
    EXPECT_EQ(test::read_file(dir / "search.html").rfind("<!DOCTYPE html>", 0), 0u);
}

/// With a threshold above its 10%, the same collector passes every rate up to --max-rate, and
/// the search says it found a lower bound only.
TEST(CheckCapacity, AThresholdAboveTheLossPassesUpToTheMaxRate) {
    FLOWLAB_REQUIRE_TOOL("python3");
    test::TempDir dir;
    const auto r = check_v5({"--collector", lossy_profile(dir.path()), "--find-capacity", "--start-rate", "1k", "--max-rate", "4k",
                             "--loss-threshold", "15%", "--step-min", "1s", "--step-buffers", "0"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("capacity: 4k pps (loss <= 15%"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("a lower bound only, after 3 steps"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("WITHIN: "), std::string::npos) << r.out;
}

TEST(Check, BadInputIsExitCodeTwoWithTheReason) {
    test::TempDir dir;
    auto r = check({"--collector", "no-such-collector"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no-such-collector"), std::string::npos) << r.err;

    auto profile = nlohmann::json::parse(test::read_file(test::source_dir() + "/verify/collectors/nfcapd.json"));
    profile.erase("run");
    test::write_file(dir / "norun.json", profile.dump());
    r = check({"--collector", dir / "norun.json"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("/run"), std::string::npos) << r.err;

    profile = nlohmann::json::parse(test::read_file(test::source_dir() + "/verify/collectors/nfcapd.json"));
    profile["run"]["start"] = {"flowlab-no-such-program", "{port}"};
    test::write_file(dir / "missing.json", profile.dump());
    r = check({"--collector", dir / "missing.json", "--duration", "1m"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("flowlab-no-such-program is not installed"), std::string::npos) << r.err;

    r = check({"--collector", "nfcapd", "--pps", "100", "--topspeed"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--pps excludes --topspeed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace flowlab
