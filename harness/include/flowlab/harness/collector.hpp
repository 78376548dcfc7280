/// @brief Running a real collector: start it from its profile on a free loopback port into a
/// run directory, know when it listens, let it take everything that was sent, stop it by PID
/// the way its profile says, and name the output verify should read. `flowlab check`, rate
/// sweeps, capacity searches and the conformance matrix all drive collectors through this.
///
/// The profile's `run` object says how (verify/collectors/*.json):
///
///     "run": {
///       "start":  ["nfcapd", "-b", "{address}", "-p", "{port}", "-w", "{dir}", "-t", "3600"],
///       "config": {"file": "nfacctd.conf", "lines": ["nfacctd_port: {port}", ...]},  (optional)
///       "ready_log": "JSON: setting object handlers",  (optional)
///       "stop":   {"signal": "TERM", "quiet_file": "{dir}/flows.json", "quiet_for": "3s"},
///       or        {"signal": "KILL", "flush_log": "Purging cache - END", "idle_log": "QN: 0/0,"},
///       "collected": "nfdump:{dir}"
///     }
///
/// {address}, {port}, {dir} (the collector's output directory, which holds nothing else) and
/// {work} (the run directory: the config file and collector.log) are replaced everywhere.
/// The collector's stdout and stderr go to {work}/collector.log, quoted in every error about
/// it. It is "ready" once a UDP socket is bound to the port (/proc/net/udp{,6}) and, with
/// ready_log, its log holds that text (nfacctd binds the port up to a second before its print
/// plugin takes data on a busy machine; what arrives meanwhile is lost); "drained"
/// once that socket's receive queue is empty; with quiet_file, "quiet" once that file has not
/// grown for quiet_for; with flush_log (the line a collector logs each time it has written out
/// what it holds, on a timer), "flushed" at the second such line logged after the drain (the
/// first may end a write that began before the last datagram reached the writer), or with
/// idle_log at the first line after that which also holds idle_log (a write that found nothing
/// new: whatever was still queued inside the collector has been written). A collector's own
/// word is exact where a quiet period is a guess, and it is over in one or two write periods
/// instead of a fixed quiet time. Such a collector may be stopped with KILL (nfacctd takes 2 s
/// to leave after INT, for nothing once its last write found nothing new). Every wait checks the hooks' cancel token (Interrupted within 50 ms);
/// a run destroyed before stop() kills the collector by PID and says so through hooks.note.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flowlab/core/ip_address.hpp"
#include "flowlab/core/process.hpp"
#include "flowlab/core/run_control.hpp"
#include "flowlab/verify/collected.hpp"
#include "flowlab/verify/profile.hpp"

namespace flowlab::harness {

/// A profile's `run` object, parsed.
struct RunSpec {
    std::vector<std::string> start;
    std::optional<std::string> config_file;
    std::optional<std::string> ready_log;  ///< text in the collector's log that says it takes data
    std::vector<std::string> config_lines;
    int stop_signal = 15;
    std::optional<std::string> quiet_file;
    std::int64_t quiet_for_ms = 2000;
    std::optional<std::string> flush_log;  ///< text of the log line that ends a periodic write
    std::optional<std::string> idle_log;   ///< text in a flush_log line whose write was empty
    std::string collected;
};

/// Parses a profile's `run` object. Throws ConfigError naming the profile file and JSON
/// pointer (/run/start, ...) when it is missing or malformed.
RunSpec parse_run_spec(const verify::CollectorProfile& profile);

struct CollectorRunOptions {
    std::string dir;  ///< run directory (created): config, collector.log, data/
    core::IpAddress address = core::IpAddress::v4(0x7F000001);
    std::uint16_t port = 0;  ///< 0: a free port
    std::chrono::milliseconds ready_timeout{15'000};
    std::chrono::milliseconds drain_timeout{60'000};
    std::chrono::milliseconds stop_timeout{30'000};
    /// Bytes the collector may write into its output directory; past them wait_quiet() gives
    /// up at once and stuck() says why (a collector looping on one input can fill a disk:
    /// nfcapd 1.7.1 wrote 23 GB in 50 s for conformance case 7.5). 0: no limit.
    std::uintmax_t output_limit = 0;
};

class CollectorRun {
public:
    /// Starts the collector and waits until it listens. Throws IoError (with the end of its
    /// log) if it is not installed, exits, or does not bind the port in time; Interrupted.
    CollectorRun(const verify::CollectorProfile& profile, CollectorRunOptions options, RunHooks hooks = {});
    ~CollectorRun();
    CollectorRun(const CollectorRun&) = delete;
    CollectorRun& operator=(const CollectorRun&) = delete;

    const std::string& name() const noexcept { return name_; }
    std::uint16_t port() const noexcept { return port_; }
    const core::IpAddress& address() const noexcept { return options_.address; }
    const std::string& dir() const noexcept { return options_.dir; }
    const std::string& data_dir() const noexcept { return data_dir_; }
    const std::string& log_path() const noexcept { return log_path_; }
    pid_t pid() const noexcept { return process_.pid(); }

    /// After the sender is done: waits until the socket has drained and the output is quiet.
    /// Throws IoError (with the log) if the collector died meanwhile; Interrupted.
    void wait_quiet();
    /// Stops the collector with the profile's signal (SIGKILL after stop_timeout).
    core::ExitStatus stop();
    /// What verify should read (the profile's `collected`, expanded; the dump tool's stderr
    /// goes to {work}/dump.log).
    verify::CollectedSpec collected() const;
    /// wait_quiet(), stop(), collected().
    verify::CollectedSpec finish();
    /// Set by wait_quiet() when the collector did not finish taking what was sent: its socket
    /// still held data after drain_timeout, it kept writing (flush_log never idle, quiet_file
    /// never quiet), or its output passed output_limit. Says which.
    const std::optional<std::string>& stuck() const noexcept { return stuck_; }
    /// The last lines the collector printed (for error messages and reports).
    std::string log_tail(std::size_t lines = 20) const;

private:
    std::string expand(const std::string& s) const;
    void check_alive(const std::string& when);
    /// The flush_log rule of wait_quiet (see the top of this file).
    void wait_flushed();
    std::vector<std::string> log_lines_with(const std::string& text) const;
    /// True (and stuck_ set) once the output directory holds more than output_limit bytes.
    bool over_output_limit();
    void give_up(const std::string& why);
    std::string name_;
    RunSpec spec_;
    CollectorRunOptions options_;
    RunHooks hooks_;
    std::uint16_t port_ = 0;
    core::Process process_;
    std::string log_path_;
    std::string data_dir_;
    std::optional<std::string> stuck_;
};

}  // namespace flowlab::harness
