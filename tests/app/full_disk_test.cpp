/// @brief A write that the system refuses (a full disk, a file-size limit): the message names the
/// full path, the operation and the error; exit 2; nothing is left behind, not even an empty
/// --workdir. The refusal comes from RLIMIT_FSIZE (`ulimit -f`), which holds for root as well
/// and needs no privilege, so CI and a developer's machine see the same thing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace flowlab::test {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// flowlab with its file size limited to `blocks` 512-byte blocks (dash's unit for ulimit -f).
RunResult run_limited(int blocks, const std::vector<std::string>& args) {
    std::string script = "ulimit -f " + std::to_string(blocks) + " && exec \"$0\"";
    for (std::size_t i = 0; i < args.size(); ++i) script += " \"$" + std::to_string(i + 1) + "\"";
    std::vector<std::string> argv{"/bin/sh", "-c", script, flowlab_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    return out;
}

std::string list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += " " + x;
    return s;
}

void expect_write_error(const RunResult& r, const std::string& dir) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, dir + "/")) << "names the full path: " << r.err;
    EXPECT_TRUE(contains(r.err, "write failed: File too large")) << "names the operation and the error: " << r.err;
}

TEST(FullDisk, GenLeavesNoOutputDirectory) {
    TempDir dir;
    fs::create_directories(dir / "parent");
    const auto r = run_limited(64, {"gen", "example-office", "-o", dir / "parent/out", "--duration", "6h"});
    expect_write_error(r, dir / "parent");
    EXPECT_TRUE(entries(dir / "parent").empty()) << list(entries(dir / "parent"));
}

TEST(FullDisk, CheckRemovesTheWorkDirectoryItCreated) {
    TempDir dir;
    // gen is the first to write: no collector is needed to reach the failure.
    const auto r = run_limited(64, {"check", source_dir() + "/tests/check/all-exporters.json", "--collector", "nfcapd",
                                    "--workdir", dir / "work"});
    expect_write_error(r, dir / "work");
    EXPECT_FALSE(fs::exists(dir / "work")) << list(entries(dir / "work"));
    EXPECT_TRUE(contains(r.err, "removed work directory " + dir / "work")) << r.err;
}

TEST(FullDisk, CheckEmptiesAnExistingWorkDirectoryOfWhatItWrote) {
    TempDir dir;
    fs::create_directories(dir / "work");
    write_file(dir / "work/mine.txt", "the user's");
    const auto r = run_limited(64, {"check", source_dir() + "/tests/check/all-exporters.json", "--collector", "nfcapd",
                                    "--workdir", dir / "work"});
    expect_write_error(r, dir / "work");
    EXPECT_EQ(entries(dir / "work"), std::vector<std::string>{"mine.txt"});
}

TEST(FullDisk, VerifyWritesNoHalfReport) {
    TempDir dir;
    const auto g = run({flowlab_bin(), "gen", "example-office", "-o", dir / "gen", "--duration", "1h"});
    ASSERT_EQ(g.exit_code, 0) << g.err;
    fs::create_directories(dir / "reports");
    // The truth compared with itself: a match, whose JSON report is larger than the limit.
    const auto r = run_limited(1, {"verify", "--truth", dir / "gen", "--collected", "flowlab:" + dir / "gen/truth/records.csv",
                                   "--report-json", dir / "reports/report.json"});
    expect_write_error(r, dir / "reports");
    EXPECT_TRUE(entries(dir / "reports").empty()) << list(entries(dir / "reports"));
}

TEST(FullDisk, DecodeLeavesNoHalfOutput) {
    TempDir dir;
    const auto g = run({flowlab_bin(), "gen", "example-office", "-o", dir / "gen", "--duration", "1h"});
    ASSERT_EQ(g.exit_code, 0) << g.err;
    fs::create_directories(dir / "out");
    // CSV is written by decode's second thread: its error must still reach the exit status.
    for (const char* format : {"csv", "jsonl"}) {
        const auto r = run_limited(64, {"decode", dir / "gen/exports.pcap", "-f", format, "-o", dir / "out/records"});
        expect_write_error(r, dir / "out");
        EXPECT_TRUE(entries(dir / "out").empty()) << format << ":" << list(entries(dir / "out"));
    }
}

}  // namespace
}  // namespace flowlab::test
