/// @brief Reads the text that libfixbuf's `ipfixDump` prints for an IPFIX file into flow records.
#pragma once

#include <string>
#include <vector>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::harness {

/// Records of every data record that carries a source or destination address (options records
/// are left out). Throws InputError naming the file and line for text it cannot read.
std::vector<core::FlowRecord> read_ipfixdump(const std::string& path);
/// The columns the reader fills when the record carries them.
core::FieldSet ipfixdump_carried();

}  // namespace flowlab::harness
