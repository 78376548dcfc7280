/// @brief Field-by-field comparison of flowlab's decoder with tshark's cflow dissector on any
/// capture: every data and options record tshark shows must be a record flowlab decoded from
/// the same bytes, and every field tshark shows must be an element flowlab read at the same
/// offset and length with the same value.
///
/// tshark is run as `-T json -x`, which gives each field's raw bytes with their frame offset;
/// offsets are taken relative to the cflow header (cflow.version), so any link layer works.
/// Values are compared where both sides have a plain form: integers, addresses, strings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace flowlab::test {

struct TsharkComparison {
    std::uint64_t packets = 0;
    std::uint64_t tshark_records = 0;   ///< data + options records tshark dissected
    std::uint64_t flowlab_records = 0;  ///< data + options records flowlab decoded
    std::uint64_t fields = 0;           ///< tshark fields matched to a flowlab element
    std::uint64_t values = 0;           ///< of those, values compared (integers, addresses, strings)
    std::vector<std::string> problems;  ///< disagreements, first 200
    std::vector<std::string> notes;     ///< packets where a documented tshark defect ended its dissection early
};

/// Compares on `pcap`. `extra_tshark_args` go before -r (e.g. "-d", "udp.port==N,cflow").
TsharkComparison compare_with_tshark(const std::string& pcap, const std::vector<std::string>& extra_tshark_args = {});

}  // namespace flowlab::test
