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

// The fast path of a cell: decimal numbers, dotted-quad IPv4 and hexadecimal IPv6 addresses,
// parsed in one pass that also finds the cell's end (no separate comma scan, no second look at
// the cell), and written straight into the record's members. Anything else (IPv6 with a dotted
// tail, negative times, names, 17 digits or more, out-of-range values, a cell not ended by a
// comma) falls back to core::parse_field_text, which decides, so the accepted grammar is exactly
// core's. This runs for every row of truth and collected files, tens of millions of times.
//
// Words are read big-endian through core's load_be64 (portable: no intrinsics, no host byte
// order; scripts/check_portable.py), so the first byte of the text is the word's top byte and a
// count of leading zeros finds the first flagged byte.

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHigh = 0x80 * kOnes;
constexpr std::uint64_t kLow7 = 0x7F * kOnes;

[[gnu::always_inline]] inline std::uint64_t word_at(const char* p) noexcept {
    return core::load_be64(reinterpret_cast<const std::uint8_t*>(p));
}

/// The high bit of each byte of t (a word of text with '0' taken out of each byte: t = w ^ 0x30...)
/// that was not a decimal digit. Exact: a byte's low seven bits plus 0x76 reach bit 7 when they
/// are 10 or more and never carry into the next byte; bytes of 0x80 and up are flagged by their
/// own high bit.
[[gnu::always_inline]] inline std::uint64_t non_digits(std::uint64_t t) noexcept {
    return (((t & kLow7) + 0x76 * kOnes) | t) & kHigh;
}

/// The high bit of each comma byte of w. Exact, for the same reason.
[[gnu::always_inline]] inline std::uint64_t comma_bytes(std::uint64_t w) noexcept {
    const std::uint64_t x = w ^ (std::uint64_t{','} * kOnes);  // a comma byte becomes 0
    return ~(((x & kLow7) + kLow7) | x) & kHigh;
}

/// Index of the first flagged byte of a non-zero mask of high bits.
[[gnu::always_inline]] inline unsigned first_byte(std::uint64_t m) noexcept {
    return static_cast<unsigned>(std::countl_zero(m)) / 8;
}

/// Up to eight digit values (0-9, one a byte, the last digit in the lowest byte, zero bytes
/// above the first) to their value: pairs, then fours, then eights, one multiplication each
/// (x * (B + m) >> s adds the more significant half times m to the less significant one; every
/// partial sum stays below its lane's limit, so no carries cross lanes).
[[gnu::always_inline]] inline std::uint64_t digits_value(std::uint64_t x) noexcept {
    x = (x * 0x10A >> 8) & 0x00FF00FF00FF00FFULL;             // 256 + 10
    x = (x * 0x10064 >> 16) & 0x0000FFFF0000FFFFULL;          // 65536 + 100
    return x * 0x100002710ULL >> 32;                          // 2^32 + 10000
}

/// The cell at p (before the line's end e, not empty) as a decimal number of 1 to 16 digits
/// ended by a comma or e: returns its end, or nullptr for anything else (the slow path
/// decides). A digit at a time: cheaper than a word for the short numbers of most columns
/// (ports, protocol, masks, interfaces: one to five digits).
[[gnu::always_inline]] inline const char* cell_number_bytes(const char* p, const char* e, std::uint64_t& v) noexcept {
    if (e - p > 2) {
        // One and two digits, the most common lengths, without the loop's bookkeeping.
        const unsigned d0 = static_cast<unsigned char>(p[0]) - unsigned{'0'};
        const unsigned d1 = static_cast<unsigned char>(p[1]) - unsigned{'0'};
        if (d0 > 9) return nullptr;
        if (d1 > 9) {
            if (p[1] != ',') return nullptr;
            v = d0;
            return p + 1;
        }
        if (p[2] == ',') {
            v = d0 * 10 + d1;
            return p + 2;
        }
    }
    // One bound for both limits: the line's end and a 17th digit (too many for the fast path).
    const char* const lim = e - p > 17 ? p + 17 : e;
    std::uint64_t x = 0;
    const char* q = p;
    do {
        const unsigned d = static_cast<unsigned char>(*q) - unsigned{'0'};
        if (d > 9) break;
        x = x * 10 + d;
    } while (++q != lim);
    // The cell is not empty, so q == p means a non-digit first, which is not a comma.
    if ((q != e && *q != ',') || q - p > 16 || q == p) return nullptr;
    v = x;
    return q;
}

