/// @brief `gen --packets`: k-way merge of conversation packet cursors, frames built with libtins.
#include "flowlab/gen/packet_writer.hpp"

#include <tins/tins.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "flowlab/core/error.hpp"

namespace flowlab::gen {

WrittenPart written_part(const Conversation& c, std::uint64_t packets) {
    WrittenPart w;
    for (const Burst& b : c.bursts) {
        if (w.packets == packets) break;
        const std::uint64_t n = std::min(b.packets, packets - w.packets);
        if (w.packets == 0) w.first_us = b.start_us;
        w.packets += n;
        w.bytes += b.bytes_before(n);
        w.tcp_flags |= b.tcp_flags;
        w.last_us = b.packet_time(n - 1);
    }
    return w;
}

std::uint64_t PacketAdmission::admit(const Conversation& c) noexcept {
    const std::uint64_t all = c.packets();
    const std::uint64_t room = budget_.max_packets - admitted_;
    const std::uint64_t n = std::min({all, budget_.per_conversation, room});
    admitted_ += n;
    if (n == all) ++full_;
    else if (n == 0) ++omitted_;
    else ++truncated_;
    return n;
}

namespace {

constexpr std::uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kIcmpV6 = 58;
constexpr std::uint8_t kSyn = 0x02, kAck = 0x10;

// SplitMix64: a sequence number base per conversation that differs between conversations
// but not between runs.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

Tins::HWAddress<6> mac(const core::IpAddress& a) {
    const auto m = core::mac_for(a);
    return Tins::HWAddress<6>(m.data());
}

/// The frame layouts, built once and refilled per packet: libtins then serializes (and
/// checksums) them without building a PDU chain per packet.
enum Layout : std::size_t { kTcpPlain, kTcpSynOptions, kTcpSynMss, kUdpL4, kIcmpL4, kOtherL4, kLayouts };

struct Stack {
    Tins::EthernetII frame;
    std::size_t l4_header = 0;  ///< transport header bytes (0 for an unknown protocol)
};

Stack make_stack(bool v6, Layout layout) {
    Tins::EthernetII eth;
    Tins::PDU* ip = v6 ? static_cast<Tins::PDU*>(new Tins::IPv6()) : static_cast<Tins::PDU*>(new Tins::IP());
    if (v6) static_cast<Tins::IPv6*>(ip)->hop_limit(64);
    else {
        static_cast<Tins::IP*>(ip)->ttl(64);
        static_cast<Tins::IP*>(ip)->flags(Tins::IP::DONT_FRAGMENT);
    }
    Tins::PDU* l4 = nullptr;
    std::size_t header = 0;
    switch (layout) {
        case kTcpPlain:
        case kTcpSynOptions:
        case kTcpSynMss: {
            auto* t = new Tins::TCP();
            t->window(65535);
            if (layout == kTcpSynOptions) {
                // What Linux puts in a SYN: 40 bytes of TCP header, as the models count them.
                t->mss(v6 ? 1440 : 1460);
                t->sack_permitted();
                t->timestamp(1, 0);
                t->winscale(7);
            } else if (layout == kTcpSynMss) {
                t->mss(v6 ? 1440 : 1460);
            }
            header = t->header_size();
            l4 = t;
            break;
        }
        case kUdpL4: l4 = new Tins::UDP(); header = 8; break;
        case kIcmpL4:
            if (v6) l4 = new Tins::ICMPv6(Tins::ICMPv6::ECHO_REQUEST);
            else l4 = new Tins::ICMP(Tins::ICMP::ECHO_REQUEST);
            header = 8;
            break;
        case kOtherL4:
        case kLayouts: break;
    }
    auto* raw = new Tins::RawPDU(std::vector<std::uint8_t>{});
    if (l4) {
        l4->inner_pdu(raw);
        ip->inner_pdu(l4);
    } else {
        ip->inner_pdu(raw);
    }
    eth.inner_pdu(ip);
    return Stack{std::move(eth), header};
}

}  // namespace

struct PacketStream::Impl {
    struct Cursor {
        Conversation conv;
        std::uint64_t limit = 0;    ///< packets to write
        std::uint64_t written = 0;  ///< packets written so far
        std::size_t burst = 0;
        std::uint64_t index = 0;  ///< packet index within the burst
        std::uint32_t seq = 0;
        std::uint32_t ack = 0;
        std::int64_t time() const noexcept { return conv.bursts[burst].packet_time(index); }
    };
    struct Entry {
        std::int64_t time;
        std::uint64_t id;
        std::uint32_t slot;
        // std::push_heap builds a max-heap: "less" means later.
        friend bool operator<(const Entry& a, const Entry& b) noexcept {
            return a.time != b.time ? a.time > b.time : a.id > b.id;
        }
    };

