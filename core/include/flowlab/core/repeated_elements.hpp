/// @brief RFC 7011 section 8 "logical order": which of a record's repeated address elements is
/// the flow's and which the tunnel's. One rule for flowlab's decoder and for the readers of
/// other tools' per-element output (tshark lists every occurrence).
#pragma once

#include <cstdint>
#include <span>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::core {

/// One address element of a record, in record order (family 4 or 6).
struct AddressOccurrence {
    Field field;  ///< src, dst or next_hop
    std::uint8_t family;
    IpAddress address;
};
/// One family-bound number (mask, ICMP type/code) of such a record.
struct FamilyNumber {
    Field field;
    std::uint8_t family;
    std::uint64_t value;
};

/// Of a record's occurrences of one address column, an all-zero address of one family is no
/// address when the record also carries the other family; of the rest, the last (innermost
/// header) is the flow's and the first, if there are two or more, is the tunnel's (outer
/// header: tunnel_src, tunnel_dst). Family-bound numbers follow the flow's family (the last of
/// that family wins); a column that family did not fill takes the other family's last value.
void resolve_repeated_elements(std::span<const AddressOccurrence> addresses, std::span<const FamilyNumber> numbers,
                               FlowRecord& r);

}  // namespace flowlab::core
