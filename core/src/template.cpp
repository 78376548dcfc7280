/// @brief Template helpers and the templates flowlab exports by default.
#include "flowlab/core/template.hpp"

#include "flowlab/core/ie_catalog.hpp"

namespace flowlab::core {

std::string_view protocol_name(Protocol p) noexcept {
    switch (p) {
        case Protocol::v5: return "v5";
        case Protocol::v9: return "v9";
        case Protocol::ipfix: return "ipfix";
    }
    return "?";
}

bool Template::has_variable_length() const noexcept {
    for (const auto& f : fields)
        if (f.length == kVariableLength) return true;
    return false;
}

std::size_t Template::min_record_length() const noexcept {
    std::size_t n = 0;
    for (const auto& f : fields) n += f.length == kVariableLength ? 1 : f.length;
    return n;
}

bool Template::contains(std::uint16_t ie_id, std::uint32_t enterprise) const noexcept {
    for (const auto& f : fields)
        if (f.id == ie_id && f.enterprise == enterprise) return true;
    return false;
}

const ExtraField* find_value(const std::vector<ExtraField>& values, std::uint16_t id, std::uint32_t enterprise) noexcept {
    for (const auto& v : values)
        if (v.id == id && v.enterprise == enterprise) return &v;
    return nullptr;
}

Template default_template(Protocol p, bool ipv6, std::uint16_t id, TimeStyle time_style, bool wide_counters) {
    Template t;
    t.id = id;
    const std::uint16_t counter = wide_counters ? 8 : 4;
    auto add = [&](std::uint16_t ie_id, std::uint16_t len) { t.fields.push_back({ie_id, len, 0}); };
    if (ipv6) {
        add(ie::sourceIPv6Address, 16);
        add(ie::destinationIPv6Address, 16);
        add(ie::ipNextHopIPv6Address, 16);
    } else {
        add(ie::sourceIPv4Address, 4);
        add(ie::destinationIPv4Address, 4);
        add(ie::ipNextHopIPv4Address, 4);
    }
    add(ie::ingressInterface, 4);
    add(ie::egressInterface, 4);
    add(ie::packetDeltaCount, counter);
    add(ie::octetDeltaCount, counter);
    switch (time_style) {
        case TimeStyle::uptime:
            if (p == Protocol::ipfix) add(ie::systemInitTimeMilliseconds, 8);
            add(ie::flowStartSysUpTime, 4);
            add(ie::flowEndSysUpTime, 4);
            break;
        case TimeStyle::seconds:
            add(ie::flowStartSeconds, 4);
            add(ie::flowEndSeconds, 4);
            break;
        case TimeStyle::milliseconds:
            add(ie::flowStartMilliseconds, 8);
            add(ie::flowEndMilliseconds, 8);
            break;
        case TimeStyle::microseconds:
            add(ie::flowStartMicroseconds, 8);
            add(ie::flowEndMicroseconds, 8);
            break;
        case TimeStyle::nanoseconds:
            add(ie::flowStartNanoseconds, 8);
            add(ie::flowEndNanoseconds, 8);
            break;
    }
    add(ie::sourceTransportPort, 2);
    add(ie::destinationTransportPort, 2);
    // v9 TCP_FLAGS is one byte (RFC 3954); IPFIX tcpControlBits is unsigned16 (RFC 7125).
    add(ie::tcpControlBits, p == Protocol::v9 ? 1 : 2);
    add(ie::protocolIdentifier, 1);
    add(ie::ipClassOfService, 1);
    add(ie::bgpSourceAsNumber, 4);
    add(ie::bgpDestinationAsNumber, 4);
    add(ipv6 ? ie::sourceIPv6PrefixLength : ie::sourceIPv4PrefixLength, 1);
    add(ipv6 ? ie::destinationIPv6PrefixLength : ie::destinationIPv4PrefixLength, 1);
    add(ipv6 ? ie::icmpTypeCodeIPv6 : ie::icmpTypeCodeIPv4, 2);
    add(ie::flowEndReason, 1);
    return t;
}

Template sampling_options_template(Protocol p, std::uint16_t id) {
    Template t;
    t.id = id;
    t.scope_count = 1;
    if (p == Protocol::v9) {
        t.fields.push_back({1, 4, 0});  // scope type 1 = System (RFC 3954 6.1)
    } else {
        t.fields.push_back({ie::observationDomainId, 4, 0});
    }
    t.fields.push_back({ie::samplingInterval, 4, 0});
    t.fields.push_back({ie::samplingAlgorithm, 1, 0});
    return t;
}

}  // namespace flowlab::core
