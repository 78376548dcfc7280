/// @brief The IANA IPFIX information elements (RFC 7012 and the IANA registry) and NetFlow v9
/// field types (RFC 3954) that flowlab knows, with data types, default lengths and the
/// record field each one fills.
///
/// NetFlow v9 field types 1..127 share their numbers and meaning with IPFIX, and v9 exporters
/// in the wild use IPFIX numbers above that (152/153 and friends), so one table serves both.
/// Elements not in the table are not errors: decoders skip them by length and count them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::core {

/// RFC 7011 section 6.1 abstract data types (plus the unsigned widths).
enum class IeType : std::uint8_t {
    octet_array,
    unsigned8,
    unsigned16,
    unsigned32,
    unsigned64,
    signed32,
    signed64,
    float64,
    boolean,
    mac_address,
    string,
    date_time_seconds,
    date_time_milliseconds,
    date_time_microseconds,  ///< NTP 64-bit format (RFC 7011 6.1.9)
    date_time_nanoseconds,   ///< NTP 64-bit format (RFC 7011 6.1.10)
    ipv4_address,
    ipv6_address,
};

/// How a known element maps into FlowRecord.
enum class IeRole : std::uint8_t {
    none,               ///< known, not modelled: skipped (or kept as extra)
    field,              ///< fills `field` directly
    start_uptime,       ///< flowStartSysUpTime (22): ms since exporter boot
    end_uptime,         ///< flowEndSysUpTime (21)
    start_seconds,      ///< 150
    end_seconds,        ///< 151
    start_micro,        ///< 154 (NTP)
    end_micro,          ///< 155 (NTP)
    start_nano,         ///< 156 (NTP)
    end_nano,           ///< 157 (NTP)
    system_init_ms,     ///< systemInitTimeMilliseconds (160): boot time for 21/22
    icmp_type_code,     ///< 32 / 139: type*256 + code
    sampling,           ///< 34, 50: 1-in-N interval; 305: packets selected in a row (RFC 5477)
    sampling_space,     ///< 306: packets skipped after each 305 run; 1-in-N = (305 + 306) / 305
    padding,            ///< paddingOctets (210)
};

struct IeInfo {
    std::uint16_t id;
    std::string_view name;  ///< IANA name
    IeType type;
    std::uint16_t default_length;  ///< 65535 = variable length
    IeRole role;
    Field field;  ///< meaningful when role == field, icmp_type_code (type), sampling
};

inline constexpr std::uint16_t kVariableLength = 65535;

/// IANA element numbers flowlab refers to by name.
namespace ie {
inline constexpr std::uint16_t octetDeltaCount = 1;
inline constexpr std::uint16_t packetDeltaCount = 2;
inline constexpr std::uint16_t protocolIdentifier = 4;
inline constexpr std::uint16_t ipClassOfService = 5;
inline constexpr std::uint16_t tcpControlBits = 6;
inline constexpr std::uint16_t sourceTransportPort = 7;
inline constexpr std::uint16_t sourceIPv4Address = 8;
inline constexpr std::uint16_t sourceIPv4PrefixLength = 9;
inline constexpr std::uint16_t ingressInterface = 10;
inline constexpr std::uint16_t destinationTransportPort = 11;
inline constexpr std::uint16_t destinationIPv4Address = 12;
inline constexpr std::uint16_t destinationIPv4PrefixLength = 13;
inline constexpr std::uint16_t egressInterface = 14;
inline constexpr std::uint16_t ipNextHopIPv4Address = 15;
inline constexpr std::uint16_t bgpSourceAsNumber = 16;
inline constexpr std::uint16_t bgpDestinationAsNumber = 17;
inline constexpr std::uint16_t flowEndSysUpTime = 21;
inline constexpr std::uint16_t flowStartSysUpTime = 22;
inline constexpr std::uint16_t sourceIPv6Address = 27;
inline constexpr std::uint16_t destinationIPv6Address = 28;
inline constexpr std::uint16_t sourceIPv6PrefixLength = 29;
inline constexpr std::uint16_t destinationIPv6PrefixLength = 30;
inline constexpr std::uint16_t icmpTypeCodeIPv4 = 32;
inline constexpr std::uint16_t samplingInterval = 34;
inline constexpr std::uint16_t samplingAlgorithm = 35;
inline constexpr std::uint16_t sourceMacAddress = 56;
inline constexpr std::uint16_t flowDirection = 61;
inline constexpr std::uint16_t ipNextHopIPv6Address = 62;
inline constexpr std::uint16_t destinationMacAddress = 80;
inline constexpr std::uint16_t interfaceName = 82;
inline constexpr std::uint16_t applicationName = 96;
inline constexpr std::uint16_t flowEndReason = 136;
inline constexpr std::uint16_t icmpTypeCodeIPv6 = 139;
inline constexpr std::uint16_t flowId = 148;
inline constexpr std::uint16_t observationDomainId = 149;
inline constexpr std::uint16_t flowStartSeconds = 150;
inline constexpr std::uint16_t flowEndSeconds = 151;
inline constexpr std::uint16_t flowStartMilliseconds = 152;
inline constexpr std::uint16_t flowEndMilliseconds = 153;
inline constexpr std::uint16_t flowStartMicroseconds = 154;
inline constexpr std::uint16_t flowEndMicroseconds = 155;
inline constexpr std::uint16_t flowStartNanoseconds = 156;
inline constexpr std::uint16_t flowEndNanoseconds = 157;
inline constexpr std::uint16_t systemInitTimeMilliseconds = 160;
inline constexpr std::uint16_t icmpTypeIPv4 = 176;
inline constexpr std::uint16_t icmpCodeIPv4 = 177;
inline constexpr std::uint16_t icmpTypeIPv6 = 178;
inline constexpr std::uint16_t icmpCodeIPv6 = 179;
inline constexpr std::uint16_t paddingOctets = 210;
inline constexpr std::uint16_t samplingPacketInterval = 305;
inline constexpr std::uint16_t samplingPacketSpace = 306;
inline constexpr std::uint16_t selectorAlgorithm = 304;
}  // namespace ie

/// The catalog entry for an IANA element (enterprise 0), or null if flowlab does not know it.
const IeInfo* find_ie(std::uint16_t id) noexcept;
/// Every known element, ascending by id.
std::span<const IeInfo> all_ies() noexcept;
std::string_view ie_type_name(IeType t) noexcept;

/// Whether a field of this type may be sent in `length` bytes: the default, a reduced size
/// for unsigned/signed integers (RFC 7011 6.2), or variable length for strings/octet arrays.
bool ie_length_allowed(const IeInfo& info, std::uint16_t length) noexcept;

}  // namespace flowlab::core
