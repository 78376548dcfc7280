/// @brief The information-element table: IANA IPFIX registry entries flowlab knows.
#include "flowlab/core/ie_catalog.hpp"

#include <algorithm>
#include <array>

namespace flowlab::core {
namespace {

using T = IeType;
using R = IeRole;
using F = Field;
constexpr std::uint16_t V = kVariableLength;

// Sorted by id. Types and lengths from the IANA "IP Flow Information Export (IPFIX) Entities"
// registry; v9 field types 1..127 are the same numbers (RFC 3954 section 8).
constexpr IeInfo kTable[] = {
    {1, "octetDeltaCount", T::unsigned64, 8, R::field, F::bytes},
    {2, "packetDeltaCount", T::unsigned64, 8, R::field, F::packets},
    {3, "deltaFlowCount", T::unsigned64, 8, R::none, F::exporter},
    {4, "protocolIdentifier", T::unsigned8, 1, R::field, F::proto},
    {5, "ipClassOfService", T::unsigned8, 1, R::field, F::tos},
    {6, "tcpControlBits", T::unsigned16, 2, R::field, F::tcp_flags},
    {7, "sourceTransportPort", T::unsigned16, 2, R::field, F::sport},
    {8, "sourceIPv4Address", T::ipv4_address, 4, R::field, F::src},
    {9, "sourceIPv4PrefixLength", T::unsigned8, 1, R::field, F::src_mask},
    {10, "ingressInterface", T::unsigned32, 4, R::field, F::in_if},
    {11, "destinationTransportPort", T::unsigned16, 2, R::field, F::dport},
    {12, "destinationIPv4Address", T::ipv4_address, 4, R::field, F::dst},
    {13, "destinationIPv4PrefixLength", T::unsigned8, 1, R::field, F::dst_mask},
    {14, "egressInterface", T::unsigned32, 4, R::field, F::out_if},
    {15, "ipNextHopIPv4Address", T::ipv4_address, 4, R::field, F::next_hop},
    {16, "bgpSourceAsNumber", T::unsigned32, 4, R::field, F::src_as},
    {17, "bgpDestinationAsNumber", T::unsigned32, 4, R::field, F::dst_as},
    {18, "bgpNextHopIPv4Address", T::ipv4_address, 4, R::none, F::exporter},
    {19, "postMCastPacketDeltaCount", T::unsigned64, 8, R::none, F::exporter},
    {20, "postMCastOctetDeltaCount", T::unsigned64, 8, R::none, F::exporter},
    {21, "flowEndSysUpTime", T::unsigned32, 4, R::end_uptime, F::last_ms},
    {22, "flowStartSysUpTime", T::unsigned32, 4, R::start_uptime, F::first_ms},
    {23, "postOctetDeltaCount", T::unsigned64, 8, R::none, F::exporter},
    {24, "postPacketDeltaCount", T::unsigned64, 8, R::none, F::exporter},
    {25, "minimumIpTotalLength", T::unsigned64, 8, R::none, F::exporter},
    {26, "maximumIpTotalLength", T::unsigned64, 8, R::none, F::exporter},
    {27, "sourceIPv6Address", T::ipv6_address, 16, R::field, F::src},
    {28, "destinationIPv6Address", T::ipv6_address, 16, R::field, F::dst},
    {29, "sourceIPv6PrefixLength", T::unsigned8, 1, R::field, F::src_mask},
    {30, "destinationIPv6PrefixLength", T::unsigned8, 1, R::field, F::dst_mask},
    {31, "flowLabelIPv6", T::unsigned32, 4, R::none, F::exporter},
    {32, "icmpTypeCodeIPv4", T::unsigned16, 2, R::icmp_type_code, F::icmp_type},
    {33, "igmpType", T::unsigned8, 1, R::none, F::exporter},
    {34, "samplingInterval", T::unsigned32, 4, R::sampling, F::sampling_interval},
    {35, "samplingAlgorithm", T::unsigned8, 1, R::none, F::exporter},
    {36, "flowActiveTimeout", T::unsigned16, 2, R::none, F::exporter},
    {37, "flowIdleTimeout", T::unsigned16, 2, R::none, F::exporter},
    {38, "engineType", T::unsigned8, 1, R::none, F::exporter},
    {39, "engineId", T::unsigned8, 1, R::none, F::exporter},
    {40, "exportedOctetTotalCount", T::unsigned64, 8, R::none, F::exporter},
    {41, "exportedMessageTotalCount", T::unsigned64, 8, R::none, F::exporter},
    {42, "exportedFlowRecordTotalCount", T::unsigned64, 8, R::none, F::exporter},
    {44, "sourceIPv4Prefix", T::ipv4_address, 4, R::none, F::exporter},
    {45, "destinationIPv4Prefix", T::ipv4_address, 4, R::none, F::exporter},
    {46, "mplsTopLabelType", T::unsigned8, 1, R::none, F::exporter},
    {47, "mplsTopLabelIPv4Address", T::ipv4_address, 4, R::none, F::exporter},
    {48, "samplerId", T::unsigned8, 1, R::none, F::exporter},
    {49, "samplerMode", T::unsigned8, 1, R::none, F::exporter},
    {50, "samplerRandomInterval", T::unsigned32, 4, R::sampling, F::sampling_interval},
    {52, "minimumTTL", T::unsigned8, 1, R::none, F::exporter},
    {53, "maximumTTL", T::unsigned8, 1, R::none, F::exporter},
    {54, "fragmentIdentification", T::unsigned32, 4, R::none, F::exporter},
    {55, "postIpClassOfService", T::unsigned8, 1, R::none, F::exporter},
    {56, "sourceMacAddress", T::mac_address, 6, R::none, F::exporter},
    {57, "postDestinationMacAddress", T::mac_address, 6, R::none, F::exporter},
    {58, "vlanId", T::unsigned16, 2, R::none, F::exporter},
    {59, "postVlanId", T::unsigned16, 2, R::none, F::exporter},
    {60, "ipVersion", T::unsigned8, 1, R::none, F::exporter},
    {61, "flowDirection", T::unsigned8, 1, R::none, F::exporter},
    {62, "ipNextHopIPv6Address", T::ipv6_address, 16, R::field, F::next_hop},
    {63, "bgpNextHopIPv6Address", T::ipv6_address, 16, R::none, F::exporter},
    {64, "ipv6ExtensionHeaders", T::unsigned32, 4, R::none, F::exporter},
    {70, "mplsTopLabelStackSection", T::octet_array, 3, R::none, F::exporter},
    {71, "mplsLabelStackSection2", T::octet_array, 3, R::none, F::exporter},
    {72, "mplsLabelStackSection3", T::octet_array, 3, R::none, F::exporter},
    {73, "mplsLabelStackSection4", T::octet_array, 3, R::none, F::exporter},
    {74, "mplsLabelStackSection5", T::octet_array, 3, R::none, F::exporter},
    {75, "mplsLabelStackSection6", T::octet_array, 3, R::none, F::exporter},
    {76, "mplsLabelStackSection7", T::octet_array, 3, R::none, F::exporter},
    {77, "mplsLabelStackSection8", T::octet_array, 3, R::none, F::exporter},
    {78, "mplsLabelStackSection9", T::octet_array, 3, R::none, F::exporter},
    {79, "mplsLabelStackSection10", T::octet_array, 3, R::none, F::exporter},
    {80, "destinationMacAddress", T::mac_address, 6, R::none, F::exporter},
    {81, "postSourceMacAddress", T::mac_address, 6, R::none, F::exporter},
    {82, "interfaceName", T::string, V, R::none, F::exporter},
    {83, "interfaceDescription", T::string, V, R::none, F::exporter},
    {85, "octetTotalCount", T::unsigned64, 8, R::none, F::exporter},
    {86, "packetTotalCount", T::unsigned64, 8, R::none, F::exporter},
    {88, "fragmentOffset", T::unsigned16, 2, R::none, F::exporter},
    {89, "forwardingStatus", T::unsigned32, 4, R::none, F::exporter},
    {90, "mplsVpnRouteDistinguisher", T::octet_array, 8, R::none, F::exporter},
    {94, "applicationDescription", T::string, V, R::none, F::exporter},
    {95, "applicationId", T::octet_array, V, R::none, F::exporter},
    {96, "applicationName", T::string, V, R::none, F::exporter},
    {98, "postIpDiffServCodePoint", T::unsigned8, 1, R::none, F::exporter},
    {128, "bgpNextAdjacentAsNumber", T::unsigned32, 4, R::none, F::exporter},
    {129, "bgpPrevAdjacentAsNumber", T::unsigned32, 4, R::none, F::exporter},
    {130, "exporterIPv4Address", T::ipv4_address, 4, R::none, F::exporter},
    {131, "exporterIPv6Address", T::ipv6_address, 16, R::none, F::exporter},
    {136, "flowEndReason", T::unsigned8, 1, R::field, F::end_reason},
    {137, "commonPropertiesId", T::unsigned64, 8, R::none, F::exporter},
    {138, "observationPointId", T::unsigned64, 8, R::none, F::exporter},
    {139, "icmpTypeCodeIPv6", T::unsigned16, 2, R::icmp_type_code, F::icmp_type},
    {141, "lineCardId", T::unsigned32, 4, R::none, F::exporter},
    {142, "portId", T::unsigned32, 4, R::none, F::exporter},
    {143, "meteringProcessId", T::unsigned32, 4, R::none, F::exporter},
    {144, "exportingProcessId", T::unsigned32, 4, R::none, F::exporter},
    {145, "templateId", T::unsigned16, 2, R::none, F::exporter},
    {148, "flowId", T::unsigned64, 8, R::none, F::exporter},
    {149, "observationDomainId", T::unsigned32, 4, R::none, F::exporter},
    {150, "flowStartSeconds", T::date_time_seconds, 4, R::start_seconds, F::first_ms},
    {151, "flowEndSeconds", T::date_time_seconds, 4, R::end_seconds, F::last_ms},
    {152, "flowStartMilliseconds", T::date_time_milliseconds, 8, R::field, F::first_ms},
    {153, "flowEndMilliseconds", T::date_time_milliseconds, 8, R::field, F::last_ms},
    {154, "flowStartMicroseconds", T::date_time_microseconds, 8, R::start_micro, F::first_ms},
    {155, "flowEndMicroseconds", T::date_time_microseconds, 8, R::end_micro, F::last_ms},
    {156, "flowStartNanoseconds", T::date_time_nanoseconds, 8, R::start_nano, F::first_ms},
    {157, "flowEndNanoseconds", T::date_time_nanoseconds, 8, R::end_nano, F::last_ms},
    {158, "flowStartDeltaMicroseconds", T::unsigned32, 4, R::none, F::exporter},
    {159, "flowEndDeltaMicroseconds", T::unsigned32, 4, R::none, F::exporter},
    {160, "systemInitTimeMilliseconds", T::date_time_milliseconds, 8, R::system_init_ms, F::exporter},
    {161, "flowDurationMilliseconds", T::unsigned32, 4, R::none, F::exporter},
    {162, "flowDurationMicroseconds", T::unsigned32, 4, R::none, F::exporter},
    {176, "icmpTypeIPv4", T::unsigned8, 1, R::field, F::icmp_type},
    {177, "icmpCodeIPv4", T::unsigned8, 1, R::field, F::icmp_code},
    {178, "icmpTypeIPv6", T::unsigned8, 1, R::field, F::icmp_type},
    {179, "icmpCodeIPv6", T::unsigned8, 1, R::field, F::icmp_code},
    {184, "tcpSequenceNumber", T::unsigned32, 4, R::none, F::exporter},
    {185, "tcpAcknowledgementNumber", T::unsigned32, 4, R::none, F::exporter},
    {186, "tcpWindowSize", T::unsigned16, 2, R::none, F::exporter},
    {192, "ipTTL", T::unsigned8, 1, R::none, F::exporter},
    {195, "ipDiffServCodePoint", T::unsigned8, 1, R::none, F::exporter},
    {205, "udpMessageLength", T::unsigned16, 2, R::none, F::exporter},
    {210, "paddingOctets", T::octet_array, V, R::padding, F::exporter},
    {224, "ipTotalLength", T::unsigned64, 8, R::none, F::exporter},
    {225, "postNATSourceIPv4Address", T::ipv4_address, 4, R::none, F::exporter},
    {226, "postNATDestinationIPv4Address", T::ipv4_address, 4, R::none, F::exporter},
    {227, "postNAPTSourceTransportPort", T::unsigned16, 2, R::none, F::exporter},
    {228, "postNAPTDestinationTransportPort", T::unsigned16, 2, R::none, F::exporter},
    {234, "ingressVRFID", T::unsigned32, 4, R::none, F::exporter},
    {235, "egressVRFID", T::unsigned32, 4, R::none, F::exporter},
    {239, "biflowDirection", T::unsigned8, 1, R::none, F::exporter},
    {243, "dot1qVlanId", T::unsigned16, 2, R::none, F::exporter},
    {244, "dot1qPriority", T::unsigned8, 1, R::none, F::exporter},
    {252, "ingressPhysicalInterface", T::unsigned32, 4, R::none, F::exporter},
    {253, "egressPhysicalInterface", T::unsigned32, 4, R::none, F::exporter},
    {302, "selectorId", T::unsigned64, 8, R::none, F::exporter},
    {304, "selectorAlgorithm", T::unsigned16, 2, R::none, F::exporter},
    {305, "samplingPacketInterval", T::unsigned32, 4, R::sampling, F::sampling_interval},
    {306, "samplingPacketSpace", T::unsigned32, 4, R::none, F::exporter},
    {309, "samplingSize", T::unsigned32, 4, R::none, F::exporter},
    {310, "samplingPopulation", T::unsigned32, 4, R::none, F::exporter},
    {311, "samplingProbability", T::float64, 8, R::none, F::exporter},
    {323, "observationTimeMilliseconds", T::date_time_milliseconds, 8, R::none, F::exporter},
    {346, "privateEnterpriseNumber", T::unsigned32, 4, R::none, F::exporter},
};

constexpr bool table_sorted() {
    for (std::size_t i = 1; i < std::size(kTable); ++i)
        if (kTable[i - 1].id >= kTable[i].id) return false;
    return true;
}
static_assert(table_sorted(), "IE table must be sorted by id without duplicates");

// Direct index for the low ids every record uses: lookups happen once per template field.
struct Index {
    std::array<std::int16_t, 512> slot{};
    constexpr Index() {
        for (auto& s : slot) s = -1;
        for (std::size_t i = 0; i < std::size(kTable); ++i)
            if (kTable[i].id < slot.size()) slot[kTable[i].id] = static_cast<std::int16_t>(i);
    }
};
constexpr Index kIndex{};

}  // namespace

const IeInfo* find_ie(std::uint16_t id) noexcept {
    if (id < kIndex.slot.size()) {
        const int s = kIndex.slot[id];
        return s < 0 ? nullptr : &kTable[s];
    }
    auto it = std::lower_bound(std::begin(kTable), std::end(kTable), id,
                               [](const IeInfo& e, std::uint16_t v) { return e.id < v; });
    return (it != std::end(kTable) && it->id == id) ? &*it : nullptr;
}

std::span<const IeInfo> all_ies() noexcept { return {kTable, std::size(kTable)}; }

std::string_view ie_type_name(IeType t) noexcept {
    switch (t) {
        case IeType::octet_array: return "octetArray";
        case IeType::unsigned8: return "unsigned8";
        case IeType::unsigned16: return "unsigned16";
        case IeType::unsigned32: return "unsigned32";
        case IeType::unsigned64: return "unsigned64";
        case IeType::signed32: return "signed32";
        case IeType::signed64: return "signed64";
        case IeType::float64: return "float64";
        case IeType::boolean: return "boolean";
        case IeType::mac_address: return "macAddress";
        case IeType::string: return "string";
        case IeType::date_time_seconds: return "dateTimeSeconds";
        case IeType::date_time_milliseconds: return "dateTimeMilliseconds";
        case IeType::date_time_microseconds: return "dateTimeMicroseconds";
        case IeType::date_time_nanoseconds: return "dateTimeNanoseconds";
        case IeType::ipv4_address: return "ipv4Address";
        case IeType::ipv6_address: return "ipv6Address";
    }
    return "?";
}

bool ie_length_allowed(const IeInfo& info, std::uint16_t length) noexcept {
    if (length == 0) return false;
    switch (info.type) {
        case IeType::unsigned8:
        case IeType::unsigned16:
        case IeType::unsigned32:
        case IeType::unsigned64:
        case IeType::signed32:
        case IeType::signed64:
            // Reduced-size encoding (RFC 7011 6.2); v9 exporters also send wider-than-default
            // fields (a 1-byte TCP flags, 8-byte counters), so any 1..8 is accepted.
            return length <= 8;
        case IeType::float64: return length == 4 || length == 8;
        case IeType::boolean: return length == 1;
        case IeType::mac_address: return length == 6;
        case IeType::ipv4_address: return length == 4;
        case IeType::ipv6_address: return length == 16;
        case IeType::date_time_seconds: return length == 4;
        case IeType::date_time_milliseconds:
        case IeType::date_time_microseconds:
        case IeType::date_time_nanoseconds: return length == 8;
        case IeType::string:
        case IeType::octet_array: return true;
    }
    return false;
}

}  // namespace flowlab::core
