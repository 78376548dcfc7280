/// @brief The one vocabulary of quantities for every command and file: durations, counts, packet
/// and bit rates, sizes, event rates, fractions and times, as text with units.
///
/// The rules (README "Units", docs/scenario-format.md "Units"):
///  - a duration always has a unit: ns, us, ms, s, m (or min), h, d, w, combinable ("1h30m");
///    a bare number is refused everywhere ("90" could be seconds or milliseconds);
///  - a count may carry an SI multiplier k/K (10^3), M (10^6), G (10^9), T (10^12): "10k", "1.5M";
///  - a packet rate is a count, optionally followed by "pps" or "/s": "50k", "50kpps";
///  - a bit rate has a unit: bps, kbps, Mbps, Gbps, Tbps, or bytes B/s, kB/s, MB/s, GB/s, KiB/s, ...;
///  - a size is a number of bytes with an optional unit B, kB/KB, MB, GB, TB (powers of 1000) or
///    KiB, MiB, GiB, TiB (powers of 1024), or a count multiplier ("2G");
///  - a time is ISO 8601 with a zone ("2024-03-04T09:30:00Z", "...+09:00") or a date alone
///    (midnight UTC); on the command line also `now` and Unix seconds ("1714564800", "1714564800.5").
/// Every parser throws UnitError naming what was expected and quoting what it got (escaped and
/// length-limited, core/excerpt.hpp); callers add the place (a JSON pointer, an option name).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "flowlab/core/calendar.hpp"
#include "flowlab/core/error.hpp"

namespace flowlab::core {

/// A value without the expected syntax or outside its range. Exit code 2, like every Error.
class UnitError : public Error {
public:
    using Error::Error;
};

inline constexpr std::int64_t kUsPerSecond = 1'000'000;
inline constexpr std::int64_t kUsPerMinute = 60 * kUsPerSecond;
inline constexpr std::int64_t kUsPerHour = 60 * kUsPerMinute;
inline constexpr std::int64_t kUsPerDay = 24 * kUsPerHour;

/// "90s", "15m", "36h", "14d", "2w", "250ms", "10us", "1.5h", "1h30m" → microseconds (>= 0,
/// rounded to the nearest microsecond).
std::int64_t parse_duration(std::string_view text);
/// The same in nanoseconds (for pacing): "500ns", "1.5ms" (< 292 years).
std::int64_t parse_duration_ns(std::string_view text);

/// "500", "10k", "1.5M", "2G" → the number (>= 0).
double parse_count(std::string_view text);
/// parse_count() that must be a whole number of at most `max`.
std::uint64_t parse_whole_count(std::string_view text, std::uint64_t max = UINT64_MAX);

/// Packets per second (> 0): "50k", "50kpps", "1.5Mpps", "200/s".
double parse_packet_rate(std::string_view text);

/// "10Mbps", "1.5Gbps", "64kbps", "100bps", and byte rates "10MB/s", "1GiB/s" → bits per
/// second (> 0).
double parse_bitrate(std::string_view text);

/// "1500", "1.5MB", "40KiB", "2GB", "512B", "2G" → bytes (>= 0).
double parse_bytes(std::string_view text);

/// "30/s", "200/min", "5/h", "2/d", "1/w", "1/10s", "0.5/s" → events per second (>= 0).
/// After '/' a unit (ms, s, sec, m, min, h, hour, d, day, w, week) or a duration ("10s").
double parse_per_time(std::string_view text);

/// "30%" or a plain number "0.3" → a fraction (>= 0, no upper bound: tolerances).
double parse_fraction(std::string_view text);
/// parse_fraction() of at most 1.
double parse_probability(std::string_view text);

/// ISO 8601 with a zone, or a date → Unix epoch µs. A time without a zone is refused (it would
/// depend on the machine's zone). Accepted: "2024-03-04T09:30:00Z", "2024-03-04T09:30:00.250+09:00",
/// "2024-03-04T09:30Z", "2024-03-04 09:30:00-05:00", "2024-03-04".
std::int64_t parse_time(std::string_view text);
/// A time on the command line: parse_time(), `now` (the clock, whole seconds) or Unix seconds
/// with up to 6 decimals ("1714564800", "1714564800.25").
std::int64_t parse_time_arg(std::string_view text);

/// A calendar date "2024-03-29" → days since 1970-01-01.
std::int64_t parse_date(std::string_view text);
/// "+09:00", "-05:30", "+0100", "Z" → seconds east of UTC (|offset| <= 14h).
std::int32_t parse_utc_offset(std::string_view text);
/// "HH:MM" or "HH:MM:SS" (00:00 .. 24:00) → microseconds since midnight.
std::int64_t parse_time_of_day(std::string_view text);

/// "2024-03-04T09:30:00Z" (seconds) or with ".ffffff" when the time has microseconds.
std::string format_time(std::int64_t epoch_us);
/// Shortest exact unit form: "90s", "15m", "1500ms", "2d".
std::string format_duration(std::int64_t us);
/// Bytes with a binary unit, 3 significant digits: "812 B", "1.50 MiB", "12.3 GiB".
std::string format_bytes(double bytes);

}  // namespace flowlab::core
