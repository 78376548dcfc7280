/// @brief FlowRecord field access by Field, so writers, readers and the matcher can loop over columns.
#include "flowlab/core/flow_record.hpp"

#include <deque>
#include <mutex>
#include <string>
#include <unordered_set>

namespace flowlab::core {

std::string_view intern_name(std::string_view text) {
    if (text.empty()) return {};
    // Names are few (one per interface or VRF of each exporter), so one lock is cheap enough;
    // the deque keeps every string where it is while the set grows.
    static std::mutex mutex;
    static std::deque<std::string> storage;
    static std::unordered_set<std::string_view> index;
    const std::lock_guard lock(mutex);
    if (auto it = index.find(text); it != index.end()) return *it;
    const std::string_view kept = storage.emplace_back(text);
    index.insert(kept);
    return kept;
}

std::optional<Field> field_from_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kFieldCount; ++i)
        if (kFieldNames[i] == name) return static_cast<Field>(i);
    return std::nullopt;
}

std::uint64_t FlowRecord::number(Field f) const noexcept {
    switch (f) {
    case Field::exporter:
    case Field::src:
    case Field::dst:
    case Field::next_hop:
    case Field::tunnel_src:
    case Field::tunnel_dst:
    case Field::in_if_name:
    case Field::out_if_name:
    case Field::vrf_in:
    case Field::vrf_out: return 0;
    case Field::vrf_in_id: return vrf_in_id;
    case Field::vrf_out_id: return vrf_out_id;
    case Field::sampling_algorithm: return sampling_algorithm;
    case Field::domain: return domain;
    case Field::sport: return sport;
    case Field::dport: return dport;
    case Field::proto: return proto;
    case Field::tos: return tos;
    case Field::tcp_flags: return tcp_flags;
    case Field::packets: return packets;
    case Field::bytes: return bytes;
    case Field::first_ms: return static_cast<std::uint64_t>(first_ms);
    case Field::last_ms: return static_cast<std::uint64_t>(last_ms);
    case Field::in_if: return in_if;
    case Field::out_if: return out_if;
    case Field::src_as: return src_as;
    case Field::dst_as: return dst_as;
    case Field::src_mask: return src_mask;
    case Field::dst_mask: return dst_mask;
    case Field::icmp_type: return icmp_type;
    case Field::icmp_code: return icmp_code;
    case Field::end_reason: return end_reason;
    case Field::sampling_interval: return sampling_interval;
    case Field::version: return version;
    case Field::sequence: return sequence;
    case Field::template_id: return template_id;
    case Field::export_ms: return static_cast<std::uint64_t>(export_ms);
    }
    return 0;
}

void FlowRecord::set_number(Field f, std::uint64_t v) noexcept {
    const auto u8 = static_cast<std::uint8_t>(v);
    const auto u16 = static_cast<std::uint16_t>(v);
    const auto u32 = static_cast<std::uint32_t>(v);
    const auto i64 = static_cast<std::int64_t>(v);
    switch (f) {
    case Field::exporter:
    case Field::src:
    case Field::dst:
    case Field::next_hop:
    case Field::tunnel_src:
    case Field::tunnel_dst:
    case Field::in_if_name:
    case Field::out_if_name:
    case Field::vrf_in:
    case Field::vrf_out: return;  // not numeric: leave the record (and its presence) alone
    case Field::vrf_in_id: vrf_in_id = u32; break;
    case Field::vrf_out_id: vrf_out_id = u32; break;
    case Field::sampling_algorithm: sampling_algorithm = u16; break;
    case Field::domain: domain = u32; break;
    case Field::sport: sport = u16; break;
    case Field::dport: dport = u16; break;
    case Field::proto: proto = u8; break;
    case Field::tos: tos = u8; break;
    case Field::tcp_flags: tcp_flags = u16; break;
    case Field::packets: packets = v; break;
    case Field::bytes: bytes = v; break;
    case Field::first_ms: first_ms = i64; break;
    case Field::last_ms: last_ms = i64; break;
    case Field::in_if: in_if = u32; break;
    case Field::out_if: out_if = u32; break;
    case Field::src_as: src_as = u32; break;
    case Field::dst_as: dst_as = u32; break;
    case Field::src_mask: src_mask = u8; break;
    case Field::dst_mask: dst_mask = u8; break;
    case Field::icmp_type: icmp_type = u8; break;
    case Field::icmp_code: icmp_code = u8; break;
    case Field::end_reason: end_reason = u8; break;
    case Field::sampling_interval: sampling_interval = v; break;
    case Field::version: version = u8; break;
    case Field::sequence: sequence = u32; break;
    case Field::template_id: template_id = u16; break;
    case Field::export_ms: export_ms = i64; break;
    }
    present.set(f);
}

const IpAddress* FlowRecord::address(Field f) const noexcept {
    switch (f) {
    case Field::exporter: return &exporter;
    case Field::src: return &src;
    case Field::dst: return &dst;
    case Field::next_hop: return &next_hop;
    case Field::tunnel_src: return &tunnel_src;
    case Field::tunnel_dst: return &tunnel_dst;
    default: return nullptr;
    }
}

std::string_view FlowRecord::text(Field f) const noexcept {
    switch (f) {
    case Field::in_if_name: return in_if_name;
    case Field::out_if_name: return out_if_name;
    case Field::vrf_in: return vrf_in;
    case Field::vrf_out: return vrf_out;
    default: return {};
    }
}

void FlowRecord::set_text(Field f, std::string_view interned) noexcept {
    switch (f) {
    case Field::in_if_name: in_if_name = interned; break;
    case Field::out_if_name: out_if_name = interned; break;
    case Field::vrf_in: vrf_in = interned; break;
    case Field::vrf_out: vrf_out = interned; break;
    default: return;
    }
    present.set(f);
}

void FlowRecord::set_address(Field f, const IpAddress& a) noexcept {
    switch (f) {
    case Field::exporter: exporter = a; break;
    case Field::src: src = a; break;
    case Field::dst: dst = a; break;
    case Field::next_hop: next_hop = a; break;
    case Field::tunnel_src: tunnel_src = a; break;
    case Field::tunnel_dst: tunnel_dst = a; break;
    default: return;  // not an address field
    }
    present.set(f);
}

FieldSet differing_fields(const FlowRecord& a, const FlowRecord& b, FieldSet which) noexcept {
    FieldSet out;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (!which.has(f)) continue;
        const bool ha = a.has(f), hb = b.has(f);
        if (ha != hb) {
            out.set(f);
        } else if (ha) {
            const bool same = is_address_field(f) ? *a.address(f) == *b.address(f)
                              : is_text_field(f)  ? a.text(f) == b.text(f)
                                                  : a.number(f) == b.number(f);
            if (!same) out.set(f);
        }
    }
    return out;
}

}  // namespace flowlab::core
