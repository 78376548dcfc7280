/// @brief Encoding flow records into NetFlow v5, v9 and IPFIX messages.
///
/// A Packetizer is one exporting process for one observation domain: it fills messages up to
/// the MTU, counts sequence numbers as each protocol defines them, stamps header times from
/// the export time it is given, and (v9/IPFIX) sends its templates in the first message and
/// again every N messages or T milliseconds. Every message it emits comes with the records it
/// carries *as a decoder reads them back* (the export truth): times at wire resolution,
/// fields the template does not carry absent, counters clamped to their field width.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/template.hpp"

namespace flowlab::core {

/// An options template an exporter sends with its data templates, and its one data record.
/// Values: scope System (v9) / exporterIPv4Address (130) = the exporter's address,
/// observationDomainId (149), meteringProcessId (143) and exportingProcessId (144) = the domain,
/// samplingInterval (34) / samplerRandomInterval (50) = N, samplingAlgorithm (35) / samplerMode (49)
/// = 1 or 2, selectorAlgorithm (304) = 1 or 3 (PSAMP), samplingPacketInterval (305) = 1 and
/// samplingPacketSpace (306) = N - 1 (or 305 = N alone), samplerId (48) / selectorId (302) = 1
/// (data records carrying 48/302 name that sampler), systemInitTimeMilliseconds (160) = boot,
/// exportedMessageTotalCount (41) / exportedFlowRecordTotalCount (42) = messages / records sent
/// before, flowActiveTimeout (36) / flowIdleTimeout (37) = the configured timeouts,
/// exportProtocolVersion (214), exportTransportProtocol (215) = 17, paddingOctets (210) = 0,
/// and any element given in the template's `values`.
///
/// A table (interface or VRF table, as IOS XR sends them) has one record per row instead: its
/// key field (ingressInterface 10 / egressInterface 14, or ingressVRFID 234 / egressVRFID 235)
/// holds the row's index and its name field (interfaceName 82 / interfaceDescription 83, or
/// VRFname 236) the row's name, NUL-padded; the other fields are filled as above. Decoders join
/// the names into the records that name the index, and so does the export truth.
enum class OptionsTable : std::uint8_t { none, interfaces, vrfs };

struct OptionsTableRow {
    std::uint32_t index = 0;  ///< ifIndex or VRF id
    std::string name;
};

struct OptionsSpec {
    Template tmpl;
    bool only_when_sampling = false;  ///< sent only when the exporter samples (sampling_interval > 1)
    OptionsTable table = OptionsTable::none;
    std::vector<OptionsTableRow> rows{};  ///< the table's records (table != none), in this order
};

/// The key and name fields of a table's template (indexes into tmpl.fields); an empty `problem`
/// when the template has exactly one of each for its kind of table, else why not.
struct OptionsTableFields {
    std::size_t key = 0, name = 0;
    std::string problem;
};
OptionsTableFields options_table_fields(const Template& t, OptionsTable table);

/// Whether the encoder can fill field `f` of an options template (see OptionsSpec); an empty
/// string if so, else why not.
std::string options_field_problem(const FieldSpec& f, bool scope, Protocol p, const std::vector<ExtraField>& values);

/// Where template and options records travel (RFC 3954 and 7011 allow any of these).
enum class TemplatePlacement : std::uint8_t {
    with_data,   ///< at the front of a data message
    apart,       ///< all of them (and the options records) in a message of their own (OpenBSD pflow)
    each_apart,  ///< every template, options template and options table in its own message (IOS XR)
};

/// What a NetFlow v9 header's count holds.
enum class V9Count : std::uint8_t {
    records,       ///< every record, templates included (RFC 3954 5.1)
    data_records,  ///< flow data records only (softflowd)
    one,           ///< always 1 (OpenBSD pflow, which wrote the number of flowsets, always 1)
};

/// What the header's sequence number counts.
enum class SequenceHabit : std::uint8_t {
    rfc,                ///< v9: messages sent before, from 0 (RFC 3954); IPFIX: data records sent before (RFC 7011)
    packets_from_1,     ///< v9: messages sent including this one (softflowd)
    records_including,  ///< flow records sent including this message's (softflowd IPFIX, pflow v9)
};

struct ExporterConfig {
    Protocol protocol = Protocol::ipfix;
    IpAddress address;  ///< exporter address, written into truth records
    std::uint32_t domain = 0;  ///< v9 source id, IPFIX observation domain; v5: engine_type<<8 | engine_id
    std::int64_t boot_ms = 0;  ///< exporter boot (sysUptime zero), Unix epoch ms
    std::size_t max_payload = 1472;  ///< UDP payload bytes per message (MTU minus IP and UDP headers)
    /// Data templates (v9/IPFIX): records go to the first template of their address family.
    Template template_v4;
    Template template_v6;
    /// Optional: ICMP (protocol 1) / ICMPv6 (58) records go to these instead (softflowd's
    /// 1025/2049); empty = the family's template.
    Template template_v4_icmp;
    Template template_v6_icmp;
    /// Options template announcing sampling (v9/IPFIX), sent with the templates when
    /// sampling_interval > 1; v5 puts the interval into its header instead.
    std::uint32_t sampling_interval = 0;
    std::uint8_t sampling_algorithm = 1;  ///< 1 deterministic 1-in-N, 2 random (v5 header mode bits)
    std::uint16_t options_template_id = 258;
    std::uint32_t template_refresh_packets = 20;  ///< 0: only in the first message
    std::int64_t template_refresh_ms = 60'000;    ///< 0: not by time
    bool pad_sets = true;  ///< pad v9 flowsets to 4 bytes (RFC 3954 asks for it)
    bool pad_ipfix_sets = false;  ///< pad IPFIX sets to 4 bytes (RFC 7011 3.3.1 allows it; softflowd does)
    /// Options templates (v9/IPFIX). Empty: the sampling options above when sampling_interval > 1.
    std::vector<OptionsSpec> options;
    std::uint32_t active_timeout_s = 0;  ///< for flowActiveTimeout (36) in options records
    std::uint32_t idle_timeout_s = 0;    ///< for flowIdleTimeout (37)
    /// Message habits of real exporters; the defaults are RFC behaviour.
    TemplatePlacement template_placement = TemplatePlacement::with_data;
    bool one_data_set = false;  ///< a message carries data records of one template only (OpenBSD pflow)
    V9Count v9_count = V9Count::records;
    SequenceHabit sequence = SequenceHabit::rfc;
};

/// Bytes of IP and UDP headers before an export payload.
constexpr std::size_t udp_overhead(bool ipv6) noexcept { return (ipv6 ? 40 : 20) + 8; }

struct EncodedMessage {
    std::span<const std::uint8_t> bytes;
    std::int64_t export_ns = 0;  ///< the time the message was emitted (as given to add/flush)
    std::span<const FlowRecord> records;  ///< export truth for this message, in wire order
};

struct PacketizerStats {
    std::uint64_t messages = 0;
    std::uint64_t records = 0;
    std::uint64_t template_messages = 0;  ///< messages that carried templates
    std::uint64_t clamped = 0;   ///< counters or times that did not fit their field and were clamped
    std::uint64_t rejected = 0;  ///< records the protocol cannot carry (IPv6 in v5)
};

class Packetizer {
public:
    using Sink = std::function<void(const EncodedMessage&)>;

    /// Throws ConfigError if the configuration cannot work (a template longer than the MTU,
    /// v5 with a max_payload below one record, a template id below 256).
    Packetizer(ExporterConfig config, Sink sink);
    ~Packetizer();
    Packetizer(Packetizer&&) noexcept;
    Packetizer& operator=(Packetizer&&) noexcept;

    /// Queues a record for export at `export_ns`; emits the pending message first when this
    /// record does not fit into it. Returns false (and counts) when the protocol cannot carry
    /// the record. Export times must not go backwards.
    bool add(const FlowRecord& r, std::int64_t export_ns);
    /// Emits the pending message, if any, stamped `export_ns`.
    void flush(std::int64_t export_ns);
    /// IPFIX: emits a message withdrawing template `id` (RFC 7011 8.1). Tests use it; RFC 7011
    /// forbids withdrawals over UDP, so gen never sends one.
    void withdraw_template(std::uint16_t id, std::int64_t export_ns);
    bool pending() const noexcept;

    const PacketizerStats& stats() const noexcept;
    const ExporterConfig& config() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowlab::core
