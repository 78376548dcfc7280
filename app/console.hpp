/// @brief What every command shares on the terminal side: the stop signals (SIGINT/SIGTERM set
/// one CancelToken that the libraries check), --progress/--no-progress, and a renderer that
/// shows the libraries' progress (rate, time left) and notes on stderr.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "flowlab/core/run_control.hpp"

namespace flowlab::app {

/// The process's stop token: SIGINT/SIGTERM set it once install_stop_signals() ran.
CancelToken& stop_token();
/// SIGINT and SIGTERM cancel stop_token() (a second one kills as usual); SIGXFSZ is ignored so
/// that a file-size limit turns into a write error naming the file. Called by main.
void install_stop_signals();

/// The user's additions to the shipped data, from the environment (the only place flowlab reads
/// it): FLOWLAB_SCENARIOS, FLOWLAB_COLLECTORS, FLOWLAB_DIALECTS, FLOWLAB_CONFORMANCE and
/// FLOWLAB_REGISTRY are colon-separated lists, FLOWLAB_CHARTJS one file. Called by main.
void apply_user_data_from_environment();

enum class ProgressMode { automatic, on, off };
/// --progress / --no-progress on a command (default: progress when stderr is a terminal).
void add_progress_flags(CLI::App* cmd, ProgressMode& mode);

/// Progress and notes of one command on stderr. On a terminal the progress line is redrawn in
/// place (4 times a second); forced on elsewhere (--progress), one line every 2 seconds.
class Console {
public:
    /// `command`: "gen", "check", ... (lines start with "flowlab COMMAND: ").
    Console(std::string command, ProgressMode mode);
    ~Console();
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    /// Hooks for a library call: the stop token, this console's progress and notes.
    RunHooks hooks();
    /// A line on stderr, "flowlab COMMAND: text" (clears the progress line first).
    void note(std::string_view text);
    /// Removes the progress line (before results are printed).
    void clear();
    void progress(const Progress& p);
    bool progress_enabled() const noexcept { return enabled_; }

private:
    std::string command_;
    bool enabled_ = false;
    bool tty_ = false;
    bool drawn_ = false;
    std::string task_;
    std::chrono::steady_clock::time_point last_draw_{};
    double last_elapsed_ = 0;
    std::uint64_t last_done_ = 0;
};

/// "1.23M", "512k", "980": counts and rates at a glance.
std::string human_count(double v);
/// "1:02:03", "4:05", "12 s".
std::string human_duration(double seconds);

}  // namespace flowlab::app
