/// @brief The shared CSV/JSONL record vocabulary: a buffered writer and a streaming CSV reader.
#include "flowlab/core/record_format.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

#include "flowlab/core/decimal_text.hpp"
#include "flowlab/core/error.hpp"
#include "field_codec.hpp"

namespace flowlab::core {

namespace {

constexpr std::size_t kWriteBuffer = std::size_t{1} << 20;
constexpr std::size_t kReadBuffer = std::size_t{1} << 20;
constexpr std::size_t kAddressText = 46;  // IpAddress::format needs this much room

// Room one CSV row can need without names: every field at its widest, separators, newline.
constexpr std::size_t kMaxCsvRow = kFieldCount * (kAddressText + 1) + 1;
// Room one JSON line can need without extras and names: each field as "name":"value", braces.
constexpr std::size_t kMaxJsonFixed = kFieldCount * (24 + kAddressText + 4) + 16;

/// Room the name fields need beyond the fixed bound: CSV doubles quotes, JSON escapes as \u00XX.
std::size_t text_bound(const FlowRecord& r) noexcept {
    if (r.in_if_name.empty() && r.out_if_name.empty() && r.vrf_in.empty() && r.vrf_out.empty()) return 0;
    return 6 * (r.in_if_name.size() + r.out_if_name.size() + r.vrf_in.size() + r.vrf_out.size()) + 16;
}

std::size_t csv_bound(const FlowRecord& r) noexcept { return kMaxCsvRow + text_bound(r); }

std::size_t json_bound(const FlowRecord& r) noexcept {
    std::size_t n = kMaxJsonFixed + text_bound(r);
    if (!r.extra.empty()) {
        n += 16;
        for (const auto& e : r.extra) n += 64 + 2 * e.value.size();
    }
    return n;
}

/// Largest value each unsigned numeric column holds (its FlowRecord member width).
std::uint64_t field_max(Field f) noexcept {
    switch (f) {
    case Field::sport:
    case Field::dport:
    case Field::tcp_flags:
    case Field::sampling_algorithm:
    case Field::template_id: return 0xFFFF;
    case Field::proto:
    case Field::tos:
    case Field::src_mask:
    case Field::dst_mask:
    case Field::icmp_type:
    case Field::icmp_code:
    case Field::end_reason:
    case Field::version: return 0xFF;
    case Field::packets:
    case Field::bytes:
    case Field::sampling_interval: return ~std::uint64_t{0};
    default: return 0xFFFFFFFF;
    }
}

std::string expected_text(Field f) {
    if (is_address_field(f)) return "an IPv4 or IPv6 address";
    if (is_text_field(f)) return "text (CSV-quoted if it holds a comma, quote or line break)";
    if (is_signed_field(f)) return "a signed 64-bit integer (Unix epoch milliseconds)";
    return "an integer 0.." + std::to_string(field_max(f));
}

inline char* put_text(char* p, std::string_view s) noexcept {
    // An empty name is interned as a view with no data pointer: memcpy must not see it.
    if (s.empty()) return p;
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

inline char* put_value(char* p, const FlowRecord& r, Field f) noexcept {
    if (is_address_field(f)) return p + r.address(f)->format(p);
    if (is_signed_field(f)) return put_decimal(p, static_cast<std::int64_t>(r.number(f)));
    return put_decimal(p, r.number(f));
}

/// Whether a name must be quoted in a CSV cell (RFC 4180: it holds a comma, a quote or a line
/// break). A plain loop: std::string_view::find_first_of calls memchr over the four characters
/// once per character of the name, 1.5 G of 7.4 G instructions decoding example-office in the
/// cisco-iosxr-ipfix dialect (four names a record; 0.60 G with this loop). Reading eight bytes a
/// word and testing them for the four characters at once measured worse (0.69 G): the names are
/// short, so the byte tail dominates.
bool csv_needs_quotes(std::string_view s) noexcept {
    for (const char c : s)
        if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
    return false;
}

/// A name as one CSV cell: quoted (RFC 4180) only when it must be.
char* put_csv_text(char* p, std::string_view s) noexcept {
    if (!csv_needs_quotes(s)) return put_text(p, s);
    *p++ = '"';
    for (char c : s) {
        if (c == '"') *p++ = '"';
        *p++ = c;
    }
    *p++ = '"';
    return p;
}

/// A name as a JSON string body: quotes, backslashes and control characters escaped.
char* put_json_text(char* p, std::string_view s) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = ch;
        } else if (c < 0x20) {
            p = put_text(p, "\\u00");
            *p++ = kHex[c >> 4];
            *p++ = kHex[c & 15];
        } else {
            *p++ = ch;
        }
    }
    return p;
}