/// The same, eight bytes a word where 16 bytes of the line remain from p (it never reads past
/// the line): for the long numbers (times of 13 digits, byte counts).
[[gnu::always_inline]] inline const char* cell_number_words(const char* p, const char* e, std::uint64_t& v) noexcept {
    constexpr std::uint64_t kZeros = std::uint64_t{'0'} * kOnes;
    if (e - p < 16) return cell_number_bytes(p, e, v);
    const std::uint64_t t = word_at(p) ^ kZeros;
    const std::uint64_t nd = non_digits(t);
    if (nd != 0) {
        const unsigned n = first_byte(nd);
        if (n == 0 || p[n] != ',') return nullptr;
        v = digits_value(t >> (64 - 8 * n));
        return p + n;
    }
    const std::uint64_t t2 = word_at(p + 8) ^ kZeros;
    const std::uint64_t nd2 = non_digits(t2);
    if (nd2 == 0) return nullptr;  // 17 digits or more
    const unsigned n2 = first_byte(nd2);
    if (p[8 + n2] != ',') return nullptr;
    static constexpr std::uint64_t kPow10[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
    v = digits_value(t) * kPow10[n2] + (n2 ? digits_value(t2 >> (64 - 8 * n2)) : 0);
    return p + 8 + n2;
}

/// A character's value as a decimal digit: more than 9 if it is not one.
constexpr unsigned digit_value(char c) noexcept { return static_cast<unsigned>(static_cast<unsigned char>(c)) - unsigned{'0'}; }

/// One part of a dotted quad at p (before e): 1 to 3 digits, no leading zero, at most 255.
/// Returns the end of its digits, or nullptr. Bounded false: the caller knows that 16 bytes of
/// the line remain from the address's start (a dotted quad and its comma take at most 16), so
/// the end of the line need not be checked byte by byte.
template <bool Bounded>
[[gnu::always_inline]] inline const char* octet(const char* p, const char* e, unsigned& v) noexcept {
    if ((Bounded && p == e) || (v = digit_value(*p)) > 9) return nullptr;
    if (Bounded && ++p == e) return p;
    if (!Bounded) ++p;
    const unsigned d1 = digit_value(*p);
    if (d1 > 9) return p;
    if (v == 0) return nullptr;  // a leading zero
    v = v * 10 + d1;
    if (Bounded && ++p == e) return p;
    if (!Bounded) ++p;
    const unsigned d2 = digit_value(*p);
    if (d2 > 9) return p;
    v = v * 10 + d2;
    ++p;
    if (v > 255 || ((!Bounded || p != e) && digit_value(*p) <= 9)) return nullptr;
    return p;
}

template <bool Bounded>
[[gnu::always_inline]] inline const char* dotted_quad(const char* p, const char* e, std::uint32_t& out) noexcept {
    unsigned a, b, c, d;
    if (!(p = octet<Bounded>(p, e, a)) || (Bounded && p == e) || *p++ != '.' || !(p = octet<Bounded>(p, e, b)) ||
        (Bounded && p == e) || *p++ != '.' || !(p = octet<Bounded>(p, e, c)) || (Bounded && p == e) || *p++ != '.' ||
        !(p = octet<Bounded>(p, e, d)) || (p != e && *p != ','))
        return nullptr;
    out = a << 24 | b << 16 | c << 8 | d;
    return p;
}

/// The cell at p (before e) as a dotted-quad IPv4 address in canonical form ended by a comma
/// or e: returns its end, or nullptr.
[[gnu::always_inline]] inline const char* cell_v4(const char* p, const char* e, std::uint32_t& out) noexcept {
    return e - p >= 16 ? dotted_quad<false>(p, e, out) : dotted_quad<true>(p, e, out);
}

/// A character's value as a hexadecimal digit, or -1.
[[gnu::always_inline]] inline int hex_value(char ch) noexcept {
    const unsigned c = static_cast<unsigned char>(ch);
    if (c - unsigned{'0'} < 10) return static_cast<int>(c - unsigned{'0'});
    const unsigned l = c | 0x20u;  // ASCII lower case
    if (l - unsigned{'a'} < 6) return static_cast<int>(l - unsigned{'a'} + 10);
    return -1;
}

/// The cell at p (before e, not empty) as an IPv6 address in hexadecimal groups, ended by a
/// comma or e: returns its end, or nullptr. The steps are glibc's inet_pton6
/// (resolv/inet_pton.c), which core::IpAddress::parse calls, so that the same texts are
/// accepted with the same bytes; a dotted IPv4 tail ("::ffff:192.0.2.1") is left to the slow path.
[[gnu::always_inline]] inline const char* cell_v6(const char* p, const char* e, std::uint8_t (&out)[16]) noexcept {
    std::uint8_t tmp[16] = {};
    unsigned tp = 0, digits = 0, val = 0;
    int colonp = -1;
    if (*p == ':' && (++p == e || *p != ':')) return nullptr;  // a leading ':' only as "::"
    while (p != e && *p != ',') {
        const char ch = *p++;
        if (const int d = hex_value(ch); d >= 0) {
            if (digits == 4) return nullptr;
            val = val << 4 | static_cast<unsigned>(d);
            ++digits;
            continue;
        }
        if (ch != ':') return nullptr;
        if (digits == 0) {
            if (colonp >= 0) return nullptr;  // a second "::"
            colonp = static_cast<int>(tp);
            continue;
        }
        if (p == e || *p == ',' || tp + 2 > 16) return nullptr;  // a trailing ':', or more than 8 groups
        core::store_be16(tmp + tp, static_cast<std::uint16_t>(val));
        tp += 2;
        digits = val = 0;
    }
    if (digits > 0) {
        if (tp + 2 > 16) return nullptr;
        core::store_be16(tmp + tp, static_cast<std::uint16_t>(val));
        tp += 2;
    }
    if (colonp >= 0) {
        if (tp == 16) return nullptr;  // "::" would stand for no group
        const unsigned at = static_cast<unsigned>(colonp), n = tp - at;
        std::memmove(tmp + 16 - n, tmp + at, n);
        std::memset(tmp + at, 0, 16 - n - at);
        tp = 16;
    }
    if (tp != 16) return nullptr;
    std::memcpy(out, tmp, 16);
    return p;
}

/// The first comma at or after p, or e: eight bytes a word.
inline const char* find_comma(const char* p, const char* e) noexcept {
    for (; e - p >= 8; p += 8)
        if (const std::uint64_t m = comma_bytes(word_at(p))) return p + first_byte(m);
    while (p != e && *p != ',') ++p;
    return p;
}

/// Stores a number in the column's member if it fits there.
[[gnu::always_inline]] inline bool store_number(const FlowlabColumns::Column& c, std::uint64_t v, core::FlowRecord& r) noexcept {
    using Kind = FlowlabColumns::Kind;
    switch (c.kind) {
        case Kind::u8:
            if (v > 0xFFu) return false;
            r.*(c.u8) = static_cast<std::uint8_t>(v);
            return true;
        case Kind::u16:
            if (v > 0xFFFFu) return false;
            r.*(c.u16) = static_cast<std::uint16_t>(v);
            return true;
        case Kind::u32:
            if (v > 0xFFFFFFFFu) return false;
            r.*(c.u32) = static_cast<std::uint32_t>(v);
            return true;
        case Kind::u64: r.*(c.u64) = v; return true;
        case Kind::i64:
            if (v > static_cast<std::uint64_t>(INT64_MAX)) return false;
            r.*(c.i64) = static_cast<std::int64_t>(v);
            return true;
        case Kind::address:
        case Kind::text: return false;
    }
    return false;
}

struct RowState {
    explicit RowState(std::string_view line) noexcept : p(line.data()), e(line.data() + line.size()) {}
    const char* p;              ///< start of the current cell
    const char* e;              ///< end of the line
    std::uint64_t present = 0;  ///< the fast path's fields, set in the record once at the end
};

/// Column c of n (its cell starts at st.p): parsed into r, st.p moved past it. False with the
/// problem in err. Inlined into both row parsers: in the canonical one, col is a constant, so
/// its kind and member are known where the code is compiled.
[[gnu::always_inline]] inline bool parse_cell(const FlowlabColumns::Column& col, std::size_t c, std::size_t n, RowState& st,
                                              core::FlowRecord& r, std::optional<std::string>& err) {
    using Kind = FlowlabColumns::Kind;
    const char* const p = st.p;
    const char* const e = st.e;
    const char* q = nullptr;
    if (p == e || *p == ',') {
        q = p;  // empty: absent, the member keeps its default
    } else if (col.kind == Kind::address) {
        std::uint32_t a;
        std::uint8_t a6[16];
        if ((q = cell_v4(p, e, a))) r.*(col.address) = core::IpAddress::v4(a);
        else if ((q = cell_v6(p, e, a6))) r.*(col.address) = core::IpAddress::v6_bytes(a6);
    } else if (col.kind != Kind::text) {
        std::uint64_t v;
        q = col.kind == Kind::u64 || col.kind == Kind::i64 ? cell_number_words(p, e, v) : cell_number_bytes(p, e, v);
        if (q && !store_number(col, v, r)) q = nullptr;
    }
    if (q && q != p) {
        st.present |= std::uint64_t{1} << static_cast<unsigned>(col.field);
    } else if (!q) {
        const char* from = p;
        if (col.kind == Kind::text && *p == '"') {
            // RFC 4180 quoted name: commas inside belong to it; "" is a quote.
            for (from = p + 1; from != e; ++from) {
                if (*from != '"') continue;
                if (from + 1 != e && from[1] == '"') {
                    ++from;
                    continue;
                }
                ++from;
                break;
            }
        }
        q = find_comma(from, e);
        const Field f = col.field;
        const std::string_view cell(p, static_cast<std::size_t>(q - p));
        if (!core::parse_field_text(f, cell, r)) {
            err = "column " + std::to_string(c + 1) + " (" + std::string(core::field_name(f)) + "): '" +
                  std::string(cell.substr(0, 60)) + "' is not " +
                  (core::is_address_field(f) ? "an IPv4 or IPv6 address" : "a number in range");
            return false;
        }
    }
    if (c + 1 == n) {
        if (q != e) {
            err = "expected " + std::to_string(n) + " columns, found more";
            return false;
        }
    } else {
        if (q == e) {
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
