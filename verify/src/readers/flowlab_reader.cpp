/// @brief Readers of flowlab's own CSV and JSON lines (truth files, `flowlab decode`).
///
/// The cell grammar is core's (core::parse_field_text); lines come from verify's LineReader
/// rather than core::RecordCsvReader because the stream may already have been read ahead for
/// format detection (standard input cannot be reopened).
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

std::optional<std::string> parse_flowlab_row(const std::vector<int>& columns, std::string_view line, core::FlowRecord& r) {
    std::size_t pos = 0;
    const std::size_t n = columns.size();
    for (std::size_t c = 0; c < n; ++c) {
        std::size_t end;
        if (c + 1 < n) {
            end = line.find(',', pos);
            if (end == std::string_view::npos)
                return "expected " + std::to_string(n) + " columns, found " + std::to_string(c + 1);
        } else {
            end = line.size();
            const std::size_t extra = line.find(',', pos);
            if (extra != std::string_view::npos)
                return "expected " + std::to_string(n) + " columns, found more";
        }
        const std::string_view cell = line.substr(pos, end - pos);
        const auto f = static_cast<Field>(columns[c]);
        if (!core::parse_field_text(f, cell, r))
            return "column " + std::to_string(c + 1) + " (" + std::string(core::field_name(f)) + "): '" +
                   std::string(cell) + "' is not " +
                   (core::is_address_field(f) ? "an IPv4 or IPv6 address" : "a number in range");
        pos = end + 1;
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