/// What a RecordWriter remembers from one CSV row to the next, because consecutive rows
/// repeat much of it: IPv6 addresses (the same hosts recur; RFC 5952 text costs a few hundred
/// instructions an address) and the leading digits of the epoch-millisecond times (rows come
/// in time order). Each entry holds exactly what IpAddress::format or put_decimal wrote for
/// its key, so the rows are the same with or without it.
}  // namespace

class detail::CsvMemo {
public:
    /// a.format(p) for an IPv6 address. Copies a fixed 40 bytes (the longest IPv6 text is
    /// 39): every address column has kAddressText + 1 bytes of room in csv_bound.
    char* v6(char* p, const IpAddress& a) noexcept {
        std::uint64_t hi, lo;
        std::memcpy(&hi, a.bytes().data(), 8);
        std::memcpy(&lo, a.bytes().data() + 8, 8);
        const std::uint64_t h = hi * 0x9E3779B97F4A7C15ull ^ lo * 0xC2B2AE3D27D4EB4Full;
        V6Slot& s = v6_[h >> (64 - kV6Bits)];
        if (s.length == 0 || s.hi != hi || s.lo != lo) {
            s.hi = hi;
            s.lo = lo;
            s.length = static_cast<std::uint8_t>(a.format(s.text));
        }
        std::memcpy(p, s.text, kV6Copy);
        return p + s.length;
    }
    /// put_decimal(p, ms) for the time column `column` (0..2): the digits above the last five
    /// are remembered per column. Copies a fixed 24 bytes (20 digits at most): every numeric
    /// column has more room than that in csv_bound.
    char* time(char* p, std::size_t column, std::int64_t ms) noexcept {
        if (ms < static_cast<std::int64_t>(kTimeSplit)) return put_decimal(p, ms);
        const auto v = static_cast<std::uint64_t>(ms);
        const std::uint64_t head = v / kTimeSplit;
        const auto tail = static_cast<unsigned>(v - head * kTimeSplit);
        TimeSlot& s = times_[column];
        if (head != s.head) {
            s.head = head;
            s.length = static_cast<std::uint8_t>(put_decimal(s.text, head) - s.text);
        }
        std::memcpy(p, s.text, sizeof s.text);
        p += s.length;
        // The last five digits, with their leading zeros.
        *p++ = static_cast<char>('0' + tail / 10000);
        std::memcpy(p, detail::kDigitPairs + 2 * (tail / 100 % 100), 2);
        std::memcpy(p + 2, detail::kDigitPairs + 2 * (tail % 100), 2);
        return p + 4;
    }

private:
    static constexpr unsigned kV6Bits = 8;
    static constexpr std::size_t kV6Copy = 40;
    static constexpr std::uint64_t kTimeSplit = 100000;
    struct V6Slot {
        std::uint64_t hi = 0, lo = 0;
        char text[kAddressText] = {};
        std::uint8_t length = 0;  ///< 0: empty
    };
    struct TimeSlot {
        std::uint64_t head = ~std::uint64_t{0};  ///< no time has this head
        char text[24] = {};
        std::uint8_t length = 0;
    };
    static_assert(kV6Copy <= kAddressText, "the slot holds the copy, an address column has room for it");
    static_assert(sizeof(TimeSlot::text) <= kAddressText + 1, "a numeric column's room covers the copy");
    V6Slot v6_[std::size_t{1} << kV6Bits];
    TimeSlot times_[3];
};

