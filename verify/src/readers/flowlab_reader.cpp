/// @brief Readers of flowlab's own CSV and JSON lines (truth files, `flowlab decode`).
///
/// The cell grammar is core's (core::parse_field_text); lines come from verify's LineReader
/// rather than core::RecordCsvReader because the stream may already have been read ahead for
/// format detection (standard input cannot be reopened).
#include <bit>
#include <climits>
#include <cstring>
#include <cstdint>
#include <string>
#include <vector>

#include "flowlab/core/error.hpp"
#include "flowlab/core/record_format.hpp"
#include "flowlab_csv.hpp"
#include "json_scanner.hpp"
#include "readers.hpp"

namespace flowlab::verify::detail {

using core::Field;

FlowlabColumns parse_flowlab_header(std::string_view line, const std::string& file, std::uint64_t line_no) {
    using Kind = FlowlabColumns::Kind;
    using R = core::FlowRecord;
    FlowlabColumns out;
    std::size_t pos = 0;
    core::FieldSet seen;
    while (true) {
        const std::size_t comma = line.find(',', pos);
        const std::string_view name = line.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        const auto f = core::field_from_name(name);
        if (!f)
            throw InputError(file, line_place(line_no),
                             "unknown column '" + std::string(name) + "' in the header (expected flowlab field names: " +
                                 core::csv_header() + ")");
        if (seen.has(*f)) throw InputError(file, line_place(line_no), "column '" + std::string(name) + "' appears twice");
        seen.set(*f);
        FlowlabColumns::Column c{*f, Kind::u8};
        switch (*f) {
            case Field::exporter: c.kind = Kind::address; c.address = &R::exporter; break;
            case Field::src: c.kind = Kind::address; c.address = &R::src; break;
            case Field::dst: c.kind = Kind::address; c.address = &R::dst; break;
            case Field::next_hop: c.kind = Kind::address; c.address = &R::next_hop; break;
            case Field::domain: c.kind = Kind::u32; c.u32 = &R::domain; break;
            case Field::sport: c.kind = Kind::u16; c.u16 = &R::sport; break;
            case Field::dport: c.kind = Kind::u16; c.u16 = &R::dport; break;
            case Field::proto: c.u8 = &R::proto; break;
            case Field::tos: c.u8 = &R::tos; break;
            case Field::tcp_flags: c.kind = Kind::u16; c.u16 = &R::tcp_flags; break;
            case Field::packets: c.kind = Kind::u64; c.u64 = &R::packets; break;
            case Field::bytes: c.kind = Kind::u64; c.u64 = &R::bytes; break;
            case Field::first_ms: c.kind = Kind::i64; c.i64 = &R::first_ms; break;
            case Field::last_ms: c.kind = Kind::i64; c.i64 = &R::last_ms; break;
            case Field::in_if: c.kind = Kind::u32; c.u32 = &R::in_if; break;
            case Field::out_if: c.kind = Kind::u32; c.u32 = &R::out_if; break;
            case Field::src_as: c.kind = Kind::u32; c.u32 = &R::src_as; break;
            case Field::dst_as: c.kind = Kind::u32; c.u32 = &R::dst_as; break;
            case Field::src_mask: c.u8 = &R::src_mask; break;
            case Field::dst_mask: c.u8 = &R::dst_mask; break;
            case Field::icmp_type: c.u8 = &R::icmp_type; break;
            case Field::icmp_code: c.u8 = &R::icmp_code; break;
            case Field::end_reason: c.u8 = &R::end_reason; break;
            case Field::sampling_interval: c.kind = Kind::u64; c.u64 = &R::sampling_interval; break;
            case Field::tunnel_src: c.kind = Kind::address; c.address = &R::tunnel_src; break;
            case Field::tunnel_dst: c.kind = Kind::address; c.address = &R::tunnel_dst; break;
            case Field::vrf_in_id: c.kind = Kind::u32; c.u32 = &R::vrf_in_id; break;
            case Field::vrf_out_id: c.kind = Kind::u32; c.u32 = &R::vrf_out_id; break;
            case Field::sampling_algorithm: c.kind = Kind::u16; c.u16 = &R::sampling_algorithm; break;
            case Field::in_if_name:
            case Field::out_if_name:
            case Field::vrf_in:
            case Field::vrf_out: c.kind = Kind::text; break;
            case Field::version: c.u8 = &R::version; break;
            case Field::sequence: c.kind = Kind::u32; c.u32 = &R::sequence; break;
            case Field::template_id: c.kind = Kind::u16; c.u16 = &R::template_id; break;
            case Field::export_ms: c.kind = Kind::i64; c.i64 = &R::export_ms; break;
        }
        out.columns.push_back(c);
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return out;
}

namespace {

// The fast path of a cell: canonical decimal numbers and dotted-quad IPv4 addresses, parsed
// while looking for the comma and written straight into the record's members. Anything else
// (IPv6, negative times, leading zeros, out-of-range values) falls back to
// core::parse_field_text, which decides, so the accepted grammar is exactly core's. This runs
// for every row of truth and collected files, tens of millions of times.

/// Eight ASCII digits (already minus '0', most significant first in memory) to their value.
inline std::uint64_t eight_digits(std::uint64_t v) noexcept {
    v = (v & 0x0F0F0F0F0F0F0F0FULL) * 2561 >> 8;
    v = (v & 0x00FF00FF00FF00FFULL) * 6553601 >> 16;
    return (v & 0x0000FFFF0000FFFFULL) * 42949672960001ULL >> 32;
}

/// Number of leading decimal digits in the 8 bytes of w (after w ^= '0' in each byte).
inline unsigned leading_digits(std::uint64_t t) noexcept {
    // A byte is not a digit when t > 9: t + 0x76 sets bit 7 for 10..0x89, t's own bit 7 covers
    // the rest. A carry out of a byte only happens for bytes already flagged, and it only
    // reaches later bytes, so the first flagged byte is exact.
    const std::uint64_t flags = ((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL;
    return flags ? static_cast<unsigned>(std::countr_zero(flags)) / 8 : 8u;
}

/// Parses digits from p; on success (the cell ends at a comma or the line end) sets v and
/// returns the end of the cell, else nullptr. Eight bytes at a time (SWAR) where at least 16
/// bytes of the line remain, so it never reads past the line; a byte loop otherwise.
inline const char* fast_decimal(const char* p, const char* e, std::uint64_t& v) noexcept {
    const char* start = p;
    std::uint64_t x = 0;
    if (e - p >= 16) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        w ^= 0x3030303030303030ULL;
        const unsigned n1 = leading_digits(w);
        if (n1 == 0) return nullptr;
        if (n1 < 8) {
            x = eight_digits(w << (8 * (8 - n1)));
            p += n1;
        } else {
            std::uint64_t w2;
            std::memcpy(&w2, p + 8, 8);
            w2 ^= 0x3030303030303030ULL;
            const unsigned n2 = leading_digits(w2);
            if (n2 == 8) return nullptr;  // 17 digits or more: the slow path decides
            static constexpr std::uint64_t kPow10[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
            x = eight_digits(w) * kPow10[n2] + (n2 ? eight_digits(w2 << (8 * (8 - n2))) : 0);
            p += 8 + n2;
        }
    } else {
        while (p != e) {
            const unsigned d = static_cast<unsigned char>(*p) - unsigned{'0'};
            if (d > 9) break;
            x = x * 10 + d;
            ++p;
        }
    }
    const auto n = p - start;
    if (n == 0 || n > 19 || (p != e && *p != ',')) return nullptr;
    v = x;
    return p;
}

inline const char* fast_v4(const char* p, const char* e, std::uint32_t& out) noexcept {
    std::uint32_t a = 0;
    for (int part = 0; part < 4; ++part) {
        unsigned v = 0;
        const char* start = p;
        while (p != e && *p >= '0' && *p <= '9') {
            v = v * 10 + static_cast<unsigned>(*p - '0');
            ++p;
        }
        const auto digits = p - start;
        if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && *start == '0')) return nullptr;
        a = (a << 8) | v;
        if (part < 3) {
            if (p == e || *p != '.') return nullptr;
            ++p;
        }
    }
    if (p != e && *p != ',') return nullptr;
    out = a;
    return p;
}

/// Fast path for the cell at p; returns the cell's end, or nullptr to use the slow path.
inline const char* fast_cell(const FlowlabColumns::Column& c, const char* p, const char* e, core::FlowRecord& r) noexcept {
    using Kind = FlowlabColumns::Kind;
    if (c.kind == Kind::text) return nullptr;  // names: core's parser (quoting) decides
    if (c.kind == Kind::address) {
        std::uint32_t a;
        const char* q = fast_v4(p, e, a);
        if (!q) return nullptr;
        r.*(c.address) = core::IpAddress::v4(a);
        r.present.set(c.field);
        return q;
    }
    std::uint64_t v;
    const char* q = fast_decimal(p, e, v);
    if (!q) return nullptr;
    switch (c.kind) {
        case Kind::u8:
            if (v > 0xFFu) return nullptr;
            r.*(c.u8) = static_cast<std::uint8_t>(v);
            break;
        case Kind::u16:
            if (v > 0xFFFFu) return nullptr;
            r.*(c.u16) = static_cast<std::uint16_t>(v);
            break;
        case Kind::u32:
            if (v > 0xFFFFFFFFu) return nullptr;
            r.*(c.u32) = static_cast<std::uint32_t>(v);
            break;
        case Kind::u64: r.*(c.u64) = v; break;
        case Kind::i64:
            if (v > static_cast<std::uint64_t>(INT64_MAX)) return nullptr;
            r.*(c.i64) = static_cast<std::int64_t>(v);
            break;
        case Kind::address:
        case Kind::text: return nullptr;
    }
    r.present.set(c.field);
    return q;
}

}  // namespace

std::optional<std::string> parse_flowlab_row(const FlowlabColumns& columns, std::string_view line, core::FlowRecord& r) {
    const char* p = line.data();
    const char* const end = p + line.size();
    const std::size_t n = columns.columns.size();
    for (std::size_t c = 0; c < n; ++c) {
        const FlowlabColumns::Column& col = columns.columns[c];
        const Field f = col.field;
        const char* q = p != end && *p != ',' ? fast_cell(col, p, end, r) : p;
        if (!q) {
            q = p;
            if (col.kind == FlowlabColumns::Kind::text && q < end && *q == '"') {
                // RFC 4180 quoted name: commas inside belong to it; "" is a quote.
                for (++q; q < end; ++q) {
                    if (*q != '"') continue;
                    if (q + 1 < end && q[1] == '"') {
                        ++q;
                        continue;
                    }
                    ++q;
                    break;
                }
            }
            while (q < end && *q != ',') ++q;
            const std::string_view cell(p, static_cast<std::size_t>(q - p));
            if (!core::parse_field_text(f, cell, r))
                return "column " + std::to_string(c + 1) + " (" + std::string(core::field_name(f)) + "): '" +
                       std::string(cell.substr(0, 60)) + "' is not " +
                       (core::is_address_field(f) ? "an IPv4 or IPv6 address" : "a number in range");
        }
        if (c + 1 == n) {
            if (q < end) return "expected " + std::to_string(n) + " columns, found more";
        } else {
            if (q == end) return "expected " + std::to_string(n) + " columns, found " + std::to_string(c + 1);
            p = q + 1;
        }
    }
    return std::nullopt;
}

namespace {

class FlowlabCsvReader final : public LineBasedReader {
public:
    FlowlabCsvReader(InputStream in, std::string source)
        : LineBasedReader(CollectedFormat::flowlab_csv, std::move(in), std::move(source)) {
        std::string_view header;
        while (lines_.next(header) && header.empty()) {
        }
        columns_ = parse_flowlab_header(header, source_, lines_.line());
    }

    bool next(core::FlowRecord& r) override {
        std::string_view line;
        do {
            if (!lines_.next(line)) return false;
        } while (line.empty());
        r = core::FlowRecord{};
        if (auto err = parse_flowlab_row(columns_, line, r)) fail(*err);
        return true;
    }

private:
    FlowlabColumns columns_;
};

class FlowlabJsonlReader final : public JsonLinesReader {
public:
    FlowlabJsonlReader(InputStream in, std::string source)
        : JsonLinesReader(CollectedFormat::flowlab_jsonl, std::move(in), std::move(source)) {}

    bool next(core::FlowRecord& r) override {
        if (!begin_object(r)) return false;
        JsonToken t;
        while ((t = json_.next()) == JsonToken::key) {
            const auto f = core::field_from_name(json_.text());
            if (!f) json_.fail("unknown member \"" + std::string(json_.text()) + "\" (expected flowlab field names)");
            const std::string name(json_.text());
            t = json_.next();
            if (t == JsonToken::null) continue;
            if (t != JsonToken::number && t != JsonToken::string) json_.fail("\"" + name + "\": expected a number or a string");
            if (!core::parse_field_text(*f, json_.text(), r))
                json_.fail("\"" + name + "\": '" + std::string(json_.text()) + "' is not " +
                           (core::is_address_field(*f) ? "an IPv4 or IPv6 address" : "a number in range"));
        }
        return true;
    }
};

}  // namespace

std::unique_ptr<CollectedReader> make_flowlab_csv_reader(InputStream in, std::string source) {
    return std::make_unique<FlowlabCsvReader>(std::move(in), std::move(source));
}
std::unique_ptr<CollectedReader> make_flowlab_jsonl_reader(InputStream in, std::string source) {
    return std::make_unique<FlowlabJsonlReader>(std::move(in), std::move(source));
}

bool set_address_text(core::FlowRecord& r, core::Field f, std::string_view text) {
    const auto a = core::IpAddress::parse(text);
    if (!a) return false;
    r.set_address(f, *a);
    return true;
}

}  // namespace flowlab::verify::detail
