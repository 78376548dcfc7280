/// @brief The one validation of a run, shared by `flowlab scenarios validate` and `flowlab gen`:
/// what validate accepts, gen can run. It checks what depends on the span and scale a run uses
/// (the file's, or --start/--duration/--scale): the span itself, export times that must fit the
/// 32-bit seconds of NetFlow/IPFIX headers and pcap files, sysUptime of uptime-based exporters,
/// event times inside the span, the stated upper bounds on rates and conversations; and it
/// estimates what the run will take (conversations, memory) before any work starts.
///
/// Errors: ScenarioErrors listing every problem, each with the JSON pointer of the value at
/// fault (and, when an override caused it, the option's name in the message).
#pragma once

#include <cstdint>
#include <string>

#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/traffic_source.hpp"

namespace flowlab::gen {

/// The stated limits of a run (docs/scenario-format.md, "Limits").
inline constexpr std::int64_t kMaxSpanUs = 3660 * kUsPerDay;  ///< ten years
/// Arrivals per second of one activity at its peak (profiles at their highest, --scale
/// included): a million sessions, probes or attack flows a second.
inline constexpr double kMaxArrivalRate = 1e6;
/// Conversations in one run, as estimated with every profile at its peak: about three hours of
/// gen on one core.
inline constexpr double kMaxConversations = 1e10;
/// The last second that the export headers (32-bit seconds) and classic pcap files can carry:
/// 2106-02-07T06:28:15Z.
inline constexpr std::int64_t kLastExportSecond = 0xFFFFFFFFLL;

/// The span and scale a run uses: the scenario's, or the overrides.
struct RunSpan {
    std::int64_t start_us = 0;
    std::int64_t duration_us = 0;
    double scale = 1.0;
    bool start_given = false;  ///< from --start (messages say so)
    bool duration_given = false;
    bool scale_given = false;
    std::int64_t end_us() const noexcept { return start_us + duration_us; }
    static RunSpan of(const Scenario& s, const SourceOptions& o);
};

/// What a run will take, estimated from the scenario before it starts (the estimate and how it
/// compares with measurements: docs/scenario-format.md, "Limits").
struct RunEstimate {
    double conversations = 0;      ///< conversations generated, at most (profiles at their peak)
    double in_flight = 0;          ///< conversations held in memory at once, at the busiest moment
    double peak_memory_bytes = 0;  ///< gen's peak resident memory (without --packets)
};

/// Checks a run of `s` over `span` and estimates it; with a `memory_limit` (bytes, 0 = none)
/// a run whose estimated peak memory exceeds it is refused too. Throws ScenarioErrors.
RunEstimate check_run(const Scenario& s, const RunSpan& span, std::uint64_t memory_limit = 0);

/// The default of gen's --memory-limit: half of the memory this process may use (the machine's
/// physical memory, or its cgroup's limit when lower).
std::uint64_t default_memory_limit();

/// This process's peak resident memory so far (VmHWM, bytes), 0 where the system does not say.
/// Unlike getrusage's ru_maxrss it starts afresh at exec, so a spawned child does not inherit
/// its parent's peak.
std::uint64_t peak_resident_bytes();

}  // namespace flowlab::gen
