/// @brief Compact in-memory records for the truth side of a verification.
///
/// A FlowRecord is ~190 bytes (four addresses, an `extra` vector); truth sets of tens of
/// millions of records are held in memory while collected records stream past, so the
/// exporter and next hop (few distinct values) are interned and the record packed to ~136 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::verify::detail {

/// IpAddress equality in two 8-byte comparisons: its == calls memcmp for the 16 bytes, and
/// matching compares several addresses for every collected record.
inline bool same_address(const core::IpAddress& x, const core::IpAddress& y) noexcept {
    std::uint64_t a[2], b[2];
    std::memcpy(a, x.bytes().data(), 16);
    std::memcpy(b, y.bytes().data(), 16);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0 && x.is_v4() == y.is_v4() && x.is_v6() == y.is_v6();
}

/// Interned addresses; id 0 is "no address".
class AddressTable {
public:
    AddressTable() { list_.emplace_back(); }
    std::uint32_t intern(const core::IpAddress& a) {
        if (!a.is_set()) return 0;
        // Exporters and next hops are few: a small table by hash answers most lookups with one
        // comparison (a list of the last few, scanned, missed whenever there were more of them).
        std::uint32_t& slot = recent_[(a.hash() * 0x9E3779B97F4A7C15ull) >> (64 - kRecentBits)];
        if (slot && same_address(list_[slot], a)) return slot;
        auto [it, fresh] = ids_.try_emplace(a, static_cast<std::uint32_t>(list_.size()));
        if (fresh) list_.push_back(a);
        slot = it->second;
        return slot;
    }
    const core::IpAddress& at(std::uint32_t id) const noexcept { return list_[id]; }
    std::size_t size() const noexcept { return list_.size(); }
    /// Names (interfaces, VRFs) are interned the same way; id 0 is "no name".
    std::uint32_t intern_name(std::string_view n) {
        if (n.empty()) return 0;
        if (names_.empty()) names_.emplace_back();
        auto [it, fresh] = name_ids_.try_emplace(n, static_cast<std::uint32_t>(names_.size()));
        if (fresh) names_.push_back(n);
        return it->second;
    }
    std::string_view name(std::uint32_t id) const noexcept { return id < names_.size() ? names_[id] : std::string_view(); }

private:
    std::vector<std::string_view> names_;  // views of core::intern_name storage (process lifetime)
    std::unordered_map<std::string_view, std::uint32_t> name_ids_;
    std::vector<core::IpAddress> list_;
    std::unordered_map<core::IpAddress, std::uint32_t> ids_;
    static constexpr unsigned kRecentBits = 6;
    std::array<std::uint32_t, std::size_t{1} << kRecentBits> recent_{};
};

struct PackedRecord {
    std::uint64_t packets = 0, bytes = 0;
    std::int64_t first_ms = 0, last_ms = 0, export_ms = 0;
    std::uint64_t present = 0;
    std::uint64_t sampling_interval = 0;
    std::uint32_t domain = 0, sequence = 0, in_if = 0, out_if = 0, src_as = 0, dst_as = 0;
    std::uint32_t exporter_id = 0, next_hop_id = 0, tunnel_src_id = 0, tunnel_dst_id = 0;
    std::uint32_t vrf_in_id = 0, vrf_out_id = 0, in_if_name = 0, out_if_name = 0, vrf_in = 0, vrf_out = 0;
    std::uint16_t sport = 0, dport = 0, template_id = 0, tcp_flags = 0, sampling_algorithm = 0;
    std::uint8_t proto = 0, tos = 0, src_mask = 0, dst_mask = 0, icmp_type = 0, icmp_code = 0, end_reason = 0,
                 version = 0;
    core::IpAddress src, dst;

    bool has(core::Field f) const noexcept { return (present >> static_cast<unsigned>(f)) & 1u; }
};

