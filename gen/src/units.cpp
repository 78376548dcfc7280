/// @brief Unit parsers for scenario values and command-line options (see units.hpp).
#include "flowlab/gen/units.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace flowlab::gen {
namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Parses a leading unsigned decimal number ("1.5", "40", ".5" is refused) and advances `s`.
/// std::from_chars: locale-independent, unlike strtod.
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

/// Duration unit → µs, or 0 if unknown.
double duration_unit(std::string_view u) {
    if (u == "us") return 1.0;
    if (u == "ms") return 1e3;
    if (u == "s") return 1e6;
    if (u == "m" || u == "min") return 60e6;
    if (u == "h") return 3600e6;
    if (u == "d") return 86400e6;
    if (u == "w") return 7 * 86400e6;
    return 0.0;
}

const char* const kDurationExpected =
    "a duration: a number with a unit us, ms, s, m, h, d or w, e.g. \"90s\", \"15m\", \"1h30m\"";

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned days_in_month(std::int64_t y, unsigned m) {
    static constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDays[m - 1];
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
    std::string_view s = trim(text);
    if (s.empty()) throw UnitError("expected " + std::string(kDurationExpected) + ", got an empty string");
    double total = 0.0;
    while (!s.empty()) {
        double v = 0;
        if (!take_number(s, v))
            throw UnitError("expected " + std::string(kDurationExpected) + ", got " + quoted(text));
        std::size_t n = 0;
        while (n < s.size() && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z'))) ++n;
        const double unit = duration_unit(s.substr(0, n));
        if (unit == 0.0) {
            throw UnitError("expected " + std::string(kDurationExpected) + ", got " + quoted(text) +
                            (n == 0 ? " (no unit)" : " (unknown unit \"" + std::string(s.substr(0, n)) + "\")"));
        }
        total += v * unit;
        s.remove_prefix(n);
    }
    if (!(total < 9.0e18)) throw UnitError("duration " + quoted(text) + " is too long");
    return std::llround(total);
}

double parse_rate(std::string_view text) {
    const char* const expected =
        "a rate: a number with a unit bps, kbps, Mbps, Gbps, Tbps (bits) or B/s, kB/s, MB/s, GB/s, KiB/s, "
        "MiB/s, GiB/s (bytes), e.g. \"10Mbps\"";
    std::string_view s = trim(text);
    double v = 0;
    if (!take_number(s, v)) throw UnitError(std::string("expected ") + expected + ", got " + quoted(text));
    s = trim(s);
    static constexpr std::array<std::pair<std::string_view, double>, 14> kUnits{{
        {"bps", 1.0},          {"kbps", 1e3},          {"Kbps", 1e3},          {"Mbps", 1e6},
        {"Gbps", 1e9},         {"Tbps", 1e12},         {"B/s", 8.0},           {"kB/s", 8e3},
        {"KB/s", 8e3},         {"MB/s", 8e6},          {"GB/s", 8e9},          {"KiB/s", 8.0 * 1024},
        {"MiB/s", 8.0 * 1048576}, {"GiB/s", 8.0 * 1073741824.0},
    }};
    for (const auto& [u, f] : kUnits) {
        if (s == u) {
            if (v * f <= 0) throw UnitError("expected a rate greater than zero, got " + quoted(text));
            return v * f;
        }
    }
    throw UnitError(std::string("expected ") + expected + ", got " + quoted(text));
}

double parse_bytes(std::string_view text) {
    const char* const expected =
        "a size in bytes: a number with an optional unit B, kB, KB, MB, GB, TB (powers of 1000) or KiB, MiB, "
        "GiB, TiB (powers of 1024), e.g. \"1.5MB\", \"40KiB\"";
    std::string_view s = trim(text);
    double v = 0;
    if (!take_number(s, v)) throw UnitError(std::string("expected ") + expected + ", got " + quoted(text));
    s = trim(s);
    static constexpr std::array<std::pair<std::string_view, double>, 11> kUnits{{
        {"", 1.0},
        {"B", 1.0},
        {"kB", 1e3},
        {"KB", 1e3},
        {"MB", 1e6},
        {"GB", 1e9},
        {"TB", 1e12},
        {"KiB", 1024.0},
        {"MiB", 1048576.0},
        {"GiB", 1073741824.0},
        {"TiB", 1099511627776.0},
    }};
    for (const auto& [u, f] : kUnits) {
        if (s == u) return v * f;
    }
    throw UnitError(std::string("expected ") + expected + ", got " + quoted(text));
}

double parse_per_time(std::string_view text) {
    const char* const expected =
        "a rate of events: a number, '/', and a time unit or duration, e.g. \"30/s\", \"200/min\", \"5/h\", "
        "\"1/10s\"";
    std::string_view s = trim(text);
    double v = 0;
    if (!take_number(s, v)) throw UnitError(std::string("expected ") + expected + ", got " + quoted(text));
    s = trim(s);
    if (!take_char(s, '/')) throw UnitError(std::string("expected ") + expected + ", got " + quoted(text));
    s = trim(s);
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
    for (const auto& [u, f] : kUnits) {
        if (s == u) return v / f;
    }
    std::int64_t per_us = 0;
    try {
        per_us = parse_duration(s);
    } catch (const UnitError&) {
        throw UnitError(std::string("expected ") + expected + ", got " + quoted(text));
    }
    if (per_us <= 0) throw UnitError("the period in " + quoted(text) + " must be longer than zero");
    return v / (static_cast<double>(per_us) / 1e6);
}

double parse_probability(std::string_view text) {
    std::string_view s = trim(text);
    double v = 0;
    if (!take_number(s, v)) {
        throw UnitError("expected a probability: \"30%\" or a number from 0 to 1, got " + quoted(text));
    }
    s = trim(s);
    if (s == "%") {
        v /= 100.0;
    } else if (!s.empty()) {
        throw UnitError("expected a probability: \"30%\" or a number from 0 to 1, got " + quoted(text));
    }
    if (v > 1.0) throw UnitError("expected a probability of at most 100%, got " + quoted(text));
    return v;
}

std::int64_t parse_date(std::string_view text) {
    std::string_view s = trim(text);
    std::int64_t days = 0;
    if (!take_date(s, days) || !s.empty())
        throw UnitError("expected a date YYYY-MM-DD, e.g. \"2024-03-29\", got " + quoted(text));
    return days;
}

std::int64_t parse_time(std::string_view text) {
    const std::string expected =
        "expected an ISO 8601 time with a zone, e.g. \"2024-03-04T09:30:00Z\" or \"2024-03-04T09:30:00+09:00\", "
        "or a date \"2024-03-04\", got " +
        quoted(text);
    std::string_view s = trim(text);
    std::int64_t days = 0;
    if (!take_date(s, days)) throw UnitError(expected);
    if (s.empty()) return days * kUsPerDay;
    if (!take_char(s, 'T') && !take_char(s, 't') && !take_char(s, ' ')) throw UnitError(expected);
    unsigned hh = 0, mm = 0, ss = 0;
    if (!take_fixed_digits(s, 2, hh) || !take_char(s, ':') || !take_fixed_digits(s, 2, mm)) throw UnitError(expected);
    std::int64_t frac_us = 0;
    if (take_char(s, ':')) {
        if (!take_fixed_digits(s, 2, ss)) throw UnitError(expected);
        if (take_char(s, '.') || take_char(s, ',')) {
            std::int64_t scale = 100000;
            std::size_t n = 0;
            while (!s.empty() && is_digit(s.front())) {
                if (scale > 0) frac_us += (s.front() - '0') * scale;
                scale /= 10;
                s.remove_prefix(1);
                ++n;
            }
            if (n == 0) throw UnitError(expected);
        }
    }
    if (hh > 23 || mm > 59 || ss > 59) throw UnitError(expected + " (hour, minute or second out of range)");
    std::int32_t offset = 0;
    if (s.empty()) {
        throw UnitError(expected + " (no zone: add \"Z\" for UTC or an offset like \"+01:00\")");
    }
    if (!take_offset(s, offset) || !s.empty()) throw UnitError(expected);
    return days * kUsPerDay + (hh * 3600LL + mm * 60LL + ss - offset) * kUsPerSecond + frac_us;
}

std::int32_t parse_utc_offset(std::string_view text) {
    std::string_view s = trim(text);
    std::int32_t v = 0;
    if (!take_offset(s, v) || !s.empty())
        throw UnitError("expected a UTC offset \"+HH:MM\" or \"-HH:MM\" (at most 14 hours), e.g. \"+09:00\", got " +
                        quoted(text));
    return v;
}

std::int64_t parse_time_of_day(std::string_view text) {
    std::string_view s = trim(text);
    unsigned hh = 0, mm = 0, ss = 0;
    bool ok = take_fixed_digits(s, 2, hh) && take_char(s, ':') && take_fixed_digits(s, 2, mm);
    if (ok && take_char(s, ':')) ok = take_fixed_digits(s, 2, ss);
    if (!ok || !s.empty() || mm > 59 || ss > 59 || hh > 24 || (hh == 24 && (mm != 0 || ss != 0)))
        throw UnitError("expected a time of day \"HH:MM\" or \"HH:MM:SS\" from 00:00 to 24:00, got " + quoted(text));
    return (hh * 3600LL + mm * 60LL + ss) * kUsPerSecond;
}

core::IpAddress parse_address(std::string_view text) {
    const std::string s(trim(text));
    std::array<std::uint8_t, 16> buf{};
    if (s.find(':') == std::string::npos) {
        if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1) return core::IpAddress::v4_bytes(buf.data());
    } else if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) {
        return core::IpAddress::v6_bytes(buf.data());
    }
    throw UnitError("expected an IPv4 or IPv6 address, e.g. \"192.0.2.1\" or \"2001:db8::1\", got " + quoted(text));
}

