/// @brief Encode and decode throughput of the codec kernels (records per second).
#include <benchmark/benchmark.h>

#include <random>

#include "flowlab/core/decoder.hpp"
#include "flowlab/core/encoder.hpp"

namespace {

using namespace flowlab::core;

std::vector<FlowRecord> make_records(std::size_t n) {
    std::mt19937_64 rng(7);
    std::vector<FlowRecord> out(n);
    for (auto& r : out) {
        r.set_address(Field::src, IpAddress::v4(0x0A000000u | static_cast<std::uint32_t>(rng() & 0xFFFFFF)));
        r.set_address(Field::dst, IpAddress::v4(0xC6336400u | static_cast<std::uint32_t>(rng() & 0xFF)));
        r.set_number(Field::sport, rng() & 0xFFFF);
        r.set_number(Field::dport, 443);
        r.set_number(Field::proto, 6);
        r.set_number(Field::packets, rng() % 1000);
        r.set_number(Field::bytes, rng() % 1'000'000);
        r.set_number(Field::first_ms, 1'767'225'600'000ull + rng() % 60'000);
        r.set_number(Field::last_ms, 1'767'225'660'000ull);
    }
    return out;
}

ExporterConfig config(Protocol p) {
    ExporterConfig cfg;
    cfg.protocol = p;
    cfg.address = IpAddress::v4(0xC0000201);
    cfg.boot_ms = 1'767'225'600'000 - 86'400'000;
    cfg.template_v4 = default_template(p, false, 256, p == Protocol::ipfix ? TimeStyle::milliseconds : TimeStyle::uptime,
                                       p == Protocol::ipfix);
    return cfg;
}

void BM_Encode(benchmark::State& state) {
    const auto p = static_cast<Protocol>(state.range(0));
    const auto records = make_records(100'000);
    std::size_t bytes = 0;
    for (auto _ : state) {
        Packetizer packetizer(config(p), [&](const EncodedMessage& m) { bytes += m.bytes.size(); });
        for (const auto& r : records) packetizer.add(r, 1'767'225'700'000'000'000);
        packetizer.flush(1'767'225'700'000'000'000);
    }
    benchmark::DoNotOptimize(bytes);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records.size()));
}
BENCHMARK(BM_Encode)->Arg(5)->Arg(9)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_Decode(benchmark::State& state) {
    const auto p = static_cast<Protocol>(state.range(0));
    const auto records = make_records(100'000);
    std::vector<std::vector<std::uint8_t>> messages;
    Packetizer packetizer(config(p), [&](const EncodedMessage& m) { messages.emplace_back(m.bytes.begin(), m.bytes.end()); });
    for (const auto& r : records) packetizer.add(r, 1'767'225'700'000'000'000);
    packetizer.flush(1'767'225'700'000'000'000);
    std::vector<FlowRecord> out;
    out.reserve(64);
    for (auto _ : state) {
        Decoder d;
        std::uint64_t n = 0;
        for (const auto& m : messages) {
            out.clear();
            d.decode(ExportDatagram{m, IpAddress::v4(0xC0000201), 2055, ++n}, out);
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records.size()));
}
BENCHMARK(BM_Decode)->Arg(5)->Arg(9)->Arg(10)->Unit(benchmark::kMillisecond);

}  // namespace
