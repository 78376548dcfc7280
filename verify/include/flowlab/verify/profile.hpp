/// @brief Collector profiles: what a collector keeps of each record and how its output is read.
///
/// A profile is a JSON file (verify/collectors/NAME.json ships nfcapd and nfacctd):
///
///     {
///       "name": "nfcapd",
///       "description": "nfdump 1.7 collector ...",
///       "reader": "nfdump",
///       "keeps": ["exporter", "src", "dst", ...],
///       "drops": {"5": [{"field": "src_mask", "kind": "deviation", "shown_by": "3.18",
///                        "why": "..."}, ...]},
///       "flow_time": {"granularity": "1ms", "slack": "0ms"},
///       "sums_equal_records": false,
///       "run": { ... }
///     }
///
/// `keeps` lists the fields of the shared vocabulary the collector stores; verify compares
/// only those (and names the truth fields it could not check). `drops` lists fields the
/// collector loses for one export version, each a field name or an object saying whether the
/// collector does not store the field by design ("not stored") or deviates from the RFC
/// ("deviation"), and which conformance case shows it (`shown_by`): the case is the evidence,
/// the drop only keeps a whole run's verify from reporting every record altered.
/// `flow_time` and `sums_equal_records`
/// override what the reader assumes. `run` belongs to `flowlab check` (how to start, flush,
/// stop and dump the collector); verify keeps it unread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/verify/collected.hpp"

namespace flowlab::verify {

/// Why a profile leaves a field out of the comparison for one export version.
struct ProfileDrop {
    std::uint8_t version = 0;  ///< 5, 9 or 10
    core::Field field{};
    std::string kind;      ///< "not stored" or "deviation"; empty when the profile gives no reason
    std::string shown_by;  ///< the conformance case that shows it ("2.14"), or empty
    std::string why;
};

struct CollectorProfile {
    std::string name;
    std::string description;
    std::string file;  ///< where it was loaded from
    Tool reader = Tool::flowlab;
    core::FieldSet keeps;
    std::map<std::uint8_t, core::FieldSet> drops;  ///< by export version (5, 9, 10)
    std::vector<ProfileDrop> drop_reasons;          ///< one per dropped field, in file order
    std::optional<TimeRule> flow_time;
    std::optional<bool> sums_equal_records;
    nlohmann::json run;  ///< for `flowlab check`; null when absent
};

/// Parses a profile document. Throws ConfigError naming `file` and the JSON pointer of the
/// first problem (unknown keys, unknown field names, wrong types).
CollectorProfile parse_profile(const nlohmann::json& doc, const std::string& file);

/// Loads a profile by path, or by name from the profile directories (FLOWLAB_COLLECTORS,
/// then core::data_dirs(collectors): the install prefix first, the source tree only for a build-tree executable).
/// Throws UsageError if no such profile exists, ConfigError if it is malformed.
CollectorProfile load_profile(const std::string& name_or_path);

/// Names of the profiles found in the profile directories.
std::vector<std::string> available_profiles();

/// A duration in the one vocabulary (core::parse_duration: "10ms", "1s", "5m"; a unit is
/// required) in milliseconds, rounded down; nullopt if malformed.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

}  // namespace flowlab::verify