std::string address_text(const core::IpAddress& a) {
    char buf[64] = {};
    if (a.is_v4()) {
        inet_ntop(AF_INET, a.bytes().data(), buf, sizeof buf);
    } else if (a.is_v6()) {
        inet_ntop(AF_INET6, a.bytes().data(), buf, sizeof buf);
    }
    return buf;
}

Cidr parse_cidr(std::string_view text) {
    const std::string_view s = trim(text);
    const auto slash = s.find('/');
    const std::string expected =
        "expected a CIDR block \"address/prefix\", e.g. \"10.1.0.0/24\" or \"2001:db8:1::/64\", got " + quoted(text);
    if (slash == std::string_view::npos) throw UnitError(expected);
    Cidr c;
    try {
        c.network = parse_address(s.substr(0, slash));
    } catch (const UnitError&) {
        throw UnitError(expected);
    }
    const auto p = s.substr(slash + 1);
    unsigned prefix = 0;
    const auto r = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || r.ec != std::errc{} || r.ptr != p.data() + p.size() ||
        prefix > static_cast<unsigned>(c.address_bits()))
        throw UnitError(expected + " (prefix length out of range)");
    c.prefix = static_cast<int>(prefix);
    // Host bits must be zero: a block written with host bits set is most likely a typo.
    const auto& b = c.network.bytes();
    for (int bit = c.prefix; bit < c.address_bits(); ++bit) {
        if (b[static_cast<std::size_t>(bit / 8)] & (0x80u >> (bit % 8))) {
            Cidr fixed = c;
            std::array<std::uint8_t, 16> nb = b;
            for (int k = c.prefix; k < c.address_bits(); ++k)
                nb[static_cast<std::size_t>(k / 8)] &= static_cast<std::uint8_t>(~(0x80u >> (k % 8)));
            fixed.network = c.is_v4() ? core::IpAddress::v4_bytes(nb.data()) : core::IpAddress::v6_bytes(nb.data());
            throw UnitError("the CIDR block " + quoted(text) + " has host bits set; did you mean \"" +
                            fixed.to_string() + "\"?");
        }
    }
    return c;
}

