/// @brief Unit parsers: every accepted form, the rejected ones, and the calendar arithmetic.
#include <gtest/gtest.h>

#include "flowlab/gen/units.hpp"

namespace flowlab::gen {
namespace {

TEST(Duration, AcceptsEveryUnitAndCompounds) {
    EXPECT_EQ(parse_duration("10us"), 10);
    EXPECT_EQ(parse_duration("250ms"), 250'000);
    EXPECT_EQ(parse_duration("90s"), 90 * kUsPerSecond);
    EXPECT_EQ(parse_duration("15m"), 15 * kUsPerMinute);
    EXPECT_EQ(parse_duration("15min"), 15 * kUsPerMinute);
    EXPECT_EQ(parse_duration("36h"), 36 * kUsPerHour);
    EXPECT_EQ(parse_duration("14d"), 14 * kUsPerDay);
    EXPECT_EQ(parse_duration("2w"), 14 * kUsPerDay);
    EXPECT_EQ(parse_duration("1.5h"), 90 * kUsPerMinute);
    EXPECT_EQ(parse_duration("1h30m"), 90 * kUsPerMinute);
    EXPECT_EQ(parse_duration(" 0s "), 0);
}

TEST(Duration, RejectsWhatIsNotADuration) {
    for (const char* bad : {"", "15", "15x", "-5s", "s", "1.s", ".5s", "5 s", "1h30", "1e3s", "15mm"}) {
        EXPECT_THROW(parse_duration(bad), UnitError) << bad;
    }
    try {
        parse_duration("15x");
        FAIL();
    } catch (const UnitError& e) {
        EXPECT_NE(std::string(e.what()).find("\"15x\""), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("unknown unit \"x\""), std::string::npos) << e.what();
    }
}

TEST(Rate, BitsAndBytes) {
    EXPECT_DOUBLE_EQ(parse_rate("10Mbps"), 10e6);
    EXPECT_DOUBLE_EQ(parse_rate("400Mbps"), 400e6);
    EXPECT_DOUBLE_EQ(parse_rate("1.5Gbps"), 1.5e9);
    EXPECT_DOUBLE_EQ(parse_rate("64kbps"), 64e3);
    EXPECT_DOUBLE_EQ(parse_rate("100bps"), 100);
    EXPECT_DOUBLE_EQ(parse_rate("10MB/s"), 80e6);
    EXPECT_DOUBLE_EQ(parse_rate("1MiB/s"), 8.0 * 1048576);
    for (const char* bad : {"10", "10Mb", "0Mbps", "-1Mbps", "10 Mbit/s", "Mbps"}) EXPECT_THROW(parse_rate(bad), UnitError) << bad;
}

TEST(Bytes, DecimalAndBinaryPrefixes) {
    EXPECT_DOUBLE_EQ(parse_bytes("1500"), 1500);
    EXPECT_DOUBLE_EQ(parse_bytes("512B"), 512);
    EXPECT_DOUBLE_EQ(parse_bytes("1.5MB"), 1.5e6);
    EXPECT_DOUBLE_EQ(parse_bytes("40KiB"), 40960);
    EXPECT_DOUBLE_EQ(parse_bytes("2GB"), 2e9);
    EXPECT_DOUBLE_EQ(parse_bytes("1TiB"), 1099511627776.0);
    EXPECT_DOUBLE_EQ(parse_bytes("3 kB"), 3000);
    for (const char* bad : {"-1KB", "1Kb", "1 KBytes", "MB", ""}) EXPECT_THROW(parse_bytes(bad), UnitError) << bad;
}

TEST(PerTime, UnitsAndPeriods) {
    EXPECT_DOUBLE_EQ(parse_per_time("30/s"), 30);
    EXPECT_DOUBLE_EQ(parse_per_time("200/min"), 200.0 / 60);
    EXPECT_DOUBLE_EQ(parse_per_time("5/h"), 5.0 / 3600);
    EXPECT_DOUBLE_EQ(parse_per_time("2/d"), 2.0 / 86400);
    EXPECT_DOUBLE_EQ(parse_per_time("1/w"), 1.0 / 604800);
    EXPECT_DOUBLE_EQ(parse_per_time("1/10s"), 0.1);
    EXPECT_DOUBLE_EQ(parse_per_time("3/2h"), 3.0 / 7200);
    EXPECT_DOUBLE_EQ(parse_per_time("0.5/s"), 0.5);
    EXPECT_DOUBLE_EQ(parse_per_time("0/s"), 0);
    for (const char* bad : {"30", "30/", "-1/s", "1/0s", "1/x", "s/1"}) EXPECT_THROW(parse_per_time(bad), UnitError) << bad;
}

TEST(Probability, PercentOrFraction) {
    EXPECT_DOUBLE_EQ(parse_probability("30%"), 0.3);
    EXPECT_DOUBLE_EQ(parse_probability("0.25"), 0.25);
    EXPECT_DOUBLE_EQ(parse_probability("100%"), 1.0);
    EXPECT_DOUBLE_EQ(parse_probability("0%"), 0.0);
    for (const char* bad : {"101%", "1.5", "-1%", "30 percent", "%"}) EXPECT_THROW(parse_probability(bad), UnitError) << bad;
}

TEST(Time, Iso8601WithZones) {
    // 2024-03-04T00:00:00Z = 1709510400 s.
    EXPECT_EQ(parse_time("2024-03-04T00:00:00Z"), 1709510400LL * kUsPerSecond);
    EXPECT_EQ(parse_time("2024-03-04"), 1709510400LL * kUsPerSecond);
    EXPECT_EQ(parse_time("2024-03-04T09:00:00+09:00"), 1709510400LL * kUsPerSecond);
    EXPECT_EQ(parse_time("2024-03-03T19:00:00-05:00"), 1709510400LL * kUsPerSecond);
    EXPECT_EQ(parse_time("2024-03-04T05:30:00+0530"), 1709510400LL * kUsPerSecond);
    EXPECT_EQ(parse_time("2024-03-04T00:00Z"), 1709510400LL * kUsPerSecond);
    EXPECT_EQ(parse_time("2024-03-04 00:00:00.250Z"), 1709510400LL * kUsPerSecond + 250000);
    EXPECT_EQ(parse_time("2024-03-04T00:00:00.000001Z"), 1709510400LL * kUsPerSecond + 1);
    EXPECT_EQ(parse_time("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_time("2024-02-29T12:00:00Z"), (1709510400LL - 4 * 86400 + 12 * 3600) * kUsPerSecond);
    for (const char* bad : {"2024-03-04T00:00:00", "2023-02-29", "2024-13-01", "2024-03-04T24:00:00Z", "2024-3-4",
                            "2024-03-04T00:00:00+15:00", "yesterday", "2024-03-04Z"}) {
        EXPECT_THROW(parse_time(bad), UnitError) << bad;
    }
}

TEST(Time, FormatRoundTrips) {
    for (const char* t : {"2024-03-04T00:00:00Z", "1999-12-31T23:59:59Z", "2024-02-29T12:34:56.000789Z"})
        EXPECT_EQ(format_time(parse_time(t)), t);
    EXPECT_EQ(format_duration(90 * kUsPerSecond), "90s");
    EXPECT_EQ(format_duration(14 * kUsPerDay), "2w");
    EXPECT_EQ(format_duration(1500), "1500us");
    EXPECT_EQ(format_duration(3 * kUsPerHour), "3h");
}

TEST(Time, OffsetsAndTimesOfDay) {
    EXPECT_EQ(parse_utc_offset("+09:00"), 9 * 3600);
    EXPECT_EQ(parse_utc_offset("-05:30"), -(5 * 3600 + 1800));
    EXPECT_EQ(parse_utc_offset("Z"), 0);
    EXPECT_EQ(parse_utc_offset("+0100"), 3600);
    EXPECT_THROW(parse_utc_offset("+15:00"), UnitError);
    EXPECT_THROW(parse_utc_offset("09:00"), UnitError);
    EXPECT_EQ(parse_time_of_day("00:00"), 0);
    EXPECT_EQ(parse_time_of_day("12:30"), 12 * kUsPerHour + 30 * kUsPerMinute);
    EXPECT_EQ(parse_time_of_day("23:59:59"), kUsPerDay - kUsPerSecond);
    EXPECT_EQ(parse_time_of_day("24:00"), kUsPerDay);
    for (const char* bad : {"24:01", "25:00", "9:00", "12:60", "12", "12:30:60"}) EXPECT_THROW(parse_time_of_day(bad), UnitError) << bad;
}

TEST(Calendar, CivilConversionsAgreeEverywhere) {
    // Every day from 1900 to 2100 round-trips and weekdays advance by one.
    const std::int64_t first = days_from_civil(1900, 1, 1);
    const std::int64_t last = days_from_civil(2100, 12, 31);
    int wd = weekday_from_days(first);
    EXPECT_EQ(wd, 0);  // 1900-01-01 was a Monday
    for (std::int64_t d = first; d <= last; ++d) {
        const CivilDate c = civil_from_days(d);
        ASSERT_EQ(days_from_civil(c.year, c.month, c.day), d);
        ASSERT_EQ(weekday_from_days(d), wd);
        wd = (wd + 1) % 7;
    }
    EXPECT_EQ(weekday_from_days(days_from_civil(2024, 3, 4)), 0);  // a Monday
    EXPECT_EQ(floor_div(-1, 7), -1);
    EXPECT_EQ(floor_div(-7, 7), -1);
    EXPECT_EQ(floor_div(6, 7), 0);
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
