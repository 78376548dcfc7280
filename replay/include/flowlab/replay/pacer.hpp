/// @brief Waiting for absolute deadlines on the monotonic clock: sleep, then spin the rest.
///
/// The send loop computes every packet's deadline from one monotonic start time, never by
/// adding relative sleeps, so errors do not accumulate over long runs. A wait sleeps with
/// clock_nanosleep(TIMER_ABSTIME) until a margin before the deadline and spins on the clock
/// for the remainder; the margin follows the measured oversleep of this machine (timer slack,
/// scheduler wake-up latency) so the loop neither wakes late nor burns more CPU than needed.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

namespace flowlab::replay {

/// CLOCK_MONOTONIC in nanoseconds.
inline std::int64_t monotonic_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
/// CLOCK_REALTIME in nanoseconds since the Unix epoch.
inline std::int64_t realtime_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

class Pacer {
public:
    /// `stop` (may be null) ends a wait early when it becomes true; a signal handler sets it.
    /// Sets this thread's timer slack to 1 ns so sleeps end when asked (Linux default: 50 us).
    explicit Pacer(const std::atomic<bool>* stop = nullptr) noexcept;

    /// Waits until the monotonic clock reaches `deadline` or, if earlier, `wake_by` (for
    /// periodic work such as progress output), or until `stop` is set (seen within 100 ms,
    /// at once when a signal interrupts the sleep). Returns the clock reading when it
    /// returned, which is >= the target unless stopped.
    std::int64_t wait_until(std::int64_t deadline, std::int64_t wake_by) noexcept;
    std::int64_t wait_until(std::int64_t deadline) noexcept { return wait_until(deadline, deadline); }

    /// How long before a deadline the wait stops sleeping and starts spinning.
    std::int64_t margin_ns() const noexcept { return margin_ns_; }
    std::uint64_t sleeps() const noexcept { return sleeps_; }

    static constexpr std::int64_t kMinMarginNs = 2'000;
    static constexpr std::int64_t kMaxMarginNs = 1'000'000;
    static constexpr std::int64_t kInitialMarginNs = 50'000;
    static constexpr std::int64_t kMaxSliceNs = 100'000'000;  ///< longest single sleep

private:
    bool stopped() const noexcept { return stop_ && stop_->load(std::memory_order_relaxed); }
    const std::atomic<bool>* stop_;
    std::int64_t margin_ns_ = kInitialMarginNs;
    std::uint64_t sleeps_ = 0;
};

}  // namespace flowlab::replay
