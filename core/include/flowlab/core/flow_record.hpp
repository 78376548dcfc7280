/// @brief The one flow record model every module shares, and its column vocabulary.
///
/// NetFlow v5, v9 and IPFIX all decode into FlowRecord and encode from it. Fields a message
/// did not carry are absent (see FlowRecord::present), which CSV prints as an empty cell: a
/// collector that drops a field can then be told apart from one that zeroes it.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "flowlab/core/ip_address.hpp"

namespace flowlab::core {

/// Every column of the shared vocabulary, in column order (DESIGN.md, "Files").
enum class Field : std::uint8_t {
    exporter,           ///< exporter address (UDP source of the export)
    domain,             ///< v9 source id, IPFIX observation domain id, v5 engine_type<<8|engine_id
    src,
    dst,
    sport,
    dport,
    proto,
    tos,
    tcp_flags,
    packets,
    bytes,
    first_ms,           ///< flow start, Unix epoch milliseconds UTC
    last_ms,            ///< flow end, Unix epoch milliseconds UTC
    in_if,
    out_if,
    src_as,
    dst_as,
    src_mask,
    dst_mask,
    next_hop,
    icmp_type,
    icmp_code,
    end_reason,         ///< IPFIX flowEndReason (1 idle, 2 active, 3 end of flow, 4 forced, 5 lack of resources)
    sampling_interval,  ///< 1-in-N packet sampling in force for this record
    version,            ///< 5, 9 or 10
    sequence,           ///< sequence number in the header of the message that carried the record
    template_id,        ///< template id (v9/IPFIX); 0 for v5
    export_ms,          ///< export time in the message header, Unix epoch ms (header resolution)
    tunnel_src,         ///< outer (tunnel) header source when the record carries two headers
    tunnel_dst,         ///< outer (tunnel) header destination
    in_if_name,         ///< name of in_if from the exporter's interface options table (82/83)
    out_if_name,        ///< name of out_if from the same table
    vrf_in_id,          ///< ingressVRFID (234)
    vrf_out_id,         ///< egressVRFID (235)
    vrf_in,             ///< VRF name of vrf_in_id from the exporter's VRF options table (236)
    vrf_out,            ///< VRF name of vrf_out_id
    sampling_algorithm, ///< PSAMP selectorAlgorithm number (RFC 5477; v9 1/2 mapped to 1/3)
};
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::sampling_algorithm) + 1;

/// Column names, indexed by Field.
inline constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "exporter", "domain",   "src",       "dst",        "sport",    "dport",     "proto",
    "tos",      "tcp_flags", "packets",  "bytes",      "first_ms", "last_ms",   "in_if",
    "out_if",   "src_as",   "dst_as",    "src_mask",   "dst_mask", "next_hop",  "icmp_type",
    "icmp_code", "end_reason", "sampling_interval", "version", "sequence", "template_id", "export_ms",
    "tunnel_src", "tunnel_dst", "in_if_name", "out_if_name", "vrf_in_id", "vrf_out_id", "vrf_in", "vrf_out",
    "sampling_algorithm"};

constexpr std::string_view field_name(Field f) noexcept { return kFieldNames[static_cast<std::size_t>(f)]; }
std::optional<Field> field_from_name(std::string_view name) noexcept;

/// A set of Fields (bit i = Field i).
class FieldSet {
public:
    constexpr FieldSet() noexcept = default;
    constexpr FieldSet(std::initializer_list<Field> fields) noexcept {
        for (Field f : fields) set(f);
    }
    static constexpr FieldSet all() noexcept {
        FieldSet s;
        s.bits_ = (std::uint64_t{1} << kFieldCount) - 1;
        return s;
    }
    constexpr bool has(Field f) const noexcept { return (bits_ >> static_cast<unsigned>(f)) & 1u; }
    constexpr void set(Field f) noexcept { bits_ |= std::uint64_t{1} << static_cast<unsigned>(f); }
    constexpr void clear(Field f) noexcept { bits_ &= ~(std::uint64_t{1} << static_cast<unsigned>(f)); }
    constexpr FieldSet operator&(FieldSet o) const noexcept { return from_bits(bits_ & o.bits_); }
    constexpr FieldSet operator|(FieldSet o) const noexcept { return from_bits(bits_ | o.bits_); }
    constexpr FieldSet operator-(FieldSet o) const noexcept { return from_bits(bits_ & ~o.bits_); }
    constexpr bool empty() const noexcept { return bits_ == 0; }
    constexpr std::uint64_t bits() const noexcept { return bits_; }
    static constexpr FieldSet from_bits(std::uint64_t b) noexcept {
        FieldSet s;
        s.bits_ = b;
        return s;
    }
    friend constexpr bool operator==(FieldSet, FieldSet) = default;

private:
    std::uint64_t bits_ = 0;
};

