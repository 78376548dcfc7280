/// @brief IpAddress: parsing, RFC 5952 text, and equality with glibc's inet_ntop.
#include "flowlab/core/ip_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace flowlab::core {
namespace {

std::string canonical(std::string_view text) {
    const auto a = IpAddress::parse(text);
    EXPECT_TRUE(a.has_value()) << text;
    return a ? a->to_string() : std::string();
}

TEST(IpAddress, ParsesAndFormatsIpv4) {
    const auto a = IpAddress::parse("192.0.2.1");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_v4());
    EXPECT_EQ(a->v4_value(), 0xC0000201u);
    EXPECT_EQ(a->size(), 4u);
    EXPECT_EQ(*a, IpAddress::v4(0xC0000201));
    EXPECT_EQ(a->to_string(), "192.0.2.1");
    EXPECT_EQ(IpAddress::v4(0).to_string(), "0.0.0.0");
    EXPECT_EQ(IpAddress::v4(0xFFFFFFFF).to_string(), "255.255.255.255");
    EXPECT_EQ(IpAddress::v4(0x0A000A64).to_string(), "10.0.10.100");
}

TEST(IpAddress, Ipv6CanonicalTextFollowsRfc5952) {
    EXPECT_EQ(canonical("2001:db8::1"), "2001:db8::1");
    EXPECT_EQ(canonical("2001:0DB8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
    // A single zero group is not compressed (RFC 5952 4.2.2).
    EXPECT_EQ(canonical("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
    EXPECT_EQ(canonical("::"), "::");
    EXPECT_EQ(canonical("::1"), "::1");
    EXPECT_EQ(canonical("1::"), "1::");
    // The longest run is compressed; of equal runs, the first (RFC 5952 4.2.3).
    EXPECT_EQ(canonical("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
    EXPECT_EQ(canonical("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
    EXPECT_EQ(canonical("fe80:0:0:0:0:0:0:0"), "fe80::");
    // IPv4-mapped addresses end in a dotted quad (RFC 5952 5), as glibc prints them.
    EXPECT_EQ(canonical("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
    EXPECT_EQ(canonical("::ffff:c000:0201"), "::ffff:192.0.2.1");
    const auto mapped = IpAddress::parse("::ffff:192.0.2.1");
    ASSERT_TRUE(mapped);
    EXPECT_TRUE(mapped->is_v6());
    EXPECT_NE(*mapped, IpAddress::v4(0xC0000201));  // a different address family
}

TEST(IpAddress, RejectsWhatIsNotAnAddress) {
    for (const char* bad : {"", "192.0.2", "192.0.2.256", "192.0.2.1.5", "1.2.3.4 ", " 1.2.3.4", "abc", "2001:db8:::1",
                            "2001:db8::1::2", "12345::", "::g", "192.0.2.1/24", "1:2:3:4:5:6:7:8:9"}) {
        EXPECT_FALSE(IpAddress::parse(bad)) << "'" << bad << "'";
    }
    EXPECT_FALSE(IpAddress::parse(std::string(100, '1')));
}

// The hand-written dotted-quad parser accepts exactly what glibc's inet_pton accepts.
TEST(IpAddress, ParseMatchesInetPton) {
    const std::uint32_t seed = 5150;
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const std::string alphabet = "0123456789.0123456789.:abcdefF -+x";
    const char* const bases[] = {"192.0.2.1", "0.0.0.0", "255.255.255.255", "10.0.0.10", "2001:db8::1", "::ffff:1.2.3.4", "::"};
    for (int n = 0; n < 300000; ++n) {
        std::string text;
        if (n % 2) {
            // A valid address with one or two random edits.
            text = bases[rng() % std::size(bases)];
            for (int e = 1 + static_cast<int>(rng() % 2); e > 0; --e) {
                const std::size_t at = rng() % (text.size() + 1);
                const char c = alphabet[rng() % alphabet.size()];
                switch (rng() % 3) {
                case 0: text.insert(at, 1, c); break;
                case 1: if (at < text.size()) text.erase(at, 1); break;
                default: if (at < text.size()) text[at] = c; break;
                }
            }
        } else {
            const std::size_t len = rng() % 18;
            for (std::size_t i = 0; i < len; ++i) text += alphabet[rng() % 12];
        }
        std::uint8_t want[16];
        const bool is6 = text.find(':') != std::string::npos;
        const bool ok = inet_pton(is6 ? AF_INET6 : AF_INET, text.c_str(), want) == 1;
        const auto got = IpAddress::parse(text);
        ASSERT_EQ(got.has_value(), ok) << "'" << text << "'";
        if (ok) {
            ASSERT_EQ(*got, is6 ? IpAddress::v6_bytes(want) : IpAddress::v4_bytes(want)) << "'" << text << "'";
        }
    }
    EXPECT_FALSE(IpAddress::parse(std::string_view("::1\0:2", 6)));
    EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0", 8)));
}

TEST(IpAddress, UnsetAddressIsEmptyText) {
    IpAddress a;
    EXPECT_FALSE(a.is_set());
    EXPECT_EQ(a.to_string(), "");
    EXPECT_EQ(a.size(), 0u);
}

// The hand-written formatter must agree with glibc's inet_ntop on every address; zero-heavy
// random addresses exercise every compression case, mapped and compatible forms included.
TEST(IpAddress, FormatMatchesInetNtop) {
    const std::uint32_t seed = 20240611;
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> pick(0, 9);
    for (int n = 0; n < 200000; ++n) {
        std::uint8_t b[16];
        for (int g = 0; g < 8; ++g) {
            std::uint16_t w = 0;
            switch (pick(rng)) {
            case 0: case 1: case 2: case 3: case 4: w = 0; break;
            case 5: w = 0xFFFF; break;
            case 6: w = static_cast<std::uint16_t>(rng() & 0xF); break;
            default: w = static_cast<std::uint16_t>(rng()); break;
            }
            b[2 * g] = static_cast<std::uint8_t>(w >> 8);
            b[2 * g + 1] = static_cast<std::uint8_t>(w);
        }
        char expected[INET6_ADDRSTRLEN];
        ASSERT_NE(inet_ntop(AF_INET6, b, expected, sizeof expected), nullptr);
        const auto a = IpAddress::v6_bytes(b);
        ASSERT_EQ(a.to_string(), expected);
        const auto back = IpAddress::parse(expected);
        ASSERT_TRUE(back);
        ASSERT_EQ(*back, a);

        char expected4[INET_ADDRSTRLEN];
        ASSERT_NE(inet_ntop(AF_INET, b, expected4, sizeof expected4), nullptr);
        ASSERT_EQ(IpAddress::v4_bytes(b).to_string(), expected4);
    }
}

// The octet table and the digit-count hex writer: every octet value in every position, hex
// groups of each width, and the canonical text untouched by the byte format() may write past it.
TEST(IpAddress, FormatsEveryOctetAndGroupWidth) {
    for (unsigned v = 0; v < 256; ++v) {
        for (int pos = 0; pos < 4; ++pos) {
            std::uint8_t b[4] = {1, 22, 133, 4};
            b[pos] = static_cast<std::uint8_t>(v);
            char expected[INET_ADDRSTRLEN];
            ASSERT_NE(inet_ntop(AF_INET, b, expected, sizeof expected), nullptr);
            ASSERT_EQ(IpAddress::v4_bytes(b).to_string(), expected);
        }
    }
    EXPECT_EQ(canonical("1:12:123:1234:abcd:f:ff:fff"), "1:12:123:1234:abcd:f:ff:fff");
    EXPECT_EQ(canonical("::1.2.3.4"), "::1.2.3.4");  // IPv4-compatible, as glibc prints it
    EXPECT_EQ(canonical("::ffff:0.0.0.0"), "::ffff:0.0.0.0");
    EXPECT_EQ(canonical("0:0:1::"), "0:0:1::");
    char buf[46];
    std::memset(buf, 'x', sizeof buf);
    const std::size_t n = IpAddress::v4(0xFFFFFFFF).format(buf);
    EXPECT_EQ(std::string(buf, n), "255.255.255.255");
}

TEST(IpAddress, OrderingAndHashDistinguishFamilies) {
    const auto v4 = IpAddress::v4(1);
    std::uint8_t b[16] = {};
    b[3] = 1;
    const auto v6 = IpAddress::v6_bytes(b);
    EXPECT_NE(v4, v6);
    EXPECT_NE(std::hash<IpAddress>{}(v4), std::hash<IpAddress>{}(v6));
}

}  // namespace
}  // namespace flowlab::core