namespace {
using detail::CsvMemo;

/// Writes one CSV row at p (room: csv_bound(r)) and returns its end.
///
/// One statement per column over the members, in column order, rather than a loop over
/// Field through FlowRecord::number(): the per-column switch and call were a fifth of
/// decode's CSV time. record_format_test checks the row against the generic accessors for
/// every column, so a column added to Field without a line here fails there.
/// `memo` (optional) remembers texts from earlier rows.
char* format_csv(char* p, const FlowRecord& r, CsvMemo* memo = nullptr) noexcept {
    const std::uint64_t present = r.present.bits();
    auto has = [present](Field f) { return (present >> static_cast<unsigned>(f)) & 1u; };
    auto address = [&](Field f, const IpAddress& a) {
        if (has(f)) {
            if (memo && a.is_v6()) p = memo->v6(p, a);
            else p += a.format(p);
        }
        *p++ = ',';
    };
    auto time = [&](Field f, std::size_t column, std::int64_t ms) {
        if (has(f)) p = memo ? memo->time(p, column, ms) : put_decimal(p, ms);
        *p++ = ',';
    };
    auto number = [&](Field f, auto v) {
        if (has(f)) p = put_decimal(p, v);
        *p++ = ',';
    };
    auto text = [&](Field f, std::string_view s) {
        if (has(f)) p = put_csv_text(p, s);
        *p++ = ',';
    };
    address(Field::exporter, r.exporter);
    number(Field::domain, r.domain);
    address(Field::src, r.src);
    address(Field::dst, r.dst);
    number(Field::sport, r.sport);
    number(Field::dport, r.dport);
    number(Field::proto, r.proto);
    number(Field::tos, r.tos);
    number(Field::tcp_flags, r.tcp_flags);
    number(Field::packets, r.packets);
    number(Field::bytes, r.bytes);
    time(Field::first_ms, 0, r.first_ms);
    time(Field::last_ms, 1, r.last_ms);
    number(Field::in_if, r.in_if);
    number(Field::out_if, r.out_if);
    number(Field::src_as, r.src_as);
    number(Field::dst_as, r.dst_as);
    number(Field::src_mask, r.src_mask);
    number(Field::dst_mask, r.dst_mask);
    address(Field::next_hop, r.next_hop);
    number(Field::icmp_type, r.icmp_type);
    number(Field::icmp_code, r.icmp_code);
    number(Field::end_reason, r.end_reason);
    number(Field::sampling_interval, r.sampling_interval);
    number(Field::version, r.version);
    number(Field::sequence, r.sequence);
    number(Field::template_id, r.template_id);
    time(Field::export_ms, 2, r.export_ms);
    address(Field::tunnel_src, r.tunnel_src);
    address(Field::tunnel_dst, r.tunnel_dst);
    text(Field::in_if_name, r.in_if_name);
    text(Field::out_if_name, r.out_if_name);
    number(Field::vrf_in_id, r.vrf_in_id);
    number(Field::vrf_out_id, r.vrf_out_id);
    text(Field::vrf_in, r.vrf_in);
    text(Field::vrf_out, r.vrf_out);
    number(Field::sampling_algorithm, r.sampling_algorithm);
    static_assert(Field::sampling_algorithm == static_cast<Field>(kFieldCount - 1), "a column has no line above");
    p[-1] = '\n';  // the last column's separator
    return p;
}

/// Writes one JSON line at p (room: json_bound(r)) and returns its end.
char* format_json(char* p, const FlowRecord& r) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    *p++ = '{';
    bool first = true;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (!r.has(f)) continue;
        if (!first) *p++ = ',';
        first = false;
        *p++ = '"';
        p = put_text(p, kFieldNames[i]);
        *p++ = '"';
        *p++ = ':';
        if (is_address_field(f)) {
            *p++ = '"';
            p = put_value(p, r, f);
            *p++ = '"';
        } else if (is_text_field(f)) {
            *p++ = '"';
            p = put_json_text(p, r.text(f));
            *p++ = '"';
        } else {
            p = put_value(p, r, f);
        }
    }
    if (!r.extra.empty()) {
        if (!first) *p++ = ',';
        p = put_text(p, "\"extra\":[");
        for (std::size_t i = 0; i < r.extra.size(); ++i) {
            const auto& e = r.extra[i];
            if (i) *p++ = ',';
            p = put_text(p, "{\"enterprise\":");
            p = put_decimal(p, e.enterprise);
            p = put_text(p, ",\"id\":");
            p = put_decimal(p, e.id);
            p = put_text(p, ",\"hex\":\"");
            for (std::uint8_t b : e.value) {
                *p++ = kHex[b >> 4];
                *p++ = kHex[b & 15];
            }
            p = put_text(p, "\"}");
        }
        *p++ = ']';
    }
    *p++ = '}';
    *p++ = '\n';
    return p;
}

