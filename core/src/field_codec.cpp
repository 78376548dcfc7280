/// @brief Template compilation and per-field encoding/decoding shared by encoder and decoder.
#include "field_codec.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/calendar.hpp"

namespace flowlab::core::detail {
namespace {

constexpr std::int64_t kNtpUnixOffset = 2208988800;  // seconds from 1900-01-01 to 1970-01-01

std::uint64_t max_for(std::size_t len) noexcept {
    return len >= 8 ? std::numeric_limits<std::uint64_t>::max() : (std::uint64_t{1} << (8 * len)) - 1;
}

Op op_for(const IeInfo& info) {
    switch (info.role) {
        case IeRole::none: return Op::skip;
        case IeRole::start_uptime: return Op::uptime_start;
        case IeRole::end_uptime: return Op::uptime_end;
        case IeRole::start_seconds:
        case IeRole::end_seconds: return Op::time_seconds;
        case IeRole::start_micro:
        case IeRole::end_micro: return Op::time_micro;
        case IeRole::start_nano:
        case IeRole::end_nano: return Op::time_nano;
        case IeRole::system_init_ms: return Op::system_init;
        case IeRole::icmp_type_code: return Op::icmp_type_code;
        case IeRole::sampling: return Op::sampling;
        case IeRole::sampling_space: return Op::sampling_space;
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

std::string compile_template(const Template& t, Protocol p, bool keep_extra, CompiledTemplate& out,
                             std::vector<std::string>& field_problems) {
    out = CompiledTemplate{};
    out.tmpl = t;
    out.protocol = p;
    out.options = t.scope_count > 0;
    if (t.fields.empty()) return "template has no fields";
    if (t.scope_count > t.fields.size()) return "scope field count exceeds field count";
    std::size_t min_len = 0;
    out.ops.reserve(t.fields.size());
    for (std::size_t i = 0; i < t.fields.size(); ++i) {
        const FieldSpec& f = t.fields[i];
        if (f.length == 0)
            return "field " + std::to_string(i + 1) + " (element " + std::to_string(f.id) + ") has length 0";
        FieldOp op;
        op.id = f.id;
        op.enterprise = f.enterprise;
        op.variable = (p == Protocol::ipfix && f.length == kVariableLength);
        op.length = f.length;
        min_len += op.variable ? 1 : f.length;
        const bool is_scope = i < t.scope_count;
        if (f.enterprise != 0) {
            op.op = Op::enterprise;
            op.keep = keep_extra;
            ++out.enterprise_fields;
        } else if (is_scope && p == Protocol::v9) {
            op.op = Op::skip;  // v9 scope types (System, Interface, ...) are not elements
        } else if (const IeInfo* info = find_ie(f.id)) {
            if (!op.variable && !ie_length_allowed(*info, f.length)) {
                field_problems.push_back("element " + std::to_string(f.id) + " (" + std::string(info->name) +
                                         ", " + std::string(ie_type_name(info->type)) + ") sent in " +
                                         std::to_string(f.length) + " bytes; skipped");
                op.op = Op::skip;
            } else if (op.variable && info->type != IeType::string && info->type != IeType::octet_array) {
                field_problems.push_back("element " + std::to_string(f.id) + " (" + std::string(info->name) +
                                         ") sent as variable length; skipped");
                op.op = Op::skip;
            } else {
                op.op = op_for(*info);
                op.field = info->field;
            }
            if (op.op == Op::skip) op.keep = keep_extra;
        } else {
            op.op = Op::unknown;
            op.keep = keep_extra;
            ++out.unknown_fields;
        }
        if (op.variable) out.variable = true;
        if (op.op == Op::sampling_space) out.has_sampling_space = true;
        out.ops.push_back(op);
    }
    if (min_len > 65535) return "record length " + std::to_string(min_len) + " exceeds 65535";
    out.min_length = min_len;
    return {};
}

std::size_t read_record(const CompiledTemplate& t, const std::uint8_t* p, std::size_t avail, PartialRecord& out) {
    if (avail < t.min_length) return 0;
    FlowRecord& r = out.rec;
    std::size_t pos = 0;
    for (const FieldOp& op : t.ops) {
        std::size_t len = op.length;
        if (op.variable) {
            if (pos + 1 > avail) return 0;
            len = p[pos++];
            if (len == 255) {
                if (pos + 2 > avail) return 0;
                len = load_be16(p + pos);
                pos += 2;
            }
        }
        if (pos + len > avail) return 0;
        const std::uint8_t* v = p + pos;
        pos += len;
        switch (op.op) {
            case Op::number: r.set_number(op.field, load_be_n(v, len)); break;
            case Op::address4: r.set_address(op.field, IpAddress::v4_bytes(v)); break;
            case Op::address6: r.set_address(op.field, IpAddress::v6_bytes(v)); break;
            case Op::time_seconds: r.set_number(op.field, load_be32(v) * std::uint64_t{1000}); break;
            case Op::time_millis: r.set_number(op.field, load_be64(v)); break;
            case Op::time_micro:
                r.set_number(op.field, static_cast<std::uint64_t>(ntp_to_ms(load_be64(v), true)));
                break;
            case Op::time_nano:
                r.set_number(op.field, static_cast<std::uint64_t>(ntp_to_ms(load_be64(v), false)));
                break;
            case Op::uptime_start:
                out.start_uptime = load_be_n(v, len);
                out.has_start_uptime = true;
                break;
            case Op::uptime_end:
                out.end_uptime = load_be_n(v, len);
                out.has_end_uptime = true;
                break;
            case Op::system_init:
                out.system_init_ms = static_cast<std::int64_t>(load_be64(v));
                out.has_system_init = true;
                break;
            case Op::icmp_type_code: {
                const std::uint64_t tc = load_be_n(v, len);
                r.set_number(Field::icmp_type, (tc >> 8) & 0xFF);
                r.set_number(Field::icmp_code, tc & 0xFF);
                out.has_icmp_field = true;
                break;
            }
            case Op::sampling:
                out.sampling = static_cast<std::uint32_t>(std::min<std::uint64_t>(load_be_n(v, len), 0xFFFFFFFFu));
                out.has_sampling = true;
                out.sampling_is_packet_interval = op.id == ie::samplingPacketInterval;
                break;
            case Op::sampling_space:
                out.sampling_space = static_cast<std::uint32_t>(std::min<std::uint64_t>(load_be_n(v, len), 0xFFFFFFFFu));
                out.has_sampling_space = true;
                break;
            case Op::padding: break;
            case Op::skip:
            case Op::unknown:
            case Op::enterprise:
                if (op.keep) r.extra.push_back(ExtraField{op.enterprise, op.id, std::vector<std::uint8_t>(v, v + len)});
                break;
        }
        if (op.op == Op::number && (op.field == Field::icmp_type || op.field == Field::icmp_code))
            out.has_icmp_field = true;
    }
    // RFC 5477 8.2.2/8.2.3: samplingPacketInterval packets are selected, then
    // samplingPacketSpace skipped: 1 in (interval + space) / interval, to the nearest integer.
    if (out.has_sampling && out.sampling_is_packet_interval && out.has_sampling_space && out.sampling > 0) {
        const std::uint64_t i = out.sampling;
        out.sampling = static_cast<std::uint32_t>(std::min<std::uint64_t>((i + out.sampling_space + i / 2) / i, 0xFFFFFFFFu));
    }
    return pos;
}

bool finish_record(PartialRecord& p, std::uint16_t template_id, const MessageContext& ctx) {
    FlowRecord& r = p.rec;
    r.set_address(Field::exporter, ctx.exporter);
    r.set_number(Field::domain, ctx.domain);
    r.set_number(Field::sequence, ctx.sequence);
    r.set_number(Field::export_ms, static_cast<std::uint64_t>(ctx.export_ms));
    r.set_number(Field::version, static_cast<std::uint64_t>(ctx.protocol));
    if (ctx.protocol != Protocol::v5) r.set_number(Field::template_id, template_id);

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
                r.set_number(Field::first_ms, static_cast<std::uint64_t>(base + static_cast<std::int64_t>(p.start_uptime)));
            if (p.has_end_uptime && !r.has(Field::last_ms))
                r.set_number(Field::last_ms, static_cast<std::uint64_t>(base + static_cast<std::int64_t>(p.end_uptime)));
        } else {
            resolved = r.has(Field::first_ms) && r.has(Field::last_ms);
        }
    }
    // v5, and v9/IPFIX exporters without an ICMP element, carry type*256+code in the
    // destination port (the Cisco convention every collector follows).
    if (!p.has_icmp_field && r.has(Field::proto) && r.has(Field::dport) && (r.proto == 1 || r.proto == 58)) {
        r.set_number(Field::icmp_type, r.dport >> 8);
        r.set_number(Field::icmp_code, r.dport & 0xFF);
    }
    if (p.has_sampling) {
        r.set_number(Field::sampling_interval, p.sampling);
    } else if (ctx.has_session_sampling) {
        r.set_number(Field::sampling_interval, ctx.session_sampling);
    }
    return resolved;
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

std::size_t write_record(const CompiledTemplate& t, const FlowRecord& r, std::int64_t boot_ms,
                         std::uint32_t sampling_interval, std::uint8_t* out, std::uint64_t& clamped) {
    std::size_t pos = 0;
    auto put_uint = [&](std::uint64_t v, std::size_t len) {
        if (v > max_for(len)) {
            v = max_for(len);
            ++clamped;
        }
        store_be_n(out + pos, v, len);
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
            if (n < 255) {
                out[pos++] = static_cast<std::uint8_t>(n);
            } else {
                out[pos++] = 255;
                store_be16(out + pos, static_cast<std::uint16_t>(n));
                pos += 2;
            }
            if (n) std::memcpy(out + pos, found->value.data(), n);
            pos += n;
            continue;
        }
        switch (op.op) {
            case Op::number: put_uint(r.has(op.field) ? r.number(op.field) : 0, len); break;
            case Op::address4: {
                const IpAddress* a = r.address(op.field);
                if (a && a->is_v4()) std::memcpy(out + pos, a->bytes().data(), 4);
                else std::memset(out + pos, 0, 4);
                break;
            }
            case Op::address6: {
                const IpAddress* a = r.address(op.field);
                if (a && a->is_v6()) std::memcpy(out + pos, a->bytes().data(), 16);
                else std::memset(out + pos, 0, 16);
                break;
            }
            case Op::time_seconds: {
                const std::int64_t ms = op.field == Field::first_ms ? r.first_ms : r.last_ms;
                const std::int64_t s = floor_div(ms, 1000);
                if (s < 0 || s > 0xFFFFFFFFll) ++clamped;
                store_be32(out + pos, static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, 0, 0xFFFFFFFFll)));
                break;
            }
            case Op::time_millis:
                store_be64(out + pos, static_cast<std::uint64_t>(op.field == Field::first_ms ? r.first_ms : r.last_ms));
                break;
            case Op::time_micro:
            case Op::time_nano:
                store_be64(out + pos, ms_to_ntp(op.field == Field::first_ms ? r.first_ms : r.last_ms,
                                                op.op == Op::time_micro));
                break;
            case Op::uptime_start:
            case Op::uptime_end: {
                const std::int64_t ms = op.op == Op::uptime_start ? r.first_ms : r.last_ms;
                std::int64_t rel = ms - boot_ms;
                if (rel < 0) {
                    rel = 0;
                    ++clamped;
                }
                put_uint(static_cast<std::uint64_t>(rel), len);
                break;
            }
            case Op::system_init:
                put_uint(static_cast<std::uint64_t>(boot_ms), len);
                break;
            case Op::icmp_type_code:
                put_uint((std::uint64_t{r.icmp_type} << 8) | r.icmp_code, len);
                break;
            // 1-in-N goes out as 34/50 = N, or as 305 = 1 and 306 = N - 1 (RFC 5477) when the
            // template also carries samplingPacketSpace.
            case Op::sampling:
                put_uint(op.id == ie::samplingPacketInterval && t.has_sampling_space ? 1 : sampling_interval, len);
                break;
            case Op::sampling_space: put_uint(sampling_interval > 1 ? sampling_interval - 1 : 0, len); break;
            case Op::padding: std::memset(out + pos, 0, len); break;
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
                break;
            }
        }
        pos += len;
    }
    return pos;
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
    out[37] = r.tcp_flags;
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
