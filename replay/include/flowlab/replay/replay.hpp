/// @brief `flowlab replay`: send a capture's exports (UDP, or IPFIX over TCP) or frames (an
/// interface) at a controlled rate, for as long as asked, and account for every packet.
///
/// Over TCP (RFC 7011 10.4) each transport session of the capture (exporter address and
/// source port) gets its own connection, opened before anything is sent, and its messages are
/// written back to back in capture order; the timing options pace the messages as they pace
/// datagrams. Only IPFIX has a framing for a byte stream (its header's length): a capture
/// holding NetFlow v5/v9, or an IPFIX message whose length field disagrees with its datagram,
/// is refused before anything is sent.
///
/// Timing (one of):
///  - original spacing scaled by `speed` (1 = as captured);
///  - `pps` packets per second, evenly spaced;
///  - `mbps` megabits per second, counting what goes on the IP layer: exports mode counts
///    payload + UDP header + IP header (28 bytes IPv4, 48 IPv6), packets mode the whole
///    captured frame (Ethernet header included; preamble and FCS not);
///  - topspeed, as fast as the kernel takes them.
/// Every deadline is start + offset on the monotonic clock; due packets go out together in
/// one sendmmsg call (never one before its deadline), and each packet's lateness (send time
/// minus deadline) goes into a histogram.
///
/// Errors: InputError for the capture (not readable, not a capture file, no UDP datagrams,
/// no frames, damaged at packet N, not IPFIX over TCP), IoError when a socket or the interface
/// cannot be used or a TCP target refuses or does not answer (before anything is sent),
/// UsageError for option combinations that cannot work. A TCP connection that fails later
/// (reset by the peer) ends the run: the stats cover what was written and carry the IoError.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flowlab/core/run_control.hpp"
#include "flowlab/replay/latency_histogram.hpp"
#include "flowlab/replay/rebase.hpp"
#include "flowlab/replay/send_errors.hpp"
#include "flowlab/replay/udp_sender.hpp"

