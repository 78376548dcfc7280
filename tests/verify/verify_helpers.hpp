/// @brief Helpers for the verify tests: fixtures, truth directories, collected files, runs.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/record_format.hpp"
#include "flowlab/verify/collected.hpp"
#include "flowlab/verify/verify.hpp"
#include "test_support.hpp"

namespace flowlab::verify::testing {

using core::Field;
using core::FlowRecord;
using core::IpAddress;

inline std::string fixture(const std::string& rel) { return flowlab::test::source_dir() + "/tests/verify/fixtures/" + rel; }

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

/// Every record of collected output (format detected unless the tool is named).
inline std::vector<FlowRecord> read_all(const std::string& spec) {
    auto reader = open_collected(parse_collected_spec(spec));
    std::vector<FlowRecord> out;
    FlowRecord r;
    while (reader->next(r)) out.push_back(r);
    return out;
}

inline void write_records(const std::string& path, const std::vector<FlowRecord>& records,
                          core::RecordFormat format = core::RecordFormat::csv) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr) << path;
    {
        core::RecordWriter w(f, format, path);
        w.begin();
        for (const auto& r : records) w.write(r);
        w.flush();
    }
    std::fclose(f);
}

/// A gen-like output directory holding truth/records.csv.
inline std::string make_truth(const flowlab::test::TempDir& dir, const std::vector<FlowRecord>& records,
                              const std::string& name = "gen") {
    const std::string d = dir / name;
    std::filesystem::create_directories(d + "/truth");
    write_records(d + "/truth/records.csv", records);
    return d;
}

inline VerifyResult run_verify(const std::string& truth_dir, const std::string& collected_spec,
                               VerifyOptions o = VerifyOptions{}) {
    o.truth_dir = truth_dir;
    o.collected = parse_collected_spec(collected_spec);
    return verify(o);
}

/// Volume view of a record (what every tool keeps): for comparing readers with each other.
using Volume = std::tuple<std::string, std::string, unsigned, unsigned, unsigned, std::uint64_t, std::uint64_t>;
inline std::vector<Volume> volumes(const std::vector<FlowRecord>& rs) {
    std::vector<Volume> v;
    for (const auto& r : rs) {
        const bool icmp = r.proto == 1 || r.proto == 58;
        v.emplace_back(r.src.to_string(), r.dst.to_string(), icmp ? 0u : unsigned{r.sport}, icmp ? 0u : unsigned{r.dport},
                       unsigned{r.proto}, r.packets, r.bytes);
    }
    std::sort(v.begin(), v.end());
    return v;
}

/// The fields of a FieldSet by name, for readable assertions.
inline std::string names(core::FieldSet s) {
    std::string out;
    for (std::size_t i = 0; i < core::kFieldCount; ++i)
        if (s.has(static_cast<Field>(i))) out += (out.empty() ? "" : ",") + std::string(core::kFieldNames[i]);
    return out;
}

}  // namespace flowlab::verify::testing