/// The members PackedRecord keeps as FlowRecord does, listed once: pack() copies them one way
/// and unpack() the other, so a member added to one list cannot be missed by the other.
template <class Packed, class Flow, class Copy>
void for_each_plain_member(Packed& p, Flow& r, Copy&& copy) {
    copy(p.packets, r.packets);
    copy(p.bytes, r.bytes);
    copy(p.first_ms, r.first_ms);
    copy(p.last_ms, r.last_ms);
    copy(p.export_ms, r.export_ms);
    copy(p.domain, r.domain);
    copy(p.sequence, r.sequence);
    copy(p.in_if, r.in_if);
    copy(p.out_if, r.out_if);
    copy(p.src_as, r.src_as);
    copy(p.dst_as, r.dst_as);
    copy(p.sampling_interval, r.sampling_interval);
    copy(p.vrf_in_id, r.vrf_in_id);
    copy(p.vrf_out_id, r.vrf_out_id);
    copy(p.sampling_algorithm, r.sampling_algorithm);
    copy(p.sport, r.sport);
    copy(p.dport, r.dport);
    copy(p.template_id, r.template_id);
    copy(p.proto, r.proto);
    copy(p.tos, r.tos);
    copy(p.tcp_flags, r.tcp_flags);
    copy(p.src_mask, r.src_mask);
    copy(p.dst_mask, r.dst_mask);
    copy(p.icmp_type, r.icmp_type);
    copy(p.icmp_code, r.icmp_code);
    copy(p.end_reason, r.end_reason);
    copy(p.version, r.version);
    copy(p.src, r.src);
    copy(p.dst, r.dst);
}

inline PackedRecord pack(const core::FlowRecord& r, AddressTable& table) {
    PackedRecord p;
    for_each_plain_member(p, r, [](auto& packed, const auto& flow) { packed = flow; });
    p.present = r.present.bits();
    p.exporter_id = r.has(core::Field::exporter) ? table.intern(r.exporter) : 0;
    p.next_hop_id = r.has(core::Field::next_hop) ? table.intern(r.next_hop) : 0;
    p.tunnel_src_id = r.has(core::Field::tunnel_src) ? table.intern(r.tunnel_src) : 0;
    p.tunnel_dst_id = r.has(core::Field::tunnel_dst) ? table.intern(r.tunnel_dst) : 0;
    p.in_if_name = table.intern_name(r.in_if_name);
    p.out_if_name = table.intern_name(r.out_if_name);
    p.vrf_in = table.intern_name(r.vrf_in);
    p.vrf_out = table.intern_name(r.vrf_out);
    return p;
}

inline void unpack(const PackedRecord& p, const AddressTable& table, core::FlowRecord& r) {
    for_each_plain_member(p, r, [](const auto& packed, auto& flow) { flow = packed; });
    r.present = core::FieldSet::from_bits(p.present);
    r.exporter = table.at(p.exporter_id);
    r.next_hop = table.at(p.next_hop_id);
    r.tunnel_src = table.at(p.tunnel_src_id);
    r.tunnel_dst = table.at(p.tunnel_dst_id);
    r.in_if_name = table.name(p.in_if_name);
    r.out_if_name = table.name(p.out_if_name);
    r.vrf_in = table.name(p.vrf_in);
    r.vrf_out = table.name(p.vrf_out);
    r.extra.clear();
}

inline core::FlowRecord unpack(const PackedRecord& p, const AddressTable& table) {
    core::FlowRecord r;
    unpack(p, table, r);
    return r;
}

/// The truth records as held for matching: 64 bytes a record instead of PackedRecord's 136.
/// What few records share (the exporter, next hop, domain, version, template, sampling, names,
/// VRFs, masks and which fields are present) is interned as a context; flow times are kept as
/// distances from the export time, counters and interfaces in 32 and 16 bits, IPv4 addresses in
/// place and IPv6 ones in a side table. A record whose values do not fit is kept whole beside.
class TruthStore {
public:
    std::size_t size() const noexcept { return records_.size(); }
    void reserve(std::size_t n) { records_.reserve(n); }

    void push_back(const PackedRecord& p) {
        Compact c;
        if (!compact(p, c)) {
            c = Compact{};
            c.flags = kWide;
            c.context = static_cast<std::uint32_t>(wide_.size());
            wide_.push_back(p);
        }
        records_.push_back(c);
    }

