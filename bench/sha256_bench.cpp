/// @brief Throughput of gen's output hashing (Sha256::update in 256 KiB pieces, as the pcap and
/// CSV writers feed it), for README-gen figures: bytes/s per implementation in one run.
#include <benchmark/benchmark.h>

#include <string>

#include "flowlab/gen/sha256.hpp"

namespace {

void BM_Sha256Update(benchmark::State& state) {
    const auto piece = static_cast<std::size_t>(state.range(0));
    std::string data(piece, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + 7);
    flowlab::gen::Sha256 h;
    for (auto _ : state) {
        h.update(data);
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(h.hex());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(piece));
}
BENCHMARK(BM_Sha256Update)->Arg(64)->Arg(1460)->Arg(256 << 10);

}  // namespace