template <class Format>
void append_with(std::string& out, std::size_t bound, Format format) {
    const std::size_t at = out.size();
    out.resize(at + bound);
    char* end = format(out.data() + at);
    out.resize(static_cast<std::size_t>(end - out.data()));
}

// Unsigned decimal digits and nothing else (no sign, space or base prefix). Hand-written
// rather than std::from_chars because a CSV row has two dozen numbers: up to 19 digits
// cannot overflow, so the loop needs no overflow check, which makes it about twice as fast.
bool parse_decimal(const char* p, const char* end, std::uint64_t& out) noexcept {
    const auto n = end - p;
    if (n <= 0 || n > 20) return false;
    std::uint64_t v = 0;
    if (n < 20) {
        for (; p != end; ++p) {
            const unsigned d = static_cast<unsigned char>(*p) - unsigned{'0'};
            if (d > 9) return false;
            v = v * 10 + d;
        }
    } else {
        for (; p != end; ++p) {
            const unsigned d = static_cast<unsigned char>(*p) - unsigned{'0'};
            if (d > 9 || __builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, d, &v)) return false;
        }
    }
    out = v;
    return true;
}

InputError::Place at_line(std::uint64_t line) noexcept {
    InputError::Place p;
    p.line = line;
    return p;
}

/// A cell as quoted in an error message: enough to recognise, never a whole runaway line.
std::string quote_cell(std::string_view cell) {
    constexpr std::size_t kMax = 40;
    std::string s = "'";
    s += cell.substr(0, kMax);
    if (cell.size() > kMax) s += "...";
    return s + "'";
}

}  // namespace

std::string csv_header() {
    std::string s;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        if (i) s += ',';
        s += kFieldNames[i];
    }
    return s;
}

void append_csv_cell(std::string& out, std::string_view text) {
    const std::size_t at = out.size();
    out.resize(at + 2 * text.size() + 2);  // every character a doubled quote, and the two quotes
    out.resize(static_cast<std::size_t>(put_csv_text(out.data() + at, text) - out.data()));
}

void append_csv_row(std::string& out, const FlowRecord& r) {
    append_with(out, csv_bound(r), [&](char* p) { return format_csv(p, r); });
}

void append_json_line(std::string& out, const FlowRecord& r) {
    append_with(out, json_bound(r), [&](char* p) { return format_json(p, r); });
}

// ---------------------------------------------------------------------------------------------
// RecordWriter

RecordWriter::RecordWriter(std::FILE* out, RecordFormat format, std::string name_for_errors)
    : out_(out), format_(format), name_(std::move(name_for_errors)), buf_(kWriteBuffer),
      memo_(format == RecordFormat::csv ? std::make_unique<CsvMemo>() : nullptr) {}

RecordWriter::~RecordWriter() {
    // Best effort for a writer dropped without flush() (e.g. while an error propagates);
    // callers that need to know the output is complete call flush().
    if (used_ > 0) std::fwrite(buf_.data(), 1, used_, out_);
}

void RecordWriter::begin() {
    if (format_ != RecordFormat::csv) return;
    std::string header = csv_header();
    header += '\n';
    if (used_ + header.size() > buf_.size()) spill();
    std::memcpy(buf_.data() + used_, header.data(), header.size());
    used_ += header.size();
}

