/// @brief The whole-model check (stage 2 of validation) that the section parsers end with.
#pragma once

#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen::detail {

/// Stage 2: cross-section checks on a fully parsed model (pool allocation and capacity,
/// profile coverage of every day type, address families, schedules against the span,
/// exporter limits). Throws ConfigError naming the JSON pointer of the culprit.
void check_model(const Scenario& s);

}  // namespace flowlab::gen::detail
