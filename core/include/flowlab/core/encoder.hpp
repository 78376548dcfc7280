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
#include <vector>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/template.hpp"

namespace flowlab::core {

struct ExporterConfig {
    Protocol protocol = Protocol::ipfix;
    IpAddress address;  ///< exporter address, written into truth records
    std::uint32_t domain = 0;  ///< v9 source id, IPFIX observation domain; v5: engine_type<<8 | engine_id
    std::int64_t boot_ms = 0;  ///< exporter boot (sysUptime zero), Unix epoch ms
    std::size_t max_payload = 1472;  ///< UDP payload bytes per message (MTU minus IP and UDP headers)
    /// Data templates (v9/IPFIX): records go to the first template of their address family.
    Template template_v4;
    Template template_v6;
    /// Options template announcing sampling (v9/IPFIX), sent with the templates when
    /// sampling_interval > 1; v5 puts the interval into its header instead.
    std::uint32_t sampling_interval = 0;
    std::uint8_t sampling_algorithm = 1;  ///< 1 deterministic 1-in-N, 2 random (v5 header mode bits)
    std::uint16_t options_template_id = 258;
    std::uint32_t template_refresh_packets = 20;  ///< 0: only in the first message
    std::int64_t template_refresh_ms = 60'000;    ///< 0: not by time
    bool pad_sets = true;  ///< pad v9 flowsets to 4 bytes (RFC 3954 asks for it); IPFIX never pads
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
