/// @brief The aggregator against sums computed here, record by record: slot series, windows
/// (nfdump -t's rule), cells at every level, and the candidates' bounds, also when cells are
/// pruned and records come late.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "flowlab/core/error.hpp"
#include "flowlab/report/traffic.hpp"
#include "traffic_records.hpp"

namespace flowlab::report {
namespace {

using core::Field;
using core::FlowRecord;
using core::IpAddress;
using namespace test_records;

TEST(Traffic, SlotsFollowNfdumpTimeWindows) {
    // nfdump -t A-B keeps first >= A and last <= B: a flow ending exactly on a boundary belongs
    // to the slot before it, one starting on it to the slot after.
    EXPECT_EQ(start_slot(0, kSlot), 0);
    EXPECT_EQ(start_slot(kSlot - 1, kSlot), 0);
    EXPECT_EQ(start_slot(kSlot, kSlot), 1);
    EXPECT_EQ(end_slot(kSlot, kSlot), 0);
    EXPECT_EQ(end_slot(kSlot + 1, kSlot), 1);
    EXPECT_EQ(start_slot(-1, kSlot), -1);
    EXPECT_EQ(end_slot(0, kSlot), -1);
}

TEST(Traffic, IcmpPortsAreTypeAndCodeAsNfdumpStoresThem) {
    FlowRecord r = record(1, 2, 0, 0x0303, 1, 1, 56, kStart, kStart);
    EXPECT_EQ(record_ports(r), std::make_pair(std::uint16_t{0}, std::uint16_t{0x0303}));
    FlowRecord v6;  // ICMPv6 with type/code fields and no ports
    v6.set_number(Field::proto, 58);
    v6.set_number(Field::icmp_type, 128);
    v6.set_number(Field::icmp_code, 0);
    EXPECT_EQ(record_ports(v6), std::make_pair(std::uint16_t{0}, std::uint16_t{128 << 8}));
    EXPECT_EQ(proto_class(v6), ProtoClass::icmp);
}

TEST(Traffic, SeriesAreTheSumsPerSlotSourceAndProtocol) {
    const std::uint64_t seed = 7;
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto records = random_records(seed, 20'000, 6);
    FlowRecord no_time = records.front();
    no_time.present.clear(Field::first_ms);
    records.push_back(no_time);
    const TrafficData d = aggregate(records);

    std::map<std::tuple<std::string, std::int64_t, int>, Counters> expected;
    for (const auto& r : records) {
        if (!r.has(Field::first_ms)) continue;
        const int p = r.proto == 6 ? 0 : r.proto == 17 ? 1 : (r.proto == 1 || r.proto == 58) ? 2 : 3;
        const std::string src = r.has(Field::exporter) ? r.exporter.to_string() : "(no exporter)";
        Counters& c = expected[{src, r.first_ms / kSlot, p}];
        c.add({1, r.packets, r.bytes});
    }
    EXPECT_EQ(d.without_time, 1u);
    EXPECT_EQ(d.records, records.size());
    std::map<std::tuple<std::string, std::int64_t, int>, Counters> got;
    for (const auto& s : d.sources)
        for (int p = 0; p < 4; ++p)
            for (std::size_t i = 0; i < d.slot_count; ++i)
                if (s.slots[p][i].flows) got[{s.name, d.first_slot + static_cast<std::int64_t>(i), p}] = s.slots[p][i];
    EXPECT_EQ(got, expected);
    EXPECT_EQ(d.sources.back().name, "(no exporter)");
}

/// What nfdump -t A-B selects, counted straight from the records.
Counters window_total(const std::vector<FlowRecord>& records, std::int64_t a, std::int64_t b) {
    Counters c;
    for (const auto& r : records)
        if (r.first_ms >= a && r.last_ms <= b) c.add({1, r.packets, r.bytes});
    return c;
}

TEST(Traffic, EveryLevelPartitionsTheRecordsAndItsWindowsAreNfdumpsWindows) {
    const auto records = random_records(11, 30'000, 50);
    const TrafficData d = aggregate(records);
    ASSERT_EQ(d.levels.size(), 4u);
    EXPECT_EQ(d.levels[1].spec.factor, 12);
    EXPECT_EQ(d.levels[2].spec.factor, 288);
    EXPECT_EQ(d.levels[3].spec.factor, 2016);
    for (const Level& level : d.levels) {
        Counters sum;
        for (const Cell& c : level.cells) sum.add(c.total);
        EXPECT_EQ(sum, d.total) << level.spec.name;
    }
    // Windows of whole units at each level: the cells inside equal nfdump's rule on the records.
    for (const Level& level : d.levels) {
        const std::int64_t unit_ms = level.spec.factor * kSlot, off = level.spec.offset * kSlot;
        for (std::int64_t u1 = (kStart - off) / unit_ms - 1; u1 <= (kStart - off) / unit_ms + 3; ++u1)
            for (std::int64_t u2 = u1; u2 <= u1 + 3; ++u2) {
                Counters cells;
                for (const Cell& c : level.cells)
                    if (c.start >= u1 && c.end <= u2) cells.add(c.total);
                EXPECT_EQ(cells, window_total(records, u1 * unit_ms + off, (u2 + 1) * unit_ms + off))
                    << level.spec.name << " units " << u1 << ".." << u2;
            }
    }
}

/// Per cell and dimension, every key's true counters, computed here.
using TrueValues = std::map<std::string, Counters>;
std::array<TrueValues, kDims> true_values(const std::vector<FlowRecord>& records, const LevelSpec& level, const Cell& cell) {
    std::array<TrueValues, kDims> out;
    const auto unit = [&](std::int64_t slot) {
        const std::int64_t x = slot - level.offset;
        return (x >= 0 ? x : x - level.factor + 1) / level.factor;
    };
    for (const auto& r : records) {
        const std::int64_t s = start_slot(r.first_ms, kSlot), e = end_slot(r.last_ms, kSlot);
        if (unit(s) != cell.start || unit(e) != cell.end) continue;
        const Counters c{1, r.packets, r.bytes};
        out[0][r.src.to_string()].add(c);
        out[0][r.dst.to_string()].add(c);
        const auto [sp, dp] = record_ports(r);
        out[1][std::to_string(sp)].add(c);
        out[1][std::to_string(dp)].add(c);
        out[2][r.src.to_string() + ">" + r.dst.to_string()].add(c);
    }
    return out;
}

std::string key_text(const TrafficData& d, std::size_t dim, std::uint32_t key) {
    if (dim == 0) return d.addresses[key].to_string();
    if (dim == 1) return std::to_string(key);
    return d.addresses[d.conversations[key].first].to_string() + ">" + d.addresses[d.conversations[key].second].to_string();
}

/// Kept keys within [value, value + err], every other key at most rest; the top `k` by flows
/// and by bytes are never among the others.
void expect_bounds_hold(const std::vector<FlowRecord>& records, const TrafficData& d, bool expect_exact_values) {
    std::size_t checked = 0;
    for (const Level& level : d.levels) {
        for (std::size_t ci = 0; ci < level.cells.size(); ci += std::max<std::size_t>(1, level.cells.size() / 40)) {
            const Cell& cell = level.cells[ci];
            const auto truth = true_values(records, level.spec, cell);
            for (std::size_t dim = 0; dim < kDims; ++dim) {
                const DimCell& dc = cell.dims[dim];
                std::set<std::string> kept;
                for (const Candidate& c : dc.kept) {
                    const std::string k = key_text(d, dim, c.key);
                    kept.insert(k);
                    const Counters& t = truth[dim].at(k);
                    EXPECT_LE(c.value.flows, t.flows);
                    EXPECT_LE(c.value.bytes, t.bytes);
                    EXPECT_LE(t.flows, c.value.flows + dc.err.flows);
                    EXPECT_LE(t.bytes, c.value.bytes + dc.err.bytes);
                    if (expect_exact_values) {
                        EXPECT_EQ(c.value, t) << k;
                    }
                }
                std::vector<std::uint64_t> flows, bytes;
                for (const auto& [k, t] : truth[dim]) {
                    flows.push_back(t.flows);
                    bytes.push_back(t.bytes);
                    if (kept.count(k)) continue;
                    EXPECT_LE(t.flows, dc.rest.flows) << level.spec.name << " dim " << dim << " key " << k;
                    EXPECT_LE(t.bytes, dc.rest.bytes) << level.spec.name << " dim " << dim << " key " << k;
                }
                if (expect_exact_values && truth[dim].size() > kept.size()) {
                    // The k-th largest value by each counter is reached by a kept key.
                    const std::size_t k = level.spec.candidates;
                    std::sort(flows.rbegin(), flows.rend());
                    std::sort(bytes.rbegin(), bytes.rend());
                    EXPECT_LE(dc.rest.flows, flows[k - 1]);
                    EXPECT_LE(dc.rest.bytes, bytes[k - 1]);
                }
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 100u);
}

TEST(Traffic, CandidatesAreExactAndEveryOtherKeyIsBounded) {
    const std::uint64_t seed = 3;
    SCOPED_TRACE("seed " + std::to_string(seed));
    const auto records = random_records(seed, 40'000, 30);
    TrafficOptions o;
    o.candidates = 3;
    const TrafficData d = aggregate(records, o);
    EXPECT_EQ(d.pruned, 0u);
    EXPECT_EQ(d.late_records, 0u);
    expect_bounds_hold(records, d, true);
}

TEST(Traffic, PrunedCellsAndLateRecordsWidenTheBoundsWhichStillHold) {
    const std::uint64_t seed = 5;
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto records = random_records(seed, 40'000, 30, 5000);
    // Out of order by up to an hour, with cells closed 10 minutes behind: many arrive late.
    std::mt19937_64 rng(seed);
    for (std::size_t i = 0; i + 1 < records.size(); ++i) {
        const std::size_t j = i + rng() % std::min<std::size_t>(2000, records.size() - i);
        std::swap(records[i], records[j]);
    }
    TrafficOptions o;
    o.candidates = 1;
    o.open_keys_limit = 40;  // raised to four times the week level's 20 candidates: 80
    o.close_lag_ms = 10 * 60'000;
    const TrafficData d = aggregate(records, o);
    EXPECT_GT(d.pruned, 0u);
    EXPECT_GT(d.late_records, 0u);
    expect_bounds_hold(records, d, false);
    Counters sum;
    for (const Cell& c : d.levels[0].cells) sum.add(c.total);
    EXPECT_EQ(sum, d.total);  // totals stay exact whatever the order
}

TEST(Traffic, TiesAtTheCutGoToTheSmallestKeysWhateverTheOrder) {
    // Fifty hosts with one equal flow each: which three a cell keeps must not depend on the order
    // the records came in, nor on the order a hash table hands the keys out.
    std::vector<FlowRecord> records;
    for (std::uint32_t i = 0; i < 50; ++i) records.push_back(record(100 + i, 200 + i, 1000, 80, 6, 1, 100, kStart + i, kStart + 1000));
    TrafficOptions o;
    o.candidates = 3;
    const auto kept_hosts = [&](const std::vector<FlowRecord>& in) {
        const TrafficData d = aggregate(in, o);
        std::vector<std::string> out;
        for (const Candidate& c : d.levels.at(0).cells.at(0).dims[static_cast<std::size_t>(Dim::host)].kept)
            out.push_back(d.addresses.at(c.key).to_string());
        return out;
    };
    const std::vector<std::string> smallest = {"10.0.0.100", "10.0.0.101", "10.0.0.102"};
    EXPECT_EQ(kept_hosts(records), smallest);
    std::reverse(records.begin(), records.end());
    EXPECT_EQ(kept_hosts(records), smallest);
    std::shuffle(records.begin(), records.end(), std::mt19937_64(7));
    EXPECT_EQ(kept_hosts(records), smallest);
}

TEST(Traffic, TheAccountStatesThePeakAndTheLimitHolds) {
    // Every host new: the open cells grow until they are pruned, the account follows them.
    std::vector<FlowRecord> records;
    for (std::uint32_t i = 0; i < 100'000; ++i)
        records.push_back(record(i, 0x100000 + i, static_cast<std::uint16_t>(1024 + i % 5000), 80, 6, 1, 100,
                                 kStart + i, kStart + i + 10));
    TrafficOptions o;
    o.span_ms = std::make_pair(kStart, kStart + 3'600'000);
    const TrafficData d = aggregate(records, o);
    // At least the open tables of the finest level: a slot cell held up to open_keys_limit
    // hosts and conversations.
    EXPECT_GT(d.peak_bytes, std::uint64_t{1} << 20);
    EXPECT_LE(d.peak_bytes, estimate_traffic_memory(o, records.size(), 1));

    // A limit below that peak stops the aggregation with a message that names it.
    o.memory_limit = d.peak_bytes / 2;
    TrafficAggregator agg(o);
    try {
        for (const auto& r : records) agg.add(r);
        (void)agg.finish();
        ADD_FAILURE() << "no error at a limit of " << o.memory_limit << " bytes";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("--memory-limit"), std::string::npos) << e.what();
    }
    // And one above it lets the same input through.
    o.memory_limit = d.peak_bytes + (d.peak_bytes >> 2);
    EXPECT_EQ(aggregate(records, o).total, d.total);
}

TEST(Traffic, TheEstimateBoundsThePeakOfRandomTraffic) {
    for (const std::uint64_t seed : {11u, 12u}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const auto records = random_records(seed, 30'000, 48, seed == 11 ? 300 : 20'000);
        TrafficOptions o;
        o.span_ms = std::make_pair(kStart, kStart + 48 * 3'600'000);
        const TrafficData d = aggregate(records, o);
        EXPECT_GT(d.peak_bytes, 0u);
        EXPECT_LE(d.peak_bytes, estimate_traffic_memory(o, records.size(), 3));
    }
}

TEST(Traffic, ASpanLeavesOutWhatStartsOutsideIt) {
    std::vector<FlowRecord> records = {record(1, 2, 1, 2, 6, 1, 100, kStart - 1, kStart + 10),
                                       record(1, 2, 1, 2, 6, 1, 100, kStart, kStart + 10),
                                       record(1, 2, 1, 2, 6, 1, 100, kStart + 3'600'000 - 1, kStart + 3'600'000),
                                       record(1, 2, 1, 2, 6, 1, 100, kStart + 3'600'000, kStart + 3'600'001)};
    TrafficOptions o;
    o.span_ms = std::make_pair(kStart, kStart + 3'600'000);
    const TrafficData d = aggregate(records, o);
    EXPECT_EQ(d.slot_count, 12u);
    EXPECT_EQ(d.first_slot, kStart / kSlot);
    EXPECT_EQ(d.outside_span, 2u);
    EXPECT_EQ(d.total.flows, 2u);
}

}  // namespace
}  // namespace flowlab::report
