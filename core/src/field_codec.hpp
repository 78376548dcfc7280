/// @brief Shared by encoder and decoder: a template compiled into per-field operations, and
/// the one place that says how an information element's bytes become FlowRecord fields.
///
/// The encoder's export truth is what read_record() reads from the bytes it has just written:
/// write_record gives it directly, passing each value it writes to the same functions
/// read_record passes the values it reads to (tests/core/direct_truth_test.cpp compares the
/// two over every shipped dialect), and templates it cannot give it for are read back. So
/// "what flowlab says it exported" and "what flowlab's decoder reads" cannot drift apart;
/// independent decoders (tshark, nfdump) check both in the interoperability tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/ie_catalog.hpp"
#include "flowlab/core/repeated_elements.hpp"
#include "flowlab/core/template.hpp"

namespace flowlab::core::detail {

enum class Op : std::uint8_t {
    skip,            ///< known but not modelled, or a v9 scope field
    unknown,         ///< element not in the registry
    enterprise,      ///< enterprise-specific element (known or not)
    padding,
    number,          ///< unsigned big-endian into `field`
    address4,
    address6,
    time_seconds,    ///< dateTimeSeconds into first/last
    time_millis,     ///< dateTimeMilliseconds into first/last
    time_micro,      ///< NTP format
    time_nano,       ///< NTP format
    delta_micro,     ///< 158/159: microseconds before the export time
    uptime_start,
    uptime_end,
    system_init,
    icmp_type_code,
    sampling,
    sampling_space,  ///< samplingPacketSpace (306)
    sampling_size,   ///< 309
    sampling_population,  ///< 310
    sampling_probability, ///< 311
    sampling_algorithm,   ///< 35, 49 (v9 numbering), 304 (PSAMP numbering)
    sampler_id,      ///< 48, 302
    v9_scope_interface,   ///< v9 options scope type 2 (Interface): the ifIndex the options describe
};

struct FieldOp {
    Op op = Op::skip;
    Field field = Field::exporter;
    bool variable = false;
    bool keep = false;  ///< keep bytes in FlowRecord::extra (skip/unknown/enterprise)
    std::uint8_t family = 0;   ///< 4 or 6 for address-family elements
    std::uint16_t length = 0;  ///< fixed length (unused when variable)
    std::uint16_t id = 0;
    std::uint32_t enterprise = 0;
    const IeInfo* info = nullptr;  ///< registry entry, null when unknown
    /// Where `field` lives in FlowRecord and its width in bytes, so read_record stores a value
    /// without FlowRecord::set_number's per-field switch; 0 when `field` is not a numeric or
    /// address column (the value then goes through set_number/set_address as before).
    std::uint16_t member_offset = 0;
    std::uint8_t member_width = 0;
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
    bool has_sampling_space = false;      ///< carries samplingPacketSpace (306)
    /// Carries a NetScaler AppFlow element (PEN 5951): its 154/155 are read and written in
    /// NetScaler's form (see netscaler_micro_to_ms).
    bool netscaler_micro = false;
    /// Records need the repeated-element rule: the template fills an address column more
    /// than once, or carries elements of both address families.
    bool occurrences = false;
    /// write_record can give the truth directly (the overload with a PartialRecord): every
    /// field is one read_record reads back as the value written. False for numbers wider than
    /// 8 bytes, variable-length fields read_record interprets, and time or float fields in
    /// lengths other than their type's.
    bool direct_truth = false;
};

/// Compiles a template against a registry. Returns an empty string when usable, otherwise
/// why not. Fields of a known element in a length its type does not allow are demoted to
/// `skip` and reported in `field_problems` (the template still works).
std::string compile_template(const Template& t, Protocol p, bool keep_extra, CompiledTemplate& out,
                             std::vector<std::string>& field_problems,
                             const Registry& registry = Registry::standard());

/// What a record says before the message context turns relative times into absolute ones
/// and the options tables name its sampler, interfaces and VRFs.
struct PartialRecord {
    FlowRecord rec;
    std::uint64_t start_uptime = 0, end_uptime = 0;
    std::uint64_t start_delta_us = 0, end_delta_us = 0;
    std::int64_t system_init_ms = 0;
    bool has_start_uptime = false, has_end_uptime = false, has_system_init = false;
    bool has_start_delta = false, has_end_delta = false;
    bool has_icmp_field = false;
    std::uint64_t sampling = 0;  ///< 1-in-N, after read_record combined 305/306 or 309/310
    bool has_sampling = false;
    std::uint64_t sampling_space = 0;
    bool has_sampling_space = false;
    bool sampling_is_packet_interval = false;  ///< `sampling` came from 305, not 34/50
    std::uint64_t sampling_size = 0, sampling_population = 0;
    bool has_sampling_size = false, has_sampling_population = false;
    double sampling_probability = 0;
    bool has_sampling_probability = false;
    std::uint16_t sampling_algorithm = 0;  ///< PSAMP numbering
    bool has_sampling_algorithm = false;
    std::uint64_t sampler_id = 0;
    bool has_sampler_id = false;
    std::vector<AddressOccurrence> addresses;  ///< only for templates with `occurrences`
    std::vector<FamilyNumber> family_numbers;

