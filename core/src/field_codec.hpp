/// @brief Shared by encoder and decoder: a template compiled into per-field operations, and
/// the one place that says how an information element's bytes become FlowRecord fields.
///
/// The encoder builds its export truth by running read_record() over the bytes it has just
/// written, so "what flowlab says it exported" and "what flowlab's decoder reads" cannot drift
/// apart; independent decoders (tshark, nfdump) check both in the interoperability tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/ie_catalog.hpp"
#include "flowlab/core/template.hpp"

namespace flowlab::core::detail {

enum class Op : std::uint8_t {
    skip,            ///< known but not modelled, or a scope field
    unknown,         ///< IANA element not in the catalog
    enterprise,      ///< enterprise-specific element
    padding,
    number,          ///< unsigned big-endian into `field`
    address4,
    address6,
    time_seconds,    ///< dateTimeSeconds into first/last
    time_millis,     ///< dateTimeMilliseconds into first/last
    time_micro,      ///< NTP format
    time_nano,       ///< NTP format
    uptime_start,
    uptime_end,
    system_init,
    icmp_type_code,
    sampling,
};

struct FieldOp {
    Op op = Op::skip;
    Field field = Field::exporter;
    bool variable = false;
    bool keep = false;  ///< keep bytes in FlowRecord::extra (skip/unknown/enterprise)
    std::uint16_t length = 0;  ///< fixed length (unused when variable)
    std::uint16_t id = 0;
    std::uint32_t enterprise = 0;
};

struct CompiledTemplate {
    Template tmpl;
    Protocol protocol = Protocol::ipfix;
    bool options = false;
    bool variable = false;
    std::size_t min_length = 0;  ///< fixed length when !variable
    std::vector<FieldOp> ops;
    std::uint32_t unknown_fields = 0;     ///< per record
    std::uint32_t enterprise_fields = 0;  ///< per record
};

/// Compiles a template. Returns an empty string when usable, otherwise why not. Fields of a
/// known element in a length its type does not allow are demoted to `skip` and reported in
/// `field_problems` (the template still works).
std::string compile_template(const Template& t, Protocol p, bool keep_extra, CompiledTemplate& out,
                             std::vector<std::string>& field_problems);

/// What a record says before the message context turns relative times into absolute ones.
struct PartialRecord {
    FlowRecord rec;
    std::uint64_t start_uptime = 0, end_uptime = 0;
    std::int64_t system_init_ms = 0;
    bool has_start_uptime = false, has_end_uptime = false, has_system_init = false;
    bool has_icmp_field = false;
    std::uint32_t sampling = 0;
    bool has_sampling = false;

    void reset() {
        rec = FlowRecord{};
        has_start_uptime = has_end_uptime = has_system_init = has_icmp_field = has_sampling = false;
    }
};

/// Reads one record at p (at most `avail` bytes). Returns the bytes consumed, or 0 if the
/// record does not fit (a variable-length field running past `avail`, or a short tail).
std::size_t read_record(const CompiledTemplate& t, const std::uint8_t* p, std::size_t avail, PartialRecord& out);

/// The message a record arrived in: turns relative times absolute and fills header columns.
struct MessageContext {
    Protocol protocol = Protocol::ipfix;
    IpAddress exporter;
    std::uint32_t domain = 0;
    std::uint32_t sequence = 0;
    std::int64_t export_ms = 0;
    /// v5/v9: header time minus sysUptime, the exporter's boot in epoch ms.
    std::int64_t boot_ms = 0;
    bool has_boot = false;
    /// IPFIX: systemInitTimeMilliseconds announced in options data for this session.
    std::int64_t session_system_init_ms = 0;
    bool has_session_system_init = false;
    /// Sampling interval in force from options data or the v5 header.
    std::uint32_t session_sampling = 0;
    bool has_session_sampling = false;
};

/// Completes a record: header columns, absolute times, ICMP type/code, sampling. Returns
/// false if a relative time could not be resolved (the time fields are then left absent).
bool finish_record(PartialRecord& p, std::uint16_t template_id, const MessageContext& ctx);

/// Writes `r` per template `t` at out (which has room for the record). Returns bytes written,
/// or 0 when a value does not fit a variable-length field. `clamped` counts values that did
/// not fit their field width. `boot_ms` is the exporter's sysUptime origin.
std::size_t write_record(const CompiledTemplate& t, const FlowRecord& r, std::int64_t boot_ms,
                         std::uint32_t sampling_interval, std::uint8_t* out, std::uint64_t& clamped);
/// Bytes write_record needs for r (variable-length fields counted with their prefixes).
std::size_t record_size(const CompiledTemplate& t, const FlowRecord& r);

/// NetFlow v5: 24-byte header, 48-byte records with sysUptime-relative times.
inline constexpr std::size_t kV5HeaderLength = 24;
inline constexpr std::size_t kV5RecordLength = 48;
inline constexpr std::size_t kV5MaxRecords = 30;
void write_v5_record(const FlowRecord& r, std::int64_t boot_ms, std::uint8_t* out, std::uint64_t& clamped);
void read_v5_record(const std::uint8_t* p, PartialRecord& out);

/// NTP 64-bit timestamp conversions (RFC 7011 6.1.9/6.1.10; RFC 5905 era 0).
std::uint64_t ms_to_ntp(std::int64_t epoch_ms, bool micro_resolution) noexcept;
std::int64_t ntp_to_ms(std::uint64_t ntp, bool micro_resolution) noexcept;

}  // namespace flowlab::core::detail
