/// @brief Template compilation and per-field encoding/decoding shared by encoder and decoder.
#include "field_codec.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <type_traits>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/calendar.hpp"
#include "flowlab/core/wire_writer.hpp"
#include "flow_record_layout.hpp"

namespace flowlab::core::detail {
namespace {

constexpr std::int64_t kNtpUnixOffset = 2208988800;  // seconds from 1900-01-01 to 1970-01-01

std::uint64_t max_for(std::size_t len) noexcept {
    return len >= 8 ? std::numeric_limits<std::uint64_t>::max() : (std::uint64_t{1} << (8 * len)) - 1;
}

Op op_for(const IeInfo& info) {
    switch (info.role) {
        case IeRole::none:
        case IeRole::interface_name:
        case IeRole::interface_description:
        case IeRole::vrf_name: return Op::skip;
        case IeRole::start_uptime: return Op::uptime_start;
        case IeRole::end_uptime: return Op::uptime_end;
        case IeRole::start_seconds:
        case IeRole::end_seconds: return Op::time_seconds;
        case IeRole::start_micro:
        case IeRole::end_micro: return Op::time_micro;
        case IeRole::start_nano:
        case IeRole::end_nano: return Op::time_nano;
        case IeRole::start_delta_micro:
        case IeRole::end_delta_micro: return Op::delta_micro;
        case IeRole::system_init_ms: return Op::system_init;
        case IeRole::icmp_type_code: return Op::icmp_type_code;
        case IeRole::sampling: return Op::sampling;
        case IeRole::sampling_space: return Op::sampling_space;
        case IeRole::sampling_size: return Op::sampling_size;
        case IeRole::sampling_population: return Op::sampling_population;
        case IeRole::sampling_probability: return Op::sampling_probability;
        case IeRole::sampling_algorithm: return Op::sampling_algorithm;
        case IeRole::sampler_id: return Op::sampler_id;
        case IeRole::padding: return Op::padding;
        case IeRole::field: break;
    }
    switch (info.type) {
        case IeType::ipv4_address: return Op::address4;
        case IeType::ipv6_address: return Op::address6;
        case IeType::date_time_milliseconds: return Op::time_millis;
        default: return Op::number;
    }
}

static_assert(std::is_standard_layout_v<FlowRecord>, "read_record stores columns at their byte offsets (field_place)");
static_assert(std::is_trivially_copyable_v<IpAddress>, "read_record copies addresses by bytes");

/// FlowRecord::set_number without its switch: the value truncated to the member's width, as
/// set_number does (signed times take the same bits).
inline void store_number(FlowRecord& r, const FieldOp& op, std::uint64_t v) noexcept {
    auto* at = reinterpret_cast<unsigned char*>(&r) + op.member_offset;
    switch (op.member_width) {
        case 1: {
            const auto x = static_cast<std::uint8_t>(v);
            std::memcpy(at, &x, 1);
            break;
        }
        case 2: {
            const auto x = static_cast<std::uint16_t>(v);
            std::memcpy(at, &x, 2);
            break;
        }
        case 4: {
            const auto x = static_cast<std::uint32_t>(v);
            std::memcpy(at, &x, 4);
            break;
        }
        case 8: std::memcpy(at, &v, 8); break;
        default: r.set_number(op.field, v); return;  // not a numeric column: set_number ignores it
    }
    r.present.set(op.field);
}

inline void store_address(FlowRecord& r, const FieldOp& op, const IpAddress& a) noexcept {
    if (op.member_width != sizeof(IpAddress)) {
        r.set_address(op.field, a);
        return;
    }
    std::memcpy(reinterpret_cast<unsigned char*>(&r) + op.member_offset, &a, sizeof a);
    r.present.set(op.field);
}

/// FlowRecord::number without its switch: the member at its offset, widened (signed times
/// give their two's-complement bits, as number() does).
inline std::uint64_t load_number(const FlowRecord& r, const FieldOp& op) noexcept {
    const auto* at = reinterpret_cast<const unsigned char*>(&r) + op.member_offset;
    const auto as = [at](auto x) -> std::uint64_t {
        std::memcpy(&x, at, sizeof x);
        return x;
    };
    switch (op.member_width) {
        case 1: return as(std::uint8_t{});
        case 2: return as(std::uint16_t{});
        case 4: return as(std::uint32_t{});
        case 8: return as(std::uint64_t{});
        default: return r.number(op.field);  // not a numeric column: number() says 0
    }
}

/// store_be_n with the usual widths unrolled (the loop is per byte).
inline void store_be_width(std::uint8_t* p, std::uint64_t v, std::size_t len) noexcept {
    switch (len) {
        case 1: p[0] = static_cast<std::uint8_t>(v); break;
        case 2: store_be16(p, static_cast<std::uint16_t>(v)); break;
        case 4: store_be32(p, static_cast<std::uint32_t>(v)); break;
        case 8: store_be64(p, v); break;
        default: store_be_n(p, v, len); break;
    }
}

/// load_be_n with the usual widths unrolled (the loop is per byte).
inline std::uint64_t load_be_width(const std::uint8_t* v, std::size_t len) noexcept {
    switch (len) {
        case 1: return v[0];
        case 2: return load_be16(v);
        case 4: return load_be32(v);
        case 8: return load_be64(v);
        default: return load_be_n(v, len);
    }
}

double load_float(const std::uint8_t* v, std::size_t len) noexcept {
    if (len == 4) {
        const std::uint32_t bits = load_be32(v);
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    }
    const std::uint64_t bits = load_be64(v);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
}

/// How read_record takes the values it reads. write_record's direct truth hands the values it
/// writes to the same functions, so the two paths differ only in where a value comes from.
inline void take_number(PartialRecord& out, const FieldOp& op, std::uint64_t v, bool occurrences) {
    if (occurrences && op.family) out.family_numbers.push_back({op.field, op.family, v});
    else store_number(out.rec, op, v);
    if (op.field == Field::icmp_type || op.field == Field::icmp_code) out.has_icmp_field = true;
}

inline void take_address(PartialRecord& out, const FieldOp& op, const IpAddress& a, std::uint8_t family,
                         bool occurrences) {
    if (occurrences) out.addresses.push_back({op.field, family, a});
    else store_address(out.rec, op, a);
}

inline void take_icmp_type_code(PartialRecord& out, const FieldOp& op, std::uint64_t tc, bool occurrences) {
    if (occurrences && op.family) {
        out.family_numbers.push_back({Field::icmp_type, op.family, (tc >> 8) & 0xFF});
        out.family_numbers.push_back({Field::icmp_code, op.family, tc & 0xFF});
    } else {
        out.rec.set_number(Field::icmp_type, (tc >> 8) & 0xFF);
        out.rec.set_number(Field::icmp_code, tc & 0xFF);
    }
    out.has_icmp_field = true;
}

/// The values finish_record and settle_sampling use later: relative times, sampling elements.
inline void take_scalar(PartialRecord& out, const FieldOp& op, std::uint64_t v) noexcept {
    switch (op.op) {
        case Op::delta_micro:
            if (op.field == Field::first_ms) {
                out.start_delta_us = v;
                out.has_start_delta = true;
            } else {
                out.end_delta_us = v;
                out.has_end_delta = true;
            }
            break;
        case Op::uptime_start:
            out.start_uptime = v;
            out.has_start_uptime = true;
            break;
        case Op::uptime_end:
            out.end_uptime = v;
            out.has_end_uptime = true;
            break;
        case Op::system_init:
            out.system_init_ms = static_cast<std::int64_t>(v);
            out.has_system_init = true;
            break;
        case Op::sampling:
            out.sampling = v;
            out.has_sampling = true;
            out.sampling_is_packet_interval = op.id == ie::samplingPacketInterval;
            break;
        case Op::sampling_space:
            out.sampling_space = v;
            out.has_sampling_space = true;
            break;
        case Op::sampling_size:
            out.sampling_size = v;
            out.has_sampling_size = true;
            break;
        case Op::sampling_population:
            out.sampling_population = v;
            out.has_sampling_population = true;
            break;
        case Op::sampling_algorithm:
            out.sampling_algorithm = op.id == ie::selectorAlgorithm ? static_cast<std::uint16_t>(std::min<std::uint64_t>(v, 0xFFFF))
                                                                    : psamp_algorithm_from_v9(v);
            out.has_sampling_algorithm = true;
            break;
        case Op::sampler_id:
            out.sampler_id = v;
            out.has_sampler_id = true;
            break;
        case Op::v9_scope_interface: out.rec.set_number(Field::in_if, v); break;
        default: break;
    }
}

/// What read_record makes of the sampling elements it read: one 1-in-N from 34/50, 305/306,
/// 309/310 or 311. The direct truth of write_record ends the same way.
void settle_sampling(PartialRecord& p) noexcept {
    // A rate of 0 says nothing (exporters fill unused sampling fields with 0).
    if (p.has_sampling && p.sampling == 0 && !(p.has_sampling_space && p.sampling_space > 0)) p.has_sampling = false;
    if (p.has_sampling_space && p.sampling_space == 0 && !p.has_sampling) p.has_sampling_space = false;
    // RFC 5477 8.2.2/8.2.3: samplingPacketInterval packets are selected, then
    // samplingPacketSpace skipped: 1 in (interval + space) / interval, to the nearest integer.
    if (p.has_sampling && p.sampling_is_packet_interval && p.has_sampling_space && p.sampling > 0) {
        const std::uint64_t i = p.sampling;
        p.sampling = (i + p.sampling_space + i / 2) / i;
    } else if (!p.has_sampling && p.has_sampling_space) {
        // 306 alone: one packet selected per run (the usual exporter habit, e.g. softflowd).
        p.sampling = p.sampling_space + 1;
        p.has_sampling = true;
    }
    if (!p.has_sampling && p.has_sampling_size && p.has_sampling_population && p.sampling_size > 0) {
        // Random n-out-of-N (RFC 5477 8.2.4/8.2.5): 1 in N/n.
        p.sampling = (p.sampling_population + p.sampling_size / 2) / p.sampling_size;
        p.has_sampling = true;
    }
    if (!p.has_sampling && p.has_sampling_probability && p.sampling_probability > 0 &&
        p.sampling_probability <= 1) {
        p.sampling = static_cast<std::uint64_t>(1.0 / p.sampling_probability + 0.5);
        p.has_sampling = true;
    }
}

/// Whether read_record reads `op`'s field back as the value write_record puts there (see
/// CompiledTemplate::direct_truth).
bool direct_truth_op(const FieldOp& op) noexcept {
    switch (op.op) {
        case Op::skip:
        case Op::unknown:
        case Op::enterprise:
        case Op::padding: return true;  // bytes kept as they are, or nothing
        default: break;
    }
    if (op.variable) return false;
    switch (op.op) {
        case Op::address4: return op.length == 4;
        case Op::address6: return op.length == 16;
        case Op::time_seconds: return op.length == 4;
        case Op::time_millis:
        case Op::time_micro:
        case Op::time_nano:
        case Op::system_init: return op.length == 8;
        case Op::sampling_probability: return op.length == 4 || op.length == 8;
        default: return op.length >= 1 && op.length <= 8;
    }
}

}  // namespace

std::uint64_t ms_to_ntp(std::int64_t epoch_ms, bool micro_resolution) noexcept {
    const std::int64_t secs = floor_div(epoch_ms, 1000);
    const std::uint64_t rem_ms = static_cast<std::uint64_t>(epoch_ms - secs * 1000);
    // The fraction is rounded *up* to the next representable value, never to the nearest:
    // decoders that truncate (tshark shows 0.538 s rounded to nearest as .537999999; a
    // collector flooring to ms then reads 537) read the exact millisecond back, and decoders
    // that round do too, since the excess stays far below half a millisecond.
    std::uint64_t frac;
    if (micro_resolution) {
        // RFC 7011 6.1.9: microsecond resolution; the lower 11 fraction bits are left zero
        // (the excess is then below 2^11 / 2^32 s = 0.48 us).
        const std::uint64_t us = rem_ms * 1000;
        frac = ((us << 32) + 999'999) / 1'000'000;
        frac = (frac + 0x7FF) & ~std::uint64_t{0x7FF};
    } else {
        const std::uint64_t ns = rem_ms * 1'000'000;
        frac = ((ns << 32) + 999'999'999) / 1'000'000'000;
    }
    const auto ntp_secs = static_cast<std::uint64_t>(secs + kNtpUnixOffset) & 0xFFFFFFFFu;
    return (ntp_secs << 32) | (frac & 0xFFFFFFFFu);
}

std::int64_t ntp_to_ms(std::uint64_t ntp, bool micro_resolution) noexcept {
    const auto ntp_secs = static_cast<std::int64_t>(ntp >> 32);
    std::uint64_t frac = ntp & 0xFFFFFFFFu;
    // NTP era 1 starts in 2036: seconds below the Unix epoch offset belong to it (RFC 5905 6).
    std::int64_t unix_secs = ntp_secs - kNtpUnixOffset;
    if (unix_secs < 0) unix_secs += std::int64_t{1} << 32;
    std::int64_t sub_ms;
    if (micro_resolution) {
        frac &= ~std::uint64_t{0x7FF};  // RFC 7011 6.1.9: the lower 11 bits are ignored
        const std::uint64_t us = (frac * 1'000'000 + (std::uint64_t{1} << 31)) >> 32;
        sub_ms = static_cast<std::int64_t>(us / 1000);
    } else {
        const std::uint64_t ns = (frac * 1'000'000'000 + (std::uint64_t{1} << 31)) >> 32;
        sub_ms = static_cast<std::int64_t>(ns / 1'000'000);
    }
    return unix_secs * 1000 + sub_ms;
}

bool netscaler_micro_word(std::uint64_t wire) noexcept { return (wire & 0xFFFFFFFFu) < 1'000'000; }

std::int64_t netscaler_micro_to_ms(std::uint64_t wire) noexcept {
    std::int64_t unix_secs = static_cast<std::int64_t>(wire >> 32) - kNtpUnixOffset;
    if (unix_secs < 0) unix_secs += std::int64_t{1} << 32;  // NTP era 1, as in ntp_to_ms
    return unix_secs * 1000 + static_cast<std::int64_t>((wire & 0xFFFFFFFFu) / 1000);
}

std::uint64_t ms_to_netscaler_micro(std::int64_t epoch_ms) noexcept {
    const std::int64_t secs = floor_div(epoch_ms, 1000);
    const auto us = static_cast<std::uint64_t>(epoch_ms - secs * 1000) * 1000;
    const auto ntp_secs = static_cast<std::uint64_t>(secs + kNtpUnixOffset) & 0xFFFFFFFFu;
    return (ntp_secs << 32) | us;
}

std::int64_t micro_to_ms(std::uint64_t wire, bool netscaler) noexcept {
    return netscaler && netscaler_micro_word(wire) ? netscaler_micro_to_ms(wire) : ntp_to_ms(wire, true);
}

std::string compile_template(const Template& t, Protocol p, bool keep_extra, CompiledTemplate& out,
                             std::vector<std::string>& field_problems, const Registry& registry) {
    out = CompiledTemplate{};
    out.tmpl = t;
    out.protocol = p;
    out.options = t.scope_count > 0;
    if (t.fields.empty()) return "template has no fields";
    if (t.scope_count > t.fields.size()) return "scope field count exceeds field count";
    std::size_t min_len = 0;
    out.ops.reserve(t.fields.size());
    unsigned address_fills[kFieldCount] = {};
    bool family4 = false, family6 = false;
    for (std::size_t i = 0; i < t.fields.size(); ++i) {
        const FieldSpec& f = t.fields[i];
        FieldOp op;
        op.id = f.id;
        op.enterprise = f.enterprise;
        if (f.enterprise == kNetScalerPen) out.netscaler_micro = true;
        // 65535 is variable length in IPFIX (RFC 7011 7); H3C sends it in v9 too (VRFname),
        // where RFC 3954 has no variable length but no fixed field can be that long either.
        op.variable = f.length == kVariableLength;
        op.length = f.length;
        min_len += op.variable ? 1 : f.length;
        const bool is_scope = i < t.scope_count;
        op.info = (is_scope && p == Protocol::v9) ? nullptr : registry.find(f.enterprise, f.id);
        if (is_scope && p == Protocol::v9) {
            // v9 scope types (1 System, 2 Interface, 3 Line Card, 4 Cache, 5 Template) are not
            // elements; an Interface scope names the ifIndex the options describe.
            op.op = f.id == 2 && !op.variable && f.length >= 1 && f.length <= 8 ? Op::v9_scope_interface : Op::skip;
        } else if (f.enterprise != 0 && !op.info) {
            op.op = Op::enterprise;
            op.keep = keep_extra;
            ++out.enterprise_fields;
        } else if (const IeInfo* info = op.info) {
            if (f.enterprise != 0) ++out.enterprise_fields;
            if (f.length == 0) {
                op.op = Op::skip;  // an empty value carries nothing to interpret
            } else if (!op.variable && !ie_length_allowed(*info, f.length)) {
                field_problems.push_back("element " + std::string(info->qualified) + " (" + std::to_string(f.id) + ", " +
                                         std::string(ie_type_name(info->type)) + ") sent in " +
                                         std::to_string(f.length) + " bytes; kept as raw bytes");
                op.op = Op::skip;
            } else if (op.variable && info->type != IeType::string && info->type != IeType::octet_array &&
                       info->type != IeType::basic_list && info->type != IeType::sub_template_list &&
                       info->type != IeType::sub_template_multi_list) {
                field_problems.push_back("element " + std::string(info->qualified) + " (" + std::to_string(f.id) +
                                         ") sent as variable length; kept as raw bytes");
                op.op = Op::skip;
            } else {
                op.op = op_for(*info);
                op.field = info->field;
                op.family = info->family;
            }
            if (op.op == Op::skip) op.keep = keep_extra;
        } else {
            op.op = Op::unknown;
            op.keep = keep_extra;
            ++out.unknown_fields;
        }
        const FieldPlace m = field_place(op.field);
        const bool is_address = is_address_field(op.field);
        // Only where read_record stores into op.field, and only when the widths agree with
        // what set_number/set_address would do (a numeric op never stores an address).
        if ((op.op == Op::address4 || op.op == Op::address6) == is_address && m.width &&
            (!is_address || m.width == sizeof(IpAddress))) {
            op.member_offset = m.offset;
            op.member_width = m.width;
        }
        if (op.variable) out.variable = true;
        if (op.op == Op::sampling_space) out.has_sampling_space = true;
        if (op.op == Op::address4 || op.op == Op::address6) ++address_fills[static_cast<std::size_t>(op.field)];
        if (op.family == 4) family4 = true;
        if (op.family == 6) family6 = true;
        out.ops.push_back(op);
    }
    if (min_len > 65535) return "record length " + std::to_string(min_len) + " exceeds 65535";
    if (min_len == 0) return "every field has length 0: records would be empty";
    out.min_length = min_len;
    out.direct_truth = std::all_of(out.ops.begin(), out.ops.end(), direct_truth_op);
    out.occurrences = family4 && family6;
    for (unsigned n : address_fills)
        if (n > 1) out.occurrences = true;
    return {};
}

std::size_t read_record(const CompiledTemplate& t, const std::uint8_t* p, std::size_t avail, PartialRecord& out) {
    if (avail < t.min_length) return 0;
    FlowRecord& r = out.rec;
    const bool occurrences = t.occurrences;
    const std::span<const std::uint8_t> record(p, avail);
    std::size_t pos = 0;
    for (const FieldOp& op : t.ops) {
        std::size_t len = op.length;
        if (!read_field_extent(record, op.variable, pos, len)) return 0;
        const std::uint8_t* v = p + pos;
        pos += len;
        switch (op.op) {
            case Op::number: take_number(out, op, load_be_width(v, len), occurrences); break;
            case Op::address4: take_address(out, op, IpAddress::v4_bytes(v), 4, occurrences); break;
            case Op::address6: take_address(out, op, IpAddress::v6_bytes(v), 6, occurrences); break;
            case Op::time_seconds: store_number(r, op, load_be32(v) * std::uint64_t{1000}); break;
            case Op::time_millis: store_number(r, op, load_be64(v)); break;
            case Op::time_micro:
                store_number(r, op, static_cast<std::uint64_t>(micro_to_ms(load_be64(v), t.netscaler_micro)));
                break;
            case Op::time_nano: store_number(r, op, static_cast<std::uint64_t>(ntp_to_ms(load_be64(v), false))); break;
            case Op::system_init: take_scalar(out, op, load_be64(v)); break;
            case Op::icmp_type_code: take_icmp_type_code(out, op, load_be_n(v, len), occurrences); break;
            case Op::delta_micro:
            case Op::uptime_start:
            case Op::uptime_end:
            case Op::sampling:
            case Op::sampling_space:
            case Op::sampling_size:
            case Op::sampling_population:
            case Op::sampling_algorithm:
            case Op::sampler_id:
            case Op::v9_scope_interface: take_scalar(out, op, load_be_n(v, len)); break;
            case Op::sampling_probability:
                out.sampling_probability = load_float(v, len);
                out.has_sampling_probability = true;
                break;
            case Op::padding: break;
            case Op::skip:
            case Op::unknown:
            case Op::enterprise:
                if (op.keep) r.extra.push_back(ExtraField{op.enterprise, op.id, std::vector<std::uint8_t>(v, v + len)});
                break;
        }
    }
    settle_sampling(out);
    return pos;
}

std::int64_t resolve_uptime(std::int64_t base, std::uint64_t rel, std::int64_t export_ms) noexcept {
    constexpr std::int64_t kWrap = std::int64_t{1} << 32;
    const auto r = static_cast<std::int64_t>(rel & 0xFFFFFFFFu);
    if (rel > 0xFFFFFFFFu) return base + static_cast<std::int64_t>(rel);  // a wide field does not wrap here
    const std::int64_t k = floor_div(export_ms - base - r + kWrap / 2, kWrap);
    return base + r + k * kWrap;
}

std::uint16_t psamp_algorithm_from_v9(std::uint64_t v) noexcept {
    switch (v) {
        case 1: return 1;  // deterministic -> systematic count-based
        case 2: return 3;  // random -> random n-out-of-N
        default: return 0;
    }
}

const Sampler* OptionsTables::only_sampler() const noexcept {
    if (unnamed_sampler && samplers.empty()) return &*unnamed_sampler;
    if (!unnamed_sampler && samplers.size() == 1) return &samplers.begin()->second;
    return nullptr;
}


bool finish_record(PartialRecord& p, std::uint16_t template_id, const MessageContext& ctx,
                   SamplingSource* sampling_source) {
    FlowRecord& r = p.rec;
    r.set_address(Field::exporter, ctx.exporter);
    r.set_number(Field::domain, ctx.domain);
    r.set_number(Field::sequence, ctx.sequence);
    r.set_number(Field::export_ms, static_cast<std::uint64_t>(ctx.export_ms));
    r.set_number(Field::version, static_cast<std::uint64_t>(ctx.protocol));
    if (ctx.protocol != Protocol::v5) r.set_number(Field::template_id, template_id);
    if (!p.addresses.empty() || !p.family_numbers.empty()) resolve_repeated_elements(p.addresses, p.family_numbers, r);

    bool resolved = true;
    if (p.has_start_uptime || p.has_end_uptime) {
        bool have_base = true;
        std::int64_t base = 0;
        if (p.has_system_init) {
            base = p.system_init_ms;
        } else if (ctx.protocol != Protocol::ipfix && ctx.has_boot) {
            base = ctx.boot_ms;
        } else if (ctx.protocol == Protocol::ipfix && ctx.has_session_system_init) {
            base = ctx.session_system_init_ms;
        } else {
            have_base = false;
        }
        if (have_base) {
            if (p.has_start_uptime && !r.has(Field::first_ms))
                r.set_number(Field::first_ms, static_cast<std::uint64_t>(resolve_uptime(base, p.start_uptime, ctx.export_ms)));
            if (p.has_end_uptime && !r.has(Field::last_ms))
                r.set_number(Field::last_ms, static_cast<std::uint64_t>(resolve_uptime(base, p.end_uptime, ctx.export_ms)));
        } else {
            resolved = r.has(Field::first_ms) && r.has(Field::last_ms);
        }
    }
    // 158/159: microseconds before the export time (RFC 7011: relative to the message header).
    if (p.has_start_delta && !r.has(Field::first_ms))
        r.set_number(Field::first_ms, static_cast<std::uint64_t>(
                                          floor_div(ctx.export_ms * 1000 - static_cast<std::int64_t>(p.start_delta_us), 1000)));
    if (p.has_end_delta && !r.has(Field::last_ms))
        r.set_number(Field::last_ms, static_cast<std::uint64_t>(
                                         floor_div(ctx.export_ms * 1000 - static_cast<std::int64_t>(p.end_delta_us), 1000)));
    // v5, and v9/IPFIX exporters without an ICMP element, carry type*256+code in the
    // destination port (the Cisco convention every collector follows).
    if (!p.has_icmp_field && r.has(Field::proto) && r.has(Field::dport) && (r.proto == 1 || r.proto == 58)) {
        r.set_number(Field::icmp_type, r.dport >> 8);
        r.set_number(Field::icmp_code, r.dport & 0xFF);
    }
    SamplingSource source = SamplingSource::none;
    const OptionsTables* tables = ctx.tables;
    if (p.has_sampling) {
        r.set_number(Field::sampling_interval, p.sampling);
        if (p.has_sampling_algorithm) r.set_number(Field::sampling_algorithm, p.sampling_algorithm);
        source = SamplingSource::record;
    } else if (p.has_sampler_id && tables) {
        if (auto it = tables->samplers.find(p.sampler_id); it != tables->samplers.end()) {
            if (it->second.interval) r.set_number(Field::sampling_interval, it->second.interval);
            if (it->second.algorithm) r.set_number(Field::sampling_algorithm, it->second.algorithm);
            source = it->second.interval ? SamplingSource::named : SamplingSource::unknown_id;
        } else {
            source = SamplingSource::unknown_id;
        }
    } else if (const Sampler* only = tables ? tables->only_sampler() : nullptr; only && only->interval) {
        r.set_number(Field::sampling_interval, only->interval);
        if (only->algorithm) r.set_number(Field::sampling_algorithm, only->algorithm);
        source = SamplingSource::only;
    } else if (ctx.has_session_sampling) {
        r.set_number(Field::sampling_interval, ctx.session_sampling);
        if (ctx.session_sampling_algorithm) r.set_number(Field::sampling_algorithm, ctx.session_sampling_algorithm);
        source = SamplingSource::header;
    }
    if (p.has_sampling_algorithm && !r.has(Field::sampling_algorithm))
        r.set_number(Field::sampling_algorithm, p.sampling_algorithm);
    if (sampling_source) *sampling_source = source;
    if (tables) join_names(*tables, r);
    return resolved;
}

void join_names(const OptionsTables& tables, FlowRecord& r) {
    if (!tables.interfaces.empty()) {
        if (r.has(Field::in_if))
            if (auto it = tables.interfaces.find(r.in_if); it != tables.interfaces.end())
                r.set_text(Field::in_if_name, it->second);
        if (r.has(Field::out_if))
            if (auto it = tables.interfaces.find(r.out_if); it != tables.interfaces.end())
                r.set_text(Field::out_if_name, it->second);
    }
    if (!tables.vrfs.empty()) {
        if (r.has(Field::vrf_in_id))
            if (auto it = tables.vrfs.find(r.vrf_in_id); it != tables.vrfs.end()) r.set_text(Field::vrf_in, it->second);
        if (r.has(Field::vrf_out_id))
            if (auto it = tables.vrfs.find(r.vrf_out_id); it != tables.vrfs.end())
                r.set_text(Field::vrf_out, it->second);
    }
}

std::size_t record_size(const CompiledTemplate& t, const FlowRecord& r) {
    if (!t.variable) return t.min_length;
    std::size_t n = 0;
    for (const FieldOp& op : t.ops) {
        if (!op.variable) {
            n += op.length;
            continue;
        }
        std::size_t len = 0;
        for (const auto& e : r.extra)
            if (e.id == op.id && e.enterprise == op.enterprise) {
                len = e.value.size();
                break;
            }
        n += (len < 255 ? 1 : 3) + len;
    }
    return n;
}

namespace {

/// write_record, and with kTruth also what read_record would read from the bytes it writes
/// (into `truth`, which the caller has reset): each value goes to the take_* function
/// read_record hands it to, as written rather than read from the bytes. Only for templates
/// with `direct_truth`, whose every field read_record reads back as the value written (no
/// widths over 8 bytes, no variable-length numbers); tests/core/direct_truth_test.cpp checks
/// this against read_record over every shipped dialect and every element form.
template <bool kTruth>
std::size_t write_record_impl(const CompiledTemplate& t, const FlowRecord& r, std::int64_t boot_ms,
                              std::uint64_t sampling_interval, std::uint8_t* out, std::uint64_t& clamped,
                              PartialRecord* truth) {
    std::size_t pos = 0;
    [[maybe_unused]] const bool occurrences = t.occurrences;
    auto put_uint = [&](std::uint64_t v, std::size_t len) {
        if (v > max_for(len)) {
            v = max_for(len);
            ++clamped;
        }
        store_be_width(out + pos, v, len);
        return v;
    };
    // The bytes of a field read_record keeps in FlowRecord::extra.
    auto keep_bytes = [&](const FieldOp& op, std::size_t len) {
        if constexpr (kTruth)
            if (op.keep) truth->rec.extra.push_back(ExtraField{op.enterprise, op.id, std::vector<std::uint8_t>(out + pos, out + pos + len)});
    };
    for (const FieldOp& op : t.ops) {
        const std::size_t len = op.length;
        if (op.variable) {
            const ExtraField* found = nullptr;
            for (const auto& e : r.extra)
                if (e.id == op.id && e.enterprise == op.enterprise) {
                    found = &e;
                    break;
                }
            const std::size_t n = found ? found->value.size() : 0;
            if (n > 65535) return 0;
            pos += store_field_length_prefix(out + pos, n);
            if (n) std::memcpy(out + pos, found->value.data(), n);
            keep_bytes(op, n);
            pos += n;
            continue;
        }
        switch (op.op) {
            case Op::number: {
                const std::uint64_t v = put_uint(r.has(op.field) ? load_number(r, op) : 0, len);
                if constexpr (kTruth) take_number(*truth, op, v, occurrences);
                break;
            }
            case Op::address4: {
                const IpAddress* a = r.address(op.field);
                if (a && a->is_v4()) std::memcpy(out + pos, a->bytes().data(), 4);
                else std::memset(out + pos, 0, 4);
                if constexpr (kTruth) take_address(*truth, op, IpAddress::v4_bytes(out + pos), 4, occurrences);
                break;
            }
            case Op::address6: {
                const IpAddress* a = r.address(op.field);
                if (a && a->is_v6()) std::memcpy(out + pos, a->bytes().data(), 16);
                else std::memset(out + pos, 0, 16);
                if constexpr (kTruth) take_address(*truth, op, IpAddress::v6_bytes(out + pos), 6, occurrences);
                break;
            }
            case Op::time_seconds: {
                const std::int64_t ms = op.field == Field::first_ms ? r.first_ms : r.last_ms;
                const std::int64_t s = floor_div(ms, 1000);
                if (s < 0 || s > 0xFFFFFFFFll) ++clamped;
                const auto secs = static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, 0, 0xFFFFFFFFll));
                store_be32(out + pos, secs);
                if constexpr (kTruth) store_number(truth->rec, op, secs * std::uint64_t{1000});
                break;
            }
            case Op::time_millis: {
                const auto ms = static_cast<std::uint64_t>(op.field == Field::first_ms ? r.first_ms : r.last_ms);
                store_be64(out + pos, ms);
                if constexpr (kTruth) store_number(truth->rec, op, ms);
                break;
            }
            case Op::time_micro:
            case Op::time_nano: {
                const std::int64_t ms = op.field == Field::first_ms ? r.first_ms : r.last_ms;
                const bool netscaler = op.op == Op::time_micro && t.netscaler_micro;
                const std::uint64_t wire = netscaler ? ms_to_netscaler_micro(ms) : ms_to_ntp(ms, op.op == Op::time_micro);
                store_be64(out + pos, wire);
                // The NTP fraction is rounded up, so the read-back can differ from `ms` near the
                // era limits: the truth takes the decoder's reading of the wire value.
                if constexpr (kTruth)
                    store_number(truth->rec, op,
                                 static_cast<std::uint64_t>(op.op == Op::time_micro ? micro_to_ms(wire, t.netscaler_micro)
                                                                                   : ntp_to_ms(wire, false)));
                break;
            }
            case Op::uptime_start:
            case Op::uptime_end: {
                const std::int64_t ms = op.op == Op::uptime_start ? r.first_ms : r.last_ms;
                std::int64_t rel = ms - boot_ms;
                if (rel < 0) {
                    rel = 0;
                    ++clamped;
                }
                const std::uint64_t v = put_uint(static_cast<std::uint64_t>(rel), len);
                if constexpr (kTruth) take_scalar(*truth, op, v);
                break;
            }
            case Op::system_init: {
                const std::uint64_t v = put_uint(static_cast<std::uint64_t>(boot_ms), len);
                if constexpr (kTruth) take_scalar(*truth, op, v);
                break;
            }
            case Op::icmp_type_code: {
                const std::uint64_t tc = put_uint((std::uint64_t{r.icmp_type} << 8) | r.icmp_code, len);
                if constexpr (kTruth) take_icmp_type_code(*truth, op, tc, occurrences);
                break;
            }
            // 1-in-N goes out as 34/50 = N, or as 305 = 1 and 306 = N - 1 (RFC 5477) when the
            // template also carries samplingPacketSpace.
            case Op::sampling: {
                const std::uint64_t v =
                    put_uint(op.id == ie::samplingPacketInterval && t.has_sampling_space ? 1 : sampling_interval, len);
                if constexpr (kTruth) take_scalar(*truth, op, v);
                break;
            }
            case Op::sampling_space: {
                const std::uint64_t v = put_uint(sampling_interval > 1 ? sampling_interval - 1 : 0, len);
                if constexpr (kTruth) take_scalar(*truth, op, v);
                break;
            }
            case Op::padding:
            case Op::delta_micro:
            case Op::sampling_size:
            case Op::sampling_population:
            case Op::sampling_probability:
            case Op::sampling_algorithm:
            case Op::v9_scope_interface:
                std::memset(out + pos, 0, len);
                // What read_record makes of zeros (padding: nothing).
                if constexpr (kTruth) {
                    if (op.op == Op::sampling_probability) {
                        truth->sampling_probability = 0;
                        truth->has_sampling_probability = true;
                    } else {
                        take_scalar(*truth, op, 0);
                    }
                }
                break;
            // The sampler the exporter's options record describes (id 1), as IOS XR names it in
            // every record; 0 (none) when not sampling.
            case Op::sampler_id: {
                const std::uint64_t v = put_uint(sampling_interval > 1 ? 1 : 0, len);
                if constexpr (kTruth) take_scalar(*truth, op, v);
                break;
            }
            case Op::skip:
            case Op::unknown:
            case Op::enterprise: {
                const ExtraField* found = nullptr;
                for (const auto& e : r.extra)
                    if (e.id == op.id && e.enterprise == op.enterprise) {
                        found = &e;
                        break;
                    }
                if (found && found->value.size() == len) std::memcpy(out + pos, found->value.data(), len);
                else std::memset(out + pos, 0, len);
                keep_bytes(op, len);
                break;
            }
        }
        pos += len;
    }
    if constexpr (kTruth) settle_sampling(*truth);
    return pos;
}

}  // namespace

std::size_t write_record(const CompiledTemplate& t, const FlowRecord& r, std::int64_t boot_ms,
                         std::uint64_t sampling_interval, std::uint8_t* out, std::uint64_t& clamped) {
    return write_record_impl<false>(t, r, boot_ms, sampling_interval, out, clamped, nullptr);
}

std::size_t write_record(const CompiledTemplate& t, const FlowRecord& r, std::int64_t boot_ms,
                         std::uint64_t sampling_interval, std::uint8_t* out, std::uint64_t& clamped,
                         PartialRecord& truth) {
    return write_record_impl<true>(t, r, boot_ms, sampling_interval, out, clamped, &truth);
}

void write_v5_record(const FlowRecord& r, std::int64_t boot_ms, std::uint8_t* out, std::uint64_t& clamped) {
    auto u32 = [&](std::uint64_t v) -> std::uint32_t {
        if (v > 0xFFFFFFFFu) {
            ++clamped;
            return 0xFFFFFFFFu;
        }
        return static_cast<std::uint32_t>(v);
    };
    auto u16 = [&](std::uint64_t v) -> std::uint16_t {
        if (v > 0xFFFFu) {
            ++clamped;
            return 0xFFFFu;
        }
        return static_cast<std::uint16_t>(v);
    };
    auto rel = [&](std::int64_t ms) -> std::uint32_t {
        const std::int64_t d = ms - boot_ms;
        if (d < 0) {
            ++clamped;
            return 0;
        }
        return u32(static_cast<std::uint64_t>(d));
    };
    auto addr = [&](const IpAddress& a, std::uint8_t* p) {
        if (a.is_v4()) std::memcpy(p, a.bytes().data(), 4);
        else std::memset(p, 0, 4);
    };
    addr(r.src, out + 0);
    addr(r.dst, out + 4);
    addr(r.next_hop, out + 8);
    store_be16(out + 12, u16(r.in_if));
    store_be16(out + 14, u16(r.out_if));
    store_be32(out + 16, u32(r.packets));
    store_be32(out + 20, u32(r.bytes));
    store_be32(out + 24, rel(r.first_ms));
    store_be32(out + 28, rel(r.last_ms));
    store_be16(out + 32, r.sport);
    // v5 has no ICMP fields: type*256+code travels in the destination port.
    const bool icmp = (r.proto == 1 || r.proto == 58) && (r.has(Field::icmp_type) || r.has(Field::icmp_code));
    store_be16(out + 34, icmp ? static_cast<std::uint16_t>((r.icmp_type << 8) | r.icmp_code) : r.dport);
    out[36] = 0;
    if (r.tcp_flags > 0xFF) ++clamped;  // v5 has one byte of TCP flags
    out[37] = static_cast<std::uint8_t>(r.tcp_flags);
    out[38] = r.proto;
    out[39] = r.tos;
    store_be16(out + 40, u16(r.src_as));
    store_be16(out + 42, u16(r.dst_as));
    out[44] = r.src_mask;
    out[45] = r.dst_mask;
    out[46] = 0;
    out[47] = 0;
}

void read_v5_record(const std::uint8_t* p, PartialRecord& out) {
    FlowRecord& r = out.rec;
    r.set_address(Field::src, IpAddress::v4_bytes(p + 0));
    r.set_address(Field::dst, IpAddress::v4_bytes(p + 4));
    r.set_address(Field::next_hop, IpAddress::v4_bytes(p + 8));
    r.set_number(Field::in_if, load_be16(p + 12));
    r.set_number(Field::out_if, load_be16(p + 14));
    r.set_number(Field::packets, load_be32(p + 16));
    r.set_number(Field::bytes, load_be32(p + 20));
    out.start_uptime = load_be32(p + 24);
    out.end_uptime = load_be32(p + 28);
    out.has_start_uptime = out.has_end_uptime = true;
    r.set_number(Field::sport, load_be16(p + 32));
    r.set_number(Field::dport, load_be16(p + 34));
    r.set_number(Field::tcp_flags, p[37]);
    r.set_number(Field::proto, p[38]);
    r.set_number(Field::tos, p[39]);
    r.set_number(Field::src_as, load_be16(p + 40));
    r.set_number(Field::dst_as, load_be16(p + 42));
    r.set_number(Field::src_mask, p[44]);
    r.set_number(Field::dst_mask, p[45]);
}

}  // namespace flowlab::core::detail
