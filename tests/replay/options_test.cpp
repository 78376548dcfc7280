/// @brief Parsing of replay's option values: durations, rebase times, targets, source maps.
#include <gtest/gtest.h>

#include "flowlab/core/error.hpp"
#include "flowlab/replay/pacer.hpp"
#include "flowlab/replay/replay.hpp"
#include "flowlab/replay/udp_sender.hpp"

namespace flowlab::replay {
namespace {

TEST(ParseRebaseTime, NowSecondsAndIso) {
    const std::int64_t before = realtime_ns() / 1'000'000'000;
    const std::int64_t now = parse_rebase_time("now");
    EXPECT_GE(now, before);
    EXPECT_LE(now, realtime_ns() / 1'000'000'000);
    EXPECT_EQ(parse_rebase_time("1800000000"), 1'800'000'000);
    EXPECT_EQ(parse_rebase_time("2026-01-01T00:00:00Z"), 1'767'225'600);
    EXPECT_EQ(parse_rebase_time("2026-01-01T00:00:01Z"), 1'767'225'601);
    EXPECT_EQ(parse_rebase_time("2026-01-01T02:00:00+02:00"), 1'767'225'600);
    EXPECT_THROW(parse_rebase_time("2026-01-01T00:00:01"), UsageError);  // no zone
    EXPECT_THROW(parse_rebase_time("yesterday"), UsageError);
    EXPECT_THROW(parse_rebase_time("99999999999"), UsageError);
}

TEST(ResolveTarget, Forms) {
    auto t = resolve_target("127.0.0.1:2055");
    EXPECT_EQ(t.address, core::IpAddress::v4(0x7F000001));
    EXPECT_EQ(t.port, 2055);
    EXPECT_TRUE(t.is_loopback());
    t = resolve_target("[::1]:4739");
    EXPECT_EQ(t.address, *core::IpAddress::parse("::1"));
    EXPECT_EQ(t.port, 4739);
    EXPECT_TRUE(t.is_loopback());
    t = resolve_target("localhost:9995");
    EXPECT_TRUE(t.is_loopback());
    t = resolve_target("192.0.2.10:2055");
    EXPECT_FALSE(t.is_loopback());
}

TEST(ResolveTarget, Errors) {
    EXPECT_THROW(resolve_target("127.0.0.1"), UsageError);
    EXPECT_THROW(resolve_target("127.0.0.1:0"), UsageError);
    EXPECT_THROW(resolve_target("127.0.0.1:70000"), UsageError);
    EXPECT_THROW(resolve_target("127.0.0.1:20x"), UsageError);
    EXPECT_THROW(resolve_target("::1:4739"), UsageError);
    EXPECT_THROW(resolve_target("[::1]4739"), UsageError);
    EXPECT_THROW(resolve_target("no-such-host.invalid:2055"), UsageError);
}

TEST(ExporterSource, AutoAndMap) {
    EXPECT_EQ(parse_exporter_source("auto").mode, ExporterSource::Mode::automatic);
    const auto m = parse_exporter_source("192.0.2.1=127.0.0.5,192.0.2.2=127.0.0.6");
    ASSERT_EQ(m.mode, ExporterSource::Mode::map);
    ASSERT_EQ(m.map.size(), 2u);
    EXPECT_EQ(m.map[0].first, core::IpAddress::v4(0xC0000201));
    EXPECT_EQ(m.map[0].second, core::IpAddress::v4(0x7F000005));
    EXPECT_EQ(m.map[1].second, core::IpAddress::v4(0x7F000006));
    const auto v6 = parse_exporter_source("2001:db8::1=::1");
    EXPECT_TRUE(v6.map[0].first.is_v6());
    EXPECT_THROW(parse_exporter_source("192.0.2.1"), UsageError);
    EXPECT_THROW(parse_exporter_source("192.0.2.1=loopback"), UsageError);
    EXPECT_THROW(parse_exporter_source("192.0.2.1=127.0.0.5,192.0.2.1=127.0.0.6"), UsageError);
    EXPECT_THROW(parse_exporter_source(""), UsageError);
}

}  // namespace
}  // namespace flowlab::replay