    explicit Impl(core::PcapWriter& p) : pcap(p) {
        for (std::size_t v = 0; v < 2; ++v)
            for (std::size_t l = 0; l < kLayouts; ++l) stacks[v][l] = make_stack(v == 1, static_cast<Layout>(l));
    }

    void add(const Conversation& c, std::uint64_t packets) {
        if (c.bursts.empty() || packets == 0) return;
        if (c.start_us() < last_start)
            throw Error("gen --packets: conversation " + std::to_string(c.id) + " starts before the one before it");
        last_start = c.start_us();
        drain_before(c.start_us());
        std::uint32_t slot;
        if (!free.empty()) {
            slot = free.back();
            free.pop_back();
        } else {
            slot = static_cast<std::uint32_t>(cursors.size());
            cursors.emplace_back();
        }
        Cursor& k = cursors[slot];
        k.conv.id = c.id;
        k.conv.activity = c.activity;
        k.conv.key = c.key;
        k.conv.bursts.assign(c.bursts.begin(), c.bursts.end());  // keeps the slot's capacity
        k.limit = packets;
        k.written = 0;
        k.burst = 0;
        k.index = 0;
        const std::uint64_t h = mix(c.id);
        k.seq = static_cast<std::uint32_t>(h);
        k.ack = static_cast<std::uint32_t>(h >> 32);
        heap.push_back(Entry{k.time(), c.id, slot});
        std::push_heap(heap.begin(), heap.end());
        peak = std::max(peak, heap.size());
    }

    void drain_before(std::int64_t t) {
        while (!heap.empty() && heap.front().time < t) step();
    }

    void step() {
        std::pop_heap(heap.begin(), heap.end());
        const Entry e = heap.back();
        heap.pop_back();
        Cursor& k = cursors[e.slot];
        const Burst& b = k.conv.bursts[k.burst];
        write(k, e.time, b.packet_size(k.index), b.tcp_flags);
        ++written;
        if (++k.written < k.limit) {
            if (++k.index == b.packets) {
                ++k.burst;
                k.index = 0;
            }
            heap.push_back(Entry{k.time(), e.id, e.slot});
            std::push_heap(heap.begin(), heap.end());
        } else {
            free.push_back(e.slot);
        }
    }

