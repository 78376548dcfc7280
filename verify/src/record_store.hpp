/// @brief Compact in-memory records for the truth side of a verification.
///
/// A FlowRecord is ~190 bytes (four addresses, an `extra` vector); truth sets of tens of
/// millions of records are held in memory while collected records stream past, so the
/// exporter and next hop (few distinct values) are interned and the record packed to ~136 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::verify::detail {

/// Interned addresses; id 0 is "no address".
class AddressTable {
public:
    AddressTable() { list_.emplace_back(); }
    std::uint32_t intern(const core::IpAddress& a) {
        if (!a.is_set()) return 0;
        // Exporters and next hops are few: the last few ids answer most lookups.
        for (std::uint32_t id : recent_)
            if (id && list_[id] == a) return id;
        auto [it, fresh] = ids_.try_emplace(a, static_cast<std::uint32_t>(list_.size()));
        if (fresh) list_.push_back(a);
        recent_[next_recent_++ % recent_.size()] = it->second;
        return it->second;
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
    std::array<std::uint32_t, 8> recent_{};
    std::size_t next_recent_ = 0;
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
