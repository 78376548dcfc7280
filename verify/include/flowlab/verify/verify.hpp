/// @brief Comparing what a collector stored with flowlab's ground truth.
///
/// Records level: every truth record must be matched by exactly one collected record with the
/// same key (exporter when the collector keeps it, src, dst, ports, protocol) and equal fields,
/// times compared at the collector's resolution. Matching hashes keys and disambiguates
/// records of one key by time (a long flow split by the active timeout, reused ports), so it
/// runs in linear time. Differences are classified as missing, unexpected (extra),
/// duplicated (a truth record received more than once) and altered (per-field diffs), and
/// missing records are located by export sequence number per exporter and domain.
///
/// Totals level: bytes, packets and flows per key (host, port, exporter, time bin, ...) within
/// a tolerance, against the exported records or the conversations (traffic truth, for probes
/// that meter themselves).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/run_control.hpp"
#include "flowlab/verify/collected.hpp"
#include "flowlab/verify/profile.hpp"

namespace flowlab::verify {

enum class Level : std::uint8_t { records, totals };
enum class TotalsTruth : std::uint8_t { records, conversations };
enum class Metric : std::uint8_t { bytes, packets, flows };
inline constexpr std::size_t kMetricCount = 3;
std::string_view metric_name(Metric m) noexcept;

/// One dimension of a totals key. host/port count a record once for each endpoint.
enum class TotalsKey : std::uint8_t { exporter, domain, version, src, dst, host, sport, dport, port, proto };
std::string_view totals_key_name(TotalsKey k) noexcept;
std::optional<TotalsKey> totals_key_from_name(std::string_view name) noexcept;

struct VerifyOptions {
    std::string truth_dir;  ///< gen's output directory (truth/records.csv, ...) or a records CSV file
    CollectedSpec collected;
    Level level = Level::records;
    std::optional<CollectorProfile> profile;
    std::optional<core::FieldSet> fields;  ///< compare only these (default: all the collector keeps)
    core::FieldSet ignore;                 ///< never compare these
    std::size_t examples = 10;             ///< examples kept per kind of difference
    std::int64_t time_slack_ms = 0;        ///< added to the collector's time rule
    /// Collected exporter address -> truth exporter address, applied before matching: a replay
    /// that gives each exporter its own loopback source (127.0.0.2, ...) keeps exporters
    /// distinguishable, and this maps them back so `exporter` is still compared.
    std::vector<std::pair<core::IpAddress, core::IpAddress>> exporter_map;
    unsigned threads = 0;                  ///< 0: one per core
    /// Refuse (UsageError, before any work) inputs whose estimated peak memory exceeds this
    /// many bytes; 0: default_memory_limit().
    std::uint64_t memory_limit = 0;

