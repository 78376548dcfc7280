/// @brief Real devices' exports decoded by flowlab and by tshark: every record and every field
/// tshark shows must agree, byte position and value.
///
/// By default the exports are the committed third-party captures in
/// tests/core/fixtures/real-exports/payloads (see SOURCE.md there). FLOWLAB_REAL_EXPORTS names
/// another directory to compare instead: raw UDP payloads (one export packet per file), wrapped
/// into a pcap with scripts/payloads_to_pcap.py, and/or pcaps (*.pcap, compared as they are).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "test_support.hpp"
#include "tshark_elements.hpp"

namespace flowlab::test {
namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += "\n  " + x;
    return s;
}

TEST(RealExports, EveryRecordAndFieldAgreesWithTshark) {
    const char* env = std::getenv("FLOWLAB_REAL_EXPORTS");
    const std::string dir =
        env && *env ? std::string(env) : source_dir() + "/tests/core/fixtures/real-exports/payloads";
    FLOWLAB_REQUIRE_TOOL("tshark");
    FLOWLAB_REQUIRE_TOOL("python3");
    namespace fs = std::filesystem;
    TempDir tmp;
    std::vector<std::string> pcaps;
    bool payloads = false;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        if (e.path().extension() == ".pcap" || e.path().extension() == ".pcapng") pcaps.push_back(e.path().string());
        else payloads = true;
    }
    if (payloads) {
        const std::string pcap = tmp / "payloads.pcap";
        const RunResult r = run({"python3", source_dir() + "/scripts/payloads_to_pcap.py", dir, pcap,
                                 "--skip", "\\.(pcap|pcapng)$"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        pcaps.push_back(pcap);
    }
    ASSERT_FALSE(pcaps.empty()) << dir << " holds no files";
    for (const auto& pcap : pcaps) {
        const TsharkComparison c = compare_with_tshark(pcap);
        fmt::print(
            "{}: {} packets, tshark {} records, flowlab {} records, {} fields at the same bytes, "
            "{} values compared\n",
            pcap, c.packets, c.tshark_records, c.flowlab_records, c.fields, c.values);
        for (const auto& n : c.notes) fmt::print("  known tshark defect: {}\n", n);
        EXPECT_GT(c.tshark_records, 0u) << pcap;
        EXPECT_TRUE(c.problems.empty()) << pcap << ":" << join(c.problems);
    }
}

}  // namespace
}  // namespace flowlab::test