    /// The record as stored (every member as pack() left it).
    PackedRecord get(std::size_t idx) const noexcept {
        const Compact& c = records_[idx];
        if (c.flags & kWide) return wide_[c.context];
        const Context& x = contexts_[c.context];
        PackedRecord p;
        p.packets = c.packets;
        p.bytes = c.bytes;
        p.export_ms = c.export_ms;
        p.first_ms = time_of(c.export_ms, c.first_delta);
        p.last_ms = time_of(c.export_ms, c.last_delta);
        p.present = x.present;
        p.sampling_interval = x.sampling_interval;
        p.domain = x.domain;
        p.sequence = c.sequence;
        p.in_if = c.in_if;
        p.out_if = c.out_if;
        p.src_as = c.src_as;
        p.dst_as = c.dst_as;
        p.exporter_id = x.exporter_id;
        p.next_hop_id = x.next_hop_id;
        p.tunnel_src_id = x.tunnel_src_id;
        p.tunnel_dst_id = x.tunnel_dst_id;
        p.vrf_in_id = x.vrf_in_id;
        p.vrf_out_id = x.vrf_out_id;
        p.in_if_name = x.in_if_name;
        p.out_if_name = x.out_if_name;
        p.vrf_in = x.vrf_in;
        p.vrf_out = x.vrf_out;
        p.sport = c.sport;
        p.dport = c.dport;
        p.template_id = x.template_id;
        p.tcp_flags = c.tcp_flags;
        p.sampling_algorithm = x.sampling_algorithm;
        p.proto = c.proto;
        p.tos = c.tos;
        p.src_mask = x.src_mask;
        p.dst_mask = x.dst_mask;
        p.icmp_type = c.icmp_type;
        p.icmp_code = c.icmp_code;
        p.end_reason = c.end_reason;
        p.version = x.version;
        p.src = address(c.flags, c.src);
        p.dst = address(static_cast<std::uint8_t>(c.flags >> 2), c.dst);
        return p;
    }
    /// The record as a FlowRecord, the same as unpack(get(idx), table, r) without the copy.
    void unpack(std::size_t idx, const AddressTable& table, core::FlowRecord& r) const {
        const Compact& c = records_[idx];
        if (c.flags & kWide) {
            detail::unpack(wide_[c.context], table, r);
            return;
        }
        const Context& x = contexts_[c.context];
        r.packets = c.packets;
        r.bytes = c.bytes;
        r.export_ms = c.export_ms;
        r.first_ms = time_of(c.export_ms, c.first_delta);
        r.last_ms = time_of(c.export_ms, c.last_delta);
        r.sampling_interval = x.sampling_interval;
        r.domain = x.domain;
        r.sequence = c.sequence;
        r.in_if = c.in_if;
        r.out_if = c.out_if;
        r.src_as = c.src_as;
        r.dst_as = c.dst_as;
        r.vrf_in_id = x.vrf_in_id;
        r.vrf_out_id = x.vrf_out_id;
        r.sport = c.sport;
        r.dport = c.dport;
        r.template_id = x.template_id;
        r.tcp_flags = c.tcp_flags;
        r.sampling_algorithm = x.sampling_algorithm;
        r.proto = c.proto;
        r.tos = c.tos;
        r.src_mask = x.src_mask;
        r.dst_mask = x.dst_mask;
        r.icmp_type = c.icmp_type;
        r.icmp_code = c.icmp_code;
        r.end_reason = c.end_reason;
        r.version = x.version;
        r.src = address(c.flags, c.src);
        r.dst = address(static_cast<std::uint8_t>(c.flags >> 2), c.dst);
        r.present = core::FieldSet::from_bits(x.present);
        r.exporter = table.at(x.exporter_id);
        r.next_hop = table.at(x.next_hop_id);
        r.tunnel_src = table.at(x.tunnel_src_id);
        r.tunnel_dst = table.at(x.tunnel_dst_id);
        r.in_if_name = table.name(x.in_if_name);
        r.out_if_name = table.name(x.out_if_name);
        r.vrf_in = table.name(x.vrf_in);
        r.vrf_out = table.name(x.vrf_out);
        r.extra.clear();
    }
    core::FlowRecord unpack_record(std::size_t idx, const AddressTable& table) const {
        core::FlowRecord r;
        unpack(idx, table, r);
        return r;
    }
    /// What a flow key is made of, for hashing a stored record without unpacking it.
    struct Key {
        core::IpAddress src, dst;
        std::uint64_t present;
        std::uint16_t sport, dport;
        std::uint8_t proto;
        bool has(core::Field f) const noexcept { return (present >> static_cast<unsigned>(f)) & 1u; }
    };
    Key key(std::size_t idx) const noexcept {
        const Compact& c = records_[idx];
        if (c.flags & kWide) {
            const PackedRecord& p = wide_[c.context];
            return Key{p.src, p.dst, p.present, p.sport, p.dport, p.proto};
        }
        return Key{address(c.flags, c.src), address(static_cast<std::uint8_t>(c.flags >> 2), c.dst), contexts_[c.context].present,
                   c.sport, c.dport, c.proto};
    }
    /// The members the per-exporter counts and the loss analysis read, for every record.
    struct Meta {
        std::uint64_t present;
        std::int64_t first_ms, export_ms;
        std::uint32_t exporter_id, domain, sequence;
        std::uint8_t version;
        bool has(core::Field f) const noexcept { return (present >> static_cast<unsigned>(f)) & 1u; }
    };
    Meta meta(std::size_t idx) const noexcept {
        const Compact& c = records_[idx];
        if (c.flags & kWide) {
            const PackedRecord& p = wide_[c.context];
            return Meta{p.present, p.first_ms, p.export_ms, p.exporter_id, p.domain, p.sequence, p.version};
        }
        const Context& x = contexts_[c.context];
        return Meta{x.present, time_of(c.export_ms, c.first_delta), c.export_ms, x.exporter_id, x.domain, c.sequence, x.version};
    }
    /// The flow start as the index orders by it (`none` when the record has none).
    std::int64_t first_or(std::size_t idx, std::int64_t none) const noexcept {
        const Compact& c = records_[idx];
        if (c.flags & kWide) {
            const PackedRecord& p = wide_[c.context];
            return p.has(core::Field::first_ms) ? p.first_ms : none;
        }
        if (!((contexts_[c.context].present >> static_cast<unsigned>(core::Field::first_ms)) & 1u)) return none;
        return time_of(c.export_ms, c.first_delta);
    }
    std::uint32_t exporter_id(std::size_t idx) const noexcept {
        const Compact& c = records_[idx];
        return c.flags & kWide ? wide_[c.context].exporter_id : contexts_[c.context].exporter_id;
    }
    const void* address_of(std::size_t idx) const noexcept { return &records_[idx]; }
    /// Records kept whole (values outside the compact layout) and distinct contexts.
    std::size_t wide_records() const noexcept { return wide_.size(); }
    std::size_t contexts() const noexcept { return contexts_.size(); }
    /// Bytes a record takes in the compact layout (for the memory estimate).
    static constexpr std::size_t kRecordBytes = 64;

private:
    static constexpr std::uint8_t kWide = 0x80;
    static constexpr std::int32_t kZeroTime = std::numeric_limits<std::int32_t>::min();
    enum : std::uint8_t { kNone = 0, kV4 = 1, kV6 = 2 };
    struct Compact {
        std::int64_t export_ms;
        std::int32_t first_delta, last_delta;  ///< export_ms - time; kZeroTime: the time is 0
        std::uint32_t packets, bytes;
        std::uint32_t src, dst;  ///< IPv4 value, or index in v6_
        std::uint32_t sequence, context;  ///< context: index in contexts_, or in wide_ for a wide record
        std::uint32_t src_as, dst_as;
        std::uint16_t in_if, out_if, sport, dport, tcp_flags;
        std::uint8_t proto, tos, icmp_type, icmp_code, end_reason;
        std::uint8_t flags;  ///< bits 0-1 src family, 2-3 dst family, kWide
    };
    static_assert(sizeof(Compact) == kRecordBytes);
    struct Context {
        std::uint64_t present, sampling_interval;
        std::uint32_t domain, exporter_id, next_hop_id, tunnel_src_id, tunnel_dst_id, vrf_in_id, vrf_out_id, in_if_name,
            out_if_name, vrf_in, vrf_out;
        std::uint16_t template_id, sampling_algorithm;
        std::uint8_t version, src_mask, dst_mask, pad = 0;
        bool operator==(const Context&) const = default;
    };
    struct ContextHash {
        std::size_t operator()(const Context& x) const noexcept {
            std::uint64_t h = x.present * 0x9E3779B97F4A7C15ull;
            for (std::uint64_t v : {std::uint64_t{x.exporter_id}, x.sampling_interval, std::uint64_t{x.domain},
                                    std::uint64_t{x.next_hop_id}, std::uint64_t{x.template_id} << 16 | x.version,
                                    std::uint64_t{x.src_mask} << 8 | x.dst_mask})
                h = (h ^ v) * 0xC2B2AE3D27D4EB4Full;
            return static_cast<std::size_t>(h ^ (h >> 29));
        }
    };

