/// @brief The wire keys of an exporter or a dialect file (shared by scenario parsing and the
/// dialect loader).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "flowlab/gen/scenario.hpp"
#include "json_node.hpp"

namespace flowlab::gen::detail {

/// Where each template (and each of its fields) was defined, for errors found after merging.
struct TemplateOrigin {
    std::string file;
    std::string pointer;
    std::vector<std::string> field_pointers;
};

struct WireState {
    bool protocol_set = false;
    std::string protocol_origin;  ///< "dialect NAME" or "" (the exporter itself)
    std::array<TemplateOrigin, 4> templates;  ///< v4, v6, icmp_v4, icmp_v6
    std::vector<TemplateOrigin> options;
    /// Where "v9_count" and "sequence" were given, to name them if the protocol does not fit.
    std::string v9_count_file, v9_count_pointer, sequence_file, sequence_pointer;
};

/// The keys parse_wire_keys reads.
inline const std::vector<std::string_view> kWireKeys = {"protocol", "domain", "time_style", "template_refresh", "templates",
                                                        "options", "values", "pad_sets", "max_message",
                                                        "template_messages", "data_sets", "v9_count", "sequence"};

/// Applies the wire keys present in `n` onto `e` (later calls override earlier ones).
void parse_wire_keys(const Node& n, Exporter& e, WireState& state);

/// Loads dialect `name` (as named at `at`) onto `e`. Throws ConfigError at `at` when there is no
/// such dialect, or in the dialect file when it is bad.
void apply_dialect(const Node& at, Exporter& e, WireState& state);

/// An object of index: name ("*": a pattern with "{index}", where `pattern` allows it), as in a
/// table options entry's "names" and an exporter's "interface_names" / "vrf_names".
TableNames parse_table_names(const Node& n, bool pattern);

/// The rows of table options entry k of `e` (e.options has a table there), sorted by index:
/// interfaces are the ones the exporter's records use (its observations' and default_if, but
/// not 0, which says "no interface") and the ones it names; VRFs are 0 (flowlab's records
/// carry VRF 0: the flow model has no VRFs) and the ones it names. A row's name is the
/// exporter's, else the table's, else the exporter's pattern, the table's, or if{index} /
/// vrf{index}. Each row comes with where its name was given (empty for the built-in pattern).
struct TableRow {
    core::OptionsTableRow row;
    std::string file, pointer;
};
std::vector<TableRow> table_rows(const Exporter& e, std::size_t k);

/// After all layers: every data field has a value gen can produce; throws ConfigError at the
/// field's place otherwise. Derives e.time_style from the templates.
void finish_wire(const Node& exporter, Exporter& e, const WireState& state);

}  // namespace flowlab::gen::detail