void RecordWriter::write(const FlowRecord& r) {
    const std::size_t need = format_ == RecordFormat::csv ? csv_bound(r) : json_bound(r);
    if (used_ + need > buf_.size()) {
        spill();
        if (need > buf_.size()) buf_.resize(need);  // a record with very large extras
    }
    char* p = buf_.data() + used_;
    char* end = format_ == RecordFormat::csv ? format_csv(p, r, memo_.get()) : format_json(p, r);
    used_ += static_cast<std::size_t>(end - p);
    ++written_;
}

void RecordWriter::write(const FlowRecord& r, const RecordView* view) {
    if (format_ != RecordFormat::jsonl || !view || !view->layout) {
        write(r);
        return;
    }
    line_.clear();
    append_json_line(line_, r);
    line_.pop_back();  // newline
    line_.pop_back();  // closing brace
    line_ += line_.back() == '{' ? "\"elements\":[" : ",\"elements\":[";
    append_elements_json(line_, *view);
    line_ += "]}\n";
    write_text(line_);
    ++written_;
}

void RecordWriter::write_text(std::string_view text) {
    if (used_ + text.size() > buf_.size()) {
        spill();
        if (text.size() > buf_.size()) buf_.resize(text.size());
    }
    std::memcpy(buf_.data() + used_, text.data(), text.size());
    used_ += text.size();
}

void RecordWriter::spill() {
    if (used_ == 0) return;
    const std::size_t n = used_;
    used_ = 0;
    if (std::fwrite(buf_.data(), 1, n, out_) != n)
        throw IoError(name_ + ": write failed: " + std::strerror(errno));
    if (tap_) tap_(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(buf_.data()), n));
}

void RecordWriter::flush() {
    spill();
    if (std::fflush(out_) != 0 || std::ferror(out_))
        throw IoError(name_ + ": write failed: " + std::strerror(errno));
}

// ---------------------------------------------------------------------------------------------
// Elements

namespace {

constexpr std::string_view kV9ScopeNames[] = {"", "System", "Interface", "LineCard", "Cache", "Template"};

void append_hex(std::string& out, std::span<const std::uint8_t> v) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "0x";
    for (std::uint8_t b : v) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
        i += n;
    }
    return true;
}

