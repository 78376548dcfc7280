/// @brief gen --packets building blocks: what a budget leaves of a conversation, admission
/// under the two budgets, and the streaming merge (order, ties, honest failures).
#include <gtest/gtest.h>

#include <vector>

#include "flowlab/core/error.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/gen/packet_writer.hpp"
#include "test_support.hpp"

namespace flowlab::gen {
namespace {

Conversation conv(std::uint64_t id, std::vector<Burst> bursts, std::uint8_t proto = 17) {
    Conversation c;
    c.id = id;
    c.key.src = core::IpAddress::v4(0xC0000201 + static_cast<std::uint32_t>(id));
    c.key.dst = core::IpAddress::v4(0xC6336401);
    c.key.sport = static_cast<std::uint16_t>(40000 + id);
    c.key.dport = 53;
    c.key.proto = proto;
    c.bursts = std::move(bursts);
    return c;
}

TEST(PacketWriter, WrittenPartFollowsTheBurstFormulas) {
    // 7 packets of 703 bytes over 1000 µs: sizes 101,101,101,100,...; times i*1000/6.
    const Conversation c = conv(1, {Burst{1000, 2000, 7, 703, 0}, Burst{5000, 5000, 1, 60, 0}});
    const WrittenPart all = written_part(c, 8);
    EXPECT_EQ(all.packets, 8u);
    EXPECT_EQ(all.bytes, 763u);
    EXPECT_EQ(all.last_us, 5000);
    const WrittenPart four = written_part(c, 4);
    EXPECT_EQ(four.packets, 4u);
    EXPECT_EQ(four.bytes, 403u);
    EXPECT_EQ(four.first_us, 1000);
    EXPECT_EQ(four.last_us, 1500);
}

TEST(PacketWriter, AdmissionHonoursBothBudgets) {
    PacketBudget b;
    b.per_conversation = 5;
    b.max_packets = 12;
    PacketAdmission a(b);
    const Conversation big = conv(1, {Burst{0, 100, 10, 1000, 0}});
    const Conversation small = conv(2, {Burst{0, 10, 3, 300, 0}});
    EXPECT_EQ(a.admit(big), 5u);    // per-conversation budget
    EXPECT_EQ(a.admit(small), 3u);  // whole
    EXPECT_EQ(a.admit(big), 4u);    // what is left of the cap
    EXPECT_EQ(a.admit(small), 0u);
    EXPECT_EQ(a.admitted_packets(), 12u);
    EXPECT_EQ(a.conversations_full(), 1u);
    EXPECT_EQ(a.conversations_truncated(), 2u);
    EXPECT_EQ(a.conversations_omitted(), 1u);
}

TEST(PacketWriter, MergesConversationsInTimeOrder) {
    test::TempDir dir;
    std::vector<std::pair<std::int64_t, std::uint32_t>> got;  // (time, IP total length)
    {
        core::PcapWriter pcap(dir / "p.pcap");
        PacketStream s(pcap);
        s.add(conv(1, {Burst{1'000'000, 1'000'900, 10, 1000, 0}}), 10);
        s.add(conv(2, {Burst{1'000'050, 1'000'050, 1, 28, 0}, Burst{1'000'300, 1'002'000, 3, 300, 0}}), 4);
        s.add(conv(0, {Burst{1'000'300, 1'000'300, 1, 50, 0}}), 1);  // ties with conversation 2: lower id first
        s.finish();
        EXPECT_EQ(s.packets_written(), 15u);
        EXPECT_EQ(s.peak_active(), 3u);
        pcap.commit();
    }
    core::PcapReader r(dir / "p.pcap");
    core::Frame f;
    while (r.next_frame(f)) got.emplace_back(f.ts_ns / 1000, static_cast<std::uint32_t>(f.data[16] << 8 | f.data[17]));
    ASSERT_EQ(got.size(), 15u);
    for (std::size_t i = 1; i < got.size(); ++i) EXPECT_LE(got[i - 1].first, got[i].first) << i;
    EXPECT_EQ(got[1], (std::pair<std::int64_t, std::uint32_t>{1'000'050, 28}));
    // At 1'000'300 three conversations tie: in id order 0 (50 bytes), 1 and 2 (100 each).
    std::vector<std::uint32_t> at300;
    for (const auto& [t, len] : got)
        if (t == 1'000'300) at300.push_back(len);
    EXPECT_EQ(at300, (std::vector<std::uint32_t>{50, 100, 100}));
}

// Every layout, both families, at its smallest size and a larger one: the IP packet in the
// frame is exactly the truth's size (IPv4 total length / IPv6 payload length + 40).
TEST(PacketWriter, EveryLayoutHasTheTruthsSize) {
    struct Kind {
        std::uint8_t proto;
        std::uint16_t dport;
        std::uint8_t flags;
        std::uint64_t l4;  ///< smallest transport header
    };
    const std::vector<Kind> kinds = {
        {6, 443, 0x02, 40}, {6, 443, 0x12, 24}, {6, 443, 0x10, 20}, {6, 443, 0x11, 20}, {6, 443, 0x04, 20},
        {17, 53, 0, 8},     {47, 0, 0, 0},
    };
    test::TempDir dir;
    std::vector<std::uint64_t> sizes;
    {
        core::PcapWriter pcap(dir / "p.pcap");
        PacketStream s(pcap);
        std::uint64_t id = 0;
        std::int64_t t = 1'000'000;
        for (const bool v6 : {false, true}) {
            std::vector<Kind> all = kinds;
            all.push_back(Kind{static_cast<std::uint8_t>(v6 ? 58 : 1), static_cast<std::uint16_t>(v6 ? 128 << 8 : 8 << 8), 0, 8});
            all.push_back(Kind{static_cast<std::uint8_t>(v6 ? 58 : 1), static_cast<std::uint16_t>(v6 ? 1 << 8 | 4 : 3 << 8 | 3), 0, 8});
            for (const Kind& k : all) {
                for (const std::uint64_t extra : {0, 1, 1000}) {
                    const std::uint64_t size = (v6 ? 40 : 20) + k.l4 + extra;
                    Conversation c = conv(id++, {Burst{t, t, 1, size, k.flags}}, k.proto);
                    c.key.dport = k.dport;
                    if (v6) {
                        const std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
                        const std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
                        c.key.src = core::IpAddress::v6_bytes(a);
                        c.key.dst = core::IpAddress::v6_bytes(b);
                    }
                    ASSERT_NO_THROW(s.add(c, 1)) << "proto " << int(k.proto) << " size " << size;
                    sizes.push_back(size);
                    t += 10;
                }
            }
        }
        ASSERT_NO_THROW(s.finish());
        pcap.commit();
    }
    core::PcapReader r(dir / "p.pcap");
    core::Frame f;
    std::size_t i = 0;
    while (r.next_frame(f)) {
        ASSERT_LT(i, sizes.size());
        const bool v6 = f.data[12] == 0x86 && f.data[13] == 0xdd;
        const std::uint64_t ip_len = v6 ? 40u + (f.data[18] << 8 | f.data[19]) : (f.data[16] << 8 | f.data[17]);
        EXPECT_EQ(ip_len, sizes[i]) << "packet " << i;
        EXPECT_EQ(f.data.size(), 14 + sizes[i]) << "packet " << i;
        ++i;
    }
    EXPECT_EQ(i, sizes.size());
}

TEST(PacketWriter, RefusesWhatPacketsCannotCarry) {
    test::TempDir dir;
    core::PcapWriter pcap(dir / "p.pcap");
    PacketStream s(pcap);
    // 30 bytes cannot hold an IPv4 and a TCP header.
    s.add(conv(1, {Burst{10, 10, 1, 30, 0x10}}, 6), 1);
    EXPECT_THROW(s.finish(), Error);
    PacketStream t(pcap);
    t.add(conv(2, {Burst{100, 100, 1, 60, 0}}), 1);
    EXPECT_THROW(t.add(conv(3, {Burst{50, 50, 1, 60, 0}}), 1), Error);  // out of start order
}

}  // namespace
}  // namespace flowlab::gen