    void reset() {
        rec.extra.clear();
        auto extra = std::move(rec.extra);
        rec = FlowRecord{};
        rec.extra = std::move(extra);
        has_start_uptime = has_end_uptime = has_system_init = has_icmp_field = has_sampling = false;
        has_start_delta = has_end_delta = false;
        has_sampling_space = sampling_is_packet_interval = false;
        has_sampling_size = has_sampling_population = has_sampling_probability = false;
        has_sampling_algorithm = has_sampler_id = false;
        addresses.clear();
        family_numbers.clear();
    }
};

/// Reads one record at p (at most `avail` bytes). Returns the bytes consumed, or 0 if the
/// record does not fit (a variable-length field running past `avail`, or a short tail).
std::size_t read_record(const CompiledTemplate& t, const std::uint8_t* p, std::size_t avail, PartialRecord& out);

/// A sampler (v9 flow sampler, PSAMP selector) as an options record described it.
struct Sampler {
    std::uint64_t interval = 0;  ///< 1-in-N; 0 when the options named the sampler without a rate
    std::uint16_t algorithm = 0; ///< PSAMP numbering, 0 unknown
};

/// Options tables of one exporter and observation domain / source id, updated as options
/// records arrive and applied to the data records that follow.
struct OptionsTables {
    std::unordered_map<std::uint64_t, Sampler> samplers;  ///< by sampler / selector id
    std::optional<Sampler> unnamed_sampler;  ///< sampling options that name no sampler id
    std::unordered_map<std::uint32_t, std::string_view> interfaces;  ///< ifIndex -> interned name
    std::unordered_map<std::uint32_t, std::string_view> vrfs;        ///< VRF id -> interned name
    /// The domain's only sampler, when exactly one is known; null otherwise.
    const Sampler* only_sampler() const noexcept;
};

/// Names `r`'s interfaces and VRFs (in_if_name, out_if_name, vrf_in, vrf_out) from `tables`.
void join_names(const OptionsTables& tables, FlowRecord& r);

/// How finish_record resolved a record's sampling.
enum class SamplingSource : std::uint8_t { none, record, named, only, header, unknown_id };

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
    std::uint32_t header_uptime = 0;  ///< v5/v9 sysUptime, for the 32-bit wrap
    /// IPFIX: systemInitTimeMilliseconds announced in options data for this session.
    std::int64_t session_system_init_ms = 0;
    bool has_session_system_init = false;
    /// Sampling interval in force from the v5 header (or, for the encoder's own truth, its
    /// sampling options record).
    std::uint64_t session_sampling = 0;
    bool has_session_sampling = false;
    std::uint16_t session_sampling_algorithm = 0;  ///< PSAMP numbering, 0 = not announced
    /// Options tables of the record's session (decoder only).
    const OptionsTables* tables = nullptr;
};