void append_ntp(std::string& out, std::uint64_t ntp, bool micro, bool netscaler) {
    constexpr std::int64_t kNtpUnixOffset = 2208988800;
    std::int64_t secs = static_cast<std::int64_t>(ntp >> 32) - kNtpUnixOffset;
    if (secs < 0) secs += std::int64_t{1} << 32;  // NTP era 1 (RFC 5905 6)
    std::uint64_t frac = ntp & 0xFFFFFFFFu;
    if (micro && netscaler && detail::netscaler_micro_word(ntp)) {
        fmt::format_to(std::back_inserter(out), "{}.{:06}", secs, frac);
    } else if (micro) {
        frac &= ~std::uint64_t{0x7FF};  // RFC 7011 6.1.9: the lower 11 bits are ignored
        fmt::format_to(std::back_inserter(out), "{}.{:06}", secs, (frac * 1'000'000) >> 32);
    } else {
        fmt::format_to(std::back_inserter(out), "{}.{:09}", secs, (frac * 1'000'000'000) >> 32);
    }
}

}  // namespace

std::string element_name(const FieldSpec& spec, const IeInfo* info, bool v9_scope) {
    if (v9_scope)
        return "v9Scope" + (spec.id < std::size(kV9ScopeNames) && spec.id ? std::string(kV9ScopeNames[spec.id])
                                                                           : std::to_string(spec.id));
    if (info) return std::string(info->qualified);
    return "en" + std::to_string(spec.enterprise) + ":id" + std::to_string(spec.id);
}

void element_text(const FieldSpec&, const IeInfo* info, std::span<const std::uint8_t> v, std::string& out,
                  bool& quoted, bool netscaler_micro) {
    quoted = true;
    if (!info || v.empty()) {
        append_hex(out, v);
        return;
    }
    const std::size_t n = v.size();
    auto number = [&](std::uint64_t x) {
        char buf[24];
        out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, x).ptr - buf));
        quoted = false;
    };
    switch (info->type) {
        case IeType::unsigned8:
        case IeType::unsigned16:
        case IeType::unsigned32:
        case IeType::unsigned64:
        case IeType::date_time_seconds:
        case IeType::date_time_milliseconds:
            if (n <= 8) return number(load_be_n(v.data(), n));
            break;
        case IeType::signed8:
        case IeType::signed16:
        case IeType::signed32:
        case IeType::signed64:
            if (n <= 8) {
                std::uint64_t x = load_be_n(v.data(), n);
                if (n < 8 && (x >> (8 * n - 1)) & 1) x |= ~std::uint64_t{0} << (8 * n);  // sign-extend
                char buf[24];
                out.append(buf, static_cast<std::size_t>(
                                    std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(x)).ptr - buf));
                quoted = false;
                return;
            }
            break;
        case IeType::float32:
        case IeType::float64:
            if (n == 4 || n == 8) {
                double d;
                if (n == 4) {
                    const std::uint32_t bits = load_be32(v.data());
                    float f;
                    std::memcpy(&f, &bits, 4);
                    d = f;
                } else {
                    const std::uint64_t bits = load_be64(v.data());
                    std::memcpy(&d, &bits, 8);
                }
                if (d != d || d - d != 0) {  // NaN or infinity: not a JSON number
                    out += d != d ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
                    return;
                }
                fmt::format_to(std::back_inserter(out), "{:.17g}", d);
                quoted = false;
                return;
            }
            break;
        case IeType::boolean:
            if (n == 1 && (v[0] == 1 || v[0] == 2)) {  // RFC 7011 6.1.5: true = 1, false = 2
                out += v[0] == 1 ? "true" : "false";
                quoted = false;
                return;
            }
            break;
        case IeType::mac_address:
            if (n == 6) {
                fmt::format_to(std::back_inserter(out), "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", v[0],
                               v[1], v[2], v[3], v[4], v[5]);
                return;
            }
            break;
        case IeType::ipv4_address:
            if (n == 4) {
                out += IpAddress::v4_bytes(v.data()).to_string();
                return;
            }
            break;
        case IeType::ipv6_address:
            if (n == 16) {
                out += IpAddress::v6_bytes(v.data()).to_string();
                return;
            }
            break;
        case IeType::date_time_microseconds:
        case IeType::date_time_nanoseconds:
            if (n == 8) {
                append_ntp(out, load_be64(v.data()), info->type == IeType::date_time_microseconds, netscaler_micro);
                quoted = false;
                return;
            }
            break;
        case IeType::string: {
            std::string_view text(reinterpret_cast<const char*>(v.data()), n);
            if (auto nul = text.find('\0'); nul != std::string_view::npos) {
                // Exporters NUL-pad fixed-size names and NUL-terminate variable ones; bytes
                // after the first NUL are shown only when they are not padding.
                const bool padding = std::all_of(text.begin() + static_cast<std::ptrdiff_t>(nul), text.end(),
                                                 [](char c) { return c == 0; });
                if (padding) text = text.substr(0, nul);
            }
            if (valid_utf8(text) && text.find('\0') == std::string_view::npos) {
                out += text;
                return;
            }
            break;
        }
        default: break;
    }
    append_hex(out, v);
}

void append_json_escaped(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += ch;
        }
    }
}

void append_elements_json(std::string& out, const RecordView& view) {
    std::string text;
    bool first = true;
    const ElementLayout& layout = *view.layout;
    for_each_element(view, [&](std::size_t i, const FieldSpec& spec, const IeInfo* info, std::span<const std::uint8_t> v) {
        const bool v9_scope = layout.protocol == Protocol::v9 && i < layout.scope_count;
        if (!first) out += ',';
        first = false;
        out += "[\"";
        append_json_escaped(out, element_name(spec, v9_scope ? nullptr : info, v9_scope));
        out += "\",";
        text.clear();
        bool quoted = true;
        element_text(spec, v9_scope ? nullptr : info, v, text, quoted, layout.netscaler_micro);
        if (v9_scope) {
            text.clear();
            if (!v.empty() && v.size() <= 8) {
                text = std::to_string(load_be_n(v.data(), v.size()));
                quoted = false;
            } else {
                append_hex(text, v);
            }
        }
        if (quoted) {
            out += '"';
            append_json_escaped(out, text);
            out += '"';
        } else {
            out += text;
        }
        out += ']';
    });
}

