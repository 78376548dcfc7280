/// @brief `flowlab verify` as a user runs it: exit codes, messages, report files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "verify_helpers.hpp"

namespace flowlab::verify::testing {
namespace {

using flowlab::test::run;

TEST(VerifyCli, ExitZeroOnMatchOneOnDifferences) {
    flowlab::test::TempDir dir;
    auto r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
                  "nfdump:" + fixture("crafted/nfdump.json"), "--collector", "nfcapd"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("MATCH: 21 of 21 records\n", 0), 0u) << r.out;

    r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
             fixture("crafted/nfdump.json"), "--report-json", dir / "r.json", "--junit", dir / "r.xml", "-q"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, "DIFFERENT: 7 altered\n");
    const auto j = nlohmann::json::parse(flowlab::test::read_file(dir / "r.json"));
    EXPECT_EQ(j["altered_fields"]["src_mask"], 7);
    EXPECT_NE(flowlab::test::read_file(dir / "r.xml").find("<testsuites"), std::string::npos);
}

TEST(VerifyCli, ListsAreCommaSeparatedOrRepeated) {
    const std::vector<std::string> base{flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"),
                                        "--collected", fixture("crafted/nfdump.json"), "-q"};
    auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv = base;
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run(argv);
    };
    // nfdump reports the v5 masks as 0: ignoring them, by a list or by repetition, is a match.
    EXPECT_EQ(with({"--ignore", "src_mask,dst_mask"}).exit_code, 0);
    EXPECT_EQ(with({"--ignore", "src_mask", "--ignore", "dst_mask"}).exit_code, 0);
    EXPECT_EQ(with({"--ignore", "src_mask"}).exit_code, 1);
    auto r = with({"--fields", "src,nope"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--fields: unknown field 'nope'"), std::string::npos) << r.err;
    r = with({"--level", "totals", "--metrics", "bytes,pkts"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--metrics: pkts"), std::string::npos) << r.err;
}

TEST(VerifyCli, BadInputIsExitTwoWithFileAndLine) {
    flowlab::test::TempDir dir;
    flowlab::test::write_file(dir / "bad.csv", flowlab::test::read_file(fixture("crafted/records.csv")) + "1.2.3.4,0\n");
    auto r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
                  "flowlab:" + dir / "bad.csv"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("bad.csv:23: expected 28 columns, found 2"), std::string::npos) << r.err;

    r = run({flowlab::test::flowlab_bin(), "verify", "--truth", dir / "nowhere", "--collected", fixture("crafted/nfdump.json")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--truth"), std::string::npos) << r.err;

    r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
             "nfsen:" + fixture("crafted/nfdump.json")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown tool 'nfsen'"), std::string::npos) << r.err;

    r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
             fixture("crafted/nfdump.json"), "--by", "host"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("apply to --level totals"), std::string::npos) << r.err;

    r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
             fixture("crafted/nfdump.json"), "--fields", "src,dest"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown field 'dest'"), std::string::npos) << r.err;
}

// Issue 16: exporters collected from other addresses (a replay from loopback) got only the
// advice "--ignore exporter"; verify now offers the --exporter-map it can infer from the records.
TEST(VerifyCli, OffersTheExporterMapItInfers) {
    flowlab::test::TempDir dir;
    std::string truth = flowlab::test::read_file(fixture("crafted/records.csv"));
    for (std::size_t at; (at = truth.find("\n127.0.0.1,")) != std::string::npos;) truth.replace(at, 11, "\n192.0.2.77,");
    flowlab::test::write_file(dir / "records.csv", truth);
    auto r = run({flowlab::test::flowlab_bin(), "verify", "--truth", dir / "records.csv", "--collected",
                  "nfdump:" + fixture("crafted/nfdump.json"), "--collector", "nfcapd"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.out.find("--exporter-map 127.0.0.1=192.0.2.77"), std::string::npos) << r.out;
    r = run({flowlab::test::flowlab_bin(), "verify", "--truth", dir / "records.csv", "--collected",
             "nfdump:" + fixture("crafted/nfdump.json"), "--collector", "nfcapd", "--exporter-map", "127.0.0.1=192.0.2.77"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Issue 17: verify states its peak memory for the input and refuses, before starting, what would
// exceed --memory-limit (exit 2).
TEST(VerifyCli, MemoryLimitIsStatedAndEnforcedBeforeStarting) {
    auto r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
                  "nfdump:" + fixture("crafted/nfdump.json"), "--collector", "nfcapd"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("memory     estimated peak "), std::string::npos) << r.out;
    r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
             "nfdump:" + fixture("crafted/nfdump.json"), "--memory-limit", "1M"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("verify would need about"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("more than --memory-limit 1 MB"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
             "nfdump:" + fixture("crafted/nfdump.json"), "--memory-limit", "lots"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
}

// Issue 17: a port of 70000 from nfdump JSON or tshark was an "altered" record (exit 1).
TEST(VerifyCli, OutOfRangeValueIsBadInputNotADifference) {
    flowlab::test::TempDir dir;
    const struct {
        const char* fixture;
        const char* tool;
        std::string from, to;
    } cases[] = {
        {"crafted/nfdump.json", "nfdump", "\"src_port\" : 40000,", "\"src_port\" : 70000,"},
        {"crafted/tshark.json", "tshark", "\"cflow.srcport\": \"40000\"", "\"cflow.srcport\": \"70000\""},
    };
    for (const auto& c : cases) {
        std::string text = flowlab::test::read_file(fixture(c.fixture));
        const auto at = text.find(c.from);
        ASSERT_NE(at, std::string::npos) << c.fixture;
        text.replace(at, c.from.size(), c.to);
        flowlab::test::write_file(dir / "edited", text);
        const auto r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
                            std::string(c.tool) + ":" + dir / "edited"});
        EXPECT_EQ(r.exit_code, 2) << c.fixture << ": " << r.out << r.err;
        EXPECT_NE(r.err.find("edited:"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("70000 is out of range for sport (0-65535)"), std::string::npos) << r.err;
    }
}

TEST(VerifyCli, TotalsWithTolerance) {
    auto r = run({flowlab::test::flowlab_bin(), "verify", "--truth", fixture("crafted/records.csv"), "--collected",
                  fixture("crafted/pmacct.json"), "--level", "totals", "--by", "host", "--bin", "5m", "--tolerance", "1%"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("MATCH: ", 0), 0u) << r.out;
}

// gen --packets writes its truth as a conversations file (truth/packet-conversations.csv under
// a budget): --truth takes the file. nfdump shows ICMP as icmp_type/icmp_code without ports;
// totals key it as the truth does (sport 0, dport type << 8 | code).
TEST(VerifyCli, TotalsAgainstAConversationsFileWithIcmp) {
    flowlab::test::TempDir dir;
    flowlab::test::write_file(dir / "convs.csv",
                              "id,activity,src,dst,sport,dport,proto,tos,tcp_flags,packets,bytes,first_ms,last_ms\n"
                              "0,scan,203.0.113.80,192.0.2.140,0,771,1,0,0,2,112,1715716740000,1715716741000\n"
                              "1,scan,203.0.113.80,192.0.2.140,0,771,1,0,0,1,56,1715716742000,1715716742000\n"
                              "2,web,192.0.2.1,198.51.100.7,40000,443,6,0,27,5,400,1715716740000,1715716741000\n");
    auto flow = [](const std::string& extra, int packets, int bytes) {
        return "{\"type\" : \"FLOW\", \"sampled\" : 0, \"export_sysid\" : 1, \"first\" : \"2024-05-14T19:59:00.000\", "
               "\"last\" : \"2024-05-14T19:59:01.000\", \"in_packets\" : " + std::to_string(packets) +
               ", \"in_bytes\" : " + std::to_string(bytes) + ", " + extra + ", \"src_tos\" : 0, \"ip4_router\" : \"127.0.0.1\"}";
    };
    const std::string icmp = "\"proto\" : 1, \"icmp_type\" : 3, \"icmp_code\" : 3, \"src4_addr\" : \"203.0.113.80\", "
                             "\"dst4_addr\" : \"192.0.2.140\"";
    const std::string tcp = "\"proto\" : 6, \"tcp_flags\" : \"...AP.SF\", \"src_port\" : 40000, \"dst_port\" : 443, "
                            "\"src4_addr\" : \"192.0.2.1\", \"dst4_addr\" : \"198.51.100.7\"";
    flowlab::test::write_file(dir / "same.json", "[\n" + flow(icmp, 3, 168) + ",\n" + flow(tcp, 5, 400) + "\n]\n");
    flowlab::test::write_file(dir / "less.json", "[\n" + flow(icmp, 2, 112) + ",\n" + flow(tcp, 5, 400) + "\n]\n");
    auto r = run({flowlab::test::flowlab_bin(), "verify", "--truth", dir / "convs.csv", "--collected", "nfdump:" + dir / "same.json",
                  "--level", "totals", "--against", "conversations"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("MATCH: 2 keys", 0), 0u) << r.out;
    r = run({flowlab::test::flowlab_bin(), "verify", "--truth", dir / "convs.csv", "--collected", "nfdump:" + dir / "less.json",
             "--level", "totals", "--against", "conversations"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("dport=771 proto=1: bytes 168 -> 112"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace flowlab::verify::testing

namespace flowlab::verify::testing {
namespace {

// Files above 8 MB are read by the parallel block reader (truth and collected); the verdicts
// must be those of the in-order reader, line numbers included.
TEST(VerifyCli, LargeFilesTakeTheParallelPath) {
    flowlab::test::TempDir dir;
    const auto base = read_all(fixture("crafted/records.csv"));
    std::vector<FlowRecord> truth;
    for (std::uint32_t i = 0; truth.size() < 70000; ++i)
        for (FlowRecord r : base) {
            r.set_number(Field::sport, 1000 + i % 60000);  // distinct keys across copies
            r.set_number(Field::first_ms, static_cast<std::uint64_t>(r.first_ms + i));
            truth.push_back(r);
        }
    const std::string gen = make_truth(dir, truth);
    ASSERT_GT(std::filesystem::file_size(gen + "/truth/records.csv"), 8u << 20);
    auto collected = truth;
    collected.erase(collected.begin() + 50000);             // missing: truth line 50002
    collected[60000].set_number(Field::bytes, 1);           // altered
    std::swap(collected[10], collected[65000]);             // out of order
    write_records(dir / "c.csv", collected);
    const auto r = run({flowlab::test::flowlab_bin(), "verify", "--truth", gen, "--collected", "flowlab:" + dir / "c.csv",
                        "--report-json", dir / "r.json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "DIFFERENT: 1 missing, 1 altered");
    const auto j = nlohmann::json::parse(flowlab::test::read_file(dir / "r.json"));
    EXPECT_EQ(j["examples"]["missing"][0]["truth_line"], 50002);
    EXPECT_EQ(j["examples"]["altered"][0]["collected_line"], 60002);  // row 60000 after the header
}

}  // namespace
}  // namespace flowlab::verify::testing
