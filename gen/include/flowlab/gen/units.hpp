/// @brief The scenario layer's view of the unit vocabulary: core's parsers (core/units.hpp, the
/// one vocabulary of every command and file) plus addresses and CIDR blocks.
///
/// Every parser throws UnitError; the message says what was expected and quotes what was
/// given, so a caller only has to add the place (a JSON pointer, an option name).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "flowlab/core/calendar.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/ip_address.hpp"
#include "flowlab/core/units.hpp"

namespace flowlab::gen {

using core::UnitError;
using core::kUsPerSecond;
using core::kUsPerMinute;
using core::kUsPerHour;
using core::kUsPerDay;
using core::parse_duration;
using core::parse_bitrate;
using core::parse_bytes;
using core::parse_per_time;
using core::parse_probability;
using core::parse_time;
using core::parse_date;
using core::parse_utc_offset;
using core::parse_time_of_day;
using core::format_time;
using core::format_duration;
using core::days_from_civil;
using core::CivilDate;
using core::civil_from_days;
using core::weekday_from_days;
using core::floor_div;

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
    /// Inline and by whole words: gen asks it for both ends of every conversation at every
    /// exporter's every observed block (a fifth of the simulation loop when it went byte by byte).
    bool contains(const core::IpAddress& a) const noexcept {
        if (a.is_v4() != is_v4() || !a.is_set()) return false;
        if (prefix <= 0) return true;
        const std::uint8_t* x = a.bytes().data();
        const std::uint8_t* n = network.bytes().data();
        if (is_v4()) return ((core::load_be32(x) ^ core::load_be32(n)) >> (32 - prefix)) == 0;
        const std::uint64_t hi = core::load_be64(x) ^ core::load_be64(n);
        if (prefix <= 64) return (hi >> (64 - prefix)) == 0;
        return hi == 0 && ((core::load_be64(x + 8) ^ core::load_be64(n + 8)) >> (128 - prefix)) == 0;
    }
    /// Offset of a (which must be contained) from the network address, saturated at 2^64 - 1.
    std::uint64_t offset_of(const core::IpAddress& a) const noexcept;
    std::string to_string() const;
};
Cidr parse_cidr(std::string_view text);

/// Canonical text of an address (dotted quad or RFC 5952 IPv6), independent of core's
/// formatter so that the scenario layer stands on its own.
std::string address_text(const core::IpAddress& a);

}  // namespace flowlab::gen