    // totals
    std::vector<TotalsKey> by{TotalsKey::src, TotalsKey::dst, TotalsKey::sport, TotalsKey::dport, TotalsKey::proto};
    std::int64_t bin_ms = 0;  ///< 0: no time bins
    double tolerance = 0;     ///< relative (0.01 = 1%)
    TotalsTruth against = TotalsTruth::records;
    std::optional<std::vector<Metric>> metrics;
};

enum class Outcome : std::uint8_t { missing, unexpected, duplicated, altered };
std::string_view outcome_name(Outcome o) noexcept;

struct RecordExample {
    std::optional<core::FlowRecord> truth;
    std::uint64_t truth_line = 0;
    std::optional<core::FlowRecord> collected;
    std::uint64_t collected_line = 0;
    core::FieldSet differing;  ///< altered: the fields that differ
    std::uint64_t copies = 0;  ///< duplicated: how many collected records matched this truth record
    /// Collected values as the comparison expected them (counters scaled by sampling, ICMP
    /// type/code from the destination port): what the report shows next to the truth value.
    std::string note;
};

/// A run of consecutive export messages (in the exporter's sending order) that lost records.
struct SequenceRange {
    std::uint64_t first_sequence = 0, last_sequence = 0;
    std::uint64_t messages = 0;        ///< messages in the run
    std::uint64_t messages_whole = 0;  ///< of which every record is missing
    std::uint64_t records_missing = 0;
    std::int64_t first_export_ms = 0, last_export_ms = 0;  ///< header times of the first and last message
    std::int64_t first_flow_ms = 0, last_flow_ms = 0;      ///< flow start times of the missing records
};

struct StreamLoss {
    core::IpAddress exporter;
    std::uint32_t domain = 0;
    std::uint8_t version = 0;
    std::uint64_t messages = 0, records = 0;
    std::uint64_t messages_hit = 0, records_missing = 0;
    std::vector<SequenceRange> ranges;  ///< the first `examples` runs
    std::uint64_t ranges_total = 0;
    /// When the collected data carries sequence numbers: truth messages none of whose records
    /// arrived with that sequence number.
    std::optional<std::uint64_t> messages_unseen;
};

/// Outcomes in one time slot, by flow start: the truth records that start in it (matched,
/// altered, missing, and the extra copies of duplicated ones) and the unexpected collected
/// records that start in it. For pictures of when differences happened.
struct TimelineSlot {
    std::int64_t start_ms = 0;
    std::uint64_t truth = 0, matched = 0, altered = 0, missing = 0, duplicated = 0, unexpected = 0;
};

struct ExporterCounts {
    core::IpAddress exporter;
    std::uint64_t truth = 0, matched = 0, missing = 0, altered = 0, duplicated = 0, unexpected = 0;
};

struct RecordsResult {
    std::uint64_t truth_records = 0, collected_records = 0;
    std::uint64_t matched = 0;         ///< truth records matched exactly (within the rules)
    std::uint64_t merged_records = 0;  ///< of which arrived summed with others into one row
    std::uint64_t merged_rows = 0;     ///< collected rows that were such sums
    std::uint64_t altered = 0, missing = 0, duplicated = 0, unexpected = 0;
    /// A faulted run's truth/may-lose.csv: records a correct decoder may lose (not part of
    /// truth_records, matched or missing); how many of them came and how many did not.
    std::uint64_t may_lose_records = 0, may_lose_received = 0, may_lose_missing = 0;
    std::array<std::uint64_t, core::kFieldCount> altered_by_field{};
    core::FieldSet key;       ///< fields of the matching key
    core::FieldSet compared;  ///< fields compared
    core::FieldSet excluded;  ///< fields left out by --fields/--ignore or the profile
    /// Per field: matched pairs whose truth record had the field but the collected one did not.
    std::array<std::uint64_t, core::kFieldCount> unchecked{};
    std::uint64_t pairs = 0;  ///< matched + altered pairs (the base of `unchecked`)
    std::vector<RecordExample> missing_examples, unexpected_examples, duplicated_examples, altered_examples;
    std::vector<StreamLoss> loss;
    std::vector<ExporterCounts> per_exporter;
    /// When no collected exporter address is one of the truth's: collected -> truth addresses
    /// inferred from the records (flow keys, and domains, templates and sequence numbers where
    /// the collector keeps them), for `--exporter-map`. Empty when it cannot be told.
    std::vector<std::pair<core::IpAddress, core::IpAddress>> inferred_exporter_map;
    std::int64_t timeline_slot_ms = 300'000;
    std::vector<TimelineSlot> timeline;  ///< non-empty slots in time order (records with a flow start)
    std::vector<std::string> notes;
};

struct TotalsRow {
    std::string key;
    std::array<std::uint64_t, kMetricCount> truth{}, collected{};
    std::array<bool, kMetricCount> within{};
};

struct TotalsResult {
    std::vector<Metric> metrics;
    std::vector<TotalsKey> by;
    std::int64_t bin_ms = 0;
    double tolerance = 0;
    TotalsTruth against = TotalsTruth::records;
    std::uint64_t truth_rows = 0, collected_rows = 0;
    std::uint64_t keys = 0, keys_outside = 0, keys_only_truth = 0, keys_only_collected = 0;
    std::array<std::uint64_t, kMetricCount> truth_sum{}, collected_sum{};
    std::vector<TotalsRow> outside;  ///< the first `examples`, largest differences first
    std::vector<std::string> notes;
};

struct VerifyResult {
    Level level = Level::records;
    std::string truth_path;
    std::string scenario;  ///< the truth's scenario (its manifest.json), if known
    std::string collected_source;
    CollectedFormat format = CollectedFormat::flowlab_csv;
    std::string format_note;
    std::string profile;
    std::vector<ProfileDrop> profile_drops;  ///< the profile's reasons for the fields it leaves out
    std::optional<RecordsResult> records;
    std::optional<TotalsResult> totals;
    double seconds = 0;
    std::uint64_t estimated_peak_bytes = 0;  ///< estimate_peak_memory() for this input
    std::uint64_t memory_limit = 0;          ///< the limit it was held against

    bool match() const noexcept;
    /// "MATCH" or "DIFFERENT: 12 missing, 3 altered, ..." (records) / "... keys outside 1%" (totals).
    std::string verdict() const;
};

/// Peak memory verify needs for a truth file of `truth_bytes` and collected data of
/// `collected_bytes` (0 when unknown, e.g. a pipe or an nfdump directory). The one place of
/// this estimate: it follows the matcher's data structures (measured: 10 M records of 166-byte
/// CSV rows peak at 0.9 GB at the records level), so a change of those updates this function only.
std::uint64_t estimate_peak_memory(Level level, std::uint64_t truth_bytes, std::uint64_t collected_bytes) noexcept;
/// Default --memory-limit: half of the machine's physical memory.
std::uint64_t default_memory_limit() noexcept;

/// Runs a verification. Progress goes to hooks.progress (tasks "verify truth" and "verify
/// collected", records read), phase timings to hooks.phase ("truth", "index", "collected",
/// "finish"). Throws UsageError/InputError/IoError/ConfigError for bad input (UsageError before
/// starting when estimate_peak_memory exceeds the memory limit), Interrupted when hooks.cancel
/// is set (a dump tool it runs is stopped by PID first).
VerifyResult verify(const VerifyOptions& options, const RunHooks& hooks = {});

/// Lower-level entry points (tests, `flowlab check`): the truth as a records CSV path.
std::string truth_records_path(const std::string& truth_dir);
std::string truth_conversations_path(const std::string& truth_dir);
/// truth/may-lose.csv of a faulted gen run, or "" (no faults, or the truth is a file).
std::string truth_may_lose_path(const std::string& truth_dir);

}  // namespace flowlab::verify
