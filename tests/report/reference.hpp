/// @brief The numbers a report must show, computed here straight from records: per-slot sums and
/// window rankings by nfdump -t's rule (first >= A, last <= B), and the checks of a page's table
/// against them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/record_format.hpp"

namespace flowlab::test {

inline std::vector<core::FlowRecord> read_records(const std::string& csv) {
    core::RecordCsvReader reader(csv);
    std::vector<core::FlowRecord> out;
    core::FlowRecord r;
    while (reader.next(r)) out.push_back(r);
    return out;
}

/// Per key of one dimension: flows, bytes.
using KeyValues = std::map<std::string, std::array<std::uint64_t, 2>>;

struct WindowReference {
    std::array<KeyValues, 3> dims;  // host, port, conversation (as the page labels them)
    std::uint64_t flows = 0, packets = 0, bytes = 0;
};

inline WindowReference window_reference(const std::vector<core::FlowRecord>& records, std::int64_t a, std::int64_t b) {
    WindowReference w;
    for (const auto& r : records) {
        if (!(r.first_ms >= a && r.last_ms <= b)) continue;
        ++w.flows;
        w.packets += r.packets;
        w.bytes += r.bytes;
        auto add = [&](KeyValues& k, const std::string& key) {
            k[key][0] += 1;
            k[key][1] += r.bytes;
        };
        add(w.dims[0], r.src.to_string());
        add(w.dims[0], r.dst.to_string());
        std::uint16_t dport = r.has(core::Field::dport) ? r.dport : 0;
        if (r.is_icmp() && !r.has(core::Field::dport)) dport = static_cast<std::uint16_t>(r.icmp_type << 8 | r.icmp_code);
        add(w.dims[1], std::to_string(r.has(core::Field::sport) ? r.sport : 0));
        add(w.dims[1], std::to_string(dport));
        add(w.dims[2], r.src.to_string() + " \u2192 " + r.dst.to_string());
    }
    return w;
}

/// A page table ({exact, other, rows: [{key, flows, bytes, upper: {flows, bytes}}]}) ranked by
/// `metric` (0 flows, 1 bytes) against the true values: every value within its bounds, no key
/// left out above `other`, and when the page says exact, the very values and order of the top n
/// (ties in any order).
inline void expect_table_matches(const nlohmann::json& t, const KeyValues& truth, int metric, std::size_t n, const std::string& what) {
    SCOPED_TRACE(what);
    const char* names[] = {"flows", "bytes"};
    std::map<std::string, bool> shown;
    for (const auto& row : t["rows"]) {
        const std::string key = row["key"];
        shown[key] = true;
        const auto it = truth.find(key);
        ASSERT_NE(it, truth.end()) << "the page shows " << key << ", which has no flow in the window";
        for (int m = 0; m < 2; ++m) {
            const auto v = row[names[m]].get<std::uint64_t>(), up = row["upper"][names[m]].get<std::uint64_t>();
            EXPECT_LE(v, it->second[m]) << key << " " << names[m];
            EXPECT_GE(up, it->second[m]) << key << " " << names[m];
            if (t["exact"].get<bool>() && m == metric) {
                EXPECT_EQ(v, it->second[m]) << key << " " << names[m];
            }
        }
    }
    const auto other = t["other"].get<std::uint64_t>();
    for (const auto& [key, v] : truth) {
        if (!shown.count(key)) {
            EXPECT_LE(v[metric], other) << key << " is left out with " << v[metric] << " " << names[metric];
        }
    }
    std::vector<std::uint64_t> top;
    for (const auto& [key, v] : truth)
        if (v[metric] > 0) top.push_back(v[metric]);
    std::sort(top.rbegin(), top.rend());
    top.resize(std::min(top.size(), n));
    if (t["exact"].get<bool>()) {
        std::vector<std::uint64_t> got;
        for (const auto& row : t["rows"]) got.push_back(row[names[metric]].get<std::uint64_t>());
        EXPECT_EQ(got, top);
    }
}

}  // namespace flowlab::test
