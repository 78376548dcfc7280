/// @brief Collector profiles: what a collector keeps of each record and how its output is read.
///
/// A profile is a JSON file (verify/collectors/NAME.json ships nfcapd and nfacctd):
///
///     {
///       "name": "nfcapd",
///       "description": "nfdump 1.7 collector ...",
///       "reader": "nfdump",
///       "keeps": ["exporter", "src", "dst", ...],
///       "drops": {"5": ["src_mask", "dst_mask"]},
///       "flow_time": {"granularity": "1ms", "slack": "0ms"},
///       "sums_equal_records": false,
///       "run": { ... }
///     }
///
/// `keeps` lists the fields of the shared vocabulary the collector stores; verify compares
/// only those (and names the truth fields it could not check). `drops` lists fields the
/// collector is known to lose for one export version. `flow_time` and `sums_equal_records`
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

struct CollectorProfile {
    std::string name;
    std::string description;
    std::string file;  ///< where it was loaded from
    Tool reader = Tool::flowlab;
    core::FieldSet keeps;
    std::map<std::uint8_t, core::FieldSet> drops;  ///< by export version (5, 9, 10)
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
