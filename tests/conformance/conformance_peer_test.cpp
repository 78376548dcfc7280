/// @brief The real peers' report cards (tshark, libfixbuf's ipfixDump, nfcapd/nfdump, pmacct's
/// nfacctd), each run where the peer is installed. tests/conformance/peers/NAME.json lists the
/// cases each peer does not pass on Debian 12, with the verdict; the test fails when a card
/// differs from it, so a new deviation (or a fixed one) is named by its case number.
#include <gtest/gtest.h>

#include <fstream>

#include "flowlab/harness/conformance.hpp"
#include "test_support.hpp"

namespace flowlab::harness {
namespace {

void check_card(const std::string& name, const std::vector<std::string>& how) {
    test::TempDir dir;
    std::vector<std::string> argv = {test::flowlab_bin(), "conformance", "-q", "--report-json", dir / "card.json", "--workdir", dir / "work"};
    argv.insert(argv.end(), how.begin(), how.end());
    const auto run = test::run(argv, {}, std::chrono::seconds(600));
    ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err;
    const Card card = read_card_json(dir / "card.json");
    std::ifstream in(test::source_dir() + "/tests/conformance/peers/" + name + ".json");
    ASSERT_TRUE(in) << "no expected card for " << name;
    const auto expected = nlohmann::json::parse(in);
    std::map<std::string, std::string> want;
    for (const auto& [id, v] : expected.at("deviations").items()) want[id] = v.at("verdict").get<std::string>();
    std::string report;
    for (const auto& c : card.cases) {
        const std::string got(to_string(c.verdict));
        const bool deviation = c.verdict != Verdict::pass && c.verdict != Verdict::informational && c.verdict != Verdict::skipped;
        auto it = want.find(c.id);
        if (it == want.end() && deviation) report += c.id + " " + c.title + ": now " + got + ": " + c.detail + "\n";
        // fail and lost may trade places between runs (a collector under load); what counts is
        // whether the case shows a deviation at all.
        if (it != want.end() && !deviation) report += c.id + " " + c.title + ": expected " + it->second + ", now " + got + ": " + c.detail + "\n";
    }
    EXPECT_TRUE(report.empty()) << name << " card changed (update tests/conformance/peers/" << name << ".json and the README table):\n" << report;
}

TEST(ConformancePeer, Tshark) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    check_card("tshark", {"--decoder", "tshark", "-j", "2"});
}

TEST(ConformancePeer, IpfixDump) {
    FLOWLAB_REQUIRE_TOOL("ipfixDump");
    check_card("ipfixdump", {"--decoder", "ipfixdump", "-j", "2"});
}

TEST(ConformancePeer, Nfcapd) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    FLOWLAB_REQUIRE_TOOL("nfdump");
    check_card("nfcapd", {"--collector", "nfcapd", "-j", "8"});
}

TEST(ConformancePeer, Nfacctd) {
    FLOWLAB_REQUIRE_TOOL("nfacctd");
    check_card("nfacctd", {"--collector", "nfacctd", "-j", "4"});
}

}  // namespace
}  // namespace flowlab::harness
