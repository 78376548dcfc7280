/// @brief Templates: the field layouts of v9/IPFIX data records, and the defaults flowlab exports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::core {

enum class Protocol : std::uint8_t { v5 = 5, v9 = 9, ipfix = 10 };

std::string_view protocol_name(Protocol p) noexcept;  ///< "v5", "v9", "ipfix"

/// One field specifier. `enterprise` != 0 sets the enterprise bit (IPFIX only).
struct FieldSpec {
    std::uint16_t id = 0;
    std::uint16_t length = 0;  ///< bytes; kVariableLength (65535) = variable (IPFIX only)
    std::uint32_t enterprise = 0;
    friend bool operator==(const FieldSpec&, const FieldSpec&) = default;
};

/// A data template or, when scope_count > 0, an options template.
struct Template {
    std::uint16_t id = 0;  ///< 256..65535
    std::vector<FieldSpec> fields;
    std::uint16_t scope_count = 0;  ///< leading fields that are scope fields (options templates)
    /// Constant values of fields the flow model does not carry (an exporter's names, a
    /// forwarding status, a VLAN it always reports): written into every record, keyed by
    /// element, each exactly as long as its field (variable-length fields: any length).
    std::vector<ExtraField> values;

    bool is_options() const noexcept { return scope_count > 0; }
    bool has_variable_length() const noexcept;
    /// Bytes of one record, counting each variable-length field as its 1-byte length prefix.
    std::size_t min_record_length() const noexcept;
    bool contains(std::uint16_t ie_id, std::uint32_t enterprise = 0) const noexcept;
    friend bool operator==(const Template&, const Template&) = default;
};

/// The value of element (enterprise, id) in `values`, or null.
const ExtraField* find_value(const std::vector<ExtraField>& values, std::uint16_t id, std::uint32_t enterprise) noexcept;

/// How an exporter marks flow times in its data templates.
enum class TimeStyle : std::uint8_t {
    uptime,        ///< flowStart/EndSysUpTime (22/21) relative to the header sysUptime (v9)
                   ///< or to systemInitTimeMilliseconds (160) in the same record (IPFIX)
    seconds,       ///< flowStart/EndSeconds (150/151)
    milliseconds,  ///< flowStart/EndMilliseconds (152/153)
    microseconds,  ///< flowStart/EndMicroseconds (154/155)
    nanoseconds,   ///< flowStart/EndNanoseconds (156/157)
};

/// What flowlab exports by default: the fields a router's "traditional" v9/IPFIX record holds.
/// `wide_counters` uses 8-byte packet/byte counters (IPFIX default) instead of 4.
Template default_template(Protocol p, bool ipv6, std::uint16_t id, TimeStyle time_style,
                          bool wide_counters);

/// Options template whose data records announce the sampling interval for the observation
/// domain: scope is the domain (IPFIX IE 149) / the system (v9 scope type 1), the fields are
/// samplingInterval (34) and samplingAlgorithm (35).
Template sampling_options_template(Protocol p, std::uint16_t id);

}  // namespace flowlab::core
