/// @brief check_run reporting into a scenario's diagnostics (parse_scenario's stage 2 runs it for
/// the file's own span, so that validate and gen apply the same checks).
#pragma once

#include "flowlab/gen/run_check.hpp"
#include "json_node.hpp"

namespace flowlab::gen::detail {

RunEstimate check_run(const Scenario& s, const RunSpan& span, Diagnostics& diag);

}  // namespace flowlab::gen::detail
