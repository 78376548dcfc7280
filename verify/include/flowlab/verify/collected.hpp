/// @brief Readers that turn what a collector stored into flow records of the shared vocabulary.
///
/// Each reader marks present exactly the fields its tool really carries, and describes in
/// ReaderTraits how the tool alters what it received (time resolution, sampling scaling,
/// aggregation), so the matcher compares like with like and can say what it could not check.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/run_control.hpp"

namespace flowlab::verify {

/// The tools whose output flowlab reads (the part before ':' in `--collected TOOL:PATH`).
enum class Tool : std::uint8_t { flowlab, nfdump, pmacct, tshark, goflow2 };

/// Concrete output formats; the tool is named by the user or detected, the variant is
/// always detected from the content.
enum class CollectedFormat : std::uint8_t {
    flowlab_csv,   ///< `flowlab decode -f csv`, truth/records.csv
    flowlab_jsonl, ///< `flowlab decode -f jsonl`
    nfdump_json,   ///< `TZ=UTC nfdump -o json` (ms, local time printed: TZ=UTC is required)
    nfdump_csv,    ///< `nfdump -o csv` (times in whole seconds)
    nfdump_pipe,   ///< `nfdump -q -o pipe` (epoch ms, no exporter)
    pmacct_csv,    ///< nfacctd print plugin, print_output: csv
    pmacct_json,   ///< nfacctd print plugin, print_output: json
    tshark_json,   ///< `TZ=UTC tshark -T json` of the cflow dissector
    goflow2_json,  ///< goflow2 JSON lines (v2 snake_case names or v1 CamelCase names)
};

std::string_view tool_name(Tool t) noexcept;
std::string_view format_name(CollectedFormat f) noexcept;
Tool tool_of(CollectedFormat f) noexcept;
std::optional<Tool> tool_from_name(std::string_view name) noexcept;

/// How a collector's flow times relate to the exported ones: the collected value equals the
/// truth value rounded down to `granularity_ms`, give or take `slack_ms`.
struct TimeRule {
    std::int64_t granularity_ms = 1;
    std::int64_t slack_ms = 0;
    /// True if `collected` is what this rule allows for `truth`.
    bool accepts(std::int64_t truth, std::int64_t collected) const noexcept;
    /// Distance outside the rule (0 when accepted), for choosing the nearest candidate.
    std::int64_t distance(std::int64_t truth, std::int64_t collected) const noexcept;
};

/// What a reader knows about its tool.
struct ReaderTraits {
    CollectedFormat format = CollectedFormat::flowlab_csv;
    /// Fields this format can carry at all (a record may still lack some of them).
    core::FieldSet carried;
    /// Flow start/end times for NetFlow v5/v9 records (and records without a version).
    TimeRule flow_time;
    /// Flow start/end times for IPFIX records.
    TimeRule flow_time_ipfix;
    /// The export time of the message header (export_ms).
    TimeRule export_time;
    /// The tool sums records whose stored fields are all equal (pmacct's aggregation).
    bool sums_equal_records = false;
    /// Versions (bit 1 << version) whose packets/bytes the tool multiplies by the sampling
    /// interval (nfdump: v5 header sampling rate).
    std::uint32_t scales_sampling_versions = 0;
    /// One sentence on how the tool alters data, for the report.
    std::string note;

    const TimeRule& time_for_version(std::optional<std::uint8_t> version) const noexcept {
        return version && *version == 10 ? flow_time_ipfix : flow_time;
    }
};

/// `--collected [TOOL:]PATH`. Without a tool the format is detected from the content.
struct CollectedSpec {
    std::optional<Tool> tool;
    std::string path;
    /// The tool to run for `nfdump:DIR` (tests point it elsewhere); "nfdump" from PATH by default.
    std::string nfdump_program = "nfdump";
    /// Where that tool's stderr is appended (a run's log); empty: a temporary file. Either
    /// way it is quoted when the tool fails or complains.
    std::string tool_log;
    /// Set by verify() from its hooks: a stop request ends a read that waits for input.
    const CancelToken* cancel = nullptr;
};

/// Parses "TOOL:PATH" or "PATH". Throws UsageError for an unknown tool name.
CollectedSpec parse_collected_spec(std::string_view text);

/// A pull reader of collected records.
class CollectedReader {
public:
    virtual ~CollectedReader() = default;
    /// Reads the next record into r (reset first); false at the end. Throws InputError naming
    /// the file and line (and what was expected) for malformed input.
    virtual bool next(core::FlowRecord& r) = 0;
    /// Line where the record returned last begins (1-based), for reports.
    virtual std::uint64_t place() const noexcept = 0;
    const ReaderTraits& traits() const noexcept { return traits_; }
    /// File (or directory) the records come from.
    const std::string& source() const noexcept { return source_; }

protected:
    CollectedReader(ReaderTraits traits, std::string source) : traits_(std::move(traits)), source_(std::move(source)) {}
    ReaderTraits traits_;
    std::string source_;
};

/// Opens collected output. A directory means nfdump files (read through `nfdump -R DIR -o
/// json`, TZ=UTC). Throws UsageError if the format cannot be told and no tool was named,
/// InputError if the content is not what the named tool writes, IoError if unreadable.
std::unique_ptr<CollectedReader> open_collected(const CollectedSpec& spec);

/// Detects the format of a file from its first bytes; nullopt if not recognised.
/// `tool` restricts the candidates.
std::optional<CollectedFormat> detect_format(std::string_view head, std::optional<Tool> tool = std::nullopt);

/// Traits of a format (what open_collected's reader reports).
ReaderTraits traits_of(CollectedFormat format);

}  // namespace flowlab::verify
