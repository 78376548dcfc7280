/// @brief resolve_repeated_elements: RFC 7011 section 8 logical order for repeated addresses.
#include "flowlab/core/repeated_elements.hpp"

namespace flowlab::core {

void resolve_repeated_elements(std::span<const AddressOccurrence> addresses, std::span<const FamilyNumber> numbers,
                               FlowRecord& r) {
    bool specified[7] = {};  // by family: 4, 6
    for (const auto& a : addresses)
        if (!a.address.is_unspecified() && a.family < 7) specified[a.family] = true;
    auto pick = [&](Field column, Field tunnel) {
        const AddressOccurrence* first = nullptr;
        const AddressOccurrence* last = nullptr;
        std::size_t n = 0;
        for (const auto& a : addresses) {
            if (a.field != column) continue;
            const std::uint8_t other = a.family == 4 ? 6 : 4;
            if (a.address.is_unspecified() && specified[other]) continue;
            if (!first) first = &a;
            last = &a;
            ++n;
        }
        if (last) r.set_address(column, last->address);
        if (n >= 2 && tunnel != Field::exporter) r.set_address(tunnel, first->address);
        return last ? last->family : std::uint8_t{0};
    };
    std::uint8_t family = pick(Field::src, Field::tunnel_src);
    const std::uint8_t dst_family = pick(Field::dst, Field::tunnel_dst);
    if (!family) family = dst_family;
    pick(Field::next_hop, Field::exporter);  // a next hop has no tunnel column
    for (const auto& n : numbers)
        if (!family || n.family == family) r.set_number(n.field, n.value);
    if (family) {
        for (const auto& n : numbers)
            if (n.family != family && !r.has(n.field)) r.set_number(n.field, n.value);
    }
}

}  // namespace flowlab::core
