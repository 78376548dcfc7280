/// @brief Readers of flowlab's own CSV and JSON lines (truth files, `flowlab decode`).
///
/// The cell grammar is core's (core::parse_field_text); lines come from verify's LineReader
/// rather than core::RecordCsvReader because the stream may already have been read ahead for
/// format detection (standard input cannot be reopened).
#include <climits>
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

std::vector<int> parse_flowlab_header(std::string_view line, const std::string& file, std::uint64_t line_no) {
    std::vector<int> columns;
    std::size_t pos = 0;
    while (true) {
        const std::size_t comma = line.find(',', pos);
        const std::string_view name = line.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        const auto f = core::field_from_name(name);
        if (!f)
            throw InputError(file, line_place(line_no),
                             "unknown column '" + std::string(name) + "' in the header (expected flowlab field names: " +
                                 core::csv_header() + ")");
        for (int c : columns)
            if (c == static_cast<int>(*f))
                throw InputError(file, line_place(line_no), "column '" + std::string(name) + "' appears twice");
        columns.push_back(static_cast<int>(*f));
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return columns;
}

namespace {

// The fast path of a cell: canonical decimal numbers and dotted-quad IPv4 addresses, parsed
// while looking for the comma and written straight into the record's members. Anything else
// (IPv6, negative times, leading zeros, out-of-range values) falls back to
// core::parse_field_text, which decides, so the accepted grammar is exactly core's. This runs
// for every row of truth and collected files, tens of millions of times.

/// Parses digits from p; on success (the cell ends at a comma or the line end) sets v and
/// returns the end of the cell, else nullptr.
inline const char* fast_decimal(const char* p, const char* e, std::uint64_t& v) noexcept {
    const char* start = p;
    std::uint64_t x = 0;
    while (p != e) {
        const unsigned d = static_cast<unsigned char>(*p) - unsigned{'0'};
        if (d > 9) break;
        x = x * 10 + d;
        ++p;
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
inline const char* fast_cell(Field f, const char* p, const char* e, core::FlowRecord& r) noexcept {
    if (core::is_address_field(f)) {
        std::uint32_t a;
        const char* q = fast_v4(p, e, a);
        if (!q) return nullptr;
        const core::IpAddress addr = core::IpAddress::v4(a);
        switch (f) {
            case Field::exporter: r.exporter = addr; break;
            case Field::src: r.src = addr; break;
            case Field::dst: r.dst = addr; break;
            default: r.next_hop = addr; break;
        }
        r.present.set(f);
        return q;
    }
    std::uint64_t v;
    const char* q = fast_decimal(p, e, v);
    if (!q) return nullptr;
    std::uint64_t max;
    switch (f) {
        case Field::packets:
        case Field::bytes: max = ~std::uint64_t{0}; break;
        case Field::first_ms:
        case Field::last_ms:
        case Field::export_ms: max = static_cast<std::uint64_t>(INT64_MAX); break;
        case Field::domain:
        case Field::sequence:
        case Field::in_if:
        case Field::out_if:
        case Field::src_as:
        case Field::dst_as:
        case Field::sampling_interval: max = 0xFFFFFFFFu; break;
        case Field::sport:
        case Field::dport:
        case Field::template_id: max = 0xFFFFu; break;
        default: max = 0xFFu; break;
    }
    if (v > max) return nullptr;
    switch (f) {
        case Field::domain: r.domain = static_cast<std::uint32_t>(v); break;
        case Field::sport: r.sport = static_cast<std::uint16_t>(v); break;
        case Field::dport: r.dport = static_cast<std::uint16_t>(v); break;
        case Field::proto: r.proto = static_cast<std::uint8_t>(v); break;
        case Field::tos: r.tos = static_cast<std::uint8_t>(v); break;
        case Field::tcp_flags: r.tcp_flags = static_cast<std::uint8_t>(v); break;
        case Field::packets: r.packets = v; break;
        case Field::bytes: r.bytes = v; break;
        case Field::first_ms: r.first_ms = static_cast<std::int64_t>(v); break;
        case Field::last_ms: r.last_ms = static_cast<std::int64_t>(v); break;
        case Field::in_if: r.in_if = static_cast<std::uint32_t>(v); break;
        case Field::out_if: r.out_if = static_cast<std::uint32_t>(v); break;
        case Field::src_as: r.src_as = static_cast<std::uint32_t>(v); break;
        case Field::dst_as: r.dst_as = static_cast<std::uint32_t>(v); break;
        case Field::src_mask: r.src_mask = static_cast<std::uint8_t>(v); break;
        case Field::dst_mask: r.dst_mask = static_cast<std::uint8_t>(v); break;
        case Field::icmp_type: r.icmp_type = static_cast<std::uint8_t>(v); break;
        case Field::icmp_code: r.icmp_code = static_cast<std::uint8_t>(v); break;
        case Field::end_reason: r.end_reason = static_cast<std::uint8_t>(v); break;
        case Field::sampling_interval: r.sampling_interval = static_cast<std::uint32_t>(v); break;
        case Field::version: r.version = static_cast<std::uint8_t>(v); break;
        case Field::sequence: r.sequence = static_cast<std::uint32_t>(v); break;
        case Field::template_id: r.template_id = static_cast<std::uint16_t>(v); break;
        case Field::export_ms: r.export_ms = static_cast<std::int64_t>(v); break;
        default: return nullptr;
    }
    r.present.set(f);
    return q;
}

}  // namespace

std::optional<std::string> parse_flowlab_row(const std::vector<int>& columns, std::string_view line, core::FlowRecord& r) {
    const char* p = line.data();
    const char* const end = p + line.size();
    const std::size_t n = columns.size();
    for (std::size_t c = 0; c < n; ++c) {
        const auto f = static_cast<Field>(columns[c]);
        const char* q = p != end && *p != ',' ? fast_cell(f, p, end, r) : p;
        if (!q) {
            q = p;
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

class FlowlabCsvReader final : public CollectedReader {
public:
    FlowlabCsvReader(InputStream in, std::string source)
        : CollectedReader(traits_of(CollectedFormat::flowlab_csv), std::move(source)), lines_(std::move(in)) {
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
        if (auto err = parse_flowlab_row(columns_, line, r)) throw InputError(source_, line_place(lines_.line()), *err);
        return true;
    }
    std::uint64_t place() const noexcept override { return lines_.line(); }

private:
    LineReader lines_;
    std::vector<int> columns_;
};

class FlowlabJsonlReader final : public CollectedReader {
public:
    FlowlabJsonlReader(InputStream in, std::string source)
        : CollectedReader(traits_of(CollectedFormat::flowlab_jsonl), std::move(source)), json_(std::move(in)) {}

    bool next(core::FlowRecord& r) override {
        JsonToken t = json_.next();
        if (t == JsonToken::end) return false;
        if (t != JsonToken::begin_object) json_.fail("expected a JSON object per line");
        place_ = json_.line();
        r = core::FlowRecord{};
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
    std::uint64_t place() const noexcept override { return place_; }

private:
    JsonScanner json_;
    std::uint64_t place_ = 0;
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
