/// @brief What the section parsers hand to the whole-model check (stage 2 of validation).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen::detail {

struct ParseNotes {
    std::vector<std::optional<std::uint64_t>> explicit_offset;  ///< per pool
    std::vector<bool> profile_has_site;                         ///< per profile
};

/// Stage 2: cross-section checks on a fully parsed model (pool allocation and capacity,
/// profile coverage of every day type, address families, schedules against the span,
/// exporter limits). Throws ConfigError naming the JSON pointer of the culprit.
void check_model(Scenario& s, const ParseNotes& notes);

}  // namespace flowlab::gen::detail
