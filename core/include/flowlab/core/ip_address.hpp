/// @brief A compact IPv4-or-IPv6 address value used in every flow record.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "flowlab/core/byte_io.hpp"

namespace flowlab::core {

class IpAddress {
public:
    constexpr IpAddress() noexcept = default;

    /// IPv4 from a host-order integer (192.0.2.1 == 0xC0000201).
    static constexpr IpAddress v4(std::uint32_t host_order) noexcept {
        IpAddress a;
        a.family_ = Family::v4;
        store_be32(a.bytes_.data(), host_order);
        return a;
    }
    /// IPv4 from 4 network-order bytes.
    static IpAddress v4_bytes(const std::uint8_t* p) noexcept {
        IpAddress a;
        a.family_ = Family::v4;
        std::memcpy(a.bytes_.data(), p, 4);
        return a;
    }
    /// IPv6 from 16 network-order bytes.
    static IpAddress v6_bytes(const std::uint8_t* p) noexcept {
        IpAddress a;
        a.family_ = Family::v6;
        std::memcpy(a.bytes_.data(), p, 16);
        return a;
    }
    /// Parses dotted-quad IPv4 or RFC 4291/5952 IPv6 text (what inet_pton accepts); nullopt if neither.
    static std::optional<IpAddress> parse(std::string_view text);

    bool is_set() const noexcept { return family_ != Family::none; }
    bool is_v4() const noexcept { return family_ == Family::v4; }
    bool is_v6() const noexcept { return family_ == Family::v6; }
    /// All-zero address (0.0.0.0 or ::), or unset.
    bool is_unspecified() const noexcept {
        for (std::size_t i = 0; i < size(); ++i)
            if (bytes_[i]) return false;
        return true;
    }
    /// Host-order IPv4 value; 0 for IPv6.
    std::uint32_t v4_value() const noexcept {
        if (!is_v4()) return 0;
        return load_be32(bytes_.data());
    }
    /// Network-order bytes: 4 valid for IPv4, 16 for IPv6.
    const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
    std::size_t size() const noexcept { return is_v6() ? 16 : is_v4() ? 4 : 0; }

    /// Canonical text: dotted quad, or RFC 5952 compressed IPv6; "" when unset.
    std::string to_string() const;
    /// Writes the canonical text to out (at least 46 bytes) and returns its length.
    std::size_t format(char* out) const noexcept;

    friend bool operator==(const IpAddress&, const IpAddress&) = default;
    friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

    std::size_t hash() const noexcept {
        std::uint64_t a = 0, b = 0;
        std::memcpy(&a, bytes_.data(), 8);
        std::memcpy(&b, bytes_.data() + 8, 8);
        std::uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + static_cast<std::uint64_t>(family_)) * 0xC2B2AE3D27D4EB4Full;
        return static_cast<std::size_t>(h ^ (h >> 29));
    }

private:
    enum class Family : std::uint8_t { none = 0, v4 = 4, v6 = 6 };
    Family family_ = Family::none;
    std::array<std::uint8_t, 16> bytes_{};
};

}  // namespace flowlab::core

template <>
struct std::hash<flowlab::core::IpAddress> {
    std::size_t operator()(const flowlab::core::IpAddress& a) const noexcept { return a.hash(); }
};