/// An information element the record model has no column for (an enterprise IE, a string,
/// an IE flowlab does not interpret), kept verbatim when a decoder is asked to keep them and
/// encoded from here when a template names it.
struct ExtraField {
    std::uint32_t enterprise = 0;  ///< private enterprise number; 0 for IANA
    std::uint16_t id = 0;          ///< element id without the enterprise bit
    std::vector<std::uint8_t> value;
    friend bool operator==(const ExtraField&, const ExtraField&) = default;
};

/// Interns a name (interface, VRF): equal texts share one process-lifetime copy, so records
/// carry a string_view and decoding never allocates per record. Thread-safe.
std::string_view intern_name(std::string_view text);

struct FlowRecord {
    IpAddress exporter;
    IpAddress src;
    IpAddress dst;
    IpAddress next_hop;
    IpAddress tunnel_src;
    IpAddress tunnel_dst;
    std::string_view in_if_name;   ///< interned (intern_name)
    std::string_view out_if_name;
    std::string_view vrf_in;
    std::string_view vrf_out;
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::uint64_t sampling_interval = 0;
    std::int64_t first_ms = 0;
    std::int64_t last_ms = 0;
    std::int64_t export_ms = 0;
    std::uint32_t domain = 0;
    std::uint32_t sequence = 0;
    std::uint32_t in_if = 0;
    std::uint32_t out_if = 0;
    std::uint32_t src_as = 0;
    std::uint32_t dst_as = 0;
    std::uint32_t vrf_in_id = 0;
    std::uint32_t vrf_out_id = 0;
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    std::uint16_t template_id = 0;
    std::uint16_t tcp_flags = 0;  ///< tcpControlBits is 16 bits (RFC 7125)
    std::uint16_t sampling_algorithm = 0;
    std::uint8_t proto = 0;
    std::uint8_t tos = 0;
    std::uint8_t src_mask = 0;
    std::uint8_t dst_mask = 0;
    std::uint8_t icmp_type = 0;
    std::uint8_t icmp_code = 0;
    std::uint8_t end_reason = 0;
    std::uint8_t version = 0;
    FieldSet present;
    std::vector<ExtraField> extra;

    bool has(Field f) const noexcept { return present.has(f); }
    /// ICMP or ICMPv6: ports are absent or carry type << 8 | code.
    bool is_icmp() const noexcept { return has(Field::proto) && (proto == 1 || proto == 58); }

    /// Value of a numeric field widened to 64 bits (addresses: not numeric, returns 0).
    std::uint64_t number(Field f) const noexcept;
    /// Sets a numeric field and marks it present. Values wider than the field are truncated,
    /// which the caller avoids by construction.
    void set_number(Field f, std::uint64_t v) noexcept;
    /// Address fields (exporter, src, dst, next_hop, tunnel_src, tunnel_dst).
    const IpAddress* address(Field f) const noexcept;
    void set_address(Field f, const IpAddress& a) noexcept;
    /// Name fields (in_if_name, out_if_name, vrf_in, vrf_out); empty for other fields.
    std::string_view text(Field f) const noexcept;
    /// Sets a name field from an interned view (intern_name) and marks it present.
    void set_text(Field f, std::string_view interned) noexcept;

    friend bool operator==(const FlowRecord&, const FlowRecord&) = default;
};

constexpr bool is_address_field(Field f) noexcept {
    return f == Field::exporter || f == Field::src || f == Field::dst || f == Field::next_hop ||
           f == Field::tunnel_src || f == Field::tunnel_dst;
}
constexpr bool is_text_field(Field f) noexcept {
    return f == Field::in_if_name || f == Field::out_if_name || f == Field::vrf_in || f == Field::vrf_out;
}
constexpr bool is_signed_field(Field f) noexcept {
    return f == Field::first_ms || f == Field::last_ms || f == Field::export_ms;
}

/// Compares two records on the given fields; returns the fields that differ (presence counts).
FieldSet differing_fields(const FlowRecord& a, const FlowRecord& b, FieldSet which) noexcept;

}  // namespace flowlab::core
