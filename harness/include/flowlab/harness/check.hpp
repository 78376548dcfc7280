/// @brief `flowlab check` as a library: generate a scenario once, then for each pace start a
/// fresh collector from its profile, replay the exports into it, stop it, and verify what it
/// stored. The building blocks (CheckSession::generate, CheckSession::run_at) are what rate
/// sweeps, capacity searches and shards compose; run_check() is the plain composition.
///
/// Work directory: the one given (kept after a successful run) or a temporary one under
/// `temp_parent` (removed unless `keep`). After a failure or an interrupt, whatever the
/// session created there is removed unless `keep`, and hooks.note says so: a failed run
/// leaves nothing behind; errors quote the collector's log first.
///
/// Errors: ConfigError (profile without `run`, scenario), UsageError (work directory not
/// usable), IoError (collector not installed, died, did not listen; full disk), InputError,
/// Interrupted (hooks.cancel; every child stopped by PID first).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/core/process.hpp"
#include "flowlab/core/run_control.hpp"
#include "flowlab/gen/gen_run.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/replay/replay.hpp"
#include "flowlab/verify/profile.hpp"
#include "flowlab/verify/verify.hpp"

namespace flowlab::harness {

/// How fast replay sends in one collector run, and its name in tables ("50k pps").
struct Pace {
    replay::Timing timing;
    std::string label;
    static Pace pps(double messages_per_s);
    static Pace mbps(double megabits_per_s);
    static Pace speed(double times_original);
    static Pace topspeed();
};

/// 50000 -> "50k", 1500000 -> "1.5M", 750 -> "750".
std::string rate_label(double value);

/// The least a collector run at a pps pace sends, so that its receive buffer cannot hide a
/// rate it does not sustain: at least `min_ns` of sending at the requested rate and at least
/// `buffers` times the collector's receive buffer (SO_RCVBUF of its socket, read once it
/// listens) in UDP payload bytes. The exports are replayed as many whole times as that takes,
/// with times rebased per loop (replay --loop --rebase-time), and the truth each run is
/// verified against is the generated truth repeated with the same time shift and sequence
/// advance per loop: every record sent is checked, none is assumed.
struct StepMinimum {
    std::int64_t min_ns = 2'000'000'000;
    double buffers = 1;
};

/// A rate whose achieved rate falls short of the request by more than this is SHORT.
inline constexpr double kShortTolerance = 0.01;

struct CheckOptions {
    gen::SourceOptions source;  ///< --seed, --start, --duration, --scale
    verify::CollectorProfile profile;
    std::string workdir;               ///< empty: a temporary directory under temp_parent
    std::string temp_parent = "/tmp";  ///< the app passes $TMPDIR
    bool keep = false;                 ///< keep the work directory whatever happens
    std::size_t examples = 10;
    /// Send failures (datagrams refused by the kernel or not sent) do not fail the check.
    bool allow_send_errors = false;
    /// pps paces: send at least this much per run (absent: the exports once).
    std::optional<StepMinimum> step;
    double short_tolerance = kShortTolerance;
    /// SHORT rates do not fail the check (they still never count as passed).
    bool allow_short = false;
    /// Records lost (fraction of those sent) a run may have and still pass (other differences
    /// never pass). 0: none.
    double loss_threshold = 0;
};

/// The state of the collector's socket, sampled while replay sends (loss during the step).
struct StepSample {
    std::int64_t t_ms = 0;          ///< since sending began
    std::uint64_t drops = 0;        ///< datagrams the kernel dropped for a full queue, since sending began
    std::uint64_t rx_queue = 0;     ///< bytes waiting in the socket
};

/// How a run came out, in order of precedence.
enum class RunStatus : std::uint8_t {
    match,        ///< every record stored as sent
    within,       ///< records lost, no more than the loss threshold; nothing else wrong
    short_rate,   ///< the sender did not achieve the requested rate (within the tolerance)
    send_errors,  ///< datagrams refused by the kernel or not sent (not allowed)
    loss,         ///< more records lost than the threshold allows
    different,    ///< records altered, duplicated or unexpected
};
std::string_view status_name(RunStatus s) noexcept;

/// One collector run at one pace.
struct RateRun {
    Pace pace;
    std::string dir;  ///< its run directory (collector.log, data/, dump.log)
    replay::ReplayStats sent;
    verify::VerifyResult verdict;
    core::ExitStatus collector_exit;
    double requested_pps = 0;         ///< the pps pace asked for (0: another pace)
    std::uint64_t loops = 1;          ///< times the exports were sent
    std::uint64_t receive_buffer = 0; ///< the collector socket's SO_RCVBUF (0: could not be read)
    std::uint64_t step_messages = 0;  ///< messages the step minimum asked for (0: no minimum)
    std::vector<StepSample> during;   ///< the socket while sending, about every 100 ms
    /// Datagrams the kernel dropped at the collector's socket from the start of sending until
    /// the collector was stopped, and when the first was seen (-1: none).
    std::uint64_t kernel_drops = 0;
    std::int64_t first_drop_ms = -1;
    std::uint64_t max_queue = 0;      ///< most bytes seen waiting in the socket while sending
    /// Datagrams the kernel refused or that were not sent.
    std::uint64_t send_failures() const noexcept;
    double achieved_pps() const noexcept { return sent.pps(); }
    /// Requested a pps rate and achieved less than (1 - tolerance) of it.
    bool short_of_rate(double tolerance = kShortTolerance) const noexcept;
    std::uint64_t records_sent() const noexcept;
    std::uint64_t records_stored() const noexcept;
    std::uint64_t records_lost() const noexcept;
    /// records_lost / records_sent (0 when nothing was sent).
    double loss_fraction() const noexcept;
    RunStatus status(const CheckOptions& o) const noexcept;
    /// MATCH or WITHIN (SHORT never passes).
    bool passed(const CheckOptions& o) const noexcept;
    /// Verdict MATCH and, unless allowed, every datagram sent.
    bool ok(bool allow_send_errors) const noexcept;
};

class CheckSession {
public:
    /// Checks the profile's `run` block and prepares the work directory (nothing is started).
    CheckSession(const gen::Scenario& scenario, CheckOptions options, RunHooks hooks = {});
    ~CheckSession();
    CheckSession(const CheckSession&) = delete;
    CheckSession& operator=(const CheckSession&) = delete;

