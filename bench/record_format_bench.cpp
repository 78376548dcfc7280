/// @brief Throughput of the shared CSV vocabulary: rows written and read per second.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "flowlab/core/record_format.hpp"

namespace {

using namespace flowlab::core;

constexpr std::size_t kRecords = 1'000'000;

// Truth-like records: every field present, mostly IPv4 with some IPv6, realistic magnitudes.
std::vector<FlowRecord> synthetic_records() {
    std::mt19937_64 rng(42);
    std::vector<FlowRecord> out(kRecords);
    const std::int64_t t0 = 1'700'000'000'000;
    std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
    for (std::size_t i = 0; i < kRecords; ++i) {
        FlowRecord& r = out[i];
        r.set_address(Field::exporter, IpAddress::v4(0xC0000201u + static_cast<std::uint32_t>(i % 4)));
        if (i % 10 == 0) {
            v6[15] = static_cast<std::uint8_t>(rng());
            r.set_address(Field::src, IpAddress::v6_bytes(v6));
            v6[15] = static_cast<std::uint8_t>(rng());
            r.set_address(Field::dst, IpAddress::v6_bytes(v6));
            r.set_address(Field::next_hop, IpAddress::v6_bytes(v6));
        } else {
            r.set_address(Field::src, IpAddress::v4(0x0A000000u | static_cast<std::uint32_t>(rng() & 0xFFFFFF)));
            r.set_address(Field::dst, IpAddress::v4(0xC6336400u | static_cast<std::uint32_t>(rng() & 0xFF)));
            r.set_address(Field::next_hop, IpAddress::v4(0xC0A80001u));
        }
        r.set_number(Field::domain, 1);
        r.set_number(Field::sport, 1024 + rng() % 60000);
        r.set_number(Field::dport, i % 3 ? 443 : 53);
        r.set_number(Field::proto, i % 3 ? 6 : 17);
        r.set_number(Field::tos, 0);
        r.set_number(Field::tcp_flags, i % 3 ? 0x1B : 0);
        const std::uint64_t packets = 1 + rng() % 5000;
        r.set_number(Field::packets, packets);
        r.set_number(Field::bytes, packets * (40 + rng() % 1460));
        const std::int64_t first = t0 + static_cast<std::int64_t>(i * 3);
        r.set_number(Field::first_ms, static_cast<std::uint64_t>(first));
        r.set_number(Field::last_ms, static_cast<std::uint64_t>(first + static_cast<std::int64_t>(rng() % 120000)));
        r.set_number(Field::in_if, 1 + rng() % 48);
        r.set_number(Field::out_if, 1 + rng() % 48);
        r.set_number(Field::src_as, 64512 + rng() % 1000);
        r.set_number(Field::dst_as, 64512 + rng() % 1000);
        r.set_number(Field::src_mask, 24);
        r.set_number(Field::dst_mask, 24);
        r.set_number(Field::icmp_type, 0);
        r.set_number(Field::icmp_code, 0);
        r.set_number(Field::end_reason, 1 + rng() % 3);
        r.set_number(Field::sampling_interval, 1);
        r.set_number(Field::version, 10);
        r.set_number(Field::sequence, i);
        r.set_number(Field::template_id, 256);
        r.set_number(Field::export_ms, static_cast<std::uint64_t>(first + 60000));
    }
    return out;
}

const std::vector<FlowRecord>& records() {
    static const std::vector<FlowRecord> r = synthetic_records();
    return r;
}

std::string temp_path() {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/flowlab-bench-" + std::to_string(getpid()) + ".csv";
}

void write_csv(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    RecordWriter w(f, RecordFormat::csv, path);
    w.begin();
    for (const auto& r : records()) w.write(r);
    w.flush();
    std::fclose(f);
}

// Formatting and the stdio write into /dev/null: the writer's own cost.
void BM_CsvWrite(benchmark::State& state) {
    const auto& recs = records();
    for (auto _ : state) {
        std::FILE* f = std::fopen("/dev/null", "wb");
        RecordWriter w(f, RecordFormat::csv, "/dev/null");
        w.begin();
        for (const auto& r : recs) w.write(r);
        w.flush();
        std::fclose(f);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * recs.size()));
}
BENCHMARK(BM_CsvWrite)->Unit(benchmark::kMillisecond);

void BM_JsonlWrite(benchmark::State& state) {
    const auto& recs = records();
    for (auto _ : state) {
        std::FILE* f = std::fopen("/dev/null", "wb");
        RecordWriter w(f, RecordFormat::jsonl, "/dev/null");
        for (const auto& r : recs) w.write(r);
        w.flush();
        std::fclose(f);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * recs.size()));
}
BENCHMARK(BM_JsonlWrite)->Unit(benchmark::kMillisecond);

// Reading back a file of the same records (page cache warm after the first iteration).
void BM_CsvRead(benchmark::State& state) {
    const std::string path = temp_path();
    write_csv(path);
    std::uint64_t rows = 0;
    for (auto _ : state) {
        RecordCsvReader reader(path);
        FlowRecord r;
        while (reader.next(r)) ++rows;
        benchmark::DoNotOptimize(r);
    }
    std::remove(path.c_str());
    if (rows != state.iterations() * kRecords) state.SkipWithError("row count mismatch");
    state.SetItemsProcessed(static_cast<std::int64_t>(rows));
}
BENCHMARK(BM_CsvRead)->Unit(benchmark::kMillisecond);

}  // namespace