    static std::int64_t time_of(std::int64_t export_ms, std::int32_t delta) noexcept {
        return delta == kZeroTime ? 0 : export_ms - delta;
    }
    static bool delta_of(std::int64_t export_ms, std::int64_t t, std::int32_t& out) noexcept {
        if (t == 0) {
            out = kZeroTime;
            return true;
        }
        std::int64_t d;
        if (__builtin_sub_overflow(export_ms, t, &d) || d <= kZeroTime || d > std::numeric_limits<std::int32_t>::max()) return false;
        out = static_cast<std::int32_t>(d);
        return true;
    }
    bool address_code(const core::IpAddress& a, std::uint32_t& value, std::uint8_t& family) {
        if (a.is_v4()) {
            value = a.v4_value();
            family = kV4;
        } else if (a.is_v6()) {
            if (v6_.size() >= std::numeric_limits<std::uint32_t>::max()) return false;
            value = static_cast<std::uint32_t>(v6_.size());
            v6_.push_back(a);
            family = kV6;
        } else {
            value = 0;
            family = kNone;
        }
        return true;
    }
    core::IpAddress address(std::uint8_t family, std::uint32_t value) const noexcept {
        switch (family & 3u) {
            case kV4: return core::IpAddress::v4(value);
            case kV6: return v6_[value];
            default: return core::IpAddress();
        }
    }
    bool compact(const PackedRecord& p, Compact& c) {
        constexpr std::uint64_t u32 = std::numeric_limits<std::uint32_t>::max();
        constexpr std::uint32_t u16 = std::numeric_limits<std::uint16_t>::max();
        if (p.packets > u32 || p.bytes > u32 || p.in_if > u16 || p.out_if > u16) return false;
        if (!delta_of(p.export_ms, p.first_ms, c.first_delta) || !delta_of(p.export_ms, p.last_ms, c.last_delta)) return false;
        // An address must come back as it was: an unset one with bytes left in it cannot.
        for (const core::IpAddress* a : {&p.src, &p.dst})
            if (!a->is_set() && !a->is_unspecified()) return false;
        Context x{p.present, p.sampling_interval, p.domain, p.exporter_id, p.next_hop_id, p.tunnel_src_id, p.tunnel_dst_id,
                  p.vrf_in_id, p.vrf_out_id, p.in_if_name, p.out_if_name, p.vrf_in, p.vrf_out, p.template_id,
                  p.sampling_algorithm, p.version, p.src_mask, p.dst_mask};
        c.context = context_id(x);
        c.export_ms = p.export_ms;
        c.packets = static_cast<std::uint32_t>(p.packets);
        c.bytes = static_cast<std::uint32_t>(p.bytes);
        c.sequence = p.sequence;
        c.src_as = p.src_as;
        c.dst_as = p.dst_as;
        c.in_if = static_cast<std::uint16_t>(p.in_if);
        c.out_if = static_cast<std::uint16_t>(p.out_if);
        c.sport = p.sport;
        c.dport = p.dport;
        c.tcp_flags = p.tcp_flags;
        c.proto = p.proto;
        c.tos = p.tos;
        c.icmp_type = p.icmp_type;
        c.icmp_code = p.icmp_code;
        c.end_reason = p.end_reason;
        std::uint8_t fs = 0, fd = 0;
        const std::size_t v6_before = v6_.size();
        if (!address_code(p.src, c.src, fs) || !address_code(p.dst, c.dst, fd)) {
            v6_.resize(v6_before);
            return false;
        }
        c.flags = static_cast<std::uint8_t>(fs | fd << 2);
        return true;
    }
    std::uint32_t context_id(const Context& x) {
        // Records of a few exporters interleave: the last few contexts answer most lookups.
        for (std::uint32_t id : recent_)
            if (id < contexts_.size() && contexts_[id] == x) return id;
        auto [it, fresh] = context_ids_.try_emplace(x, static_cast<std::uint32_t>(contexts_.size()));
        if (fresh) contexts_.push_back(x);
        recent_[next_recent_++ % recent_.size()] = it->second;
        return it->second;
    }

    std::vector<Compact> records_;
    std::vector<Context> contexts_;
    std::unordered_map<Context, std::uint32_t, ContextHash> context_ids_;
    std::array<std::uint32_t, 8> recent_{~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u};
    std::size_t next_recent_ = 0;
    std::vector<core::IpAddress> v6_;
    std::vector<PackedRecord> wide_;
};

/// Line numbers of stored records without a number per record: breakpoints where the
/// record→line relation jumps (block starts, blank lines).
class LineMap {
public:
    void add(std::uint64_t index, std::uint64_t line) {
        if (!points_.empty()) {
            const auto& b = points_.back();
            if (b.line + (index - b.index) == line) return;  // already implied
        }
        points_.push_back({index, line});
    }
    std::uint64_t line(std::uint64_t index) const noexcept {
        std::size_t lo = 0, hi = points_.size();
        while (hi - lo > 1) {
            const std::size_t mid = (lo + hi) / 2;
            if (points_[mid].index <= index) lo = mid;
            else hi = mid;
        }
        if (points_.empty()) return index + 1;
        return points_[lo].line + (index - points_[lo].index);
    }

private:
    struct Point {
        std::uint64_t index, line;
    };
    std::vector<Point> points_;
};

}  // namespace flowlab::verify::detail