    const std::string& workdir() const noexcept { return workdir_; }
    const gen::Scenario& scenario() const noexcept { return scenario_; }
    const CheckOptions& options() const noexcept { return options_; }
    /// Generates the exports and truth into workdir/gen (once; later calls return the first).
    const gen::GenSummary& generate();
    /// A fresh collector in workdir/collector-LABEL (or `dir_name`), the exports sent at
    /// `pace`, the collector stopped by PID, its output verified.
    RateRun run_at(const Pace& pace, const std::string& dir_name = {});
    /// The run succeeded: a given work directory stays (a temporary one goes unless `keep`).
    void succeeded() noexcept { succeeded_ = true; }
    /// Whether the work directory outlives the session.
    bool keeps_workdir() const noexcept;

private:
    const gen::Scenario& scenario_;
    CheckOptions options_;
    RunHooks hooks_;
    std::string workdir_;
    bool created_workdir_ = false;
    std::vector<std::string> created_;  ///< entries made inside a work directory that existed
    bool succeeded_ = false;
    std::optional<gen::GenSummary> gen_;
    std::optional<double> bytes_per_message_;
};

struct CheckResult {
    gen::GenSummary gen;
    std::vector<RateRun> runs;
    std::string workdir;
    bool workdir_kept = false;
    bool allow_send_errors = false;
    CheckOptions options;  ///< what the runs are judged by
    /// Every run passed, SHORT ones excepted when options.allow_short.
    bool ok() const noexcept;
    /// 0 every run ok, 1 differences or send failures.
    int exit_code() const noexcept { return ok() ? 0 : 1; }
};

/// generate(), then run_at() for each pace in order.
CheckResult run_check(const gen::Scenario& scenario, const CheckOptions& options, const std::vector<Pace>& paces,
                      const RunHooks& hooks = {});

/// One line per run (requested and achieved rate, messages and records sent, stored, lost,
/// kernel drops while sending, status), where each lossy run lost its records (by exporter,
/// domain and sequence), and the capacity line, as `check --rates` prints them.
std::string format_sweep(const CheckResult& r, bool capacity_line = true);
/// Where a run lost records: one line per exporter stream that lost any ("" when none).
std::string format_loss_places(const RateRun& run, const std::string& indent = "    ");
/// A run's verification as JSON plus its pace, requested and achieved rate, messages, records
/// sent, stored and lost, loops, kernel drops during the step, status. "match" is whether the
/// run passed (a SHORT run does not), "verify_match" verify's own verdict.
nlohmann::json to_json(const RateRun& run, const CheckOptions& o);
nlohmann::json to_json(const RateRun& run);
/// The runs of a sweep or search as one JUnit document: one testcase per rate.
std::string format_sweep_junit(const std::vector<RateRun>& runs, const CheckOptions& o, const std::string& suite);
/// The JUnit suite name of a run: "SCENARIO on PROFILE at PACE".
std::string junit_suite_name(const gen::Scenario& scenario, const verify::CollectorProfile& profile, const RateRun& run);

}  // namespace flowlab::harness
