/// @brief The parsers of flowlab's quantity vocabulary (see units.hpp).
#include "flowlab/core/units.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "flowlab/core/excerpt.hpp"

namespace flowlab::core {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

[[noreturn]] void fail(std::string_view expected, std::string_view text, std::string_view detail = {}) {
    throw UnitError("expected " + std::string(expected) + ", got " + quote(text) + std::string(detail));
}

/// Parses a leading unsigned decimal number ("1.5", "40"; ".5", "1." and exponents are refused)
/// and advances `s`. std::from_chars: locale-independent, unlike strtod.
bool take_number(std::string_view& s, double& out) {
    std::size_t n = 0;
    while (n < s.size() && is_digit(s[n])) ++n;
    if (n == 0) return false;
    if (n < s.size() && s[n] == '.') {
        std::size_t m = n + 1;
        while (m < s.size() && is_digit(s[m])) ++m;
        if (m == n + 1) return false;
        n = m;
    }
    const auto r = std::from_chars(s.data(), s.data() + n, out);
    if (r.ec != std::errc{} || r.ptr != s.data() + n) return false;
    s.remove_prefix(n);
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool take_fixed_digits(std::string_view& s, std::size_t n, unsigned& out) {
    if (s.size() < n) return false;
    unsigned v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!is_digit(s[i])) return false;
        v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    out = v;
    s.remove_prefix(n);
    return true;
}

bool take_char(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
}

/// A unit name → its factor, from a table; 0 if the unit is not in it.
template <std::size_t N>
double factor_of(const std::array<std::pair<std::string_view, double>, N>& table, std::string_view unit) {
    for (const auto& [u, f] : table)
        if (u == unit) return f;
    return 0.0;
}

/// A number followed by one of the table's units (blanks around either), in the table's base
/// unit; anything else fails with `expected`.
template <std::size_t N>
double number_and_unit(std::string_view text, const std::array<std::pair<std::string_view, double>, N>& units,
                       std::string_view expected) {
    std::string_view s = trim(text);
    double v = 0;
    if (!take_number(s, v)) fail(expected, text);
    const double f = factor_of(units, trim(s));
    if (f == 0.0) fail(expected, text);
    return v * f;
}

/// Duration units in nanoseconds.
constexpr std::array<std::pair<std::string_view, double>, 9> kDurationUnits{{
    {"ns", 1.0},
    {"us", 1e3},
    {"ms", 1e6},
    {"s", 1e9},
    {"m", 60e9},
    {"min", 60e9},
    {"h", 3600e9},
    {"d", 86400e9},
    {"w", 7 * 86400e9},
}};

constexpr std::string_view kDurationExpected =
    "a duration: a number with a unit ns, us, ms, s, m, h, d or w, e.g. \"90s\", \"15m\", \"1h30m\"";

/// Any duration as nanoseconds in a long double (exact for every value that fits 64 bits).
long double duration_ns(std::string_view text) {
    std::string_view s = trim(text);
    if (s.empty()) fail(kDurationExpected, text);
    long double total = 0;
    while (!s.empty()) {
        double v = 0;
        if (!take_number(s, v)) fail(kDurationExpected, text);
        std::size_t n = 0;
        while (n < s.size() && is_letter(s[n])) ++n;
        const double unit = factor_of(kDurationUnits, s.substr(0, n));
        if (unit == 0.0) {
            fail(kDurationExpected, text,
                 n == 0 ? " (no unit: a bare number is refused, write e.g. \"90s\" or \"500ms\")"
                        : " (unknown unit " + quote(s.substr(0, n)) + ")");
        }
        total += static_cast<long double>(v) * unit;
        s.remove_prefix(n);
    }
    return total;
}

/// SI multipliers of counts.
constexpr std::array<std::pair<std::string_view, double>, 6> kCountUnits{{
    {"", 1.0},
    {"k", 1e3},
    {"K", 1e3},
    {"M", 1e6},
    {"G", 1e9},
    {"T", 1e12},
}};

constexpr std::string_view kCountExpected =
    "a number with an optional multiplier k (1000), M (10^6), G (10^9) or T (10^12), e.g. \"500\", \"10k\", \"1.5M\"";

/// A count followed by one of `suffixes` (which may include ""); returns the count.
double count_with_suffix(std::string_view text, std::string_view expected,
                         std::initializer_list<std::string_view> suffixes) {
    std::string_view s = trim(text);
    double v = 0;
    if (!take_number(s, v)) fail(expected, text);
    double mult = 1.0;
    if (!s.empty()) {
        if (const double f = factor_of(kCountUnits, s.substr(0, 1)); f != 0.0) {
            mult = f;
            s.remove_prefix(1);
        }
    }
    const std::string_view rest = s;
    for (const auto suffix : suffixes)
        if (rest == suffix) return v * mult;
    // "m" is refused on purpose: it reads as milli as easily as mega.
    fail(expected, text, rest == "m" || rest.starts_with("m") ? " (\"m\" is ambiguous: write \"M\" for millions)" : "");
}

/// "YYYY-MM-DD" prefix → days since epoch; advances s.
bool take_date(std::string_view& s, std::int64_t& days) {
    unsigned y = 0, m = 0, d = 0;
    if (!take_fixed_digits(s, 4, y) || !take_char(s, '-') || !take_fixed_digits(s, 2, m) || !take_char(s, '-') ||
        !take_fixed_digits(s, 2, d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
    days = days_from_civil(y, m, d);
    return true;
}

/// "+HH:MM", "+HHMM", "+HH", "Z" → seconds; advances s.
bool take_offset(std::string_view& s, std::int32_t& seconds) {
    if (take_char(s, 'Z') || take_char(s, 'z')) {
        seconds = 0;
        return true;
    }
    if (s.empty() || (s.front() != '+' && s.front() != '-')) return false;
    const bool negative = s.front() == '-';
    s.remove_prefix(1);
    unsigned hh = 0, mm = 0;
    if (!take_fixed_digits(s, 2, hh)) return false;
    if (take_char(s, ':')) {
        if (!take_fixed_digits(s, 2, mm)) return false;
    } else if (s.size() >= 2 && is_digit(s[0])) {
        if (!take_fixed_digits(s, 2, mm)) return false;
    }
    if (hh > 14 || mm > 59 || (hh == 14 && mm != 0)) return false;
    const auto v = static_cast<std::int32_t>(hh * 3600 + mm * 60);
    seconds = negative ? -v : v;
    return true;
}

}  // namespace

std::int64_t parse_duration(std::string_view text) {
    const long double us = duration_ns(text) / 1000;
    if (!(us < 9.0e18L)) throw UnitError("the duration " + quote(text) + " is too long");
    return std::llround(static_cast<double>(us));
}

std::int64_t parse_duration_ns(std::string_view text) {
    const long double ns = duration_ns(text);
    if (!(ns < 9.0e18L)) throw UnitError("the duration " + quote(text) + " is too long (at most 292 years)");
    return static_cast<std::int64_t>(std::llround(static_cast<double>(ns)));
}

double parse_count(std::string_view text) { return count_with_suffix(text, kCountExpected, {""}); }

std::uint64_t parse_whole_count(std::string_view text, std::uint64_t max) {
    const double v = parse_count(text);
    if (v != std::floor(v) || v > static_cast<double>(max))
        throw UnitError("expected a whole number from 0 to " + std::to_string(max) + ", got " + quote(text));
    return static_cast<std::uint64_t>(v);
}

double parse_packet_rate(std::string_view text) {
    const double v = count_with_suffix(
        text, "a packet rate: a number with an optional multiplier k, M, G and unit pps or /s, e.g. \"50k\", \"50kpps\"",
        {"", "pps", "/s"});
    if (!(v > 0)) throw UnitError("expected a packet rate greater than zero, got " + quote(text));
    return v;
}

double parse_bitrate(std::string_view text) {
    constexpr std::string_view expected =
        "a bit rate: a number with a unit bps, kbps, Mbps, Gbps, Tbps (bits) or B/s, kB/s, MB/s, GB/s, KiB/s, "
        "MiB/s, GiB/s (bytes), e.g. \"10Mbps\"";
    static constexpr std::array<std::pair<std::string_view, double>, 14> kUnits{{
        {"bps", 1.0},          {"kbps", 1e3},          {"Kbps", 1e3},          {"Mbps", 1e6},
        {"Gbps", 1e9},         {"Tbps", 1e12},         {"B/s", 8.0},           {"kB/s", 8e3},
        {"KB/s", 8e3},         {"MB/s", 8e6},          {"GB/s", 8e9},          {"KiB/s", 8.0 * 1024},
        {"MiB/s", 8.0 * 1048576}, {"GiB/s", 8.0 * 1073741824.0},
    }};
    const double v = number_and_unit(text, kUnits, expected);
    if (!(v > 0)) throw UnitError("expected a bit rate greater than zero, got " + quote(text));
    return v;
}

double parse_bytes(std::string_view text) {
    constexpr std::string_view expected =
        "a size in bytes: a number with an optional unit B, kB, KB, MB, GB, TB (powers of 1000) or KiB, MiB, "
        "GiB, TiB (powers of 1024), e.g. \"1.5MB\", \"40KiB\"";
    static constexpr std::array<std::pair<std::string_view, double>, 15> kUnits{{
        {"", 1.0},
        {"B", 1.0},
        {"k", 1e3},
        {"kB", 1e3},
        {"KB", 1e3},
        {"M", 1e6},
        {"MB", 1e6},
        {"G", 1e9},
        {"GB", 1e9},
        {"TB", 1e12},
        {"KiB", 1024.0},
        {"MiB", 1048576.0},
        {"GiB", 1073741824.0},
        {"TiB", 1099511627776.0},
        {"T", 1e12},
    }};
    return number_and_unit(text, kUnits, expected);
}

double parse_per_time(std::string_view text) {
    constexpr std::string_view expected =
        "a rate of events: a number, '/', and a time unit or duration, e.g. \"30/s\", \"200/min\", \"5/h\", "
        "\"1/10s\"";
    static constexpr std::array<std::pair<std::string_view, double>, 12> kUnits{{
        {"ms", 1e-3},
        {"s", 1.0},
        {"sec", 1.0},
        {"m", 60.0},
        {"min", 60.0},
        {"h", 3600.0},
        {"hour", 3600.0},
        {"d", 86400.0},
        {"day", 86400.0},
        {"w", 604800.0},
        {"week", 604800.0},
        {"us", 1e-6},
    }};
    std::string_view s = trim(text);
    double v = 0;
    if (!take_number(s, v)) fail(expected, text);
    s = trim(s);
    if (!take_char(s, '/')) fail(expected, text);
    s = trim(s);
    if (const double f = factor_of(kUnits, s); f != 0.0) return v / f;
    std::int64_t per_ns = 0;
    try {
        per_ns = parse_duration_ns(s);
    } catch (const UnitError&) {
        fail(expected, text);
    }
    if (per_ns <= 0) throw UnitError("the period in " + quote(text) + " must be longer than zero");
    return v / (static_cast<double>(per_ns) / 1e9);
}

double parse_fraction(std::string_view text) {
    constexpr std::string_view expected = "a fraction: a percentage \"30%\" or a number such as 0.3";
    std::string_view s = trim(text);
    double v = 0;
    if (!take_number(s, v)) fail(expected, text);
    s = trim(s);
    if (s == "%") {
        v /= 100.0;
    } else if (!s.empty()) {
        fail(expected, text);
    }
    return v;
}

double parse_probability(std::string_view text) {
    const double v = parse_fraction(text);
    if (v > 1.0) throw UnitError("expected a probability of at most 100% (or 1), got " + quote(text));
    return v;
}

std::int64_t parse_date(std::string_view text) {
    std::string_view s = trim(text);
    std::int64_t days = 0;
    if (!take_date(s, days) || !s.empty()) fail("a date YYYY-MM-DD, e.g. \"2024-03-29\"", text);
    return days;
}

std::int64_t parse_time(std::string_view text) {
    constexpr std::string_view expected =
        "an ISO 8601 time with a zone, e.g. \"2024-03-04T09:30:00Z\" or \"2024-03-04T09:30:00+09:00\", or a date "
        "\"2024-03-04\"";
    std::string_view s = trim(text);
    std::int64_t days = 0;
    if (!take_date(s, days)) fail(expected, text);
    if (s.empty()) return days * kUsPerDay;
    if (!take_char(s, 'T') && !take_char(s, 't') && !take_char(s, ' ')) fail(expected, text);
    unsigned hh = 0, mm = 0, ss = 0;
    if (!take_fixed_digits(s, 2, hh) || !take_char(s, ':') || !take_fixed_digits(s, 2, mm)) fail(expected, text);
    std::int64_t frac_us = 0;
    if (take_char(s, ':')) {
        if (!take_fixed_digits(s, 2, ss)) fail(expected, text);
        if (take_char(s, '.') || take_char(s, ',')) {
            std::int64_t scale = 100000;
            std::size_t n = 0;
            while (!s.empty() && is_digit(s.front())) {
                if (scale > 0) frac_us += (s.front() - '0') * scale;
                scale /= 10;
                s.remove_prefix(1);
                ++n;
            }
            if (n == 0) fail(expected, text);
        }
    }
    if (hh > 23 || mm > 59 || ss > 59) fail(expected, text, " (hour, minute or second out of range)");
    std::int32_t offset = 0;
    if (s.empty()) fail(expected, text, " (no zone: add \"Z\" for UTC or an offset like \"+01:00\")");
    if (!take_offset(s, offset) || !s.empty()) fail(expected, text);
    return days * kUsPerDay + (hh * 3600LL + mm * 60LL + ss - offset) * kUsPerSecond + frac_us;
}

std::int64_t parse_time_arg(std::string_view text) {
    const std::string_view s = trim(text);
    if (s == "now") {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        return std::chrono::duration_cast<std::chrono::seconds>(now).count() * kUsPerSecond;
    }
    // Unix seconds, with up to 6 decimals ("1765053000.5"): what `date +%s.%N` gives, cut to µs.
    const std::size_t dot = s.find('.');
    const std::string_view whole = s.substr(0, dot);
    const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    const auto digits = [](std::string_view d) { return d.find_first_not_of("0123456789") == std::string_view::npos; };
    if (!whole.empty() && whole.size() <= 12 && digits(whole) && digits(frac) && frac.size() <= 6 &&
        (dot == std::string_view::npos || !frac.empty())) {
        std::int64_t secs = 0;
        std::from_chars(whole.data(), whole.data() + whole.size(), secs);
        std::int64_t us = 0;
        for (std::size_t i = 0; i < 6; ++i) us = us * 10 + (i < frac.size() ? frac[i] - '0' : 0);
        return secs * kUsPerSecond + us;
    }
    try {
        return parse_time(s);
    } catch (const UnitError&) {
        fail("a time: ISO 8601 with a zone (\"2024-03-04T09:30:00Z\"), a date (\"2024-03-04\"), `now`, or Unix "
             "seconds (\"1709544600\", \"1709544600.25\")",
             text);
    }
}

std::int32_t parse_utc_offset(std::string_view text) {
    std::string_view s = trim(text);
    std::int32_t v = 0;
    if (!take_offset(s, v) || !s.empty())
        fail("a UTC offset \"+HH:MM\" or \"-HH:MM\" (at most 14 hours), e.g. \"+09:00\"", text);
    return v;
}

std::int64_t parse_time_of_day(std::string_view text) {
    std::string_view s = trim(text);
    unsigned hh = 0, mm = 0, ss = 0;
    bool ok = take_fixed_digits(s, 2, hh) && take_char(s, ':') && take_fixed_digits(s, 2, mm);
    if (ok && take_char(s, ':')) ok = take_fixed_digits(s, 2, ss);
    if (!ok || !s.empty() || mm > 59 || ss > 59 || hh > 24 || (hh == 24 && (mm != 0 || ss != 0)))
        fail("a time of day \"HH:MM\" or \"HH:MM:SS\" from 00:00 to 24:00", text);
    return (hh * 3600LL + mm * 60LL + ss) * kUsPerSecond;
}

std::string format_time(std::int64_t epoch_us) {
    const std::int64_t days = floor_div(epoch_us, kUsPerDay);
    const std::int64_t rem = epoch_us - days * kUsPerDay;
    const CivilDate d = civil_from_days(days);
    const std::int64_t secs = rem / kUsPerSecond;
    const std::int64_t us = rem % kUsPerSecond;
    if (us == 0)
        return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", d.year, d.month, d.day, secs / 3600,
                           secs / 60 % 60, secs % 60);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", d.year, d.month, d.day, secs / 3600,
                       secs / 60 % 60, secs % 60, us);
}

std::string format_duration(std::int64_t us) {
    static constexpr std::array<std::pair<std::int64_t, const char*>, 7> kUnits{{
        {7 * kUsPerDay, "w"},
        {kUsPerDay, "d"},
        {kUsPerHour, "h"},
        {kUsPerMinute, "m"},
        {kUsPerSecond, "s"},
        {1000, "ms"},
        {1, "us"},
    }};
    if (us == 0) return "0s";
    for (const auto& [f, u] : kUnits) {
        if (us % f == 0) return std::to_string(us / f) + u;
    }
    return std::to_string(us) + "us";
}

std::string format_bytes(double bytes) {
    static constexpr std::array<const char*, 6> kUnits{"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    std::size_t u = 0;
    while (bytes >= 1024 && u + 1 < kUnits.size()) {
        bytes /= 1024;
        ++u;
    }
    const int decimals = u == 0 || bytes >= 100 ? 0 : bytes >= 10 ? 1 : 2;
    return fmt::format("{:.{}f} {}", bytes, decimals, kUnits[u]);
}

}  // namespace flowlab::core
