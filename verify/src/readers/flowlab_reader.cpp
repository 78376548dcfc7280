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
#include <utility>
#include <vector>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/record_format.hpp"
#include "flowlab_csv.hpp"
#include "json_scanner.hpp"
#include "readers.hpp"


namespace flowlab::verify::detail {

using core::Field;

namespace {

/// Where a column's value goes in a FlowRecord. constexpr, so that the parser of the canonical
/// column order (below) compiles to direct stores.
constexpr FlowlabColumns::Column column_of(Field f) noexcept {
    using Kind = FlowlabColumns::Kind;
    using R = core::FlowRecord;
    FlowlabColumns::Column c{f, Kind::u8};
    switch (f) {
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
    return c;
}

}  // namespace

FlowlabColumns parse_flowlab_header(std::string_view line, const std::string& file, std::uint64_t line_no) {
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
        out.columns.push_back(column_of(*f));
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    out.canonical = out.columns.size() == core::kFieldCount;
    for (std::size_t i = 0; i < out.columns.size() && out.canonical; ++i)
        out.canonical = out.columns[i].field == static_cast<Field>(i);
    return out;
}

namespace {

// The fast path of a cell: decimal numbers and dotted-quad IPv4 addresses, parsed once the
// comma scan has found the cell's end, and written straight into the record's members. Anything
// else (IPv6, negative times, names, 17 digits or more, out-of-range values) falls back to
// core::parse_field_text, which decides, so the accepted grammar is exactly core's. This runs
// for every row of truth and collected files, tens of millions of times.

/// Eight ASCII digits (already minus '0', most significant first in memory) to their value.
[[gnu::always_inline]] inline std::uint64_t eight_digits(std::uint64_t v) noexcept {
    v = (v & 0x0F0F0F0F0F0F0F0FULL) * 2561 >> 8;
    v = (v & 0x00FF00FF00FF00FFULL) * 6553601 >> 16;
    return (v & 0x0000FFFF0000FFFFULL) * 42949672960001ULL >> 32;
}

/// True if any of the 8 bytes of t (after t ^= '0' in each byte) is not a decimal digit.
[[gnu::always_inline]] inline bool any_non_digit(std::uint64_t t) noexcept {
    // A byte is not a digit when t > 9: t + 0x76 sets bit 7 for 10..0x89, t's own bit 7 covers
    // the rest. A carry out of a byte only happens for bytes already flagged.
    return (((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL) != 0;
}

/// The cell [p, p + n) as a decimal number of 1 to 16 digits; false for anything else (the
/// slow path decides). The cell's length is known (the comma scan found its end), so there is
/// no search for the end: eight bytes at a time (SWAR) where 16 bytes of the line remain from
/// p (it never reads past the line), a byte loop otherwise.
[[gnu::always_inline]] inline bool cell_decimal(const char* p, std::size_t n, const char* limit, std::uint64_t& v) noexcept {
    if (n == 0 || n > 16) return false;
    if (limit - p >= 16) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        w ^= 0x3030303030303030ULL;
        if (n <= 8) {
            w <<= 8 * (8 - n);  // the digits to the top: the bytes shifted in are leading zeros
            if (any_non_digit(w)) return false;
            v = eight_digits(w);
            return true;
        }
        std::uint64_t w2;
        std::memcpy(&w2, p + 8, 8);
        w2 = (w2 ^ 0x3030303030303030ULL) << (8 * (16 - n));
        if (any_non_digit(w) || any_non_digit(w2)) return false;
        static constexpr std::uint64_t kPow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
        v = eight_digits(w) * kPow10[n - 8] + eight_digits(w2);
        return true;
    }
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned d = static_cast<unsigned char>(p[i]) - unsigned{'0'};
        if (d > 9) return false;
        x = x * 10 + d;
    }
    v = x;
    return true;
}

/// A character's value as a decimal digit: more than 9 if it is not one.
constexpr unsigned digit_value(char c) noexcept { return static_cast<unsigned>(static_cast<unsigned char>(c)) - unsigned{'0'}; }

/// One part of a dotted quad at p (before e): 1 to 3 digits, no leading zero, at most 255.
/// Returns the end of its digits, or nullptr.
[[gnu::always_inline]] inline const char* octet(const char* p, const char* e, unsigned& v) noexcept {
    if (p == e || (v = digit_value(*p)) > 9) return nullptr;
    if (++p == e) return p;
    const unsigned d1 = digit_value(*p);
    if (d1 > 9) return p;
    if (v == 0) return nullptr;  // a leading zero
    v = v * 10 + d1;
    if (++p == e) return p;
    const unsigned d2 = digit_value(*p);
    if (d2 > 9) return p;
    v = v * 10 + d2;
    ++p;
    if (v > 255 || (p != e && digit_value(*p) <= 9)) return nullptr;
    return p;
}

/// The cell [p, e) as a dotted-quad IPv4 address in canonical form.
[[gnu::always_inline]] inline bool fast_v4(const char* p, const char* e, std::uint32_t& out) noexcept {
    unsigned a, b, c, d;
    if (!(p = octet(p, e, a)) || p == e || *p++ != '.' || !(p = octet(p, e, b)) || p == e || *p++ != '.' ||
        !(p = octet(p, e, c)) || p == e || *p++ != '.' || !(p = octet(p, e, d)) || p != e)
        return false;
    out = a << 24 | b << 16 | c << 8 | d;
    return true;
}

/// Fast path for the non-empty cell [p, e) of a number or address column: true if it set the
/// member (and the field's bit in `present`), false to use the slow path.
[[gnu::always_inline]] inline bool fast_cell(const FlowlabColumns::Column& c, const char* p, const char* e, const char* limit, core::FlowRecord& r,
                      std::uint64_t& present) noexcept {
    using Kind = FlowlabColumns::Kind;
    if (c.kind == Kind::address) {
        std::uint32_t a;
        if (!fast_v4(p, e, a)) return false;
        r.*(c.address) = core::IpAddress::v4(a);
    } else {
        std::uint64_t v;
        if (!cell_decimal(p, static_cast<std::size_t>(e - p), limit, v)) return false;
        switch (c.kind) {
            case Kind::u8:
                if (v > 0xFFu) return false;
                r.*(c.u8) = static_cast<std::uint8_t>(v);
                break;
            case Kind::u16:
                if (v > 0xFFFFu) return false;
                r.*(c.u16) = static_cast<std::uint16_t>(v);
                break;
            case Kind::u32:
                if (v > 0xFFFFFFFFu) return false;
                r.*(c.u32) = static_cast<std::uint32_t>(v);
                break;
            case Kind::u64: r.*(c.u64) = v; break;
            case Kind::i64:
                if (v > static_cast<std::uint64_t>(INT64_MAX)) return false;
                r.*(c.i64) = static_cast<std::int64_t>(v);
                break;
            case Kind::address:
            case Kind::text: return false;
        }
    }
    present |= std::uint64_t{1} << static_cast<unsigned>(c.field);
    return true;
}

/// A bit per comma in the 64 bytes at p, eight bytes to a word (SWAR): portable C++ where
/// intrinsics would tie the build to one CPU (scripts/check_portable.py), and exact: a byte's
/// high bit is set only where the byte was a comma (no carry runs from one byte into the next),
/// and the multiplication gathers the eight high bits into one byte without carries.
inline std::uint64_t commas64(const char* p) noexcept {
    constexpr std::uint64_t kCommas = 0x2C2C2C2C2C2C2C2Cull;
    constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full;
    constexpr std::uint64_t kGather = 0x8040201008040201ull;
    std::uint64_t m = 0;
    for (unsigned i = 0; i < 8; ++i) {
        // Read big-endian, the first byte is the word's top byte; kGather puts it at bit 0.
        const std::uint64_t w = core::load_be64(reinterpret_cast<const std::uint8_t*>(p) + 8 * i);
        const std::uint64_t x = w ^ kCommas;  // a comma byte becomes 0
        const std::uint64_t zero_high = ~(((x & kLow7) + kLow7) | x) & ~kLow7;
        m |= (((zero_high >> 7) * kGather) >> 56) << (8 * i);
    }
    return m;
}

/// The commas of a line in order, found 64 bytes at a time (a bit per byte): each cell's end
/// is a count of trailing zeros instead of a byte-by-byte search. Every cell but the last ends
/// at a comma, so the row parser takes them one per column.
class CommaScan {
public:
    explicit CommaScan(std::string_view line) noexcept : s_(line.data()), n_(line.size()) { load(0); }
    /// Position of the next comma, or the line's length when there is none.
    [[gnu::always_inline]] std::size_t pop() noexcept {
        while (mask_ == 0)
            if (!load(base_ + 64)) return n_;
        const std::size_t q = base_ + static_cast<std::size_t>(std::countr_zero(mask_));
        mask_ &= mask_ - 1;
        return q;
    }
    /// The next comma at or after p (past a quoted cell's own commas).
    std::size_t pop_from(std::size_t p) noexcept {
        std::size_t q = pop();
        while (q < p) q = pop();
        return q;
    }

private:
    [[gnu::always_inline]] bool load(std::size_t at) noexcept {
        if (at >= n_ && at != 0) return false;
        base_ = at;
        if (n_ - at >= 64) {
            mask_ = commas64(s_ + at);
        } else {
            char tail[64] = {};
            std::memcpy(tail, s_ + at, n_ - at);
            mask_ = commas64(tail);
        }
        return true;
    }
    const char* s_;
    std::size_t n_, base_ = 0;
    std::uint64_t mask_ = 0;
};

}  // namespace

namespace {

struct RowState {
    explicit RowState(std::string_view line) noexcept : s(line.data()), len(line.size()), commas(line) {}
    const char* s;
    std::size_t len;
    CommaScan commas;
    std::size_t p = 0;          ///< start of the current cell
    std::uint64_t present = 0;  ///< the fast path's fields, set in the record once at the end
};

/// Column c of n (its cell starts at st.p): parsed into r, st.p moved past it. False with the
/// problem in err. Inlined into both row parsers: in the canonical one, col is a constant, so
/// its kind and member are known where the code is compiled.
[[gnu::always_inline]] inline bool parse_cell(const FlowlabColumns::Column& col, std::size_t c, std::size_t n, RowState& st,
                                              core::FlowRecord& r, std::optional<std::string>& err) {
    const std::size_t p = st.p;
    std::size_t q;
    if (col.kind == FlowlabColumns::Kind::text && p < st.len && st.s[p] == '"') {
        // RFC 4180 quoted name: commas inside belong to it; "" is a quote.
        q = p + 1;
        for (; q < st.len; ++q) {
            if (st.s[q] != '"') continue;
            if (q + 1 < st.len && st.s[q + 1] == '"') {
                ++q;
                continue;
            }
            ++q;
            break;
        }
        q = st.commas.pop_from(q);
    } else {
        q = st.commas.pop();
    }
    if (q != p &&
        !(col.kind != FlowlabColumns::Kind::text && fast_cell(col, st.s + p, st.s + q, st.s + st.len, r, st.present))) {
        const Field f = col.field;
        const std::string_view cell(st.s + p, q - p);
        if (!core::parse_field_text(f, cell, r)) {
            err = "column " + std::to_string(c + 1) + " (" + std::string(core::field_name(f)) + "): '" +
                  std::string(cell.substr(0, 60)) + "' is not " +
                  (core::is_address_field(f) ? "an IPv4 or IPv6 address" : "a number in range");
            return false;
        }
    }
    if (c + 1 == n) {
        if (q < st.len) {
            err = "expected " + std::to_string(n) + " columns, found more";
            return false;
        }
    } else {
        if (q == st.len) {
            err = "expected " + std::to_string(n) + " columns, found " + std::to_string(c + 1);
            return false;
        }
        st.p = q + 1;
    }
    return true;
}

template <std::size_t C>
inline constexpr FlowlabColumns::Column kCanonicalColumn = column_of(static_cast<Field>(C));

/// The columns in the order flowlab writes them (core::csv_header()): unrolled, one piece of
/// code per column with its kind and member fixed, so no dispatch per cell.
/// The state is this function's own, so that it can live in registers across the cells.
template <std::size_t... C>
bool parse_canonical_row(std::string_view line, core::FlowRecord& r, std::optional<std::string>& err, std::uint64_t& present,
                         std::index_sequence<C...>) {
    RowState st(line);
    if (!(parse_cell(kCanonicalColumn<C>, C, sizeof...(C), st, r, err) && ...)) return false;
    present = st.present;
    return true;
}

}  // namespace

std::optional<std::string> parse_flowlab_row(const FlowlabColumns& columns, std::string_view line, core::FlowRecord& r) {
    std::optional<std::string> err;
    std::uint64_t present = 0;
    if (columns.canonical) {
        if (!parse_canonical_row(line, r, err, present, std::make_index_sequence<core::kFieldCount>())) return err;
    } else {
        RowState st(line);
        const std::size_t n = columns.columns.size();
        for (std::size_t c = 0; c < n; ++c)
            if (!parse_cell(columns.columns[c], c, n, st, r, err)) return err;
        present = st.present;
    }
    r.present = core::FieldSet::from_bits(r.present.bits() | present);
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
