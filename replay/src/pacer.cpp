/// @brief Sleep-then-spin waits on absolute monotonic deadlines.
#include "flowlab/replay/pacer.hpp"

#include <sys/prctl.h>

#include <algorithm>

namespace flowlab::replay {

namespace {

// FLOWLAB_PORTABLE compiles the plain path on any machine (scripts/check_portable.py proves it
// builds in CI without an arm64 machine).
inline void cpu_relax() noexcept {
#if defined(FLOWLAB_PORTABLE)
#elif defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

timespec to_timespec(std::int64_t ns) noexcept {
    timespec ts;
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    return ts;
}

}  // namespace

Pacer::Pacer(const std::atomic<bool>* stop) noexcept : stop_(stop) {
    // The default 50 us slack lets the kernel coalesce our wake-ups late; the spin after the
    // sleep would then start after the deadline.
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

std::int64_t Pacer::wait_until(std::int64_t deadline, std::int64_t wake_by) noexcept {
    const std::int64_t target = std::min(deadline, wake_by);
    std::int64_t now = monotonic_ns();
    while (target - now > margin_ns_) {
        if (stopped()) return now;
        // Long waits sleep in slices so a stop flag set by another thread is seen (a signal
        // interrupts the sleep anyway).
        const std::int64_t sleep_to = std::min(target - margin_ns_, now + kMaxSliceNs);
        const timespec ts = to_timespec(sleep_to);
        const int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
        ++sleeps_;
        now = monotonic_ns();
        if (rc == 0 && sleep_to == target - margin_ns_) {
            // Oversleep beyond the requested wake-up: grow the margin at once when it was too
            // small, shrink it slowly so one quiet period does not undo what a busy one taught.
            const std::int64_t over = now - sleep_to;
            if (over + over / 4 > margin_ns_) {
                margin_ns_ = std::min(over + over / 4, kMaxMarginNs);
            } else {
                margin_ns_ -= (margin_ns_ - over) / 256;
                margin_ns_ = std::max(margin_ns_, kMinMarginNs);
            }
        }
    }
    while (now < target) {
        if (stopped()) return now;
        cpu_relax();
        now = monotonic_ns();
    }
    return now;
}

}  // namespace flowlab::replay
