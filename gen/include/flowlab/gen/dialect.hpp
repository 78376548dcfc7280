/// @brief Exporter dialects: what real exporters put on the wire (templates, options, refresh,
/// time form, padding, message size, domain), as data files in gen/dialects/*.json.
///
/// A dialect file holds the same wire keys an exporter in a scenario may give itself, plus its
/// name, a description and the public source of its layout:
///
///     {"name": "openbsd-pflow-ipfix", "description": "...", "source": "...",
///      "protocol": "ipfix", "domain": 42, "template_refresh": {"packets": 0, "interval": "30s"},
///      "pad_sets": false, "max_message": 1424, "template_messages": "apart", "data_sets": "one",
///      "templates": {"v4": {"id": 256, "fields": ["sourceIPv4Address", "octetDeltaCount:8", ...],
///                           "values": {"forwardingStatus": 64}},
///                    "v6": {...}, "icmp_v4": {...}, "icmp_v6": {...}},
///      "options": [{"id": 258, "scope": 1, "fields": [...], "when": "sampling"}],
///      "values": {...}}
///
/// An exporter names a dialect with "dialect": NAME and may override any of these keys.
/// Dialects are looked up in $FLOWLAB_DIALECTS (colon-separated directories) and then in the
/// installed data directory (core::DataKind::dialects). Errors throw ConfigError naming the
/// dialect file and the JSON pointer.
#pragma once

#include <string>
#include <vector>

#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen {

struct DialectInfo {
    std::string name;
    std::string description;
    std::string source;  ///< where the layout comes from (code, captures, documentation)
    std::string protocol;
    std::string file;
};

/// Directories searched for dialects ($FLOWLAB_DIALECTS first).
std::vector<std::string> dialect_dirs();

/// The file of dialect `name` (a name in dialect_dirs(), or a path to a .json file). Throws
/// UsageError listing the known names when there is none.
std::string find_dialect(const std::string& name);

/// Reads and checks a dialect file completely (templates, options, values). Throws ConfigError.
DialectInfo load_dialect_info(const std::string& file);

/// Every dialect found, by name (the first directory that has a name wins), each checked.
std::vector<DialectInfo> list_dialects();

/// The scenario with every exporter switched to dialect `name`: the exporter's own wire keys
/// (protocol, domain, time_style, template_refresh, templates, options, values, pad_sets,
/// max_message, template_messages, data_sets, v9_count, sequence) give way to the dialect's, except the domain of exporters that share an
/// address and port with another (the domain is then all that tells them apart).
/// Throws ConfigError / UsageError.
Scenario with_dialect(const Scenario& s, const std::string& name);

}  // namespace flowlab::gen