    void write(Cursor& k, std::int64_t time_us, std::uint64_t size, std::uint8_t flags) {
        const ConversationKey& key = k.conv.key;
        const bool v6 = key.src.is_v6();
        Layout layout = kOtherL4;
        const std::size_t ip_header = v6 ? 40 : 20;
        if (key.proto == kTcp) {
            layout = kTcpPlain;
            // A SYN carries the options the models sized it for, as far as its size allows.
            if (flags & kSyn) {
                if (size >= ip_header + 40) layout = kTcpSynOptions;
                else if (size >= ip_header + 24) layout = kTcpSynMss;
            }
        } else if (key.proto == kUdp) {
            layout = kUdpL4;
        } else if (key.proto == (v6 ? kIcmpV6 : kIcmp)) {
            layout = kIcmpL4;
        }
        Stack& s = stacks[v6 ? 1 : 0][layout];
        const std::size_t headers = ip_header + s.l4_header;
        if (size < headers || size > 65535)
            throw Error("gen --packets: conversation " + std::to_string(k.conv.id) + " has a " + std::to_string(size) +
                        "-byte packet; a " + (v6 ? "IPv6" : "IPv4") + " packet of protocol " +
                        std::to_string(key.proto) + " takes " + std::to_string(headers) +
                        "..65535 bytes, so the truth cannot be written as packets");
        const std::size_t payload = size - headers;

        Tins::EthernetII& eth = s.frame;
        eth.src_addr(mac(key.src));
        eth.dst_addr(mac(key.dst));
        if (v6) {
            auto& ip = eth.rfind_pdu<Tins::IPv6>();
            ip.src_addr(Tins::IPv6Address(key.src.bytes().data()));
            ip.dst_addr(Tins::IPv6Address(key.dst.bytes().data()));
            ip.traffic_class(key.tos);
            if (layout == kOtherL4) ip.next_header(key.proto);
        } else {
            auto& ip = eth.rfind_pdu<Tins::IP>();
            std::uint32_t src, dst;
            std::memcpy(&src, key.src.bytes().data(), 4);
            std::memcpy(&dst, key.dst.bytes().data(), 4);
            ip.src_addr(Tins::IPv4Address(src));
            ip.dst_addr(Tins::IPv4Address(dst));
            ip.tos(key.tos);
            ip.id(ip_id++);
            if (layout == kOtherL4) ip.protocol(key.proto);
        }
        switch (layout) {
            case kTcpPlain:
            case kTcpSynOptions:
            case kTcpSynMss: {
                auto& t = eth.rfind_pdu<Tins::TCP>();
                t.sport(key.sport);
                t.dport(key.dport);
                t.flags(flags);
                t.seq(k.seq);
                // The reverse direction's numbers are not modelled; the ACK number only has
                // to be stable within the conversation.
                t.ack_seq((flags & kAck) ? k.ack : 0);
                k.seq += static_cast<std::uint32_t>(payload) + ((flags & (kSyn | 0x01)) ? 1u : 0u);
                break;
            }
            case kUdpL4: {
                auto& u = eth.rfind_pdu<Tins::UDP>();
                u.sport(key.sport);
                u.dport(key.dport);
                break;
            }
            case kIcmpL4: {
                const auto type = static_cast<std::uint8_t>(key.dport >> 8);
                const auto code = static_cast<std::uint8_t>(key.dport & 0xff);
                const auto ident = static_cast<std::uint16_t>(k.ack);
                const auto sequence = static_cast<std::uint16_t>(k.written);
                if (v6) {
                    auto& i = eth.rfind_pdu<Tins::ICMPv6>();
                    i.type(static_cast<Tins::ICMPv6::Types>(type));
                    i.code(code);
                    i.identifier(ident);
                    i.sequence(sequence);
                } else {
                    auto& i = eth.rfind_pdu<Tins::ICMP>();
                    i.type(static_cast<Tins::ICMP::Flags>(type));
                    i.code(code);
                    i.id(ident);
                    i.sequence(sequence);
                }
                break;
            }
            case kOtherL4:
            case kLayouts: break;
        }
        eth.rfind_pdu<Tins::RawPDU>().payload().assign(payload, 0);
        const Tins::PDU::serialization_type bytes = eth.serialize();
        // Guards the truth against a libtins layout surprise (an ICMP type with a longer
        // header, options padding): the IP packet must be exactly the truth's size.
        if (bytes.size() != std::max<std::size_t>(14 + size, 60))
            throw Error("gen --packets: conversation " + std::to_string(k.conv.id) + ": built a " +
                        std::to_string(bytes.size() - 14) + "-byte IP packet for a " + std::to_string(size) +
                        "-byte truth packet (protocol " + std::to_string(key.proto) + ")");
        // libtins pads frames to Ethernet's 60-byte minimum. The padding is left out, as in a
        // capture taken on the sending host: softflowd counts the captured length after the
        // link header, not the IP total length, and would count padding as IP bytes.
        pcap.write_frame(time_us * 1000, std::span<const std::uint8_t>(bytes.data(), 14 + size));
    }

    core::PcapWriter& pcap;
    Stack stacks[2][kLayouts];
    std::vector<Cursor> cursors;
    std::vector<std::uint32_t> free;
    std::vector<Entry> heap;
    std::int64_t last_start = std::numeric_limits<std::int64_t>::min();
    std::uint64_t written = 0;
    std::size_t peak = 0;
    std::uint16_t ip_id = 0;
};

PacketStream::PacketStream(core::PcapWriter& pcap) : impl_(std::make_unique<Impl>(pcap)) {}
PacketStream::~PacketStream() = default;
void PacketStream::add(const Conversation& c, std::uint64_t packets) { impl_->add(c, packets); }
void PacketStream::finish() {
    while (!impl_->heap.empty()) impl_->step();
}
std::uint64_t PacketStream::packets_written() const noexcept { return impl_->written; }
std::size_t PacketStream::peak_active() const noexcept { return impl_->peak; }

}  // namespace flowlab::gen
