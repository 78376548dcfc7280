/// @brief Number, date, protocol-name and TCP-flag parsers for collector outputs.
#include "text_util.hpp"

#include <array>

#include <fmt/format.h>

#include "flowlab/core/calendar.hpp"

namespace flowlab::verify::detail {

bool parse_uint_or_hex(std::string_view s, std::uint64_t& out) noexcept {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        auto r = std::from_chars(s.data() + 2, s.data() + s.size(), out, 16);
        return r.ec == std::errc() && r.ptr == s.data() + s.size();
    }
    return parse_uint(s, out);
}

static bool parse_fraction_ms(std::string_view frac, std::int64_t& ms) noexcept {
    // Up to 9 digits; truncated to milliseconds.
    std::int64_t v = 0;
    std::size_t n = 0;
    for (char c : frac) {
        if (c < '0' || c > '9') return false;
        if (n < 3) v = v * 10 + (c - '0');
        ++n;
    }
    if (n == 0) return false;
    while (n < 3) {
        v *= 10;
        ++n;
    }
    ms = v;
    return true;
}

bool parse_seconds_ms(std::string_view s, std::int64_t& ms) noexcept {
    const std::size_t dot = s.find('.');
    std::uint64_t secs = 0;
    if (!parse_uint(s.substr(0, dot), secs)) return false;
    // Beyond year 9999 no collector writes; refusing it here keeps the product in range.
    if (secs > 253402300799u) return false;
    std::int64_t frac = 0;
    if (dot != std::string_view::npos && !parse_fraction_ms(s.substr(dot + 1), frac)) return false;
    ms = static_cast<std::int64_t>(secs) * 1000 + frac;
    return true;
}

static bool digits_at(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) noexcept {
    if (pos + n > s.size()) return false;
    unsigned v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    out = v;
    return true;
}

static bool hms_ms(std::string_view s, std::int64_t days, std::int64_t& ms) noexcept {
    // s = "HH:MM:SS[.fraction]"
    unsigned hh, mm, ss;
    if (!digits_at(s, 0, 2, hh) || s.size() < 8 || s[2] != ':' || !digits_at(s, 3, 2, mm) || s[5] != ':' ||
        !digits_at(s, 6, 2, ss) || hh > 23 || mm > 59 || ss > 60)
        return false;
    std::int64_t frac = 0;
    if (s.size() > 8) {
        if (s[8] != '.' || !parse_fraction_ms(s.substr(9), frac)) return false;
    }
    ms = ((days * 24 + hh) * 60 + mm) * 60000 + static_cast<std::int64_t>(ss) * 1000 + frac;
    return true;
}

bool parse_datetime_ms(std::string_view s, std::int64_t& ms) noexcept {
    unsigned y, mo, d;
    if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
    if (s.size() < 19 || !digits_at(s, 0, 4, y) || s[4] != '-' || !digits_at(s, 5, 2, mo) || s[7] != '-' ||
        !digits_at(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    return hms_ms(s.substr(11), core::days_from_civil(y, mo, d), ms);
}

bool parse_tshark_time_ms(std::string_view s, std::int64_t& ms) noexcept {
    static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (s.size() < 4) return false;
    unsigned mo = 0;
    for (unsigned i = 0; i < 12; ++i)
        if (s.substr(0, 3) == kMonths[i]) mo = i + 1;
    if (mo == 0) return false;
    std::size_t p = 3;
    while (p < s.size() && s[p] == ' ') ++p;
    unsigned d = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') d = d * 10 + static_cast<unsigned>(s[p++] - '0');
    if (p >= s.size() || s[p] != ',' || d < 1 || d > 31) return false;
    ++p;
    while (p < s.size() && s[p] == ' ') ++p;
    unsigned y;
    if (!digits_at(s, p, 4, y)) return false;
    p += 4;
    if (p >= s.size() || s[p] != ' ') return false;
    ++p;
    const std::size_t sp = s.find(' ', p);
    if (sp == std::string_view::npos || s.substr(sp + 1) != "UTC") return false;
    return hms_ms(s.substr(p, sp - p), core::days_from_civil(y, mo, d), ms);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::optional<std::uint8_t> protocol_from_text(std::string_view s) noexcept {
    std::uint64_t v;
    if (parse_uint(s, v)) {
        if (v > 255) return std::nullopt;
        return static_cast<std::uint8_t>(v);
    }
    struct Name {
        std::string_view name;
        std::uint8_t number;
    };
    // The names nfdump (nf_common.c), pmacct (protocols table) and goflow2 (render.go) print.
    static constexpr Name kNames[] = {
        {"icmp", 1},  {"igmp", 2},       {"ggp", 3},    {"ipip", 4},   {"ipencap", 4}, {"st", 5},
        {"tcp", 6},   {"egp", 8},        {"igp", 9},    {"pup", 12},   {"udp", 17},    {"idp", 22},
        {"rdp", 27},  {"ipv6", 41},      {"idrp", 45},  {"rsvp", 46},  {"gre", 47},    {"esp", 50},
        {"ah", 51},   {"icmp6", 58},     {"ipv6-icmp", 58}, {"icmpv6", 58}, {"ipv6-nonxt", 59},
        {"eigrp", 88}, {"ospf", 89},     {"ospfigp", 89}, {"ax.25", 93}, {"ipx", 94}, {"etherip", 97},
        {"encap", 98}, {"pim", 103},     {"ipcomp", 108}, {"vrrp", 112}, {"l2tp", 115}, {"isis", 124},
        {"sctp", 132}, {"udplite", 136}, {"mpls", 137}, {"mpls-in-ip", 137},
    };
    char buf[16];
    if (s.size() >= sizeof buf || s.empty()) return std::nullopt;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    const std::string_view key(buf, s.size());
    for (const auto& n : kNames)
        if (n.name == key) return n.number;
    return std::nullopt;
}

std::optional<std::uint8_t> tcp_flags_from_nfdump(std::string_view s) noexcept {
    std::uint64_t v;
    if (parse_uint_or_hex(s, v)) {
        if (v > 255) return std::nullopt;
        return static_cast<std::uint8_t>(v);
    }
    if (s.size() != 8) return std::nullopt;
    static constexpr char kLetters[8] = {'C', 'E', 'U', 'A', 'P', 'R', 'S', 'F'};
    std::uint8_t flags = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        if (s[i] == kLetters[i]) flags = static_cast<std::uint8_t>(flags | (0x80u >> i));
        else if (s[i] != '.') return std::nullopt;
    }
    return flags;
}

std::string format_time_ms(std::int64_t ms) {
    const std::int64_t days = core::floor_div(ms, 86'400'000);
    const std::int64_t rem = ms - days * 86'400'000;
    const core::CivilDate d = core::civil_from_days(days);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", d.year, d.month, d.day, rem / 3'600'000,
                       rem / 60'000 % 60, rem / 1000 % 60, rem % 1000);
}

}  // namespace flowlab::verify::detail
