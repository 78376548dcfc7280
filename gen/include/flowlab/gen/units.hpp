/// @brief Parsers for the quantities scenario files and command lines write as text with units
/// ("15m", "10Mbps", "1.5MB", "30/min", "30%", ISO 8601 times, CIDR blocks).
///
/// Every parser accepts exactly the documented forms (docs/scenario-format.md, "Units") and
/// throws UnitError otherwise; the message says what was expected and quotes what was given,
/// so a caller only has to add the place (a JSON pointer, an option name).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "flowlab/core/error.hpp"
#include "flowlab/core/ip_address.hpp"

namespace flowlab::gen {

/// A value that does not have the expected unit syntax or range. Exit code 2, like every
/// flowlab::Error.
class UnitError : public Error {
public:
    using Error::Error;
};

/// Microseconds in one second, minute, hour, day.
inline constexpr std::int64_t kUsPerSecond = 1'000'000;
inline constexpr std::int64_t kUsPerMinute = 60 * kUsPerSecond;
inline constexpr std::int64_t kUsPerHour = 60 * kUsPerMinute;
inline constexpr std::int64_t kUsPerDay = 24 * kUsPerHour;

/// "90s", "15m", "36h", "14d", "2w", "250ms", "10us", "1.5h", "1h30m" → microseconds (>= 0,
/// rounded to the nearest microsecond). Units: us, ms, s, m (minutes), h, d, w.
std::int64_t parse_duration(std::string_view text);

/// "10Mbps", "400Mbps", "1.5Gbps", "64kbps", "100bps", and byte rates "10MB/s", "1GiB/s"
/// → bits per second (> 0). Decimal prefixes for bit rates (k = 1000).
double parse_rate(std::string_view text);

/// "1500", "1.5MB", "40KiB", "2GB", "512B" → bytes (>= 0). kB/KB/MB/GB/TB are powers of 1000,
/// KiB/MiB/GiB/TiB powers of 1024.
double parse_bytes(std::string_view text);

/// "30/s", "200/min", "5/h", "2/d", "1/w", "1/10s", "0.5/s" → events per second (>= 0).
/// The part after '/' is either a unit (s, sec, m, min, h, hour, d, day, w, week, ms) or a
/// duration ("10s", "2h").
double parse_per_time(std::string_view text);

/// "30%" or a plain number "0.3" → probability in [0, 1].
double parse_probability(std::string_view text);

/// ISO 8601: "2024-03-04T09:30:00Z", "2024-03-04T09:30:00.250+09:00", "2024-03-04T09:30Z",
/// "2024-03-04 09:30:00-05:00" or a date alone "2024-03-04" (midnight UTC) → Unix epoch µs.
/// A time without a zone designator is rejected (it would depend on the machine's zone).
std::int64_t parse_time(std::string_view text);

/// A calendar date "2024-03-29" → days since 1970-01-01.
std::int64_t parse_date(std::string_view text);

/// "+09:00", "-05:30", "+0100", "Z", "+00:00" → seconds east of UTC (|offset| <= 14h).
std::int32_t parse_utc_offset(std::string_view text);

/// "HH:MM" or "HH:MM:SS" (00:00 .. 24:00) → microseconds since midnight.
std::int64_t parse_time_of_day(std::string_view text);

/// An IPv4 or IPv6 address in text form.
core::IpAddress parse_address(std::string_view text);

/// A CIDR block. Host bits must be zero ("10.1.0.5/24" is rejected: the block is 10.1.0.0/24).
struct Cidr {
    core::IpAddress network;
    int prefix = 0;

    bool is_v4() const noexcept { return network.is_v4(); }
    int address_bits() const noexcept { return is_v4() ? 32 : 128; }
    /// Addresses in the block, saturated at 2^64 - 1.
    std::uint64_t size() const noexcept;
    /// First offset a host may use: 1 (skip the network address), 0 for IPv4 /31 and /32.
    std::uint64_t first_host_offset() const noexcept;
    /// Number of usable host offsets starting at first_host_offset() (IPv4 skips the broadcast
    /// address for prefixes <= 30), saturated at 2^64 - 1.
    std::uint64_t host_capacity() const noexcept;
    /// The address at `offset` from the network address (offset < size()).
    core::IpAddress at(std::uint64_t offset) const noexcept;
    bool contains(const core::IpAddress& a) const noexcept;
    /// Offset of a (which must be contained) from the network address, saturated at 2^64 - 1.
    std::uint64_t offset_of(const core::IpAddress& a) const noexcept;
    std::string to_string() const;
};
Cidr parse_cidr(std::string_view text);

/// Canonical text of an address (dotted quad or RFC 5952 IPv6), independent of core's
/// formatter so that the scenario layer stands on its own.
std::string address_text(const core::IpAddress& a);

/// "2024-03-04T09:30:00Z" (seconds) or with ".ffffff" when the time has microseconds.
std::string format_time(std::int64_t epoch_us);
/// Shortest exact unit form: "90s", "15m", "1500ms", "2d".
std::string format_duration(std::int64_t us);

// Civil calendar helpers (proleptic Gregorian, H. Hinnant's algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;
struct CivilDate {
    std::int64_t year;
    unsigned month;
    unsigned day;
};
CivilDate civil_from_days(std::int64_t days) noexcept;
/// 0 = Monday ... 6 = Sunday.
int weekday_from_days(std::int64_t days) noexcept;
/// floor(a / b) for b > 0.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace flowlab::gen
