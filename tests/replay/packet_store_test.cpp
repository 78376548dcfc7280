/// @brief The capture store: mapped classic pcap (both byte orders, micro and nano) and the
/// copying path give the same packets, times and exporters; damage is reported by packet.
#include "flowlab/replay/packet_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "flowlab/core/error.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "replay_fixtures.hpp"
#include "test_support.hpp"

namespace flowlab::replay {
namespace {

using test::CapturedDatagram;

std::vector<CapturedDatagram> stream() {
    auto s = test::v5_stream(50, {core::IpAddress::v4(0xC0000201), core::IpAddress::v4(0xC0000202)}, 2);
    for (std::size_t i = 0; i < s.size(); ++i)
        s[i].ts_ns += static_cast<std::int64_t>(i * 123);  // sub-us parts
    return s;
}

void write(const std::string& path, const std::vector<CapturedDatagram>& s, core::TimePrecision precision) {
    core::PcapWriter w(path, precision);
    for (const auto& d : s) {
        w.write_udp(d.ts_ns, core::UdpEndpoint{d.src, d.sport},
                    core::UdpEndpoint{core::IpAddress::v4(0x7F000001), 2055}, d.payload);
    }
    w.commit();
}

/// The same capture in the other byte order (a capture written on a big-endian machine).
void byte_swap_pcap(const std::string& in, const std::string& out) {
    std::string b = test::read_file(in);
    auto swap = [&](std::size_t at, std::size_t n) {
        std::reverse(b.begin() + static_cast<std::ptrdiff_t>(at),
                     b.begin() + static_cast<std::ptrdiff_t>(at + n));
    };
    swap(0, 4);
    swap(4, 2);
    swap(6, 2);
    for (std::size_t at : {8, 12, 16, 20}) swap(at, 4);
    std::size_t pos = 24;
    while (pos < b.size()) {
        std::uint32_t caplen;
        std::memcpy(&caplen, b.data() + pos + 8, 4);
        for (std::size_t k = 0; k < 4; ++k) swap(pos + 4 * k, 4);
        pos += 16 + caplen;
    }
    test::write_file(out, b);
}

void expect_stream(PacketStore& store, const std::vector<CapturedDatagram>& s, std::int64_t ts_unit) {
    store.load();
    ASSERT_EQ(store.size(), s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const StoredPacket& p = store[i];
        const auto bytes = PacketStore::bytes(p);
        ASSERT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), s[i].payload) << i;
        EXPECT_EQ(p.ts_ns, s[i].ts_ns / ts_unit * ts_unit) << i;
        EXPECT_EQ(p.source, i % 2) << i;
    }
    ASSERT_EQ(store.exporters().size(), 2u);
    EXPECT_EQ(store.exporters()[1], core::IpAddress::v4(0xC0000202));
    EXPECT_EQ(store.read_stats().frames, s.size());
    EXPECT_EQ(store.first_ts_ns(), store[0].ts_ns);
    EXPECT_EQ(store.last_ts_ns(), store[s.size() - 1].ts_ns);
}

TEST(PacketStore, MappedMicroAndNanoInBothByteOrders) {
    test::TempDir dir;
    const auto s = stream();
    write(dir / "micro.pcap", s, core::TimePrecision::micro);
    write(dir / "nano.pcap", s, core::TimePrecision::nano);
    byte_swap_pcap(dir / "micro.pcap", dir / "micro-swapped.pcap");
    byte_swap_pcap(dir / "nano.pcap", dir / "nano-swapped.pcap");
    for (const char* name : {"micro.pcap", "micro-swapped.pcap"}) {
        SCOPED_TRACE(name);
        PacketStore store(dir / name, PacketStore::Kind::udp_payloads);
        expect_stream(store, s, 1000);
        EXPECT_GT(store.mapped_bytes(), 0u);
        EXPECT_EQ(store.memory_bytes(), s.size() * sizeof(StoredPacket));  // no copies
    }
    for (const char* name : {"nano.pcap", "nano-swapped.pcap"}) {
        SCOPED_TRACE(name);
        PacketStore store(dir / name, PacketStore::Kind::udp_payloads);
        expect_stream(store, s, 1);
        EXPECT_GT(store.mapped_bytes(), 0u);
    }
}

TEST(PacketStore, BackgroundLoadingGivesTheSamePackets) {
    test::TempDir dir;
    const auto s = stream();
    write(dir / "x.pcap", s, core::TimePrecision::nano);
    PacketStore store(dir / "x.pcap", PacketStore::Kind::udp_payloads);
    store.start_loading();
    for (std::size_t i = 0; i < s.size(); ++i) {
        ASSERT_GT(store.wait_for(i), i);
        const auto bytes = PacketStore::bytes(store[i]);
        ASSERT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), s[i].payload) << i;
    }
    EXPECT_EQ(store.wait_for(s.size()), s.size());
    EXPECT_TRUE(store.complete());
}

