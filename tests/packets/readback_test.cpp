/// @brief packets.pcap read back without flowlab's code (libpcap + libtins, checksums
/// recomputed here): per 5-tuple it holds exactly the truth's packets and IP bytes, in time
/// order, with valid checksums, IPv4 and IPv6, TCP handshakes and closes, UDP and ICMP; the
/// packet budgets cut it exactly as the manifest and truth/packet-conversations.csv say.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "packets_support.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

nlohmann::json manifest(const std::string& dir) { return nlohmann::json::parse(read_file(dir + "/manifest.json")); }

std::string describe(const Key& k) {
    return std::get<0>(k) + " -> " + std::get<1>(k) + " " + std::to_string(std::get<2>(k)) + "/" +
           std::to_string(std::get<3>(k)) + " proto " + std::to_string(std::get<4>(k));
}

void expect_same_totals(const std::map<Key, Totals>& truth, const std::map<Key, Totals>& got) {
    EXPECT_EQ(truth.size(), got.size());
    std::size_t shown = 0;
    for (const auto& [k, t] : truth) {
        const auto it = got.find(k);
        if (it == got.end()) {
            if (shown++ < 10) ADD_FAILURE() << describe(k) << ": in the truth, not in the capture";
            continue;
        }
        if ((it->second.packets != t.packets || it->second.bytes != t.bytes) && shown++ < 10)
            ADD_FAILURE() << describe(k) << ": truth " << t.packets << " packets " << t.bytes << " bytes, capture "
                          << it->second.packets << " packets " << it->second.bytes << " bytes";
        if (std::get<4>(k) == 6 && it->second.tcp_flags != t.tcp_flags && shown++ < 10)
            ADD_FAILURE() << describe(k) << ": TCP flags " << t.tcp_flags << " in the truth, " << it->second.tcp_flags
                          << " in the capture";
    }
    for (const auto& [k, t] : got)
        if (!truth.count(k) && shown++ < 10) ADD_FAILURE() << describe(k) << ": in the capture, not in the truth";
}

TEST(PacketsReadback, CaptureHoldsExactlyTheConversations) {
    const std::string dir = outputs().office;
    const Capture cap = read_capture(dir + "/packets.pcap");
    const auto m = manifest(dir);
    EXPECT_EQ(m["packets"]["truth"], "truth/conversations.csv");
    EXPECT_EQ(m["packets"]["written"].get<std::uint64_t>(), cap.frames);
    EXPECT_EQ(m["counts"]["conversation_packets"].get<std::uint64_t>(), cap.frames);
    EXPECT_EQ(m["packets"]["conversations_truncated"], 0);
    EXPECT_TRUE(m["files"].contains("packets.pcap"));
    EXPECT_FALSE(std::ifstream(dir + "/truth/packet-conversations.csv")) << "written although nothing was cut";

    expect_same_totals(truth_totals(dir + "/truth/conversations.csv"), cap.totals);
    EXPECT_GT(cap.frames, 1000u);
    EXPECT_EQ(cap.not_ip, 0u);
    EXPECT_EQ(cap.bad_checksums, 0u);
    EXPECT_EQ(cap.time_reversals, 0u);
    EXPECT_GT(cap.ipv4, 0u);
    EXPECT_GT(cap.ipv6, 0u);
    EXPECT_GT(cap.protocols.at(6), 0u);
    EXPECT_GT(cap.protocols.at(17), 0u);
    // Every session opens and closes: as many SYN-ACKs as SYNs, FINs in both directions.
    EXPECT_GT(cap.syn, 0u);
    EXPECT_EQ(cap.syn_ack, cap.syn);
    EXPECT_GE(cap.fin, cap.syn);
}

TEST(PacketsReadback, PerConversationBudgetKeepsTheTruthExact) {
    const std::string dir = outputs().incidents;
    const Capture cap = read_capture(dir + "/packets.pcap");
    const auto m = manifest(dir);
    EXPECT_EQ(m["packets"]["truth"], "truth/packet-conversations.csv");
    EXPECT_EQ(m["packets"]["budget_per_conversation"], 40);
    EXPECT_TRUE(m["packets"]["max_packets"].is_null());
    EXPECT_GT(m["packets"]["conversations_truncated"].get<std::uint64_t>(), 0u) << "the budget cut nothing";
    EXPECT_EQ(m["packets"]["written"].get<std::uint64_t>(), cap.frames);
    EXPECT_LT(cap.frames, m["counts"]["conversation_packets"].get<std::uint64_t>());
    EXPECT_TRUE(m["files"].contains("truth/packet-conversations.csv"));

    expect_same_totals(truth_totals(dir + "/truth/packet-conversations.csv"), cap.totals);
    EXPECT_EQ(cap.bad_checksums, 0u);
    EXPECT_EQ(cap.time_reversals, 0u);
    EXPECT_GT(cap.protocols.count(1), 0u) << "no ICMP";
    EXPECT_GT(cap.protocols.count(17), 0u);
}

TEST(PacketsReadback, MaxPacketsIsExactAndStated) {
    TempDir tmp;
    run_gen({"example-office", "-o", tmp / "out", "--duration", "10m", "--packets", "--max-packets", "1234"});
    const Capture cap = read_capture(tmp / "out/packets.pcap");
    EXPECT_EQ(cap.frames, 1234u);
    const auto m = manifest(tmp / "out");
    EXPECT_EQ(m["packets"]["written"], 1234);
    EXPECT_EQ(m["packets"]["max_packets"], 1234);
    EXPECT_GT(m["packets"]["conversations_omitted"].get<std::uint64_t>(), 0u);
    expect_same_totals(truth_totals(tmp / "out/truth/packet-conversations.csv"), cap.totals);
    // The traffic truth itself is untouched by the budget.
    EXPECT_EQ(read_file(tmp / "out/truth/conversations.csv"), read_file(outputs().office + "/truth/conversations.csv"));
}

TEST(PacketsReadback, SameInputsSameBytes) {
    TempDir tmp;
    run_gen({"example-office", "-o", tmp / "again", "--duration", "10m", "--packets"});
    EXPECT_TRUE(read_file(tmp / "again/packets.pcap") == read_file(outputs().office + "/packets.pcap"));
    EXPECT_EQ(manifest(tmp / "again")["files"], manifest(outputs().office)["files"]);
}

TEST(PacketsReadback, BudgetWithoutPacketsIsAUsageError) {
    TempDir tmp;
    const RunResult r = run({flowlab_bin(), "gen", "example-office", "-o", tmp / "x", "--duration", "1m", "--max-packets", "5"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--packets"), std::string::npos) << r.err;
    EXPECT_FALSE(std::ifstream(tmp / "x/manifest.json"));
}

}  // namespace
}  // namespace flowlab::test
