/// @brief The verifier can fail: collected sets derived from a truth by dropping, duplicating,
/// altering, delaying or truncating records must be reported exactly (counts, records,
/// sequence gaps). Negative cases are named *_missing, *_unexpected, *_incorrect.
#include <gtest/gtest.h>

#include <ctime>
#include <ostream>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "verify_helpers.hpp"

namespace flowlab::core {
// Readable test parameters ("bytes", not "1-byte object <0A>").
inline void PrintTo(Field f, std::ostream* os) { *os << field_name(f); }
}  // namespace flowlab::core

namespace flowlab::verify::testing {
namespace {

constexpr std::int64_t kT0 = 1700000000000;  // 2023-11-14 22:13:20 UTC

struct Exporter {
    const char* address;
    std::uint32_t domain;
    std::uint8_t version;
    int records_per_message;
    std::uint16_t template_id;
};

const Exporter kExporters[] = {
    {"192.0.2.1", (1u << 8) | 0u, 5, 10, 0},
    {"192.0.2.2", 7, 9, 8, 256},
    {"2001:db8::100", 42, 10, 6, 300},
};
constexpr int kMessages = 20;

/// A truth of 3 exporters x 20 messages with the ambiguities a matcher must handle: a flow
/// split by the active timeout (same 5-tuple, consecutive times), a 5-tuple reused later,
/// ICMP (v5 in the port, v9/IPFIX as type/code), IPv6, one flow seen by two exporters.
std::vector<FlowRecord> scenario(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<FlowRecord> out;
    for (const Exporter& e : kExporters) {
        std::uint32_t seq = 0;
        for (int m = 0; m < kMessages; ++m) {
            const std::int64_t export_ms = kT0 + m * 1000 + (e.version == 5 ? 250 : 0);
            for (int k = 0; k < e.records_per_message; ++k) {
                FlowRecord r;
                r.set_address(Field::exporter, ip(e.address));
                r.set_number(Field::domain, e.domain);
                const bool v6 = e.version == 10 && k % 3 == 0;
                const std::uint32_t host = static_cast<std::uint32_t>(rng() % 200) + 1;
                if (v6) {
                    r.set_address(Field::src, ip(("2001:db8:a::" + std::to_string(host)).c_str()));
                    r.set_address(Field::dst, ip("2001:db8:b::1"));
                } else {
                    r.set_address(Field::src, core::IpAddress::v4(0x0A000000u + host));
                    r.set_address(Field::dst, core::IpAddress::v4(0xC6336400u + static_cast<std::uint32_t>(rng() % 50)));
                }
                const bool icmp = k == 1;
                r.set_number(Field::proto, icmp ? 1 : (k % 2 ? 17 : 6));
                if (icmp) {
                    if (e.version == 5) {
                        r.set_number(Field::sport, 0);
                        r.set_number(Field::dport, 8u << 8);
                    } else {
                        r.set_number(Field::icmp_type, 8);
                        r.set_number(Field::icmp_code, 0);
                    }
                } else {
                    r.set_number(Field::sport, 1024 + rng() % 60000);
                    r.set_number(Field::dport, k % 2 ? 53 : 443);
                    r.set_number(Field::tcp_flags, k % 2 ? 0 : 0x1b);
                }
                r.set_number(Field::tos, 0);
                r.set_number(Field::packets, 1 + rng() % 100);
                r.set_number(Field::bytes, 64 + rng() % 100000);
                const std::int64_t first = export_ms - 5000 - static_cast<std::int64_t>(rng() % 20000);
                r.set_number(Field::first_ms, static_cast<std::uint64_t>(first));
                r.set_number(Field::last_ms, static_cast<std::uint64_t>(export_ms - 1000));
                r.set_number(Field::in_if, 1 + rng() % 4);
                r.set_number(Field::out_if, 1 + rng() % 4);
                r.set_number(Field::src_as, 64500);
                r.set_number(Field::dst_as, 64510 + rng() % 4);
                r.set_number(Field::src_mask, 24);
                r.set_number(Field::dst_mask, 16);
                r.set_address(Field::next_hop, ip(v6 ? "2001:db8::fe" : "192.0.2.254"));
                if (e.version != 5) r.set_number(Field::end_reason, 1 + rng() % 3);
                r.set_number(Field::sampling_interval, 1);
                r.set_number(Field::version, e.version);
                r.set_number(Field::sequence, seq);
                r.set_number(Field::template_id, e.template_id);
                r.set_number(Field::export_ms, static_cast<std::uint64_t>(export_ms));
                // The same long flow, split by the active timeout, in messages 2, 5 and 8.
                if (k == 2 && (m == 2 || m == 5 || m == 8)) {
                    r.set_address(Field::src, ip(v6 ? "2001:db8:a::77" : "10.0.0.77"));
                    r.set_address(Field::dst, ip(v6 ? "2001:db8:b::77" : "198.51.100.77"));
                    r.set_number(Field::proto, 6);
                    r.set_number(Field::sport, 40777);
                    r.set_number(Field::dport, 443);
                    r.set_number(Field::packets, 1000);  // equal counters too: only time tells them apart
                    r.set_number(Field::bytes, 1500000);
                    r.set_number(Field::first_ms, static_cast<std::uint64_t>(kT0 + m * 1000 - 3000));
                    r.set_number(Field::last_ms, static_cast<std::uint64_t>(kT0 + m * 1000 - 1000));
                }
                out.push_back(r);
            }
            seq += e.version == 9 ? 1u : static_cast<std::uint32_t>(e.records_per_message);
        }
    }
    return out;
}

struct Fixture : ::testing::Test {
    flowlab::test::TempDir dir;
    std::vector<FlowRecord> truth = scenario(20240611);
    std::string truth_dir;
    void SetUp() override {
        fmt::print("scenario seed 20240611: {} truth records\n", truth.size());
        truth_dir = make_truth(dir, truth);
    }
    VerifyResult check(const std::vector<FlowRecord>& collected, VerifyOptions o = VerifyOptions{}) {
        write_records(dir / "collected.csv", collected);
        return run_verify(truth_dir, "flowlab:" + dir / "collected.csv", o);
    }
    /// Line of truth record i in truth/records.csv (header is line 1).
    static std::uint64_t line(std::size_t i) { return i + 2; }
};

std::set<std::uint64_t> truth_lines(const std::vector<RecordExample>& ex) {
    std::set<std::uint64_t> s;
    for (const auto& e : ex) s.insert(e.truth_line);
    return s;
}

TEST_F(Fixture, IdenticalMatches) {
    const VerifyResult r = check(truth);
    EXPECT_EQ(r.verdict(), "MATCH: " + std::to_string(truth.size()) + " of " + std::to_string(truth.size()) + " records");
    EXPECT_TRUE(r.records->loss.empty());
}

TEST_F(Fixture, ExporterMapTranslatesReplayedSources) {
    // A replay from loopback: every exporter arrives as its own 127.0.0.x address.
    std::vector<IpAddress> exporters;
    auto c = truth;
    for (auto& r : c) {
        auto it = std::find(exporters.begin(), exporters.end(), r.exporter);
        if (it == exporters.end()) it = exporters.insert(exporters.end(), r.exporter);
        r.exporter = IpAddress::v4(0x7F000002u + static_cast<std::uint32_t>(it - exporters.begin()));
    }
    ASSERT_GT(exporters.size(), 1u);
    EXPECT_FALSE(check(c).match()) << "without the map the exporters differ";
    VerifyOptions o;
    for (std::size_t i = 0; i < exporters.size(); ++i)
        o.exporter_map.emplace_back(IpAddress::v4(0x7F000002u + static_cast<std::uint32_t>(i)), exporters[i]);
    EXPECT_TRUE(check(c, o).match());
    // Mapped to the wrong exporters, they are reported, not silently accepted.
    std::swap(o.exporter_map[0].second, o.exporter_map[1].second);
    EXPECT_FALSE(check(c, o).match());
}

TEST_F(Fixture, ShuffledOrderMatches) {
    auto c = truth;
    std::mt19937_64 rng(7);
    std::shuffle(c.begin(), c.end(), rng);
    EXPECT_TRUE(check(c).match());
}

TEST_F(Fixture, records_missing) {
    // Three single records, and every record of v9 messages 10-12 (sequence = packet count).
    std::set<std::size_t> drop = {3, 41, 340};
    for (std::size_t i = 0; i < truth.size(); ++i)
        if (truth[i].version == 9 && truth[i].sequence >= 10 && truth[i].sequence <= 12) drop.insert(i);
    std::vector<FlowRecord> c;
    for (std::size_t i = 0; i < truth.size(); ++i)
        if (!drop.count(i)) c.push_back(truth[i]);
    VerifyOptions o;
    o.examples = 100;
    const VerifyResult r = check(c, o);
    EXPECT_EQ(r.verdict(), "DIFFERENT: " + std::to_string(drop.size()) + " missing");
    std::set<std::uint64_t> want;
    for (std::size_t i : drop) want.insert(line(i));
    EXPECT_EQ(truth_lines(r.records->missing_examples), want);
    // Where: the v9 stream lost messages 10-12 whole.
    const StreamLoss* v9 = nullptr;
    for (const auto& s : r.records->loss)
        if (s.version == 9) v9 = &s;
    ASSERT_NE(v9, nullptr);
    ASSERT_EQ(v9->ranges.size(), 2u);  // messages 10-12 whole, and record 340 alone in message 17
    EXPECT_EQ(v9->ranges[1].first_sequence, 17u);
    EXPECT_EQ(v9->ranges[1].messages_whole, 0u);
    EXPECT_EQ(v9->ranges[0].first_sequence, 10u);
    EXPECT_EQ(v9->ranges[0].last_sequence, 12u);
    EXPECT_EQ(v9->ranges[0].messages, 3u);
    EXPECT_EQ(v9->ranges[0].messages_whole, 3u);
    EXPECT_EQ(v9->ranges[0].records_missing, 24u);
    EXPECT_EQ(v9->ranges[0].first_export_ms, kT0 + 10000);
    EXPECT_EQ(v9->ranges[0].last_export_ms, kT0 + 12000);
    // The flowlab collected data carries sequence numbers: messages never seen by number.
    ASSERT_TRUE(v9->messages_unseen.has_value());
    EXPECT_EQ(*v9->messages_unseen, 3u);
    // The single v5 record 3 is in message sequence 0 (cumulative flows), one partial message.
    const StreamLoss* v5 = nullptr;
    for (const auto& s : r.records->loss)
        if (s.version == 5) v5 = &s;
    ASSERT_NE(v5, nullptr);
    ASSERT_EQ(v5->ranges.size(), 2u);  // record 3 (message 0) and record 41 (message 4)
    EXPECT_EQ(v5->ranges[0].first_sequence, 0u);
    EXPECT_EQ(v5->ranges[0].messages_whole, 0u);
    EXPECT_EQ(v5->ranges[1].first_sequence, 40u);
    EXPECT_EQ(*v5->messages_unseen, 0u);
}

TEST_F(Fixture, prefix_missing) {
    // Only the first 60% of the export capture was replayed: each exporter's stream stops.
    const std::size_t keep = truth.size() * 6 / 10;
    std::vector<FlowRecord> c(truth.begin(), truth.begin() + static_cast<std::ptrdiff_t>(keep));
    const VerifyResult r = check(c);
    EXPECT_EQ(r.records->missing, truth.size() - keep);
    EXPECT_EQ(r.records->matched, keep);
    // Truth is written exporter by exporter: the cut falls inside the v9 stream (records
    // 200..359), so v9 loses its tail and IPFIX everything.
    std::map<int, const StreamLoss*> by_version;
    for (const auto& s : r.records->loss) by_version[s.version] = &s;
    ASSERT_EQ(by_version.count(5), 0u);
    ASSERT_TRUE(by_version.count(9) && by_version.count(10));
    const std::size_t v9_kept = keep - 200;  // 8 records per message
    const SequenceRange& g9 = by_version[9]->ranges.at(0);
    EXPECT_EQ(g9.first_sequence, v9_kept / 8);
    EXPECT_EQ(g9.last_sequence, 19u);
    EXPECT_EQ(by_version[9]->ranges.size(), 1u);
    const SequenceRange& g10 = by_version[10]->ranges.at(0);
    EXPECT_EQ(g10.first_sequence, 0u);
    EXPECT_EQ(g10.last_sequence, 19u * 6);  // IPFIX counts records
    EXPECT_EQ(g10.messages_whole, 20u);
}

TEST_F(Fixture, records_unexpected_duplicate) {
    auto c = truth;
    c.push_back(truth[17]);
    c.push_back(truth[250]);
    c.push_back(truth[250]);
    const VerifyResult r = check(c);
    EXPECT_EQ(r.verdict(), "DIFFERENT: 3 duplicated");
    std::map<std::uint64_t, std::uint64_t> copies;
    for (const auto& e : r.records->duplicated_examples) copies[e.truth_line] = e.copies;
    EXPECT_EQ(copies, (std::map<std::uint64_t, std::uint64_t>{{line(17), 2}, {line(250), 3}}));
}

TEST_F(Fixture, records_unexpected_extra) {
    auto c = truth;
    FlowRecord x = truth[5];
    x.set_address(Field::src, ip("203.0.113.99"));
    x.set_number(Field::packets, 4242);  // nothing in truth to pair it with
    c.insert(c.begin() + 100, x);
    FlowRecord y = truth[300];
    y.set_number(Field::sport, 1);
    y.set_number(Field::bytes, 1);
    c.push_back(y);
    const VerifyResult r = check(c);
    EXPECT_EQ(r.verdict(), "DIFFERENT: 2 unexpected");
    ASSERT_EQ(r.records->unexpected_examples.size(), 2u);
    EXPECT_EQ(r.records->unexpected_examples[0].collected_line, 102u);  // header + 100 rows before it
}

class AlterOneField : public Fixture, public ::testing::WithParamInterface<Field> {};

TEST_P(AlterOneField, records_incorrect) {
    const Field f = GetParam();
    // Record 24 is a v5 UDP record; 240 a v9 one; ICMP and IPv6 cases pick their own.
    std::size_t i = f == Field::end_reason || f == Field::template_id ? 240 : 24;
    auto c = truth;
    FlowRecord& x = c[i];
    switch (f) {
        case Field::src: x.set_address(f, ip("10.200.200.200")); break;
        case Field::dst: x.set_address(f, ip("198.51.100.222")); break;
        case Field::exporter: x.set_address(f, ip("192.0.2.99")); break;
        case Field::next_hop: x.set_address(f, ip("192.0.2.253")); break;
        case Field::first_ms: x.set_number(f, static_cast<std::uint64_t>(x.first_ms - 1)); break;
        case Field::last_ms: x.set_number(f, static_cast<std::uint64_t>(x.last_ms + 1)); break;
        case Field::export_ms: x.set_number(f, static_cast<std::uint64_t>(x.export_ms + 1000)); break;
        default: x.set_number(f, x.number(f) + 1); break;
    }
    const VerifyResult r = check(c);
    EXPECT_EQ(r.verdict(), "DIFFERENT: 1 altered") << core::field_name(f);
    ASSERT_EQ(r.records->altered_examples.size(), 1u);
    const RecordExample& e = r.records->altered_examples[0];
    EXPECT_EQ(names(e.differing), std::string(core::field_name(f)));
    EXPECT_EQ(e.truth_line, line(i));
    EXPECT_EQ(e.collected_line, line(i));
    EXPECT_EQ(r.records->altered_by_field[static_cast<std::size_t>(f)], 1u);
}

INSTANTIATE_TEST_SUITE_P(EveryKind, AlterOneField,
                         ::testing::Values(Field::exporter, Field::domain, Field::src, Field::dst, Field::sport,
                                           Field::dport, Field::proto, Field::tos, Field::tcp_flags, Field::packets,
                                           Field::bytes, Field::first_ms, Field::last_ms, Field::in_if, Field::out_if,
                                           Field::src_as, Field::dst_as, Field::src_mask, Field::dst_mask,
                                           Field::next_hop, Field::end_reason, Field::sampling_interval,
                                           Field::sequence, Field::template_id, Field::export_ms),
                         [](const auto& param_info) { return std::string(core::field_name(param_info.param)); });

TEST_F(Fixture, records_incorrect_icmp_type) {
    // v9 ICMP record (k == 1 of a v9 message): type 8 became 0.
    std::size_t i = 0;
    while (!(truth[i].version == 9 && truth[i].proto == 1)) ++i;
    auto c = truth;
    c[i].set_number(Field::icmp_type, 0);
    const VerifyResult r = check(c);
    EXPECT_EQ(r.verdict(), "DIFFERENT: 1 altered");
    EXPECT_EQ(names(r.records->altered_examples.at(0).differing), "icmp_type");
}

TEST_F(Fixture, records_incorrect_delayed) {
    // Four records arrive with times 5 s late (beyond any resolution): altered, not missing+extra.
    auto c = truth;
    for (std::size_t i : {10u, 130u, 260u, 400u}) {
        c[i].set_number(Field::first_ms, static_cast<std::uint64_t>(c[i].first_ms + 5000));
        c[i].set_number(Field::last_ms, static_cast<std::uint64_t>(c[i].last_ms + 5000));
    }
    VerifyOptions o;
    o.examples = 10;
    const VerifyResult r = check(c, o);
    EXPECT_EQ(r.verdict(), "DIFFERENT: 4 altered");
    EXPECT_EQ(truth_lines(r.records->altered_examples), (std::set<std::uint64_t>{line(10), line(130), line(260), line(400)}));
    for (const auto& e : r.records->altered_examples) EXPECT_EQ(names(e.differing), "first_ms,last_ms");
    // A slack on times larger than the delay accepts them.
    o.time_slack_ms = 5000;
    EXPECT_TRUE(check(c, o).match());
}

TEST_F(Fixture, SplitFlowSegmentMissingIsTheRightOne) {
    // The split flow of the v9 exporter has three segments with equal counters; drop the middle
    // one (message 5) and shuffle: the missing one must be that segment, found by time.
    std::vector<std::size_t> segments;
    for (std::size_t i = 0; i < truth.size(); ++i)
        if (truth[i].version == 9 && truth[i].sport == 40777) segments.push_back(i);
    ASSERT_EQ(segments.size(), 3u);
    std::vector<FlowRecord> c;
    for (std::size_t i = 0; i < truth.size(); ++i)
        if (i != segments[1]) c.push_back(truth[i]);
    std::mt19937_64 rng(11);
    std::shuffle(c.begin(), c.end(), rng);
    const VerifyResult r = check(c);
    EXPECT_EQ(r.verdict(), "DIFFERENT: 1 missing");
    EXPECT_EQ(r.records->missing_examples.at(0).truth_line, line(segments[1]));
}

TEST_F(Fixture, SameFlowFromTwoExportersIsTwoRecords) {
    // Exporters are part of the key when both sides carry them: a record from exporter B
    // cannot stand in for the same 5-tuple from exporter A.
    std::vector<FlowRecord> t = {truth[0]};
    FlowRecord b = truth[0];
    b.set_address(Field::exporter, ip("192.0.2.2"));
    t.push_back(b);
    const std::string td = make_truth(dir, t, "two");
    write_records(dir / "c.csv", {b, b});
    const VerifyResult r = run_verify(td, "flowlab:" + dir / "c.csv");
    EXPECT_EQ(r.verdict(), "DIFFERENT: 1 missing, 1 duplicated");
}

TEST_F(Fixture, ExporterOfAReplayIsNamedAndCanBeIgnored) {
    auto c = truth;
    for (auto& r : c) r.set_address(Field::exporter, ip("127.0.0.1"));
    const VerifyResult r = check(c);
    EXPECT_EQ(r.records->altered, truth.size());
    EXPECT_EQ(r.records->altered_by_field[static_cast<std::size_t>(Field::exporter)], truth.size());
    ASSERT_FALSE(r.records->notes.empty());
    EXPECT_NE(r.records->notes[0].find("--ignore exporter"), std::string::npos);
    VerifyOptions o;
    o.ignore.set(Field::exporter);
    EXPECT_TRUE(check(c, o).match());
}

TEST_F(Fixture, RandomDifferencesAreCountedExactly) {
    const std::uint64_t seed = 99173;
    fmt::print("perturbation seed {}\n", seed);
    std::mt19937_64 rng(seed);
    std::vector<FlowRecord> c;
    std::size_t missing = 0, dups = 0, altered = 0, extra = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) {
        const auto roll = rng() % 100;
        if (truth[i].sport == 40777) {  // keep the split flow out of the dice (equal counters)
            c.push_back(truth[i]);
            continue;
        }
        if (roll < 5) {
            ++missing;
        } else if (roll < 9) {
            c.push_back(truth[i]);
            c.push_back(truth[i]);
            ++dups;
        } else if (roll < 14) {
            FlowRecord x = truth[i];
            x.set_number(Field::bytes, x.bytes + 1 + rng() % 10);
            c.push_back(x);
            ++altered;
        } else {
            c.push_back(truth[i]);
        }
        if (roll == 99) {
            FlowRecord x = truth[i];
            x.set_address(Field::src, ip("203.0.113.250"));
            x.set_number(Field::packets, 100000 + i);
            c.push_back(x);
            ++extra;
        }
    }
    std::shuffle(c.begin(), c.end(), rng);
    const VerifyResult r = check(c);
    EXPECT_EQ(r.records->missing, missing);
    EXPECT_EQ(r.records->duplicated, dups);
    EXPECT_EQ(r.records->altered, altered);
    EXPECT_EQ(r.records->unexpected, extra);
    EXPECT_EQ(r.records->altered_by_field[static_cast<std::size_t>(Field::bytes)], altered);
}

// ------------------------------------------------------------------ collector semantics

/// pmacct print JSON lines for records (aggregate as PEERS.md, times as pmacct prints them).
std::string pmacct_json(const std::vector<FlowRecord>& rs, std::int64_t shift_ms = 0) {
    std::string out;
    for (const auto& r : rs) {
        const std::string start = fmt::format("{}.000000", (r.first_ms + shift_ms) / 1000);
        const std::string end = fmt::format("{}.000000", (r.last_ms + shift_ms) / 1000);
        out += "{\"event_type\": \"purge\", \"iface_in\": " + std::to_string(r.in_if) + ", \"iface_out\": " +
               std::to_string(r.out_if) + ", \"ip_src\": \"" + r.src.to_string() + "\", \"ip_dst\": \"" + r.dst.to_string() +
               "\", \"port_src\": " + std::to_string(r.sport) + ", \"port_dst\": " + std::to_string(r.dport) +
               ", \"tcp_flags\": \"" + std::to_string(r.tcp_flags) + "\", \"ip_proto\": \"" + std::to_string(r.proto) +
               "\", \"tos\": " + std::to_string(r.tos) + ", \"timestamp_start\": \"" + start + "\", \"timestamp_end\": \"" +
               end + "\", \"export_proto_version\": " + std::to_string(r.version) + ", \"packets\": " +
               std::to_string(r.packets) + ", \"bytes\": " + std::to_string(r.bytes) + "}\n";
    }
    return out;
}

std::vector<FlowRecord> v5_udp(const std::vector<FlowRecord>& truth, std::size_t n) {
    std::vector<FlowRecord> out;
    for (const auto& r : truth)
        if (r.version == 5 && r.proto == 17 && out.size() < n) out.push_back(r);
    return out;
}

TEST_F(Fixture, PmacctWholeSecondsAreWithinTheRuleAndAShiftIsNot) {
    const auto t = v5_udp(truth, 20);
    const std::string td = make_truth(dir, t, "pm");
    flowlab::test::write_file(dir / "pm.json", pmacct_json(t));
    EXPECT_EQ(run_verify(td, "pmacct:" + dir / "pm.json").verdict(), "MATCH: 20 of 20 records");
    flowlab::test::write_file(dir / "late.json", pmacct_json(t, 2000));
    const VerifyResult r = run_verify(td, "pmacct:" + dir / "late.json");
    EXPECT_EQ(r.verdict(), "DIFFERENT: 20 altered");
    EXPECT_EQ(names(r.records->altered_examples.at(0).differing), "first_ms,last_ms");
}

TEST_F(Fixture, PmacctSumsOfEqualKeysAreMatchedAsMerged) {
    // Two truth records that pmacct's aggregate cannot tell apart (same key, same seconds)
    // arrive as one row with the sums.
    FlowRecord a = v5_udp(truth, 1)[0];
    FlowRecord b = a;
    b.set_number(Field::first_ms, static_cast<std::uint64_t>(a.first_ms / 1000 * 1000 + 1));
    b.set_number(Field::last_ms, static_cast<std::uint64_t>(a.last_ms));
    b.set_number(Field::packets, 7);
    b.set_number(Field::bytes, 700);
    a.set_number(Field::first_ms, static_cast<std::uint64_t>(a.first_ms / 1000 * 1000 + 2));
    const std::string td = make_truth(dir, {a, b}, "merge");
    FlowRecord sum = a;
    sum.set_number(Field::packets, a.packets + 7);
    sum.set_number(Field::bytes, a.bytes + 700);
    flowlab::test::write_file(dir / "sum.json", pmacct_json({sum}));
    const VerifyResult r = run_verify(td, "pmacct:" + dir / "sum.json");
    EXPECT_EQ(r.verdict(), "MATCH: 2 of 2 records");
    EXPECT_EQ(r.records->merged_records, 2u);
    EXPECT_EQ(r.records->merged_rows, 1u);
}

/// nfdump -o csv rows for records (whole seconds, protocol names, flag strings).
std::string nfdump_csv(const std::vector<FlowRecord>& rs, std::uint64_t counter_scale = 1) {
    std::string out = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,ra\n";
    for (const auto& r : rs) {
        auto t = [](std::int64_t ms) {
            const std::time_t secs = ms / 1000;
            char buf[32];
            std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::gmtime(&secs));
            return std::string(buf);
        };
        static const char* kFlags = "CEUAPRSF";
        std::string flags;
        for (int b = 7; b >= 0; --b) flags += (r.tcp_flags >> b) & 1 ? kFlags[7 - b] : '.';
        out += t(r.first_ms) + "," + t(r.last_ms) + ",0.000," + r.src.to_string() + "," + r.dst.to_string() + "," +
               std::to_string(r.sport) + "," + std::to_string(r.dport) + "," + (r.proto == 6 ? "TCP" : r.proto == 17 ? "UDP" : "ICMP") +
               "," + flags + ",0," + std::to_string(r.tos) + "," + std::to_string(r.packets * counter_scale) + "," +
               std::to_string(r.bytes * counter_scale) + ",0,0," + std::to_string(r.in_if) + "," + std::to_string(r.out_if) +
               "," + std::to_string(r.src_as) + "," + std::to_string(r.dst_as) + "," + std::to_string(r.src_mask) + "," +
               std::to_string(r.dst_mask) + ",0,0," + r.next_hop.to_string() + "," +
               r.exporter.to_string() + "\n";
    }
    return out + "Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n0,0,0,0,0,0\n";
}

