/// @brief The one unit vocabulary: every accepted form, the rejected ones (a bare number is never a
/// duration), the calendar arithmetic, and the escaped excerpts every message quotes input with.
#include <gtest/gtest.h>

#include <string>

#include "flowlab/core/calendar.hpp"
#include "flowlab/core/excerpt.hpp"
#include "flowlab/core/units.hpp"

namespace flowlab::core {
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
    for (const char* bad : {"", "15", "90", "15x", "-5s", "s", "1.s", ".5s", "5 s", "1h30", "1e3s", "15mm"}) {
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

TEST(Bitrate, BitsAndBytes) {
    EXPECT_DOUBLE_EQ(parse_bitrate("10Mbps"), 10e6);
    EXPECT_DOUBLE_EQ(parse_bitrate("400Mbps"), 400e6);
    EXPECT_DOUBLE_EQ(parse_bitrate("1.5Gbps"), 1.5e9);
    EXPECT_DOUBLE_EQ(parse_bitrate("64kbps"), 64e3);
    EXPECT_DOUBLE_EQ(parse_bitrate("100bps"), 100);
    EXPECT_DOUBLE_EQ(parse_bitrate("10MB/s"), 80e6);
    EXPECT_DOUBLE_EQ(parse_bitrate("1MiB/s"), 8.0 * 1048576);
    for (const char* bad : {"10", "10Mb", "0Mbps", "-1Mbps", "10 Mbit/s", "Mbps"}) EXPECT_THROW(parse_bitrate(bad), UnitError) << bad;
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

TEST(Duration, NanosecondsForPacing) {
    EXPECT_EQ(parse_duration_ns("500ns"), 500);
    EXPECT_EQ(parse_duration_ns("1.5ms"), 1'500'000);
    EXPECT_EQ(parse_duration_ns("1h30m"), 5'400'000'000'000);
    EXPECT_EQ(parse_duration_ns("2w"), 14 * 86'400'000'000'000);
    EXPECT_THROW(parse_duration_ns("300y"), UnitError);
    EXPECT_THROW(parse_duration_ns("293w0d1000000000h"), UnitError);  // beyond 64-bit nanoseconds
    EXPECT_THROW(parse_duration_ns("90"), UnitError);
}

TEST(Duration, BareNumberIsRefusedWithAHint) {
    try {
        parse_duration("90");
        FAIL();
    } catch (const UnitError& e) {
        EXPECT_NE(std::string(e.what()).find("a bare number is refused"), std::string::npos) << e.what();
    }
}

TEST(Count, SiMultipliers) {
    EXPECT_DOUBLE_EQ(parse_count("500"), 500);
    EXPECT_DOUBLE_EQ(parse_count("10k"), 10e3);
    EXPECT_DOUBLE_EQ(parse_count("10K"), 10e3);
    EXPECT_DOUBLE_EQ(parse_count("1.5M"), 1.5e6);
    EXPECT_DOUBLE_EQ(parse_count("2G"), 2e9);
    EXPECT_DOUBLE_EQ(parse_count("1T"), 1e12);
    for (const char* bad : {"", "k", "10m", "10kk", "-5", "1e3", "10 apples", "0x10"})
        EXPECT_THROW(parse_count(bad), UnitError) << bad;
    EXPECT_EQ(parse_whole_count("10k"), 10000u);
    EXPECT_THROW(parse_whole_count("1.5"), UnitError);
    EXPECT_THROW(parse_whole_count("2k", 1000), UnitError);
}

TEST(PacketRate, CountsWithPpsOrPerSecond) {
    EXPECT_DOUBLE_EQ(parse_packet_rate("50k"), 50e3);
    EXPECT_DOUBLE_EQ(parse_packet_rate("50kpps"), 50e3);
    EXPECT_DOUBLE_EQ(parse_packet_rate("1.5Mpps"), 1.5e6);
    EXPECT_DOUBLE_EQ(parse_packet_rate("200/s"), 200);
    EXPECT_DOUBLE_EQ(parse_packet_rate("5000"), 5000);
    for (const char* bad : {"0", "0pps", "5m", "50kbps", "pps", "50 k"}) EXPECT_THROW(parse_packet_rate(bad), UnitError) << bad;
}

TEST(Fraction, PercentOrNumberWithoutUpperBound) {
    EXPECT_DOUBLE_EQ(parse_fraction("1%"), 0.01);
    EXPECT_DOUBLE_EQ(parse_fraction("0.5%"), 0.005);
    EXPECT_DOUBLE_EQ(parse_fraction("0.01"), 0.01);
    EXPECT_DOUBLE_EQ(parse_fraction("150%"), 1.5);
    EXPECT_THROW(parse_fraction("-1%"), UnitError);
    EXPECT_THROW(parse_fraction("1 percent"), UnitError);
}

TEST(Time, CommandLineFormsNowAndUnixSeconds) {
    EXPECT_EQ(parse_time_arg("1709510400"), 1709510400LL * kUsPerSecond);
    EXPECT_EQ(parse_time_arg("2024-03-04T00:00:00Z"), 1709510400LL * kUsPerSecond);
    const std::int64_t now = parse_time_arg("now");
    EXPECT_GT(now, parse_time("2024-01-01"));
    EXPECT_EQ(now % kUsPerSecond, 0);
    EXPECT_THROW(parse_time_arg("2024-03-04T00:00:00"), UnitError);  // no zone
    EXPECT_THROW(parse_time_arg("yesterday"), UnitError);
    EXPECT_EQ(parse_time_arg("1709510400.5"), 1709510400LL * kUsPerSecond + 500'000);
    EXPECT_EQ(parse_time_arg("1709510400.000001"), 1709510400LL * kUsPerSecond + 1);
    EXPECT_THROW(parse_time_arg("1709510400."), UnitError);
    EXPECT_THROW(parse_time_arg("1709510400.0000001"), UnitError);  // finer than µs
    EXPECT_THROW(parse_time_arg("1709510400.5.5"), UnitError);
    EXPECT_THROW(parse_time("now"), UnitError);  // scenario files stay reproducible
}

TEST(Bytes, CountMultipliersAndFormatting) {
    EXPECT_DOUBLE_EQ(parse_bytes("2G"), 2e9);
    EXPECT_DOUBLE_EQ(parse_bytes("512MiB"), 512.0 * 1048576);
    EXPECT_EQ(format_bytes(812), "812 B");
    EXPECT_EQ(format_bytes(1.5 * 1048576), "1.50 MiB");
    EXPECT_EQ(format_bytes(12.3 * 1073741824.0), "12.3 GiB");
}

TEST(Excerpt, EscapesControlBytesAndKeepsUtf8) {
    EXPECT_EQ(excerpt("plain text"), "plain text");
    EXPECT_EQ(excerpt("a\"b\\c"), "a\\\"b\\\\c");
    EXPECT_EQ(excerpt("line\nnext\ttab\r"), "line\\nnext\\ttab\\r");
    EXPECT_EQ(excerpt(std::string("\x1b[31mred\x00\x7f", 10)), "\\x1b[31mred\\x00\\x7f");
    EXPECT_EQ(excerpt("Z\xc3\xbcrich"), "Z\xc3\xbcrich");                 // well-formed UTF-8 stays
    EXPECT_EQ(excerpt("\xc3\x28"), "\\xc3(");                             // malformed: bytes escaped
    EXPECT_EQ(excerpt("\xe2\x80\xae" "evil"), "\\u{202e}evil");           // bidi override made visible
    EXPECT_EQ(excerpt("\xed\xa0\x80"), "\\xed\\xa0\\x80");             // a surrogate is not UTF-8
    EXPECT_EQ(excerpt("\xc0\xaf"), "\\xc0\\xaf");                        // overlong
}

TEST(Excerpt, LengthIsLimitedAndSaysSo) {
    const std::string big(10000, 'x');
    const std::string e = excerpt(big, 20);
    EXPECT_EQ(e, std::string(20, 'x') + "...");
    EXPECT_EQ(quote(big, 20), "\"" + std::string(20, 'x') + "...\" (10000 bytes)");
    EXPECT_EQ(quote("short"), "\"short\"");
    // Cut at a character boundary: never half an escape or half a UTF-8 sequence.
    const std::string junk(100, '\x01');
    const std::string j = excerpt(junk, 10);
    EXPECT_EQ(j, "\\x01\\x01...");
    std::string accents;
    for (int i = 0; i < 50; ++i) accents += "\xc3\xa9";
    const std::string a = excerpt(accents, 7);
    EXPECT_EQ(a, "\xc3\xa9\xc3\xa9\xc3\xa9...");
}

TEST(Excerpt, MarksAnOffsetInALongLine) {
    const std::string line = std::string(500, 'a') + "X" + std::string(500, 'b');
    const MarkedExcerpt m = excerpt_at(line, 500, 40);
    ASSERT_LT(m.caret, m.text.size());
    EXPECT_EQ(m.text[m.caret], 'X');
    EXPECT_TRUE(m.text.starts_with("..."));
    EXPECT_TRUE(m.text.ends_with("..."));
    EXPECT_LT(m.text.size(), 120u);
    const MarkedExcerpt n = excerpt_at("{\"a\": \x01}", 6);
    EXPECT_EQ(n.text, "{\"a\": \\x01}");
    EXPECT_EQ(n.caret, 6u);
}

}  // namespace
}  // namespace flowlab::core