namespace flowlab::replay {

enum class Pace : std::uint8_t { original, pps, mbps, topspeed };

/// How exports mode sends: each datagram's payload as a datagram, or IPFIX messages over TCP.
enum class Transport : std::uint8_t { udp, tcp };

struct Timing {
    Pace pace = Pace::original;
    double speed = 1.0;            ///< original: 2 = twice as fast
    double rate = 0.0;             ///< pps: packets/s; mbps: megabits/s (10^6)
    std::uint64_t loops = 1;       ///< 0: until stopped
    std::int64_t duration_ns = 0;  ///< 0: no limit
    /// --start-at: Unix µs at which the first packet goes out and the schedule starts. Set, the
    /// whole capture is loaded and every socket (TCP connection) opened first; then the run
    /// sleeps until then on CLOCK_REALTIME (absolute sleeps, so N processes started at
    /// different moments wake on the same tick), stoppable by RunControl::stop. A time
    /// already passed when the run is ready throws UsageError: nothing is sent late under a
    /// claim of synchronisation.
    std::optional<std::int64_t> start_at_us;
};

/// The furthest ahead --start-at may be: further is more likely a mistake (a wrong date or
/// zone) than a plan.
inline constexpr std::int64_t kStartAtMaxAheadUs = 24LL * 3600 * 1'000'000;

/// Parses --start-at: a time as core::parse_time_arg takes it (ISO 8601 with a zone, fractional
/// seconds allowed; Unix seconds with up to 6 decimals) or `+DURATION` from `now_us`
/// ("+5s", "+500ms"). Returns Unix µs. Throws UsageError naming --start-at when the text is
/// not a time, the time is not after `now_us` (tolerance 0), or more than
/// kStartAtMaxAheadUs after it.
std::int64_t parse_start_at(std::string_view text, std::int64_t now_us);

/// Parses --rebase-time, a time as every command takes it (core::parse_time_arg: ISO 8601 with a
/// zone, a date, `now` or Unix seconds) within what NetFlow can carry (1970 to 2106). Returns
/// Unix seconds (rounded down). Throws UsageError.
std::int64_t parse_rebase_time(std::string_view text);

struct RunControl {
    const std::atomic<bool>* stop = nullptr;  ///< CancelToken::flag(): stop cleanly (stats kept)
    /// Task "replay", packets sent, the fraction done when the run's end is known (--loop N
    /// once the file is loaded, --duration), and loop, lateness and errors as detail; called
    /// about every progress_interval_ns.
    std::function<void(const flowlab::Progress&)> progress;
    std::int64_t progress_interval_ns = 500'000'000;
    std::function<void(const std::string&)> note;  ///< warnings for the user (stderr)
    std::size_t batch = 32;                        ///< most datagrams per sendmmsg call
    /// Overlap reading the file with sending (regular files, when nothing needs the whole
    /// file first). Off: load everything, then send.
    bool overlap_loading = true;
};

struct ExportsOptions {
    std::string path;
    UdpTarget target;
    Transport transport = Transport::udp;
    Timing timing;
    ExporterSource exporter_src;
    /// --rebase-time: the Unix time (seconds) the first message's export time becomes. With
    /// --start-at, `now` means the start time (so that every shard rebases onto the same
    /// second): the caller passes that second.
    std::optional<std::int64_t> rebase_to_s;
};

struct PacketsOptions {
    std::string path;
    std::string iface;
    Timing timing;
};

/// One TCP connection of a run: the capture's transport session it carried and what it got.
struct ConnectionStats {
    std::string exporter;             ///< the session's exporter address in the capture
    std::uint16_t exporter_port = 0;  ///< and its source port there
    std::string local;                ///< where the connection was made from ("127.0.0.2:40112")
    std::uint64_t messages = 0;       ///< written whole
    std::uint64_t bytes = 0;
};

struct ReplayStats {
    std::string mode;  ///< "exports" or "packets"
    std::string transport;  ///< exports mode: "udp" or "tcp"; empty in packets mode
    std::string file;
    std::string target;            ///< HOST:PORT or the interface
    std::uint64_t packets = 0;     ///< sent
    std::uint64_t bytes = 0;       ///< UDP payload or message bytes (exports) or frame bytes (packets) sent
    /// Bytes on the IP layer (exports over UDP), message bytes (over TCP: the kernel cuts the
    /// stream into segments as it likes) or frame bytes (packets).
    std::uint64_t wire_bytes = 0;
    std::int64_t duration_ns = 0;  ///< first deadline to the end of the last send
    std::uint64_t loops_completed = 0;
    bool interrupted = false;       ///< stopped by SIGINT/SIGTERM
    bool duration_reached = false;  ///< stopped by --duration
    bool paced = false;             ///< false at topspeed: no lateness
    LatencyHistogram lateness;
    SendErrors errors;
    // The capture.
    std::uint64_t file_packets = 0;  ///< datagrams or frames held
    std::uint64_t memory_bytes = 0;  ///< private memory they take (copies and index)
    std::uint64_t mapped_bytes = 0;  ///< file bytes mapped instead of copied
    std::int64_t load_ns = 0;        ///< reading time (overlapped with sending where possible)
    std::uint64_t truncated_frames = 0;
    std::vector<std::pair<std::string, std::string>> sources;  ///< exporter -> local endpoint
    std::vector<ConnectionStats> connections;  ///< TCP: one per transport session, in order of first message
    // --start-at (Unix µs): the time asked for and the wall-clock time taken just before the
    // first packet was handed to the kernel (-1: nothing was sent).
    std::optional<std::int64_t> start_at_us;
    std::int64_t first_send_us = -1;
    // --rebase-time.
    bool rebased = false;
    std::int64_t shift_s = 0;       ///< first loop's shift
    std::int64_t loop_shift_s = 0;  ///< added per loop
    RebaseStats rebase;
    /// Per sequence session: what its sequence numbers advance per loop (truth for loops).
    std::vector<SessionAdvance> sequence_advance;

    /// Set when the capture turned out damaged after sending had started (background
    /// loading): the stats cover what was sent; the caller reports them, then rethrows this.
    std::exception_ptr error;

    double seconds() const noexcept { return static_cast<double>(duration_ns) / 1e9; }
    double pps() const noexcept;
    double mbps() const noexcept;
};

/// Sends the UDP payloads of `o.path` to `o.target` (as datagrams, or over TCP). See the file
/// comment for errors.
ReplayStats replay_exports(const ExportsOptions& o, const RunControl& control);
/// Injects the frames of `o.path` into `o.iface`.
ReplayStats replay_packets(const PacketsOptions& o, const RunControl& control);

/// One line: packets, bytes, duration, pps, Mbps, lateness p50/p99/max, errors by kind.
std::string summary_line(const ReplayStats& s);
/// Writes the stats as JSON to `path` through a temporary file (core::AtomicFile).
/// Throws IoError.
void write_stats_json(const ReplayStats& s, const std::string& path);

}  // namespace flowlab::replay
