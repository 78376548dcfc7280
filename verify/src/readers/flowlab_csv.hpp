/// @brief flowlab CSV header and row parsing shared by the streaming reader and the parallel loader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::verify::detail {

/// Column → Field index from a header line. Throws InputError for unknown or repeated names.
std::vector<int> parse_flowlab_header(std::string_view line, const std::string& file, std::uint64_t line_no);

/// Parses one row into r (which the caller resets). Returns the problem, or nullopt if fine.
std::optional<std::string> parse_flowlab_row(const std::vector<int>& columns, std::string_view line, core::FlowRecord& r);

}  // namespace flowlab::verify::detail