// ---------------------------------------------------------------------------------------------
// Parsing

bool parse_field_text(Field f, std::string_view text, FlowRecord& r) noexcept {
    if (text.empty()) {
        // Absent: value back to its default too, so records compare equal however they were built.
        if (is_address_field(f)) r.set_address(f, IpAddress{});
        else if (is_text_field(f)) r.set_text(f, {});
        else r.set_number(f, 0);
        r.present.clear(f);
        return true;
    }
    if (is_text_field(f)) {
        if (text.front() != '"') {
            if (text.find('"') != std::string_view::npos) return false;
            r.set_text(f, intern_name(text));
            return true;
        }
        // RFC 4180 quoted cell: "" stands for one quote.
        if (text.size() < 2 || text.back() != '"') return false;
        std::string unquoted;
        for (std::size_t i = 1; i + 1 < text.size(); ++i) {
            if (text[i] == '"') {
                if (i + 2 >= text.size() || text[i + 1] != '"') return false;
                ++i;
            }
            unquoted += text[i];
        }
        r.set_text(f, intern_name(unquoted));
        return true;
    }
    if (is_address_field(f)) {
        const auto a = IpAddress::parse(text);
        if (!a) return false;
        r.set_address(f, *a);
        return true;
    }
    const char* first = text.data();
    const char* last = first + text.size();
    if (is_signed_field(f)) {
        const bool negative = *first == '-';
        std::uint64_t magnitude = 0;
        if (!parse_decimal(first + (negative ? 1 : 0), last, magnitude)) return false;
        constexpr std::uint64_t kMaxPositive = std::uint64_t{1} << 63;  // INT64_MAX + 1
        if (magnitude > kMaxPositive - (negative ? 0 : 1)) return false;
        r.set_number(f, negative ? ~magnitude + 1 : magnitude);
        return true;
    }
    std::uint64_t v = 0;
    if (!parse_decimal(first, last, v) || v > field_max(f)) return false;
    r.set_number(f, v);
    return true;
}

// ---------------------------------------------------------------------------------------------
// RecordCsvReader

RecordCsvReader::RecordCsvReader(const std::string& path)
    : path_(path == "-" ? std::string("standard input") : path) {
    if (path == "-") {
        in_ = stdin;
    } else {
        in_ = std::fopen(path.c_str(), "rb");
        if (!in_) throw InputError(path_, std::string("cannot open: ") + std::strerror(errno));
        owned_ = true;
    }
    buf_.resize(kReadBuffer);
    try {
        std::string_view line;
        do {
            if (!read_line(line))
                throw InputError(path_, at_line(line_no_ + 1),
                                 "no header line: expected the CSV header (" + csv_header() + ")");
        } while (line.empty());
        if (line_no_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // UTF-8 BOM
        std::uint64_t seen = 0;
        std::size_t column = 0;
        while (true) {
            ++column;
            const std::size_t comma = line.find(',');
            const std::string_view name = line.substr(0, comma);
            const auto f = field_from_name(name);
            if (!f) {
                std::string known;
                for (auto n : kFieldNames) known += (known.empty() ? "" : ", ") + std::string(n);
                throw InputError(path_, at_line(line_no_),
                                 "column " + std::to_string(column) + ": unknown column name " + quote_cell(name) +
                                     " (known columns: " + known + ")");
            }
            const auto bit = std::uint64_t{1} << static_cast<unsigned>(*f);
            if (seen & bit)
                throw InputError(path_, at_line(line_no_),
                                 "column " + std::to_string(column) + ": column '" + std::string(name) +
                                     "' appears twice in the header");
            seen |= bit;
            columns_.push_back(static_cast<int>(*f));
            if (comma == std::string_view::npos) break;
            line.remove_prefix(comma + 1);
        }
    } catch (...) {
        if (owned_) std::fclose(in_);
        throw;
    }
}

RecordCsvReader::~RecordCsvReader() {
    if (owned_ && in_) std::fclose(in_);
}

bool RecordCsvReader::read_line(std::string_view& line) {
    std::size_t scan = begin_;
    while (true) {
        const void* nl = scan < end_ ? std::memchr(buf_.data() + scan, '\n', end_ - scan) : nullptr;
        std::size_t stop;
        if (nl) {
            stop = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.data());
        } else if (eof_) {
            if (begin_ == end_) return false;
            stop = end_;  // last line without a newline
        } else {
            if (begin_ > 0) {
                std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
                end_ -= begin_;
                begin_ = 0;
            }
            if (end_ == buf_.size())
                throw InputError(path_, at_line(line_no_ + 1),
                                 "line longer than " + std::to_string(buf_.size()) +
                                     " bytes: this is not flowlab CSV");
            scan = end_;
            const std::size_t want = buf_.size() - end_;
            const std::size_t got = std::fread(buf_.data() + end_, 1, want, in_);
            end_ += got;
            if (got < want) {
                if (std::ferror(in_)) throw IoError(path_ + ": read failed: " + std::strerror(errno));
                eof_ = true;
            }
            continue;
        }
        line = std::string_view(buf_.data() + begin_, stop - begin_);
        begin_ = nl ? stop + 1 : stop;
        ++line_no_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return true;
    }
}

