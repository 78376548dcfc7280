/// @brief What a long-running library call gets from its caller: a cancellation token that its
/// loops check, and callbacks for progress, notes and phase timings. Libraries never print and
/// never install signal handlers; the command does both and hands them this.
///
///     flowlab::CancelToken stop;                       // the app's SIGINT/SIGTERM handler calls
///     flowlab::RunHooks hooks;                         //   stop.cancel(signo)
///     hooks.cancel = &stop;
///     hooks.progress = [&](const flowlab::Progress& p) { renderer.update(p); };
///     hooks.note = [](std::string_view s) { fmt::print(stderr, "flowlab x: {}\n", s); };
///     run_something(options, hooks);                  // throws flowlab::Interrupted when stopped
///
/// A loop checks `hooks.check_cancel("what was done so far")` at least every 100 ms of work;
/// cleanup then happens in destructors (temporary files, child processes), which may tell the
/// user what they did through `note`.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "flowlab/core/error.hpp"

namespace flowlab {

/// Set once to ask a run to stop. cancel() is async-signal-safe (two lock-free stores).
class CancelToken {
public:
    /// `signal`: the signal that asked (SIGINT, SIGTERM), 0 when code asked.
    void cancel(int signal = 0) noexcept {
        signal_.store(signal, std::memory_order_relaxed);
        flag_.store(true, std::memory_order_release);
    }
    bool cancelled() const noexcept { return flag_.load(std::memory_order_relaxed); }
    int signal() const noexcept { return signal_.load(std::memory_order_relaxed); }
    /// Throws Interrupted when cancelled; `done` says what had been done (for the message).
    void check(std::string_view done = {}) const {
        if (cancelled()) throw Interrupted(signal(), std::string(done));
    }
    /// For loops that poll a plain flag (replay's send loop and pacer).
    const std::atomic<bool>* flag() const noexcept { return &flag_; }

private:
    static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
                  "a signal handler may only touch lock-free atomics");
    std::atomic<bool> flag_{false};
    std::atomic<int> signal_{0};
};

/// A snapshot of a long task, for the command to render (rate and time left included).
struct Progress {
    std::string_view task;          ///< "gen", "replay", "verify truth", "check 50k pps", ...
    std::string_view unit;          ///< what `done` counts: "records", "packets", "messages"
    std::uint64_t done = 0;         ///< units so far
    double fraction = -1;           ///< 0..1 of the whole task when known (gives time left), else < 0
    double elapsed_s = 0;           ///< since the task started
    std::string_view detail;        ///< one more thing worth a glance ("at 2024-03-04 10:00", "loop 2")
};

/// Callbacks and the token a library call takes. Every member may be empty / null.
struct RunHooks {
    const CancelToken* cancel = nullptr;
    /// Called at the task's natural granularity (a batch); the renderer throttles.
    std::function<void(const Progress&)> progress;
    /// Something the user should know: a warning, or what cleanup did ("stopped nfcapd (pid 4711)").
    std::function<void(std::string_view)> note;
    /// Wall time of an internal phase just finished (for benchmark notes; `verify --phases`).
    std::function<void(std::string_view phase, double seconds)> phase;

    bool cancelled() const noexcept { return cancel && cancel->cancelled(); }
    void check_cancel(std::string_view done = {}) const {
        if (cancel) cancel->check(done);
    }
    void report(const Progress& p) const {
        if (progress) progress(p);
    }
    void tell(std::string_view text) const noexcept {
        if (!note) return;
        try {
            note(text);
        } catch (...) {
            // Notes come from destructors too: losing one beats terminating.
        }
    }
};

}  // namespace flowlab