// Enough packets (6 MB) that the reader catches up with the loader and waits for it.
TEST(PacketStore, BackgroundLoadingOfThousandsOfPackets) {
    test::TempDir dir;
    const auto s = test::v5_stream(4000, {core::IpAddress::v4(0xC0000201)}, 30);
    write(dir / "big.pcap", s, core::TimePrecision::micro);
    ASSERT_GT(std::filesystem::file_size(dir / "big.pcap"), 5u << 20);
    PacketStore store(dir / "big.pcap", PacketStore::Kind::udp_payloads);
    store.start_loading();
    for (std::size_t i = 0; i < s.size(); ++i) {
        ASSERT_GT(store.wait_for(i), i);
        const auto bytes = PacketStore::bytes(store[i]);
        ASSERT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), s[i].payload) << i;
        ASSERT_EQ(store[i].ts_ns, s[i].ts_ns) << i;
    }
    EXPECT_EQ(store.wait_for(s.size()), s.size());
    EXPECT_EQ(store.read_stats().frames, s.size());
    EXPECT_GT(store.mapped_bytes(), 0u);
}

// A record cut off by the end of the file while the sender already runs: every packet before it
// is delivered intact, then waiting for the next one rethrows the loader's error, which names
// the packet and its byte offset.
TEST(PacketStore, BackgroundLoadingDeliversThePacketsBeforeATruncatedLastRecord) {
    test::TempDir dir;
    const auto s = stream();
    write(dir / "x.pcap", s, core::TimePrecision::micro);
    write(dir / "head.pcap", std::vector<CapturedDatagram>(s.begin(), s.end() - 1), core::TimePrecision::micro);
    const auto full = std::filesystem::file_size(dir / "x.pcap");
    const auto head = std::filesystem::file_size(dir / "head.pcap");
    struct Cut {
        const char* name;
        std::uintmax_t size;
        const char* what;
    };
    const Cut cuts[] = {
        {"payload", full - 10, "only"},
        {"header", head + 8, "record header cut off"},
    };
    for (const auto& cut : cuts) {
        SCOPED_TRACE(cut.name);
        std::filesystem::copy_file(dir / "x.pcap", dir / "cut.pcap",
                                   std::filesystem::copy_options::overwrite_existing);
        std::filesystem::resize_file(dir / "cut.pcap", cut.size);
        PacketStore store(dir / "cut.pcap", PacketStore::Kind::udp_payloads);
        store.start_loading();
        for (std::size_t i = 0; i + 1 < s.size(); ++i) {
            ASSERT_GT(store.wait_for(i), i);
            const auto bytes = PacketStore::bytes(store[i]);
            ASSERT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), s[i].payload) << i;
        }
        try {
            store.wait_for(s.size() - 1);
            FAIL() << "expected InputError";
        } catch (const InputError& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("cut.pcap: packet 50: byte "), std::string::npos) << what;
            EXPECT_NE(what.find(cut.what), std::string::npos) << what;
        }
        EXPECT_EQ(store.size(), s.size() - 1);
        EXPECT_TRUE(store.complete());
    }
}

TEST(PacketStore, FramesModeKeepsWholeFrames) {
    test::TempDir dir;
    const auto s = stream();
    write(dir / "x.pcap", s, core::TimePrecision::micro);
    PacketStore store(dir / "x.pcap", PacketStore::Kind::frames);
    store.load();
    core::PcapReader reader(dir / "x.pcap");
    core::Frame f;
    std::size_t i = 0;
    while (reader.next_frame(f)) {
        const auto bytes = PacketStore::bytes(store[i]);
        ASSERT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
                  std::vector<std::uint8_t>(f.data.begin(), f.data.end()));
        EXPECT_EQ(store[i].ts_ns, f.ts_ns);
        ++i;
    }
    EXPECT_EQ(store.size(), i);
}

TEST(PacketStore, DamagedRecordNamesPacketAndOffset) {
    test::TempDir dir;
    const auto s = stream();
    write(dir / "x.pcap", s, core::TimePrecision::micro);
    std::filesystem::resize_file(dir / "x.pcap", std::filesystem::file_size(dir / "x.pcap") - 10);
    PacketStore store(dir / "x.pcap", PacketStore::Kind::udp_payloads);
    try {
        store.load();
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("x.pcap: packet 50: byte "), std::string::npos) << what;
        EXPECT_NE(what.find("damaged capture file"), std::string::npos) << what;
    }
}

}  // namespace
}  // namespace flowlab::replay
