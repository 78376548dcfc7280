/// @brief When each packet of a replay is due, as an offset from the run's start.
///
/// Every offset is computed from the timing and the packet's place in the run alone (how many
/// packets and bits went before it, which loop it is in), never by adding gaps, and in long
/// double (a 64-bit mantissa: exact for integers up to 2^64), so no error accumulates: the n-th
/// packet of a --pps run is due at n/rate to the nanosecond whatever n, and loop k of an
/// original-pace run starts k periods after the first, not k rounded periods.
#pragma once

#include <cmath>
#include <cstdint>

#include "flowlab/replay/replay.hpp"

namespace flowlab::replay {

class SendSchedule {
public:
    /// `first_ts_ns`: capture time of the capture's first packet; `overhead_bytes`: what --mbps
    /// counts on top of each stored packet (IP and UDP headers in exports mode).
    SendSchedule(const Timing& t, std::int64_t first_ts_ns, std::uint32_t overhead_bytes) noexcept
        : pace_(t.pace),
          first_ts_ns_(first_ts_ns),
          overhead_(overhead_bytes),
          inv_speed_(t.pace == Pace::original ? 1.0L / static_cast<long double>(t.speed) : 0.0L),
          ns_per_packet_(t.pace == Pace::pps ? 1e9L / static_cast<long double>(t.rate) : 0.0L),
          ns_per_bit_(t.pace == Pace::mbps ? 1e3L / static_cast<long double>(t.rate) : 0.0L) {}

    /// Original pace: how long one loop lasts at the replay's speed (from the second loop on).
    void set_loop_period_ns(long double period_ns) noexcept { period_ns_ = period_ns; }
    /// The capture's own loop period (span plus one mean gap) scaled by the speed.
    long double scaled(std::int64_t capture_ns) const noexcept {
        return static_cast<long double>(capture_ns) * inv_speed_;
    }

    /// Bits --mbps counts for a stored packet of `length` bytes.
    std::uint64_t bits_of(std::uint32_t length) const noexcept { return (std::uint64_t{length} + overhead_) * 8; }

    /// Offset of a packet captured at `ts_ns` in loop `loop` (original pace), with `seq`
    /// packets (--pps) and `bits_before` bits (--mbps) scheduled before it in the whole run.
    /// 0 at top speed.
    std::int64_t offset(std::int64_t ts_ns, std::uint64_t loop, std::uint64_t seq, std::uint64_t bits_before) const noexcept {
        switch (pace_) {
            case Pace::original: {
                const std::int64_t rel = ts_ns > first_ts_ns_ ? ts_ns - first_ts_ns_ : 0;
                return std::llroundl(static_cast<long double>(loop) * period_ns_ + static_cast<long double>(rel) * inv_speed_);
            }
            case Pace::pps: return std::llroundl(static_cast<long double>(seq) * ns_per_packet_);
            case Pace::mbps: return std::llroundl(static_cast<long double>(bits_before) * ns_per_bit_);
            case Pace::topspeed: break;
        }
        return 0;
    }

private:
    Pace pace_;
    std::int64_t first_ts_ns_;
    std::uint32_t overhead_;
    long double inv_speed_;
    long double ns_per_packet_;
    long double ns_per_bit_;
    long double period_ns_ = 0.0L;
};

}  // namespace flowlab::replay