bool RecordCsvReader::next(FlowRecord& r) {
    {
        // Reset without giving up the extras' capacity.
        auto extra = std::move(r.extra);
        extra.clear();
        r = FlowRecord{};
        r.extra = std::move(extra);
    }
    std::string_view line;
    do {
        if (!read_line(line)) return false;
    } while (line.empty());

    const std::size_t ncolumns = columns_.size();
    const char* p = line.data();
    const char* const end = p + line.size();
    std::size_t column = 0;
    bool extra_cells = false;
    while (true) {
        if (column == ncolumns) {
            extra_cells = true;
            break;
        }
        const auto f = static_cast<Field>(columns_[column]);
        const char* q = p;
        bool done = false;
        if (!is_address_field(f) && !is_text_field(f)) {
            // Fast path for the common cell, a number of at most 18 digits (which cannot
            // overflow): digits are parsed while the cell end is found, in one pass. Anything
            // else, errors included, takes the general path below.
            const bool negative = q != end && *q == '-' && is_signed_field(f);
            if (negative) ++q;
            const char* digits_begin = q;
            std::uint64_t v = 0;
            unsigned d = 0;
            while (q != end && (d = static_cast<unsigned char>(*q) - unsigned{'0'}) <= 9) {
                v = v * 10 + d;
                ++q;
            }
            const auto digits = q - digits_begin;
            if (digits > 0 && digits <= 18 && (q == end || *q == ',') &&
                (is_signed_field(f) || v <= field_max(f))) {
                r.set_number(f, negative ? ~v + 1 : v);
                done = true;
            }
        }
        if (!done) {
            if (is_text_field(f) && q != end && *q == '"') {
                // Quoted name: commas inside quotes belong to the cell ("" is an escaped quote).
                ++q;
                while (q != end) {
                    if (*q == '"') {
                        if (q + 1 != end && q[1] == '"') {
                            q += 2;
                            continue;
                        }
                        ++q;
                        break;
                    }
                    ++q;
                }
            }
            while (q != end && *q != ',') ++q;
            const std::string_view cell(p, static_cast<std::size_t>(q - p));
            if (!parse_field_text(f, cell, r))
                throw InputError(path_, at_line(line_no_),
                                 "column " + std::to_string(column + 1) + " '" + std::string(field_name(f)) +
                                     "': expected " + expected_text(f) + ", found " + quote_cell(cell));
        }
        ++column;
        if (q == end) break;
        p = q + 1;
    }
    if (column != ncolumns || extra_cells) {
        const auto cells = static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1;
        throw InputError(path_, at_line(line_no_),
                         "found " + std::to_string(cells) + " cells, expected " + std::to_string(ncolumns) +
                             " (one per header column)");
    }
    return true;
}

}  // namespace flowlab::core