/// Completes a record: header columns, absolute times, ICMP type/code, the repeated-element
/// rule, sampling and names from the options tables. Returns false if a relative time could
/// not be resolved (the time fields are then left absent).
bool finish_record(PartialRecord& p, std::uint16_t template_id, const MessageContext& ctx,
                   SamplingSource* sampling_source = nullptr);

/// Writes `r` per template `t` at out (which has room for the record). Returns bytes written,
/// or 0 when a value does not fit a variable-length field. `clamped` counts values that did
/// not fit their field width. `boot_ms` is the exporter's sysUptime origin.
std::size_t write_record(const CompiledTemplate& t, const FlowRecord& r, std::int64_t boot_ms,
                         std::uint64_t sampling_interval, std::uint8_t* out, std::uint64_t& clamped);
/// write_record, also filling `truth` (reset by the caller) with exactly what read_record
/// would read from the bytes written, without reading them. Only for `t.direct_truth`.
std::size_t write_record(const CompiledTemplate& t, const FlowRecord& r, std::int64_t boot_ms,
                         std::uint64_t sampling_interval, std::uint8_t* out, std::uint64_t& clamped,
                         PartialRecord& truth);
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

/// Citrix NetScaler AppFlow's private enterprise number.
inline constexpr std::uint32_t kNetScalerPen = 5951;
/// flowStart/EndMicroseconds (154/155) as NetScaler AppFlow writes them: NTP-era seconds in the
/// upper 32 bits, as RFC 7011 6.1.9 says, but a lower word that counts microseconds
/// (0..999,999) where the RFC has a 2^-32 fraction. Read as the RFC says, every such time lands
/// within 233 us after its second. Evidence: the AppFlow capture of 2016-11-11
/// (tests/core/fixtures/real-exports/payloads/ipfix_test_netscaler_data.dat) carries lower
/// words 427396, 548760 and 551769 with the seconds equal to the export time; as 2^-32
/// fractions, three values below 10^6 have a chance of about 10^-11. logstash-codec-netflow
/// (pull request 61) and Wireshark bug 11047 describe the same NetScaler fraction.
/// A template is taken for NetScaler's when it carries a PEN 5951 element (every AppFlow
/// template does); a lower word of 10^6 or more cannot be microseconds and is read as the
/// RFC's fraction, so firmware that follows the RFC is still read right, except for the
/// 1 in 4300 values whose fraction happens to fall below 10^6 (at most 1 s late).
bool netscaler_micro_word(std::uint64_t wire) noexcept;
std::int64_t netscaler_micro_to_ms(std::uint64_t wire) noexcept;
std::uint64_t ms_to_netscaler_micro(std::int64_t epoch_ms) noexcept;
/// 154/155 in epoch ms: NetScaler's form when `netscaler` and the lower word allows it,
/// otherwise RFC 7011's.
std::int64_t micro_to_ms(std::uint64_t wire, bool netscaler) noexcept;

}  // namespace flowlab::core::detail

namespace flowlab::core::detail {
/// Absolute time of a 32-bit uptime-relative value `rel` (ms since `base`), given the export
/// time: the value is taken in the 2^32 ms period that puts it closest before the export (a
/// little after is allowed), so flows straddling the 49.7-day wrap come out right.
std::int64_t resolve_uptime(std::int64_t base, std::uint64_t rel, std::int64_t export_ms) noexcept;
/// PSAMP selectorAlgorithm number for v9 samplingAlgorithm / samplerMode values (1 deterministic
/// -> 1 systematic count-based, 2 random -> 3 random n-out-of-N).
std::uint16_t psamp_algorithm_from_v9(std::uint64_t v) noexcept;
}  // namespace flowlab::core::detail
