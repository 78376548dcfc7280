/// @brief Stop signals, --progress, and the progress renderer of every command.
#include "console.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "flowlab/core/data_dirs.hpp"

namespace flowlab::app {

namespace {

CancelToken g_stop;

extern "C" void on_stop_signal(int signo) { g_stop.cancel(signo); }

}  // namespace

CancelToken& stop_token() { return g_stop; }

void apply_user_data_from_environment() {
    auto list = [](const char* name) {
        const char* value = std::getenv(name);
        return core::split_dir_list(value ? value : "");
    };
    core::UserData d;
    d.scenarios = list("FLOWLAB_SCENARIOS");
    d.collectors = list("FLOWLAB_COLLECTORS");
    d.dialects = list("FLOWLAB_DIALECTS");
    d.conformance = list("FLOWLAB_CONFORMANCE");
    d.registry_files = list("FLOWLAB_REGISTRY");
    if (const char* chart = std::getenv("FLOWLAB_CHARTJS")) d.chart_library = chart;
    core::set_user_data(std::move(d));
}

void install_stop_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    // No SA_RESTART: a blocked sleep or read returns at once and the loop sees the token.
    // SA_RESETHAND: a second signal, if cleanup ever hangs, ends the process the usual way.
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGXFSZ, SIG_IGN);
}

void add_progress_flags(CLI::App* cmd, ProgressMode& mode) {
    auto* on = cmd->add_flag_callback("--progress", [&mode] { mode = ProgressMode::on; },
                                      "show progress (rate, time left) on stderr even when it is not a terminal");
    auto* off = cmd->add_flag_callback("--no-progress", [&mode] { mode = ProgressMode::off; },
                                       "no progress, even on a terminal");
    on->excludes(off);
}

std::string human_count(double v) {
    if (!std::isfinite(v)) return "?";
    if (v >= 1e9) return fmt::format("{:.2f}G", v / 1e9);
    if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
    if (v >= 1e4) return fmt::format("{:.0f}k", v / 1e3);
    if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
    return fmt::format("{:.0f}", v);
}

std::string human_duration(double s) {
    if (!std::isfinite(s) || s < 0) return "?";
    const auto t = static_cast<long long>(std::llround(s));
    if (t < 60) return fmt::format("{} s", t);
    if (t < 3600) return fmt::format("{}:{:02}", t / 60, t % 60);
    return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
}

Console::Console(std::string command, ProgressMode mode) : command_(std::move(command)) {
    tty_ = isatty(STDERR_FILENO) == 1;
    enabled_ = mode == ProgressMode::on || (mode == ProgressMode::automatic && tty_);
}

Console::~Console() { clear(); }

RunHooks Console::hooks() {
    RunHooks h;
    h.cancel = &stop_token();
    if (enabled_) h.progress = [this](const Progress& p) { progress(p); };
    h.note = [this](std::string_view s) { note(s); };
    return h;
}

void Console::clear() {
    if (!drawn_) return;
    if (tty_) std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
}

void Console::note(std::string_view text) {
    clear();
    fmt::print(stderr, "flowlab {}: {}\n", command_, text);
    std::fflush(stderr);
}

void Console::progress(const Progress& p) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const bool new_task = p.task != task_;
    if (!new_task && now - last_draw_ < (tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(2000))) return;
    if (new_task) {
        task_ = std::string(p.task);
        last_elapsed_ = 0;
        last_done_ = 0;
    }
    // The rate over the last interval (what is happening now), the average before there is one.
    const double dt = p.elapsed_s - last_elapsed_;
    const double rate = dt > 0.1 ? static_cast<double>(p.done - std::min(p.done, last_done_)) / dt
                        : p.elapsed_s > 0 ? static_cast<double>(p.done) / p.elapsed_s
                                          : 0.0;
    last_elapsed_ = p.elapsed_s;
    last_done_ = p.done;
    last_draw_ = now;

    std::string line = fmt::format("{}: ", p.task);
    if (p.fraction >= 0) line += fmt::format("{:5.1f}%  ", 100 * p.fraction);
    line += fmt::format("{} {}, {} {}/s", human_count(static_cast<double>(p.done)), p.unit, human_count(rate), p.unit);
    if (p.fraction > 0 && p.fraction < 1)
        line += ", " + human_duration(p.elapsed_s * (1 - p.fraction) / p.fraction) + " left";
    line += fmt::format(", {} elapsed", human_duration(p.elapsed_s));
    if (!p.detail.empty()) line += fmt::format("; {}", p.detail);
    if (tty_) {
        fmt::print(stderr, "\r\033[K{}", line);
    } else {
        fmt::print(stderr, "flowlab {}: {}\n", command_, line);
    }
    std::fflush(stderr);
    drawn_ = tty_;
}

}  // namespace flowlab::app
