/// @brief apply_column: parse by syntax, range-check by field, store; the one quoting function.
#include "columns.hpp"

#include "readers.hpp"
#include "text_util.hpp"

namespace flowlab::verify::detail {

using core::Field;

std::string excerpt(std::string_view text) {
    static constexpr std::size_t kMax = 60;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "'";
    for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    out += '\'';
    if (text.size() > kMax) out += " (" + std::to_string(text.size()) + " bytes, first " + std::to_string(kMax) + " shown)";
    return out;
}

std::optional<std::string> set_checked(core::FlowRecord& r, Field f, std::uint64_t v) {
    auto outside = [&](std::uint64_t max) {
        return std::to_string(v) + " is out of range for " + std::string(core::field_name(f)) + " (0-" +
               std::to_string(max) + ")";
    };
    if ((f == Field::src_mask || f == Field::dst_mask) && v > 128) return outside(128);
    if (f == Field::version && v != 5 && v != 9 && v != 10)
        return std::to_string(v) + " is not a NetFlow/IPFIX version (5, 9 or 10)";
    if (core::is_signed_field(f)) {
        if (v > static_cast<std::uint64_t>(kMaxTimeMs)) return outside(static_cast<std::uint64_t>(kMaxTimeMs));
        return set_time_checked(r, f, static_cast<std::int64_t>(v));
    }
    // The field's width is FlowRecord's: store a copy and see whether it kept the value.
    core::FlowRecord probe;
    probe.set_number(f, v);
    if (probe.number(f) != v) {
        core::FlowRecord all_ones;
        all_ones.set_number(f, ~std::uint64_t{0});
        return outside(all_ones.number(f));
    }
    r.set_number(f, v);
    return std::nullopt;
}

std::optional<std::string> set_time_checked(core::FlowRecord& r, Field f, std::int64_t ms) {
    if (ms < 0 || ms > kMaxTimeMs)
        return std::to_string(ms) + " ms is not a time between 1970 and 9999 (" + std::string(core::field_name(f)) + ")";
    r.set_number(f, static_cast<std::uint64_t>(ms));
    return std::nullopt;
}

std::optional<std::string> apply_column(const Column& c, std::string_view text, core::FlowRecord& r) {
    const Field f = c.field;
    auto bad = [&](const char* expected) {
        return std::optional<std::string>(excerpt(text) + " is not " + expected + " (" + std::string(core::field_name(f)) + ")");
    };
    std::uint64_t n = 0;
    std::int64_t ms = 0;
    switch (c.syntax) {
        case Syntax::uint:
            if (!parse_uint(text, n)) return bad("an unsigned number");
            return set_checked(r, f, n);
        case Syntax::uint_or_hex:
            if (!parse_uint_or_hex(text, n)) return bad("a number");
            return set_checked(r, f, n);
        case Syntax::address_or_empty:
            if (text.empty()) return std::nullopt;
            [[fallthrough]];
        case Syntax::address:
            if (!set_address_text(r, f, text)) return bad("an IPv4 or IPv6 address");
            return std::nullopt;
        case Syntax::protocol: {
            const auto p = protocol_from_text(text);
            if (!p) {
                if (parse_uint(text, n)) return set_checked(r, f, n);  // a number out of range says so
                return bad("a protocol number or name");
            }
            return set_checked(r, f, *p);
        }
        case Syntax::nfdump_flags: {
            const auto fl = tcp_flags_from_nfdump(text);
            if (!fl) {
                if (parse_uint_or_hex(text, n)) return set_checked(r, f, n);
                return bad("TCP flags like \"...AP.SF\"");
            }
            return set_checked(r, f, *fl);
        }
        case Syntax::datetime:
            if (!parse_datetime_ms(text, ms)) return bad("a time YYYY-MM-DD HH:MM:SS[.mmm]");
            return set_time_checked(r, f, ms);
        case Syntax::seconds:
            if (!parse_seconds_ms(text, ms)) return bad("a number of seconds");
            return set_time_checked(r, f, ms);
        case Syntax::seconds_or_datetime:
            if (!parse_seconds_ms(text, ms) && !parse_datetime_ms(text, ms))
                return bad("a time (seconds.micros or YYYY-MM-DD HH:MM:SS)");
            return set_time_checked(r, f, ms);
        case Syntax::tshark_time:
            if (!parse_tshark_time_ms(text, ms))
                return bad("a time like \"Nov 14, 2023 22:13:20.123000000 UTC\" (run tshark with TZ=UTC)");
            return set_time_checked(r, f, ms);
    }
    return std::nullopt;
}

std::optional<std::string> CsvColumns::set_header(std::string_view header, const ColumnTable& table) {
    header_ = std::string(header);
    names_.assign(kMaxColumns, {});
    const std::size_t n = split(header_, ',', names_.data(), names_.size());
    if (n > kMaxColumns) return "more than " + std::to_string(kMaxColumns) + " columns";
    names_.resize(n);
    columns_.clear();
    for (const std::string_view name : names_) columns_.push_back(table.find(name));
    cells_.resize(n + 1);  // one more, so that a row with an extra cell is counted, not cut
    return std::nullopt;
}

std::optional<std::string> CsvColumns::apply(std::string_view line, core::FlowRecord& r) {
    const std::size_t n = split(line, ',', cells_.data(), cells_.size());
    if (n != columns_.size())
        return "expected " + std::to_string(columns_.size()) + " columns as in the header, found " + std::to_string(n);
    r = core::FlowRecord{};
    for (std::size_t i = 0; i < n; ++i)
        if (columns_[i])
            if (auto err = apply_column(*columns_[i], cells_[i], r)) return "column " + std::string(names_[i]) + ": " + *err;
    return std::nullopt;
}

}  // namespace flowlab::verify::detail
