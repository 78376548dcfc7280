/// @brief Totals: per key, per endpoint, per time bin, within a tolerance; against records or
/// conversations (a self-metering probe splits flows differently but must agree on volumes).
#include <gtest/gtest.h>

#include "flowlab/core/error.hpp"
#include "verify_helpers.hpp"

namespace flowlab::verify::testing {
namespace {

FlowRecord rec(const char* src, const char* dst, unsigned sport, unsigned dport, std::uint64_t packets,
               std::uint64_t bytes, std::int64_t first_ms) {
    FlowRecord r;
    r.set_address(Field::exporter, ip("192.0.2.1"));
    r.set_address(Field::src, ip(src));
    r.set_address(Field::dst, ip(dst));
    r.set_number(Field::sport, sport);
    r.set_number(Field::dport, dport);
    r.set_number(Field::proto, 6);
    r.set_number(Field::packets, packets);
    r.set_number(Field::bytes, bytes);
    r.set_number(Field::first_ms, static_cast<std::uint64_t>(first_ms));
    r.set_number(Field::last_ms, static_cast<std::uint64_t>(first_ms + 1000));
    r.set_number(Field::version, 9);
    return r;
}

constexpr std::int64_t kT = 1700000000000;

struct Totals : ::testing::Test {
    flowlab::test::TempDir dir;
    std::vector<FlowRecord> truth = {
        rec("10.0.0.1", "10.0.0.2", 1000, 80, 10, 10000, kT),
        rec("10.0.0.1", "10.0.0.3", 1001, 443, 20, 20000, kT + 1000),
        rec("10.0.0.4", "10.0.0.1", 53, 5353, 1, 100, kT + 400000),  // the next 5-minute bin
    };
    VerifyResult run(const std::vector<FlowRecord>& collected, const std::string& by, double tolerance,
                     std::int64_t bin_ms = 0) {
        write_records(dir / "c.csv", collected);
        VerifyOptions o;
        o.level = Level::totals;
        o.by.clear();
        for (const auto& name : {by}) {
            std::size_t pos = 0;
            while (pos <= name.size()) {
                const std::size_t c = name.find(',', pos);
                o.by.push_back(*totals_key_from_name(name.substr(pos, c == std::string::npos ? std::string::npos : c - pos)));
                if (c == std::string::npos) break;
                pos = c + 1;
            }
        }
        o.tolerance = tolerance;
        o.bin_ms = bin_ms;
        return run_verify(make_truth(dir, truth), "flowlab:" + dir / "c.csv", o);
    }
};

TEST_F(Totals, SameRecordsMatchByFiveTuple) {
    const VerifyResult r = run(truth, "src,dst,sport,dport,proto", 0);
    EXPECT_EQ(r.verdict(), "MATCH: 3 keys within 0%");
}

TEST_F(Totals, SplitDifferentlyButSameVolumesMatchByHost) {
    // A probe that meters itself cuts the first flow in two: per 5-tuple the flows count
    // differs, per host bytes and packets agree.
    auto c = truth;
    c[0].set_number(Field::packets, 4);
    c[0].set_number(Field::bytes, 4000);
    FlowRecord second = truth[0];
    second.set_number(Field::packets, 6);
    second.set_number(Field::bytes, 6000);
    c.push_back(second);
    VerifyResult r = run(c, "host", 0);
    EXPECT_FALSE(r.match());  // flows per host differ
    write_records(dir / "c.csv", c);
    VerifyOptions o;
    o.level = Level::totals;
    o.by = {TotalsKey::host};
    o.metrics = std::vector<Metric>{Metric::bytes, Metric::packets};
    r = run_verify(make_truth(dir, truth), "flowlab:" + dir / "c.csv", o);
    EXPECT_EQ(r.verdict(), "MATCH: 4 keys within 0%");  // hosts 10.0.0.1-4
}

TEST_F(Totals, ToleranceDecides) {
    auto c = truth;
    c[1].set_number(Field::bytes, 20100);  // +0.5%
    EXPECT_TRUE(run(c, "src,dst,sport,dport,proto", 0.01).match());
    c[1].set_number(Field::bytes, 20400);  // +2%
    const VerifyResult r = run(c, "src,dst,sport,dport,proto", 0.01);
    EXPECT_EQ(r.verdict(), "DIFFERENT: 1 of 3 keys outside 1%");
    ASSERT_EQ(r.totals->outside.size(), 1u);
    EXPECT_EQ(r.totals->outside[0].key, "src=10.0.0.1 dst=10.0.0.3 sport=1001 dport=443 proto=6");
    EXPECT_EQ(r.totals->outside[0].truth[0], 20000u);
    EXPECT_EQ(r.totals->outside[0].collected[0], 20400u);
    EXPECT_FALSE(r.totals->outside[0].within[0]);
    EXPECT_TRUE(r.totals->outside[0].within[1]);
}

TEST_F(Totals, TimeBinsAndMissingKeys) {
    auto c = truth;
    c.pop_back();  // the flow of the second bin never arrived
    const VerifyResult r = run(c, "exporter", 0, 300000);
    EXPECT_EQ(r.totals->keys, 2u);
    EXPECT_EQ(r.totals->keys_outside, 1u);
    EXPECT_EQ(r.totals->keys_only_truth, 1u);
    EXPECT_EQ(r.totals->outside.at(0).key, "exporter=192.0.2.1 bin=2023-11-14 22:20:00.000");
}

TEST_F(Totals, AgainstConversations) {
    const std::string d = make_truth(dir, truth);
    flowlab::test::write_file(d + "/truth/conversations.csv",
                              "id,activity,src,dst,sport,dport,proto,tos,tcp_flags,packets,bytes,first_ms,last_ms\n"
                              "1,web,10.0.0.1,10.0.0.2,1000,80,6,0,27,10,10000,1700000000000,1700000001000\n"
                              "2,web,10.0.0.1,10.0.0.3,1001,443,6,0,27,20,20000,1700000001000,1700000002000\n"
                              "3,dns,10.0.0.4,10.0.0.1,53,5353,6,0,0,1,100,1700000400000,1700000401000\n");
    write_records(dir / "c.csv", truth);
    VerifyOptions o;
    o.level = Level::totals;
    o.against = TotalsTruth::conversations;
    EXPECT_EQ(run_verify(d, "flowlab:" + dir / "c.csv", o).verdict(), "MATCH: 3 keys within 0%");
    o.by = {TotalsKey::exporter};
    EXPECT_THROW(run_verify(d, "flowlab:" + dir / "c.csv", o), UsageError);
}

}  // namespace
}  // namespace flowlab::verify::testing
