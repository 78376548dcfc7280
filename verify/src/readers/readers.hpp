/// @brief Factories of the concrete collected-output readers (one file per tool).
#pragma once

#include <memory>
#include <string>

#include "flowlab/core/error.hpp"
#include "flowlab/verify/collected.hpp"
#include "input_stream.hpp"
#include "json_scanner.hpp"

namespace flowlab::verify::detail {

std::unique_ptr<CollectedReader> make_flowlab_csv_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_flowlab_jsonl_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_nfdump_json_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_nfdump_csv_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_nfdump_pipe_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_pmacct_csv_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_pmacct_json_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_tshark_json_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_goflow2_json_reader(InputStream in, std::string source);

/// A reader of line-based output (CSV, nfdump's pipe format): a record's place is its line, and
/// a failure names that line.
class LineBasedReader : public CollectedReader {
public:
    std::uint64_t place() const noexcept override { return lines_.line(); }

protected:
    LineBasedReader(CollectedFormat format, InputStream in, std::string source)
        : CollectedReader(traits_of(format), std::move(source)), lines_(std::move(in)) {}
    [[noreturn]] void fail(const std::string& what) const {
        throw InputError(source_, line_place(lines_.line()), what);
    }
    LineReader lines_;
};

/// A reader of JSON lines (pmacct, goflow2, flowlab): one object per record, whose place is the
/// line it begins on.
class JsonLinesReader : public CollectedReader {
public:
    std::uint64_t place() const noexcept override { return place_; }

protected:
    JsonLinesReader(CollectedFormat format, InputStream in, std::string source)
        : CollectedReader(traits_of(format), std::move(source)), json_(std::move(in)) {}
    /// Reads the next object's '{' and resets r for it; false at the end of the input.
    bool begin_object(core::FlowRecord& r) {
        const JsonToken t = json_.next();
        if (t == JsonToken::end) return false;
        if (t != JsonToken::begin_object) json_.fail("expected a JSON object per line");
        place_ = json_.line();
        r = core::FlowRecord{};
        return true;
    }
    JsonScanner json_;
    std::uint64_t place_ = 0;
};

/// Sets an address field from text; false if the text is not an address.
bool set_address_text(core::FlowRecord& r, core::Field f, std::string_view text);

}  // namespace flowlab::verify::detail
