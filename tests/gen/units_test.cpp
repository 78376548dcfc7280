/// @brief CIDR blocks and addresses of scenario files (the unit vocabulary itself is tested in
/// tests/core/units_test.cpp).
#include <gtest/gtest.h>

#include "flowlab/gen/units.hpp"

#include <array>
#include <random>

namespace flowlab::gen {
namespace {

// contains() compares whole words; a bit-by-bit reading of the block is the reference, for
// every prefix length of both families, addresses that differ from the network in exactly
// one bit (each position) and random ones, and the other family.
TEST(Cidr, ContainsMatchesBitByBitForEveryPrefix) {
    const auto reference = [](const Cidr& c, const core::IpAddress& a) {
        if (a.is_v4() != c.is_v4() || !a.is_set()) return false;
        for (int bit = 0; bit < c.prefix; ++bit) {
            const auto i = static_cast<std::size_t>(bit / 8);
            const unsigned m = 0x80u >> (bit % 8);
            if ((a.bytes()[i] & m) != (c.network.bytes()[i] & m)) return false;
        }
        return true;
    };
    std::mt19937_64 rng(1414);  // fixed seed
    int checked = 0, inside = 0;
    for (const bool v6 : {false, true}) {
        const int bits = v6 ? 128 : 32;
        for (int prefix = 0; prefix <= bits; ++prefix) {
            std::array<std::uint8_t, 16> net{};
            for (auto& b : net) b = static_cast<std::uint8_t>(rng());
            for (int bit = prefix; bit < bits; ++bit) net[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
            Cidr c;
            c.network = v6 ? core::IpAddress::v6_bytes(net.data()) : core::IpAddress::v4_bytes(net.data());
            c.prefix = prefix;
            std::vector<core::IpAddress> probes = {c.network, v6 ? parse_address("10.0.0.1") : parse_address("2001:db8::1"),
                                                   core::IpAddress{}};
            for (int flip = 0; flip < bits; ++flip) {
                std::array<std::uint8_t, 16> a = net;
                a[static_cast<std::size_t>(flip / 8)] ^= static_cast<std::uint8_t>(0x80u >> (flip % 8));
                probes.push_back(v6 ? core::IpAddress::v6_bytes(a.data()) : core::IpAddress::v4_bytes(a.data()));
            }
            for (int k = 0; k < 8; ++k) {
                std::array<std::uint8_t, 16> a{};
                for (auto& b : a) b = static_cast<std::uint8_t>(rng());
                probes.push_back(v6 ? core::IpAddress::v6_bytes(a.data()) : core::IpAddress::v4_bytes(a.data()));
            }
            for (const auto& a : probes) {
                const bool want = reference(c, a);
                EXPECT_EQ(c.contains(a), want) << a.to_string() << " in " << c.network.to_string() << "/" << prefix;
                ++checked;
                inside += want;
            }
        }
    }
    // Both answers occur often (each prefix has its network inside and most flips outside).
    EXPECT_GT(inside, 300);
    EXPECT_GT(checked - inside, 10000);
}

TEST(Cidr, ParseCapacityAndAddresses) {
    const Cidr c = parse_cidr("10.1.0.0/24");
    EXPECT_EQ(c.prefix, 24);
    EXPECT_EQ(c.size(), 256u);
    EXPECT_EQ(c.first_host_offset(), 1u);
    EXPECT_EQ(c.host_capacity(), 254u);
    EXPECT_EQ(address_text(c.at(1)), "10.1.0.1");
    EXPECT_EQ(address_text(c.at(255)), "10.1.0.255");
    EXPECT_TRUE(c.contains(parse_address("10.1.0.77")));
    EXPECT_FALSE(c.contains(parse_address("10.1.1.0")));
    EXPECT_FALSE(c.contains(parse_address("2001:db8::1")));
    EXPECT_EQ(c.offset_of(parse_address("10.1.0.77")), 77u);

    EXPECT_EQ(parse_cidr("192.0.2.0/31").host_capacity(), 2u);
    EXPECT_EQ(parse_cidr("192.0.2.0/31").first_host_offset(), 0u);
    EXPECT_EQ(parse_cidr("192.0.2.7/32").host_capacity(), 1u);

    const Cidr v6 = parse_cidr("2001:db8:20:1::/64");
    EXPECT_EQ(v6.size(), ~std::uint64_t{0});
    EXPECT_EQ(address_text(v6.at(0x10)), "2001:db8:20:1::10");
    EXPECT_EQ(address_text(v6.at(~std::uint64_t{0})), "2001:db8:20:1:ffff:ffff:ffff:ffff");
    const Cidr v6b = parse_cidr("2001:db8::/127");
    EXPECT_EQ(v6b.size(), 2u);
    EXPECT_EQ(v6b.host_capacity(), 1u);
    EXPECT_TRUE(parse_cidr("2001:db8::/32").contains(parse_address("2001:db8:ffff::1")));
    EXPECT_EQ(parse_cidr("2001:db8::/48").offset_of(parse_address("2001:db8::1:2")), 0x10002u);
    EXPECT_EQ(address_text(parse_cidr("2001:db8::/48").at(0x10001)), "2001:db8::1:1");
    EXPECT_EQ(address_text(parse_cidr("::/0").at(5)), "::5");

    for (const char* bad : {"10.1.0.0", "10.1.0.0/33", "10.1.0.5/24", "2001:db8::1/64", "10.1.0/24", "x/8", "10.1.0.0/"}) {
        EXPECT_THROW(parse_cidr(bad), UnitError) << bad;
    }
    try {
        parse_cidr("10.1.0.5/24");
    } catch (const UnitError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean \"10.1.0.0/24\""), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace flowlab::gen
