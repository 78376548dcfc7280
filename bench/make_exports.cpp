/// @brief Writes a capture of synthetic exports with a known record count, for benchmarks
/// (decode vs tshark, replay vs tcpreplay) that need a large, reproducible input.
///
/// usage: flowlab_make_exports v5|v9|ipfix RECORDS OUT.pcap [SEED]
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <fmt/format.h>

#include "flowlab/core/encoder.hpp"
#include "flowlab/core/pcap_io.hpp"

int main(int argc, char** argv) {
    using namespace flowlab::core;
    if (argc < 4) {
        fmt::print(stderr, "usage: {} v5|v9|ipfix RECORDS OUT.pcap [SEED]\n", argv[0]);
        return 2;
    }
    const std::string proto_name = argv[1];
    const Protocol proto = proto_name == "v5" ? Protocol::v5 : proto_name == "v9" ? Protocol::v9 : Protocol::ipfix;
    const std::uint64_t records = std::strtoull(argv[2], nullptr, 10);
    const std::uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;
    std::mt19937_64 rng(seed);

    const std::int64_t start_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
    ExporterConfig cfg;
    cfg.protocol = proto;
    cfg.address = IpAddress::v4(0xC0000201);  // 192.0.2.1
    cfg.domain = 1;
    cfg.boot_ms = start_ms - 86'400'000;
    cfg.max_payload = 1500 - udp_overhead(false);
    cfg.template_v4 = default_template(proto, false, 256, proto == Protocol::ipfix ? TimeStyle::milliseconds : TimeStyle::uptime,
                                       proto == Protocol::ipfix);
    PcapWriter writer(argv[3]);
    const UdpEndpoint src{cfg.address, 50000};
    const UdpEndpoint dst{IpAddress::v4(0x7F000001), proto == Protocol::ipfix ? std::uint16_t{4739} : std::uint16_t{2055}};
    Packetizer packetizer(cfg, [&](const EncodedMessage& m) { writer.write_udp(m.export_ns, src, dst, m.bytes); });

    std::int64_t now_ns = start_ms * 1'000'000;
    for (std::uint64_t i = 0; i < records; ++i) {
        FlowRecord r;
        r.set_address(Field::src, IpAddress::v4(0x0A000000u | static_cast<std::uint32_t>(rng() & 0xFFFF)));
        r.set_address(Field::dst, IpAddress::v4(0xC6336400u | static_cast<std::uint32_t>(rng() & 0xFF)));
        r.set_address(Field::next_hop, IpAddress::v4(0xCB0071FE));
        r.set_number(Field::sport, 32768 + rng() % 28000);
        r.set_number(Field::dport, (rng() & 1) ? 443 : 53);
        r.set_number(Field::proto, (rng() & 1) ? 6 : 17);
        r.set_number(Field::tcp_flags, 0x1b);
        r.set_number(Field::packets, 1 + rng() % 1000);
        r.set_number(Field::bytes, 64 + rng() % 1'000'000);
        now_ns += 20'000;  // 50k records per second of export time
        const std::int64_t now_ms = now_ns / 1'000'000;
        r.set_number(Field::first_ms, static_cast<std::uint64_t>(now_ms - 1000 - static_cast<std::int64_t>(rng() % 60'000)));
        r.set_number(Field::last_ms, static_cast<std::uint64_t>(now_ms - 1000));
        r.set_number(Field::in_if, 1);
        r.set_number(Field::out_if, 2);
        r.set_number(Field::end_reason, 1);
        packetizer.add(r, now_ns);
    }
    packetizer.flush(now_ns);
    writer.commit();
    fmt::print(stderr, "{}: {} records in {} packets\n", argv[3], records, writer.frames());
    return 0;
}
