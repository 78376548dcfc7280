/// @brief Writing and reading flow records in the shared CSV and JSONL vocabulary.
///
/// Formatting is hand-written over std::to_chars into a large buffer rather than iostreams or
/// nlohmann::json: decode, gen and verify move millions of records per second through here.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/decoder.hpp"
#include "flowlab/core/flow_record.hpp"

namespace flowlab::core {

enum class RecordFormat { csv, jsonl };

/// The CSV header line (no newline): the field names in column order, comma-separated.
std::string csv_header();

namespace detail {
class CsvMemo;
}

/// Buffered writer of records to a stdio stream. Throws IoError if the stream fails.
class RecordWriter {
public:
    RecordWriter(std::FILE* out, RecordFormat format, std::string name_for_errors = "output");
    ~RecordWriter();
    RecordWriter(const RecordWriter&) = delete;
    RecordWriter& operator=(const RecordWriter&) = delete;

    /// CSV: writes the header line. JSONL: nothing.
    void begin();
    void write(const FlowRecord& r);
    /// JSON lines: the record and, when `view` has a layout, every element of the record in
    /// template order as "elements":[[name,value],...] (repeated elements once per occurrence).
    /// CSV: as write(r).
    void write(const FlowRecord& r, const RecordView* view);
    /// Writes raw text (a line already formatted by the caller).
    void write_text(std::string_view text);
    void flush();
    std::uint64_t written() const noexcept { return written_; }
    /// Every byte written from now on is also shown to `tap` (for hashing as it is made).
    void set_tap(ByteTap tap) { tap_ = std::move(tap); }

private:
    void spill();
    std::FILE* out_;
    RecordFormat format_;
    std::string name_;
    std::vector<char> buf_;
    std::size_t used_ = 0;
    std::uint64_t written_ = 0;
    ByteTap tap_;
    std::string line_;
    std::unique_ptr<detail::CsvMemo> memo_;  ///< CSV: texts remembered from earlier rows
};

/// Appends one record as a CSV row (with newline) to out.
void append_csv_row(std::string& out, const FlowRecord& r);
/// Appends one record as a JSON object (with newline) to out.
void append_json_line(std::string& out, const FlowRecord& r);
/// Appends text as one CSV cell, quoted (RFC 4180) only when it holds a comma, a quote or a line
/// break: the rule every flowlab CSV follows, records and `decode --options` tables alike.
void append_csv_cell(std::string& out, std::string_view text);

/// The name an element has in JSON lines and `decode --options` output: the registry name
/// (qualified "registry:name" for enterprise registries), "en<PEN>:id<ID>" when the registry
/// does not know it, "v9Scope<Type>" for NetFlow v9 options scope fields.
std::string element_name(const FieldSpec& spec, const IeInfo* info, bool v9_scope);
/// An element's value as text by its registry type: numbers in decimal (reduced size
/// included), addresses, MACs, strings up to the first NUL, times as the wire says (seconds,
/// milliseconds; micro/nanoseconds as epoch seconds with a fraction), everything else (and
/// unknown elements) as 0x-prefixed hex. `quoted` says whether JSON needs it in quotes.
/// `netscaler_micro` (ElementLayout::netscaler_micro) reads dateTimeMicroseconds as NetScaler
/// AppFlow writes them, the lower word counting microseconds when it is below 10^6.
void element_text(const FieldSpec& spec, const IeInfo* info, std::span<const std::uint8_t> value, std::string& out,
                  bool& quoted, bool netscaler_micro = false);
/// Appends "[name,value],..." for every element of the view (no brackets around the list).
void append_elements_json(std::string& out, const RecordView& view);
/// Appends `text` as a JSON string body (quotes, backslashes and control characters escaped).
void append_json_escaped(std::string& out, std::string_view text);

/// Reads flowlab CSV (truth/records.csv, `flowlab decode -f csv`). The header decides which
/// columns are present and in which order; unknown columns are an error, missing ones are
/// absent in every record. Throws InputError naming the file, line and column.
class RecordCsvReader {
public:
    /// Opens a file; "-" is standard input.
    explicit RecordCsvReader(const std::string& path);
    ~RecordCsvReader();
    RecordCsvReader(const RecordCsvReader&) = delete;
    RecordCsvReader& operator=(const RecordCsvReader&) = delete;

    /// Reads the next record into r (which is reset first); false at end of file.
    bool next(FlowRecord& r);
    std::uint64_t line() const noexcept { return line_no_; }

private:
    bool read_line(std::string_view& line);
    std::string path_;
    std::FILE* in_ = nullptr;
    bool owned_ = false;
    std::vector<int> columns_;  // Field index per CSV column
    std::vector<char> buf_;
    std::size_t begin_ = 0, end_ = 0;
    bool eof_ = false;
    std::uint64_t line_no_ = 0;
};

/// Parses one CSV cell into field f of r (empty cell = absent). Returns false if malformed.
bool parse_field_text(Field f, std::string_view text, FlowRecord& r) noexcept;

}  // namespace flowlab::core