std::uint64_t Cidr::size() const noexcept {
    const int host_bits = address_bits() - prefix;
    if (host_bits >= 64) return std::numeric_limits<std::uint64_t>::max();
    return std::uint64_t{1} << host_bits;
}

std::uint64_t Cidr::first_host_offset() const noexcept { return (is_v4() && prefix >= 31) ? 0 : 1; }

std::uint64_t Cidr::host_capacity() const noexcept {
    const std::uint64_t n = size();
    if (is_v4()) return prefix >= 31 ? n : n - 2;
    if (n == std::numeric_limits<std::uint64_t>::max()) return n;
    return n - 1;
}

core::IpAddress Cidr::at(std::uint64_t offset) const noexcept {
    if (is_v4()) return core::IpAddress::v4(network.v4_value() + static_cast<std::uint32_t>(offset));
    std::array<std::uint8_t, 16> b = network.bytes();
    // 128-bit add of a 64-bit offset, big-endian bytes.
    unsigned carry = 0;
    for (int i = 15; i >= 0; --i) {
        const unsigned add = i >= 8 ? static_cast<unsigned>((offset >> (8 * (15 - i))) & 0xFF) : 0u;
        const unsigned v = b[static_cast<std::size_t>(i)] + add + carry;
        b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
        carry = v >> 8;
    }
    return core::IpAddress::v6_bytes(b.data());
}

