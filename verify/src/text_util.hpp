/// @brief Small parsers shared by the readers: numbers, dates, protocol names, TCP flag strings.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flowlab::verify::detail {

template <class T>
bool parse_uint(std::string_view s, T& out) noexcept {
    if (s.empty()) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// Unsigned decimal, or hexadecimal with a 0x prefix (tshark prints flags and ToS that way).
bool parse_uint_or_hex(std::string_view s, std::uint64_t& out) noexcept;

/// "1700000000", "1700000000.123456" (seconds, optional fraction) -> epoch milliseconds
/// (fraction truncated to ms). Negative values are rejected.
bool parse_seconds_ms(std::string_view s, std::int64_t& ms) noexcept;

/// "YYYY-MM-DD[T| ]HH:MM:SS[.fraction][Z]" read as UTC -> epoch milliseconds.
bool parse_datetime_ms(std::string_view s, std::int64_t& ms) noexcept;

/// tshark's absolute time "Nov 14, 2023 22:13:20.123000000 UTC" -> epoch milliseconds.
/// Only UTC is accepted (tshark prints local time: run it with TZ=UTC).
bool parse_tshark_time_ms(std::string_view s, std::int64_t& ms) noexcept;

/// Protocol number from a number or a name as nfdump, pmacct or goflow2 print it ("TCP",
/// "udp", "ICMP6", "ipv6-icmp", ...). nullopt if neither.
std::optional<std::uint8_t> protocol_from_text(std::string_view s) noexcept;

/// nfdump's 8-character flag string ("...AP.SF": CWR ECE URG ACK PSH RST SYN FIN), or a number.
std::optional<std::uint8_t> tcp_flags_from_nfdump(std::string_view s) noexcept;

/// Epoch ms as "2023-11-14 22:13:20.123" (UTC).
std::string format_time_ms(std::int64_t ms);

/// Lower-case ASCII copy.
std::string lower(std::string_view s);

}  // namespace flowlab::verify::detail
