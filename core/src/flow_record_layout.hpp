/// @brief Where FlowRecord keeps each field, for code inside core that stores decoded columns
/// straight into a record's bytes (the field codec) instead of going through set_number().
#pragma once

#include <cstdint>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::core {

/// Byte offset and width of a field's member; width 0 for the name fields.
struct FieldPlace {
    std::uint16_t offset = 0;
    std::uint8_t width = 0;
};

/// Taken from the same member list number() and set_number() use, so the two cannot disagree.
FieldPlace field_place(Field f) noexcept;

}  // namespace flowlab::core
