/// @brief The records of a template or options template set as they sit in a message: one
/// walker for the faults that read, rewrite or remove them (gen's fault stream and the
/// message-level faults shared with conformance cases).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "flowlab/core/template.hpp"
#include "flowlab/gen/export_script.hpp"

namespace flowlab::gen::detail {

/// One record of a template or options template set, where it sits in the message.
struct TemplateRecord {
    std::uint16_t id = 0;
    std::vector<core::FieldSpec> fields;  ///< template sets only (options: not read)
    std::size_t offset = 0, length = 0;   ///< of the record (from its id) within the message
};

/// The records of template or options template set `s` of message bytes `b`, up to its
/// padding (an id below 256) or its end; a record cut by the set's end is the last, with the
/// length that is there. v9 options records span their scope and option lengths in 4-byte
/// fields (RFC 3954 6.1).
std::vector<TemplateRecord> template_records_of(const std::vector<std::uint8_t>& b, const SetInfo& s, core::Protocol p);

}  // namespace flowlab::gen::detail