bool Cidr::contains(const core::IpAddress& a) const noexcept {
    if (a.is_v4() != is_v4() || !a.is_set()) return false;
    const auto& x = a.bytes();
    const auto& n = network.bytes();
    int bit = 0;
    for (; bit + 8 <= prefix; bit += 8)
        if (x[static_cast<std::size_t>(bit / 8)] != n[static_cast<std::size_t>(bit / 8)]) return false;
    if (bit < prefix) {
        const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - (prefix - bit)));
        if ((x[static_cast<std::size_t>(bit / 8)] & mask) != (n[static_cast<std::size_t>(bit / 8)] & mask)) return false;
    }
    return true;
}

std::uint64_t Cidr::offset_of(const core::IpAddress& a) const noexcept {
    if (is_v4()) return a.v4_value() - network.v4_value();
    const auto& x = a.bytes();
    const auto& n = network.bytes();
    // Difference of the two 128-bit values, saturated to 64 bits.
    std::uint64_t hi_x = 0, lo_x = 0, hi_n = 0, lo_n = 0;
    for (int i = 0; i < 8; ++i) {
        hi_x = (hi_x << 8) | x[static_cast<std::size_t>(i)];
        hi_n = (hi_n << 8) | n[static_cast<std::size_t>(i)];
        lo_x = (lo_x << 8) | x[static_cast<std::size_t>(i + 8)];
        lo_n = (lo_n << 8) | n[static_cast<std::size_t>(i + 8)];
    }
    const std::uint64_t borrow = lo_x < lo_n ? 1 : 0;
    if (hi_x - hi_n - borrow != 0) return std::numeric_limits<std::uint64_t>::max();
    return lo_x - lo_n;
}

std::string Cidr::to_string() const { return address_text(network) + "/" + std::to_string(prefix); }

std::string format_time(std::int64_t epoch_us) {
    const std::int64_t days = floor_div(epoch_us, kUsPerDay);
    const std::int64_t rem = epoch_us - days * kUsPerDay;
    const CivilDate d = civil_from_days(days);
    const std::int64_t secs = rem / kUsPerSecond;
    const std::int64_t us = rem % kUsPerSecond;
    char buf[64];
    if (us == 0) {
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(d.year),
                      d.month, d.day, static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                      static_cast<long long>(secs % 60));
    } else {
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ", static_cast<long long>(d.year),
                      d.month, d.day, static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                      static_cast<long long>(secs % 60), static_cast<long long>(us));
    }
    return buf;
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

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilDate civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2 ? 1 : 0), m, d};
}

int weekday_from_days(std::int64_t days) noexcept {
    // 1970-01-01 was a Thursday (3 with Monday = 0).
    return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

}  // namespace flowlab::gen
