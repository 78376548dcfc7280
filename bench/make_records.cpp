/// @brief Writes a flowlab records CSV of N synthetic records (several exporters, IPv4 and
/// IPv6, split flows, sequence numbers as v9 exporters send them), for the verify benchmark.
///
/// usage: flowlab_make_records RECORDS OUT.csv [SEED]
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <fmt/format.h>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/record_format.hpp"

int main(int argc, char** argv) {
    using namespace flowlab::core;
    if (argc < 3) {
        fmt::print(stderr, "usage: {} RECORDS OUT.csv [SEED]\n", argv[0]);
        return 2;
    }
    const std::uint64_t records = std::strtoull(argv[1], nullptr, 10);
    const std::uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
    std::mt19937_64 rng(seed);
    std::FILE* out = std::fopen(argv[2], "wb");
    if (!out) {
        std::perror(argv[2]);
        return 2;
    }
    RecordWriter w(out, RecordFormat::csv, argv[2]);
    w.begin();
    constexpr int kExporters = 8;
    std::uint32_t sequence[kExporters] = {};
    std::uint32_t in_message[kExporters] = {};
    const std::int64_t start_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
    for (std::uint64_t i = 0; i < records; ++i) {
        const int e = static_cast<int>(rng() % kExporters);
        const std::int64_t now = start_ms + static_cast<std::int64_t>(i / 50);  // 50k records per second
        FlowRecord r;
        r.set_address(Field::exporter, IpAddress::v4(0xC0000201u + static_cast<std::uint32_t>(e)));
        r.set_number(Field::domain, static_cast<std::uint64_t>(e % 2));
        if (rng() % 10 == 0) {
            std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
            for (int k = 8; k < 16; ++k) a[k] = static_cast<std::uint8_t>(rng());
            r.set_address(Field::src, IpAddress::v6_bytes(a));
            a[7] = 1;
            r.set_address(Field::dst, IpAddress::v6_bytes(a));
        } else {
            r.set_address(Field::src, IpAddress::v4(0x0A000000u | static_cast<std::uint32_t>(rng() & 0xFFFFFF)));
            r.set_address(Field::dst, IpAddress::v4(0xC6336400u | static_cast<std::uint32_t>(rng() & 0xFF)));
        }
        r.set_number(Field::sport, 32768 + rng() % 28000);
        r.set_number(Field::dport, (rng() & 1) ? 443 : 53);
        r.set_number(Field::proto, (rng() & 1) ? 6 : 17);
        r.set_number(Field::tos, 0);
        r.set_number(Field::tcp_flags, 0x1b);
        r.set_number(Field::packets, 1 + rng() % 1000);
        r.set_number(Field::bytes, 64 + rng() % 1'000'000);
        r.set_number(Field::first_ms, static_cast<std::uint64_t>(now - 1000 - static_cast<std::int64_t>(rng() % 60'000)));
        r.set_number(Field::last_ms, static_cast<std::uint64_t>(now - 1000));
        r.set_number(Field::in_if, 1 + rng() % 4);
        r.set_number(Field::out_if, 1 + rng() % 4);
        r.set_number(Field::src_as, 64496 + rng() % 16);
        r.set_number(Field::dst_as, 64512);
        r.set_number(Field::src_mask, 24);
        r.set_number(Field::dst_mask, 24);
        r.set_address(Field::next_hop, IpAddress::v4(0xCB0071FE));
        r.set_number(Field::end_reason, 1 + rng() % 3);
        r.set_number(Field::version, 9);
        r.set_number(Field::sequence, sequence[e]);
        r.set_number(Field::template_id, 256);
        r.set_number(Field::export_ms, static_cast<std::uint64_t>(now / 1000 * 1000));
        if (++in_message[e] == 30) {  // v9 counts export packets
            in_message[e] = 0;
            ++sequence[e];
        }
        w.write(r);
    }
    w.flush();
    std::fclose(out);
    return 0;
}
