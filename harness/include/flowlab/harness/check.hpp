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

struct CheckOptions {
    gen::SourceOptions source;  ///< --seed, --start, --duration, --scale
    verify::CollectorProfile profile;
    std::string workdir;               ///< empty: a temporary directory under temp_parent
    std::string temp_parent = "/tmp";  ///< the app passes $TMPDIR
    bool keep = false;                 ///< keep the work directory whatever happens
    std::size_t examples = 10;
    /// Send failures (datagrams refused by the kernel or not sent) do not fail the check.
    bool allow_send_errors = false;
};

/// One collector run at one pace.
struct RateRun {
    Pace pace;
    std::string dir;  ///< its run directory (collector.log, data/, dump.log)
    replay::ReplayStats sent;
    verify::VerifyResult verdict;
    core::ExitStatus collector_exit;
    /// Datagrams the kernel refused or that were not sent.
    std::uint64_t send_failures() const noexcept;
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
};

struct CheckResult {
    gen::GenSummary gen;
    std::vector<RateRun> runs;
    std::string workdir;
    bool workdir_kept = false;
    bool allow_send_errors = false;
    bool ok() const noexcept;
    /// 0 every run ok, 1 differences or send failures.
    int exit_code() const noexcept { return ok() ? 0 : 1; }
};

/// generate(), then run_at() for each pace in order.
CheckResult run_check(const gen::Scenario& scenario, const CheckOptions& options, const std::vector<Pace>& paces,
                      const RunHooks& hooks = {});

/// One line per run and the capacity line, as `check --rates` prints them.
std::string format_sweep(const CheckResult& r);
/// A run's verification as JSON plus its pace, achieved rate, messages and send failures.
nlohmann::json to_json(const RateRun& run);
/// The JUnit suite name of a run: "SCENARIO on PROFILE at PACE".
std::string junit_suite_name(const gen::Scenario& scenario, const verify::CollectorProfile& profile, const RateRun& run);

}  // namespace flowlab::harness
