/// @brief Running a real collector for `flowlab check`: start it on a loopback port into a
/// work directory, know when it listens, let it take everything that was sent, stop it the
/// way its profile says, and name the output verify should read.
///
/// The profile's `run` object says how (verify/collectors/*.json):
///
///     "run": {
///       "start":  ["nfcapd", "-b", "{address}", "-p", "{port}", "-w", "{dir}", "-t", "3600"],
///       "config": {"file": "nfacctd.conf", "lines": ["nfacctd_port: {port}", ...]},  (optional)
///       "stop":   {"signal": "TERM", "quiet_file": "{dir}/flows.json", "quiet_for": "3s"},
///       "collected": "nfdump:{dir}"
///     }
///
/// {address}, {port}, {dir} (the collector's output directory, which holds nothing else) and
/// {work} (the run directory: the config file and collector.log) are replaced everywhere. The collector is "ready" once a UDP
/// socket is bound to the port (/proc/net/udp); "drained" once that socket's receive queue is
/// empty; with quiet_file, it is stopped once that file has not grown for quiet_for.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "flowlab/core/ip_address.hpp"
#include "flowlab/verify/collected.hpp"
#include "flowlab/verify/profile.hpp"

namespace flowlab::verify {

struct RunSpec {
    std::vector<std::string> start;
    std::optional<std::string> config_file;
    std::vector<std::string> config_lines;
    int stop_signal = 15;
    std::optional<std::string> quiet_file;
    std::int64_t quiet_for_ms = 2000;
    std::string collected;
};

/// Parses a profile's `run` object. Throws ConfigError naming the profile file and JSON
/// pointer (/run/start, ...) when it is missing or malformed.
RunSpec parse_run_spec(const CollectorProfile& profile);

struct CollectorRunOptions {
    std::string dir;  ///< work directory (created)
    core::IpAddress address = core::IpAddress::v4(0x7F000001);
    std::uint16_t port = 0;  ///< 0: a free port
    std::chrono::seconds ready_timeout{15};
    std::chrono::seconds drain_timeout{60};
    std::chrono::seconds stop_timeout{30};
};

class CollectorRun {
public:
    /// Starts the collector and waits until it listens. Throws IoError (with the end of its
    /// log) if it is not installed, exits, or does not bind the port in time.
    CollectorRun(const CollectorProfile& profile, CollectorRunOptions options);
    ~CollectorRun();
    CollectorRun(const CollectorRun&) = delete;
    CollectorRun& operator=(const CollectorRun&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    const std::string& dir() const noexcept { return options_.dir; }
    const std::string& data_dir() const noexcept { return data_dir_; }
    pid_t pid() const noexcept { return pid_; }

    /// Call when the sender is done: waits for the socket to drain and the output to settle,
    /// stops the collector, and returns what verify should read. Throws IoError if it died.
    CollectedSpec finish();
    /// The last lines the collector printed (for error messages and reports).
    std::string log_tail(std::size_t lines = 20) const;

private:
    std::string expand(const std::string& s) const;
    void stop(int signal);
    const CollectorProfile& profile_;
    RunSpec spec_;
    CollectorRunOptions options_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    int status_ = -1;
    std::string log_path_;
    std::string data_dir_;
};

/// Receive-queue bytes of the UDP socket bound to `port` (IPv4 or IPv6), or nullopt if none.
std::optional<std::uint64_t> udp_receive_queue(std::uint16_t port);

}  // namespace flowlab::verify
