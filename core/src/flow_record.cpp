/// @brief FlowRecord field access by Field, so writers, readers and the matcher can loop over columns.
#include "flowlab/core/flow_record.hpp"

#include "flow_record_layout.hpp"

#include <deque>
#include <mutex>
#include <string>
#include <type_traits>
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

namespace {

/// The one list of numeric fields: calls `use` with the member that holds `f` and returns true,
/// or returns false for an address or name field. Every field is named, so a new one that is
/// not listed here fails to compile (-Wswitch) instead of reading as 0.
template <class Record, class Use>
bool with_numeric_member(Record& r, Field f, Use&& use) noexcept {
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
    case Field::vrf_out: return false;
    case Field::vrf_in_id: use(r.vrf_in_id); return true;
    case Field::vrf_out_id: use(r.vrf_out_id); return true;
    case Field::sampling_algorithm: use(r.sampling_algorithm); return true;
    case Field::domain: use(r.domain); return true;
    case Field::sport: use(r.sport); return true;
    case Field::dport: use(r.dport); return true;
    case Field::proto: use(r.proto); return true;
    case Field::tos: use(r.tos); return true;
    case Field::tcp_flags: use(r.tcp_flags); return true;
    case Field::packets: use(r.packets); return true;
    case Field::bytes: use(r.bytes); return true;
    case Field::first_ms: use(r.first_ms); return true;
    case Field::last_ms: use(r.last_ms); return true;
    case Field::in_if: use(r.in_if); return true;
    case Field::out_if: use(r.out_if); return true;
    case Field::src_as: use(r.src_as); return true;
    case Field::dst_as: use(r.dst_as); return true;
    case Field::src_mask: use(r.src_mask); return true;
    case Field::dst_mask: use(r.dst_mask); return true;
    case Field::icmp_type: use(r.icmp_type); return true;
    case Field::icmp_code: use(r.icmp_code); return true;
    case Field::end_reason: use(r.end_reason); return true;
    case Field::sampling_interval: use(r.sampling_interval); return true;
    case Field::version: use(r.version); return true;
    case Field::sequence: use(r.sequence); return true;
    case Field::template_id: use(r.template_id); return true;
    case Field::export_ms: use(r.export_ms); return true;
    }
    return false;
}

}  // namespace

std::uint64_t FlowRecord::number(Field f) const noexcept {
    std::uint64_t value = 0;
    with_numeric_member(*this, f, [&](const auto& member) { value = static_cast<std::uint64_t>(member); });
    return value;
}

void FlowRecord::set_number(Field f, std::uint64_t v) noexcept {
    // Not numeric: leave the record (and its presence) alone.
    if (!with_numeric_member(*this, f, [&](auto& member) {
            member = static_cast<std::remove_reference_t<decltype(member)>>(v);
        }))
        return;
    present.set(f);
}

FieldPlace field_place(Field f) noexcept {
    static const FlowRecord probe;
    const auto offset_of = [](const void* member) {
        return static_cast<std::uint16_t>(static_cast<const unsigned char*>(member) -
                                          reinterpret_cast<const unsigned char*>(&probe));
    };
    if (const IpAddress* a = probe.address(f)) return {offset_of(a), static_cast<std::uint8_t>(sizeof(IpAddress))};
    FieldPlace place;
    with_numeric_member(probe, f, [&](const auto& member) {
        place = {offset_of(&member), static_cast<std::uint8_t>(sizeof member)};
    });
    return place;
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
