/// @brief Throughput of capture files: export datagrams framed and written, then read back.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "flowlab/core/pcap_io.hpp"

namespace {

using namespace flowlab::core;

constexpr std::size_t kDatagrams = 200'000;
constexpr std::size_t kPayload = 1400;  // a full v9/IPFIX export message

std::string temp_path() {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/flowlab-bench-" + std::to_string(getpid()) + ".pcap";
}

void write_pcap(const std::string& path) {
    const std::vector<std::uint8_t> payload(kPayload, 0x5A);
    const UdpEndpoint src{IpAddress::v4(0xC0000201), 40000};
    const UdpEndpoint dst{IpAddress::v4(0xC6336401), 2055};
    PcapWriter w(path, TimePrecision::nano);
    std::int64_t ts = 1'700'000'000'000'000'000;
    for (std::size_t i = 0; i < kDatagrams; ++i) w.write_udp(ts += 10'000, src, dst, payload);
    w.commit();
}

// Framing (Ethernet/IPv4/UDP with both checksums) plus libpcap's dump writer into a file.
void BM_PcapWriteUdp(benchmark::State& state) {
    const std::string path = temp_path();
    for (auto _ : state) write_pcap(path);
    std::remove(path.c_str());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kDatagrams));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kDatagrams * kPayload));
}
BENCHMARK(BM_PcapWriteUdp)->Unit(benchmark::kMillisecond);

// libpcap's reader plus the link/IP/UDP parse (page cache warm).
void BM_PcapReadUdp(benchmark::State& state) {
    const std::string path = temp_path();
    write_pcap(path);
    std::uint64_t n = 0;
    for (auto _ : state) {
        PcapReader reader(path);
        UdpDatagram d;
        while (reader.next_udp(d)) ++n;
    }
    std::remove(path.c_str());
    if (n != state.iterations() * kDatagrams) state.SkipWithError("datagram count mismatch");
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_PcapReadUdp)->Unit(benchmark::kMillisecond);

}  // namespace
