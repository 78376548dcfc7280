/// @brief `flowlab report` as a library call: a gen output directory (the truth), a collector's
/// data (any reader verify has), and result JSON (verify, check, check --rates, conformance)
/// in; one self-contained HTML page out, one section per input.
///
/// Errors: UsageError for inputs that are none of these, InputError naming the file and the
/// JSON pointer or line for malformed ones, IoError when reading or writing fails, Error
/// Interrupted when the hooks' cancel token was set. The page is written under a temporary name
/// and renamed, so a failed run leaves no page behind. Never prints: progress goes to the hooks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/core/run_control.hpp"
#include "flowlab/report/traffic.hpp"
#include "flowlab/verify/collected.hpp"

namespace flowlab::report {

struct ReportOptions {
    /// gen output directories, nfcapd directories, collector output files, result JSON files.
    std::vector<std::string> inputs;
    /// `--collected [TOOL:]PATH`: a collector's data (with a gen directory among the inputs,
    /// drawn over the gen span and with its exporter names).
    std::vector<verify::CollectedSpec> collected;
    std::string output;
    std::string title;  ///< default: from the inputs
    /// Mark the lesson's answer (host, episodes) and the scenario's events. Off by default: a
    /// student's report must not give the lesson away.
    bool answers = false;
    std::size_t top = 10;  ///< rows per ranking table
    TrafficOptions traffic;
    /// Bytes the report may hold, its traffic aggregation and its page's data together; 0:
    /// gen::default_memory_limit() (half of the machine's or the cgroup's memory). An input whose
    /// estimate is larger is refused before it is read, and a report that grows past it while
    /// an input is read or its section written stops (no page is written).
    std::uint64_t memory_limit = 0;
    /// Where canned scenarios are found (for the scenario's events with `answers`).
    std::vector<std::string> scenario_dirs;
};

struct SectionSummary {
    std::string kind;   ///< traffic, verdict, sweep, card
    std::string title;
    std::string line;   ///< one line for the command's summary
    std::uint64_t records = 0;  ///< traffic: records read
};

struct ReportSummary {
    std::string output;
    std::uint64_t bytes = 0;
    double seconds = 0;
    std::vector<SectionSummary> sections;
    std::vector<std::string> notes;
    std::uint64_t peak_resident_bytes = 0;  ///< the process's peak (VmHWM) when the page was written
    /// Most bytes the report held at once, aggregation and page's data together: what
    /// --memory-limit bounds.
    std::uint64_t held_peak_bytes = 0;
    std::uint64_t page_peak_bytes = 0;  ///< most bytes the page's data held
    std::uint64_t memory_limit = 0;     ///< the limit that held
    /// An upper bound of the process's peak, stated before any input was read: the estimates of
    /// what the report would hold plus a fixed part (the binary, its libraries, Chart.js); 0
    /// when an input's span was unknown (a collector's data without a gen directory).
    std::uint64_t bound_bytes = 0;
    /// "OUT (2.4 MB): truth: 300229 records ...; in 1.3 s; aggregation and page held at most 19.5 MB
    /// (...), peak memory 35.0 MB (bound 312.2 MB)"
    std::string line() const;
};

/// Progress: task "report SOURCE", unit "records", fraction from the record count gen wrote or
/// estimated from the file size; detail "estimated" when it is an estimate.
ReportSummary write_report(const ReportOptions& options, const RunHooks& hooks = {});

/// What a result document is: "verdict" (verify --report-json, check --report-json),
/// "sweep" (check --rates --report-json), "card" (a conformance report card); nullopt if none.
std::optional<std::string> result_kind(const nlohmann::json& j);

/// The page of one result (`check --html`, `conformance --html`): the section `flowlab report
/// RESULT.json` draws. `source` names the result in messages. Returns the page's size.
std::uint64_t write_result_page(const nlohmann::json& result, const std::string& source, const std::string& title,
                                const std::string& output);

}  // namespace flowlab::report
