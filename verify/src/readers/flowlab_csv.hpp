/// @brief flowlab CSV header and row parsing shared by the streaming reader and the parallel loader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::verify::detail {

/// The columns of a flowlab CSV file, prepared for parsing rows: per column its field and
/// where the value goes in a FlowRecord (so a row is parsed without a dispatch per cell).
struct FlowlabColumns {
    enum class Kind : std::uint8_t { address, u8, u16, u32, u64, i64, text };
    struct Column {
        core::Field field;
        Kind kind;
        core::IpAddress core::FlowRecord::*address = nullptr;
        std::uint8_t core::FlowRecord::*u8 = nullptr;
        std::uint16_t core::FlowRecord::*u16 = nullptr;
        std::uint32_t core::FlowRecord::*u32 = nullptr;
        std::uint64_t core::FlowRecord::*u64 = nullptr;
        std::int64_t core::FlowRecord::*i64 = nullptr;
    };
    std::vector<Column> columns;
    /// The columns are core::csv_header()'s, in its order (as flowlab writes them): rows are
    /// parsed by code specialised for that order.
    bool canonical = false;
};

/// Columns from a header line. Throws InputError for unknown or repeated names.
FlowlabColumns parse_flowlab_header(std::string_view line, const std::string& file, std::uint64_t line_no);

/// Parses one row into r (which the caller resets). Returns the problem, or nullopt if fine.
std::optional<std::string> parse_flowlab_row(const FlowlabColumns& columns, std::string_view line, core::FlowRecord& r);

}  // namespace flowlab::verify::detail
