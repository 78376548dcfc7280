/// @brief Faults applied to gen's export stream (`faults` in a scenario, `gen --fault`): which
/// messages each one selects, what it does to them, and what a correct decoder still outputs.
///
/// A fault selects messages of one exporter (or of every exporter it applies to) by their
/// number in that exporter's stream (1-based, before any fault), every Nth of those, and/or an
/// export-time window; the selection depends only on the scenario and seed, so a faulted run
/// is as reproducible as any other. The truth of the damaged stream comes from the reference
/// model the conformance cases use (reference_model.hpp): records a correct decoder outputs
/// stay in truth/records.csv; those it may lose go to truth/may-lose.csv, those it must not
/// output (never sent, or in a message it must discard) to truth/discard.csv.
///
/// Errors: a bad fault throws ConfigError (scenario: file and JSON pointer) or UsageError
/// (`--fault`: the option text), both exit 2.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/core/encoder.hpp"

namespace flowlab::gen {

struct Scenario;
struct ExporterPlan;

enum class FaultKind : std::uint8_t {
    drop,                  ///< the message is never sent
    duplicate,             ///< sent twice, the copy right after it
    reorder,               ///< held back and sent after the exporter's next `by` messages
    sequence_gap,          ///< the sequence number jumps forward by `by` (and stays shifted)
    sequence_reset,        ///< the sequence number starts again from 0 (an exporter restart)
    sequence_wrap,         ///< this message carries sequence 2^32-1: the next ones wrap past 0
    uptime_wrap,           ///< v5/v9: sysUptime here is 2^32 ms minus `by`: it wraps `by` later
    restart,               ///< v5/v9: the exporter restarted: sequence from 0, sysUptime from `by`
    export_time_back,      ///< the header's export time is `by` earlier
    missing_template,      ///< template and options template sets left out of the message
    data_before_template,  ///< template sets moved behind the data sets of the message
    truncate,              ///< the last `by` bytes cut off
    message_length,        ///< IPFIX: `by` added to the header's length field
    template_withdraw,     ///< IPFIX: a withdrawal of the exporter's templates after the data (UDP: ignored)
    template_redefine,     ///< the message's templates and data in another layout (fields reversed)
    template_reuse,        ///< sent by observation domain `by` with the template ids in another layout
    template_refresh_never,  ///< template records an earlier message already carried are left out
    zero_length_set,       ///< the first data set's length field says 0
    short_set,             ///< the first data set's length is `by` (1-3): shorter than a set header
    set_length_past,       ///< the first data set's length reaches `by` bytes past the message end
    padding,               ///< `by` zero bytes of padding at the end of the first data set
    field_count_large,     ///< the first template record claims `by` more fields than its set holds
    unknown_element,       ///< element `by` (unknown to decoders) added to the templates and records
    enterprise_element,    ///< IPFIX: element `by` of PEN 32473 added to the templates and records
    varlen_3byte,          ///< IPFIX: a variable-length element of `by` bytes in the 3-byte length form
    options_scope_zero,    ///< its options templates declare no scope (IPFIX scope count 0, v9 scope length 0)
};
std::string_view to_string(FaultKind k) noexcept;

struct Fault {
    FaultKind kind = FaultKind::drop;
    std::optional<std::size_t> exporter;  ///< scenario index; unset: every exporter it applies to
    std::uint64_t first = 1;              ///< message numbers, per exporter, 1-based
    std::uint64_t last = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t every = 1;  ///< of the messages first..last, every Nth (first, first+N, ...)
    std::optional<std::int64_t> from_us, to_us;  ///< export-time window after the span start
    std::int64_t by = 0;  ///< the kind's amount (messages, sequence numbers, µs, sysUptime ms, bytes, domain)
    nlohmann::ordered_json spec;  ///< as written (scenario object, or --fault parsed into one)
    std::string origin;   ///< the scenario file, or "--fault TEXT"
    std::string pointer;  ///< JSON pointer in the scenario ("" for --fault)
    bool from_option = false;

    /// Message number n (1-based) of its exporter, exported `offset_us` after the span start.
    bool selects(std::uint64_t n, std::int64_t offset_us) const noexcept;
    /// Throws ConfigError at the fault's place, or UsageError naming the option text.
    [[noreturn]] void fail(const std::string& what) const;
};

/// Parses `gen --fault KIND[:KEY=VALUE[,KEY=VALUE...]]` (the keys of a scenario fault, e.g.
/// "drop:exporter=edge,messages=10-20,every=3"). Throws UsageError naming the text.
Fault parse_fault_option(std::string_view text, const Scenario& s);

/// Checks every fault against the exporters it selects (e.g. message_length needs IPFIX).
void check_faults(const Scenario& s);

/// Applies the scenario's faults to the messages of a run as they are exported and judges
/// every record. Messages must arrive in the simulation's order (non-decreasing export time).
class FaultStream {
public:
    struct Sinks {
        /// A message as sent (bytes, pcap time) with its records a correct decoder outputs.
        std::function<void(std::size_t exporter, const core::EncodedMessage&)> message;
        std::function<void(const core::FlowRecord&)> may_lose;
        std::function<void(const core::FlowRecord&)> discard;
    };
    FaultStream(const Scenario& s, const std::vector<ExporterPlan>& plans, std::int64_t start_us, Sinks sinks);
    ~FaultStream();
    FaultStream(const FaultStream&) = delete;
    FaultStream& operator=(const FaultStream&) = delete;

    void message(std::size_t exporter, const core::EncodedMessage& m);
    /// Sends what is still held back (reordered messages at the end of the stream).
    void finish();
    /// For manifest.json: each fault as written with the messages it hit, and the totals.
    nlohmann::ordered_json report() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowlab::gen
