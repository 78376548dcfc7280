/// @brief Export scripts: a short, exact sequence of NetFlow v5/v9/IPFIX messages described as
/// data (templates as ordered element lists, sets, records), faults applied to it, and the
/// ground truth of what a correct decoder outputs for every record.
///
/// A script is what a conformance case sends (conformance/*.json, docs/conformance.md):
///
///     "export": {
///       "protocol": "ipfix", "transport": "udp", "exporter": "192.0.2.1", "domain": 1,
///       "templates": {"flow": {"id": 256, "fields": ["sourceIPv4Address", "octetDeltaCount:4", ...]}},
///       "messages": [{"sets": [{"templates": ["flow"]}, {"data": "flow", "records": 3}]}],
///       "faults": [{"fault": "set_length", "message": 1, "set": 2, "value": 0}]
///     }
///
/// The truth does not come from flowlab's decoder: each record's values are given (or drawn
/// deterministically from its index), the template says which of them travel and at what
/// precision, and a reference model of the RFC rules decides, after the faults, which records
/// a correct decoder must output (keep), may lose (may_lose) or must not output (discard):
/// - RFC 7011 9.1: a malformed IPFIX message (a set longer than the message or shorter than
///   a set header, a header length that disagrees with the datagram, a variable-length field
///   past its set, a template running past its set) is discarded whole, templates included;
/// - RFC 7011 8, 8.1, 8.4: templates are scoped by transport session (exporter address and
///   port) and observation domain; the newest definition wins; withdrawals count over TCP and
///   are ignored over UDP; a new TCP connection starts without templates;
/// - RFC 7011 9.3 / RFC 3954 9: data whose template is not known yet may be lost;
/// - NetFlow v9 (RFC 3954 has no malformed-message rule): sets before a broken set may be lost,
///   the broken set and what follows it must not produce records.
///
/// Errors: a script that cannot be built throws ConfigError naming the file and JSON pointer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/template.hpp"

namespace flowlab::gen {

enum class Expect : std::uint8_t {
    keep,      ///< a correct decoder outputs this record, exactly
    may_lose,  ///< it may output it (exactly) or not
    discard,   ///< it must not output it
};
std::string_view to_string(Expect e) noexcept;

enum class Transport : std::uint8_t { udp, tcp };
std::string_view to_string(Transport t) noexcept;

/// One record of the truth: the fields a correct decoder outputs (FlowRecord::present).
struct ExpectedRecord {
    core::FlowRecord record;
    Expect expect = Expect::keep;
    std::uint32_t max_copies = 1;  ///< > 1 when the message carrying it was sent more than once
    std::string where;             ///< "message 3, set 2, record 1"
    /// IPFIX flowStart/EndSysUpTime without 160 in the record: resolved by the reference model
    /// from options data of the same session, else the times are not part of the truth.
    std::optional<std::uint32_t> start_uptime, end_uptime;
};

/// What a set of a built message is (the fault engine and the reference model read it).
struct SetInfo {
    enum class Kind : std::uint8_t { templates, options_templates, withdrawal, data, raw };
    Kind kind = Kind::data;
    std::size_t offset = 0;   ///< of the set header within the message
    std::size_t length = 0;   ///< bytes as written (the set header's length field)
    std::uint16_t id = 0;     ///< set id
    /// Templates (by their name in the script) defined or withdrawn by this set; for a data
    /// set, the one template its records were written with.
    std::vector<std::string> templates;
    std::vector<std::uint16_t> template_ids;
    bool withdraw_all = false;
    std::size_t min_record = 0;  ///< data sets: smallest record the template allows
    std::vector<std::size_t> records;  ///< indices into ScriptMessage::records
    std::size_t options_records = 0;   ///< options data records (not flow records, not in the truth)
    Expect forced = Expect::keep;      ///< "expect" written in the case for this set
    bool has_forced = false;
    bool broken = false;               ///< a fault made this set unusable (length, varlen ...)
    /// Options templates: a fault made their records declare no scope (RFC 7011 3.4.2.2; v9
    /// read the same way): a decoder cannot use them, so they define nothing.
    bool no_scope = false;
    std::size_t varlen_prefix = 0;     ///< data sets: offset of the first variable-length prefix (0: none)
    std::optional<std::int64_t> system_init_ms;  ///< options data carrying systemInitTimeMilliseconds (160)
    /// Options data of interface / VRF tables: index -> name (interned), as a decoder learns them.
    std::vector<std::pair<std::uint32_t, std::string_view>> interface_names, vrf_names;
    /// Options data giving a sampling rate (a sampler table or the domain's sampling options).
    bool sampling_options = false;
    /// Data sets: the records carry no rate of their own; a decoder takes it from options data.
    bool rate_from_options = false;
};

struct ScriptMessage {
    std::vector<std::uint8_t> bytes;
    core::IpAddress exporter;
    std::uint16_t port = 0;       ///< exporter's source port
    std::uint32_t domain = 0;
    std::uint32_t connection = 0; ///< TCP: which connection of this exporter (0, 1, ... after closes)
    std::int64_t export_ms = 0;
    std::vector<SetInfo> sets;
    std::vector<ExpectedRecord> records;
    bool malformed = false;       ///< a fault made the whole message uninterpretable (RFC 7011 9.1)
    bool canary = false;          ///< appended after the case: must always decode
    /// A fault broke the message boundary itself (header length or version, truncation,
    /// bytes after it): a reader of a byte stream (TCP, an IPFIX file) cannot find the next
    /// message, so the truth of such a case holds for datagrams only.
    bool breaks_stream = false;
    bool lossy = false;           ///< its records may be lost (the protocol leaves the outcome open)
    std::string label;            ///< "message 2" (1-based, as the case file numbers them)
    std::vector<std::string> faults;  ///< what was done to it, for the report
};

struct ExportScript {
    core::Protocol protocol = core::Protocol::ipfix;
    Transport transport = Transport::udp;
    core::IpAddress collector = core::IpAddress::v4(0x7F000001);
    std::uint16_t collector_port = 4739;
    std::vector<ScriptMessage> messages;  ///< in sending order, after faults

    /// Every expected record with its message, in sending order.
    std::size_t record_count() const noexcept;
};

/// Builds a script from its JSON object (`pointer` is where it sits in `file`), applies its
/// faults and computes the truth. Canary messages (a fresh template and one record from the
/// same exporter, and one from a second exporter) are appended when `canaries` is set.
ExportScript build_export_script(const nlohmann::ordered_json& script, const std::string& file,
                                 const std::string& pointer, bool canaries = true);

/// Element name -> id for field specifications ("octetDeltaCount", "5951:130", "999").
/// Throws ConfigError(file, pointer, ...) when unknown.
core::FieldSpec parse_field_spec(const std::string& text, core::Protocol p, bool scope, const std::string& file,
                                 const std::string& pointer);

}  // namespace flowlab::gen
