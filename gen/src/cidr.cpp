/// @brief CIDR blocks and addresses of scenario files: parsing (host bits must be zero) and
/// the offset arithmetic host pools use.
#include <array>
#include <charconv>
#include <limits>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/excerpt.hpp"
#include "flowlab/gen/units.hpp"

namespace flowlab::gen {

core::IpAddress parse_address(std::string_view text) {
    if (auto a = core::IpAddress::parse(text)) return *a;
    throw UnitError("expected an IPv4 or IPv6 address, e.g. \"192.0.2.1\" or \"2001:db8::1\", got " + core::quote(text));
}

std::string address_text(const core::IpAddress& a) { return a.to_string(); }

Cidr parse_cidr(std::string_view text) {
    const std::string_view s = text;
    const auto slash = s.find('/');
    const std::string expected =
        "expected a CIDR block \"address/prefix\", e.g. \"10.1.0.0/24\" or \"2001:db8:1::/64\", got " + core::quote(text);
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
            throw UnitError("the CIDR block " + core::quote(text) + " has host bits set; did you mean \"" +
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
    // 128-bit add of a 64-bit offset: the low half, then its carry into the high half.
    const std::uint64_t lo = core::load_be64(b.data() + 8) + offset;
    core::store_be64(b.data(), core::load_be64(b.data()) + (lo < offset ? 1 : 0));
    core::store_be64(b.data() + 8, lo);
    return core::IpAddress::v6_bytes(b.data());
}

std::uint64_t Cidr::offset_of(const core::IpAddress& a) const noexcept {
    if (is_v4()) return a.v4_value() - network.v4_value();
    const auto& x = a.bytes();
    const auto& n = network.bytes();
    // Difference of the two 128-bit values, saturated to 64 bits.
    const std::uint64_t hi_x = core::load_be64(x.data()), lo_x = core::load_be64(x.data() + 8);
    const std::uint64_t hi_n = core::load_be64(n.data()), lo_n = core::load_be64(n.data() + 8);
    const std::uint64_t borrow = lo_x < lo_n ? 1 : 0;
    if (hi_x - hi_n - borrow != 0) return std::numeric_limits<std::uint64_t>::max();
    return lo_x - lo_n;
}

std::string Cidr::to_string() const { return address_text(network) + "/" + std::to_string(prefix); }

}  // namespace flowlab::gen
