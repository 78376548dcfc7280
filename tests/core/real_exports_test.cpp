/// @brief Real devices' exports (a directory named by FLOWLAB_REAL_EXPORTS) decoded by flowlab
/// and by tshark: every record and every field tshark shows must agree, byte position and value.
///
/// The directory holds raw UDP payloads (one export packet per file, e.g. the regression
/// captures of logstash-codec-netflow's spec/codecs/), wrapped into a pcap with
/// scripts/payloads_to_pcap.py, and/or pcaps (*.pcap, compared as they are). Without the
/// variable the test skips: CI cannot have third-party captures; the hand-made fixtures of
/// dialect_fixtures_test reproduce their layouts instead.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

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
    const char* dir = std::getenv("FLOWLAB_REAL_EXPORTS");
    if (!dir || !*dir)
        GTEST_SKIP() << "FLOWLAB_REAL_EXPORTS is not set: set it to a directory of raw NetFlow/IPFIX payloads "
                        "(one export per file) or pcaps to compare flowlab with tshark on them";
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
        std::printf("%s: %llu packets, tshark %llu records, flowlab %llu records, %llu fields at the same bytes, "
                    "%llu values compared\n",
                    pcap.c_str(), static_cast<unsigned long long>(c.packets),
                    static_cast<unsigned long long>(c.tshark_records), static_cast<unsigned long long>(c.flowlab_records),
                    static_cast<unsigned long long>(c.fields), static_cast<unsigned long long>(c.values));
        for (const auto& n : c.notes) std::printf("  known tshark defect: %s\n", n.c_str());
        EXPECT_GT(c.tshark_records, 0u) << pcap;
        EXPECT_TRUE(c.problems.empty()) << pcap << ":" << join(c.problems);
    }
}

}  // namespace
}  // namespace flowlab::test
