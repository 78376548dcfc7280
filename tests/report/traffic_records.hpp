/// @brief Flow records for the report's unit tests: one record by its fields, random traffic of
/// a few hundred skewed hosts, and their aggregation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/report/traffic.hpp"

namespace flowlab::report::test_records {

using core::Field;
using core::FlowRecord;
using core::IpAddress;

constexpr std::int64_t kSlot = 300'000;
constexpr std::int64_t kStart = 1'707'091'200'000;  // 2024-02-05T00:00:00Z, a Monday

inline FlowRecord record(std::uint32_t src, std::uint32_t dst, std::uint16_t sport, std::uint16_t dport,
                         std::uint8_t proto, std::uint64_t packets, std::uint64_t bytes, std::int64_t first,
                         std::int64_t last, std::uint32_t exporter = 1) {
    FlowRecord r;
    r.set_address(Field::src, IpAddress::v4(0x0A000000u + src));
    r.set_address(Field::dst, IpAddress::v4(0x0A000000u + dst));
    r.set_number(Field::sport, sport);
    r.set_number(Field::dport, dport);
    r.set_number(Field::proto, proto);
    r.set_number(Field::packets, packets);
    r.set_number(Field::bytes, bytes);
    r.set_number(Field::first_ms, static_cast<std::uint64_t>(first));
    r.set_number(Field::last_ms, static_cast<std::uint64_t>(last));
    if (exporter) r.set_address(Field::exporter, IpAddress::v4(0xC0000200u + exporter));
    return r;
}

/// Records over `hours` from kStart: a few hundred hosts, skewed, flows up to 20 minutes long.
inline std::vector<FlowRecord> random_records(std::uint64_t seed, std::size_t n, int hours, int hosts = 300) {
    std::mt19937_64 rng(seed);
    std::vector<FlowRecord> out;
    const std::uint8_t protos[] = {6, 6, 6, 17, 17, 1, 58, 47};
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t first =
            kStart + static_cast<std::int64_t>(rng() % (static_cast<std::uint64_t>(hours) * 3'600'000));
        const std::int64_t len = rng() % 4 == 0 ? static_cast<std::int64_t>(rng() % 1'200'000)
                                                : static_cast<std::int64_t>(rng() % 2000);
        const auto host = [&] { return static_cast<std::uint32_t>(std::min(rng() % hosts, rng() % hosts)); };
        out.push_back(record(host(), host(), static_cast<std::uint16_t>(1024 + rng() % 200),
                             static_cast<std::uint16_t>(rng() % 6 * 100), protos[rng() % 8], 1 + rng() % 50,
                             40 + rng() % 100000, first, first + len, static_cast<std::uint32_t>(rng() % 3)));
    }
    // Roughly in export order: by flow end.
    std::stable_sort(out.begin(), out.end(),
                     [](const FlowRecord& a, const FlowRecord& b) { return a.last_ms < b.last_ms; });
    return out;
}

inline TrafficData aggregate(const std::vector<FlowRecord>& records, TrafficOptions o = {}) {
    TrafficAggregator agg(o);
    for (const auto& r : records) agg.add(r);
    return agg.finish();
}

}  // namespace flowlab::report::test_records
