/// @brief CIDR blocks and addresses of scenario files (the unit vocabulary itself is tested in
/// tests/core/units_test.cpp).
#include <gtest/gtest.h>

#include "flowlab/gen/units.hpp"

namespace flowlab::gen {
namespace {

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
