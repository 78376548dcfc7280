/// @brief Shared by the interoperability tests: randomized export cases encoded with their
/// truth, pcap writing, and tshark's cflow dissection read back into flow records.
///
/// The tshark side is deliberately independent of flowlab's decoder: it reads tshark's JSON
/// tree (`-T json`), turns relative times absolute with the arithmetic the RFCs and PEERS.md
/// give, and reports every cflow key it does not understand, so a field tshark decodes can
/// never be skipped silently.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "flowlab/core/encoder.hpp"
#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/template.hpp"

namespace flowlab::interop {

/// One exporter configuration under test.
struct ExportCase {
    std::string name;
    core::Protocol protocol = core::Protocol::ipfix;
    bool ipv6_records = false;    ///< two thirds IPv6 records (IPv6 template), one third IPv4
    bool ipv6_transport = false;  ///< export datagrams over IPv6 (2001:db8::/32 -> ::1)
    core::TimeStyle time_style = core::TimeStyle::milliseconds;
    bool wide_counters = true;    ///< 8-byte packet/byte counters (else 4)
    std::uint32_t sampling = 0;   ///< 1-in-N; v5 header, v9/IPFIX options data
    bool extras = false;          ///< IPFIX: applicationName (variable length) + an enterprise field
    std::uint32_t domain = 42;    ///< v5: engine_type<<8 | engine_id
};

/// Test names and failure messages show the case by name.
inline void PrintTo(const ExportCase& c, std::ostream* os) { *os << c.name; }

/// Unix ms of 2026-01-01T00:00:00Z: the records' time base.
inline constexpr std::int64_t kBaseMs = 1'767'225'600'000;
/// The enterprise field the extras cases carry: PEN 32473 (RFC 5612 documentation), id 17.
inline constexpr std::uint32_t kExamplePen = 32473;

struct EncodedMessage {
    std::vector<std::uint8_t> bytes;
    std::int64_t export_ns = 0;
    std::vector<core::FlowRecord> truth;  ///< EncodedMessage::records of the packetizer, copied
};

struct EncodedExport {
    core::ExporterConfig config;
    std::vector<EncodedMessage> messages;
    std::size_t records() const;
};

/// Encodes `count` random records (fixed seed) the way `c` says. Fails the current test if the
/// packetizer clamps or rejects anything: every random value fits its field by construction.
EncodedExport encode_case(const ExportCase& c, std::uint64_t seed, std::size_t count);

/// A random record whose every value fits the protocol's fields.
core::FlowRecord random_record(std::mt19937_64& rng, const ExportCase& c, bool ipv6);

/// The exporter's UDP endpoint (192.0.2.x or 2001:db8::x) and the collector's (127.0.0.1/::1).
core::UdpEndpoint exporter_endpoint(const ExportCase& c);
core::UdpEndpoint collector_endpoint(const ExportCase& c, std::uint16_t port);

/// Writes every message as one Ethernet/IP/UDP frame timestamped with its export time.
void write_pcap(const EncodedExport& e, const std::string& path, const core::UdpEndpoint& src,
                const core::UdpEndpoint& dst);

// ---------------------------------------------------------------------------------------------
// tshark

/// One packet of `tshark -T json` output, reduced to what the tests look at.
struct TsharkPacket {
    std::uint64_t number = 0;
    core::IpAddress ip_src;
    std::string ip_checksum_status;   ///< "1" = good (IPv4 only)
    std::string udp_checksum_status;  ///< "1" = good
    std::uint64_t udp_length = 0;
    nlohmann::ordered_json cflow;     ///< the cflow layer (null if tshark did not dissect one)
    std::vector<std::string> problems;  ///< malformed packets and expert infos anywhere in the tree
};

/// Runs `TZ=UTC tshark -r pcap -T json --no-duplicate-keys` with checksum validation on and,
/// if `cflow_port` is non-zero, `-d udp.port==PORT,cflow`. Fails the test on a tshark error.
std::vector<TsharkPacket> run_tshark(const std::string& pcap, std::uint16_t cflow_port = 0);

/// A template as tshark dissected it.
struct TsharkTemplate {
    std::uint16_t id = 0;
    bool options = false;
    std::size_t scope_count = 0;
    std::vector<core::FieldSpec> fields;  ///< scope fields first; v9 scope types as ids
};

/// One NetFlow/IPFIX message as tshark dissected it, converted to flowlab's record model.
struct TsharkMessage {
    std::uint64_t packet = 0;
    core::Protocol protocol = core::Protocol::ipfix;
    std::uint32_t sequence = 0;
    std::uint32_t domain = 0;
    std::uint64_t header_count = 0;  ///< v5/v9 header count
    std::uint64_t ipfix_length = 0;  ///< IPFIX header length
    std::uint64_t v5_sampling_mode = 0, v5_sampling_rate = 0;
    std::vector<TsharkTemplate> templates;
    /// Options data records, flattened key -> values (e.g. "cflow.sampling_interval").
    std::vector<std::map<std::string, std::vector<std::string>>> options_records;
    std::vector<core::FlowRecord> records;  ///< flow records in wire order, fields as tshark shows them
    std::size_t record_count_in_packet = 0;  ///< templates + options templates + data records (RFC 3954 count)
    std::vector<std::string> problems;       ///< keys not understood, unparsable values
};

/// Turns tshark's packets into messages, keeping per-session state as a collector would:
/// options data (sampling, systemInitTimeMilliseconds) announced in earlier messages applies
/// to later records of the same exporter and domain. `ignored_keys` are cflow record keys
/// that carry elements outside flowlab's model (e.g. "cflow.direction"); anything else
/// unknown is a problem.
class TsharkReader {
public:
    explicit TsharkReader(std::set<std::string> ignored_keys = {});
    TsharkMessage read(const TsharkPacket& p);

private:
    struct Session {
        bool has_sampling = false;
        std::uint32_t sampling = 0;
        std::uint16_t sampling_algorithm = 0;  ///< PSAMP numbering (RFC 5477), 0 = not announced
        std::map<std::uint64_t, std::string> interface_names;  ///< ifIndex -> IF_NAME (82)
        bool has_system_init = false;
        std::int64_t system_init_ns = 0;
    };
    std::set<std::string> ignored_;
    /// Keyed by (exporter, version << 32 | domain); templates additionally by id.
    std::map<std::pair<core::IpAddress, std::uint64_t>, Session> sessions_;
    std::map<std::tuple<core::IpAddress, std::uint64_t, std::uint16_t>, TsharkTemplate> templates_;
};

/// Absolute time as tshark prints it with TZ=UTC ("Jan  1, 2026 00:28:28.537999999 UTC"),
/// in Unix ns. Throws std::invalid_argument if it is not in that form.
std::int64_t parse_tshark_abs_time(const std::string& text);
/// Relative time ("86721.908000000", seconds) in ns. Throws std::invalid_argument.
std::int64_t parse_tshark_rel_time(const std::string& text);
/// Decimal or 0x-hex unsigned number. Throws std::invalid_argument.
std::uint64_t parse_tshark_number(const std::string& text);

/// Human-readable list of the fields that differ between two records (with both values).
std::string describe_differences(const core::FlowRecord& expected, const core::FlowRecord& actual,
                                 core::FieldSet which);

}  // namespace flowlab::interop