TEST_F(Fixture, NfdumpCsvSecondsAndSampledCounters) {
    auto t = v5_udp(truth, 10);
    for (std::size_t i = 5; i < t.size(); ++i) t[i].set_number(Field::sampling_interval, 10);
    const std::string td = make_truth(dir, t, "nf");
    // Counters multiplied by 10 for the sampled records, as nfcapd does for v5.
    std::string text = nfdump_csv(std::vector<FlowRecord>(t.begin(), t.begin() + 5));
    const std::string sampled = nfdump_csv(std::vector<FlowRecord>(t.begin() + 5, t.end()), 10);
    text = text.substr(0, text.find("Summary")) + sampled.substr(sampled.find('\n') + 1);
    flowlab::test::write_file(dir / "nf.csv", text);
    EXPECT_EQ(run_verify(td, "nfdump:" + dir / "nf.csv").verdict(), "MATCH: 10 of 10 records");
    // Unscaled counters for sampled records: altered, and the report says what was expected.
    flowlab::test::write_file(dir / "raw.csv", nfdump_csv(t));
    const VerifyResult r = run_verify(td, "nfdump:" + dir / "raw.csv");
    EXPECT_EQ(r.verdict(), "DIFFERENT: 5 altered");
    EXPECT_NE(r.records->altered_examples.at(0).note.find("sampling interval 10"), std::string::npos);
    // A record one second late is outside whole-second resolution.
    auto late = t;
    late[0].set_number(Field::first_ms, static_cast<std::uint64_t>(late[0].first_ms + 1000));
    std::string l = nfdump_csv(std::vector<FlowRecord>(late.begin(), late.begin() + 5));
    l = l.substr(0, l.find("Summary")) + sampled.substr(sampled.find('\n') + 1);
    flowlab::test::write_file(dir / "late.csv", l);
    const VerifyResult r2 = run_verify(td, "nfdump:" + dir / "late.csv");
    EXPECT_EQ(r2.verdict(), "DIFFERENT: 1 altered");
    EXPECT_EQ(names(r2.records->altered_examples.at(0).differing), "first_ms");
}

}  // namespace
}  // namespace flowlab::verify::testing
