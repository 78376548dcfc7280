/// @brief `replay --start-at`: replays started at different moments send their first packet
/// at the same wall-clock time, never before it; a passed, unreadable or far-off time is
/// refused; a stop signal during the wait ends it with nothing sent; `--rebase-time now`
/// means the start time.
///
/// No test depends on how promptly a process wakes (the machine may be loaded): each checks
/// that nothing happens before its time, and that what happens is what was asked.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/replay/replay.hpp"
#include "replay_fixtures.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

using core::kUsPerSecond;

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// A start time `ahead_ms` from now with a fraction of a second that is not zero, so that the
/// fractional forms are exercised and "the same second" is not an accident of rounding.
std::int64_t start_time(std::int64_t ahead_ms) {
    std::int64_t t = now_us() + ahead_ms * 1000;
    if (t % kUsPerSecond == 0) ++t;
    return t;
}

/// "1765053000.250000": Unix seconds with the microseconds.
std::string unix_text(std::int64_t us) {
    std::string frac = std::to_string(us % kUsPerSecond);
    frac.insert(0, 6 - frac.size(), '0');
    return std::to_string(us / kUsPerSecond) + "." + frac;
}

std::vector<CapturedDatagram> small_stream(std::size_t n) {
    return v5_stream(n, {core::IpAddress::v4(0xC0000201), core::IpAddress::v4(0xC0000202)}, 3);
}

// Clock granularity between the sender's and the receiver's readings of CLOCK_REALTIME.
constexpr std::int64_t kEpsilonNs = 1'000'000;

TEST(StartAtParse, FormsAndLimits) {
    constexpr std::int64_t now = 1'765'053'000'000'000;  // 2025-12-06T20:30:00Z
    EXPECT_EQ(replay::parse_start_at("+5s", now), now + 5 * kUsPerSecond);
    EXPECT_EQ(replay::parse_start_at("+500ms", now), now + 500'000);
    EXPECT_EQ(replay::parse_start_at("1765053000.5", now), now + 500'000);
    EXPECT_EQ(replay::parse_start_at("2025-12-06T20:30:00.25Z", now), now + 250'000);
    EXPECT_EQ(replay::parse_start_at("2025-12-06T21:30:00+01:00", now - 1), now);
    EXPECT_EQ(replay::parse_start_at("+24h", now), now + replay::kStartAtMaxAheadUs);
    auto message = [&](const char* text) {
        try {
            replay::parse_start_at(text, now);
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    // Tolerance 0: the current microsecond has already begun.
    EXPECT_TRUE(contains(message("1765053000"), "--start-at 2025-12-06T20:30:00Z: that was 0.000 s ago"))
        << message("1765053000");
    EXPECT_TRUE(contains(message("2025-12-06T20:29:58.5Z"), "1.500 s ago")) << message("2025-12-06T20:29:58.5Z");
    EXPECT_TRUE(contains(message("+24h1us"), "more than the 24 h allowed")) << message("+24h1us");
    EXPECT_TRUE(contains(message("tomorrow"), "--start-at: ")) << message("tomorrow");
    EXPECT_TRUE(contains(message("+5"), "--start-at: ")) << message("+5");  // a duration needs a unit
    EXPECT_TRUE(contains(message("now"), "--start-at now: ")) << message("now");
    EXPECT_TRUE(contains(message("2025-12-06T20:30:00"), "--start-at: ")) << message("2025-12-06T20:30:00");
}

TEST(StartAt, TwoReplaysStartedApartSendTheirFirstPacketNotBeforeTheTime) {
    TempDir dir;
    const auto sent = small_stream(20);
    write_capture(dir / "x.pcap", sent);
    UdpReceiver rx_a;
    UdpReceiver rx_b;
    const std::int64_t t = start_time(2000);
    // The same time in two spellings; --pps 100: packet i is due at t + 10 ms * i.
    RunResult a, b;
    std::thread first([&] {
        a = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx_a.target(), "--pps", "100", "--start-at",
                 unix_text(t), "--stats-json", dir / "a.json"});
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    b = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx_b.target(), "--pps", "100", "--start-at",
             core::format_time(t), "--stats-json", dir / "b.json"});
    first.join();
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_TRUE(contains(a.err, "waiting ")) << a.err;
    EXPECT_TRUE(contains(a.err, "for --start-at " + core::format_time(t))) << a.err;

    for (const auto& [rx, stats] : {std::pair{&rx_a, dir / "a.json"}, std::pair{&rx_b, dir / "b.json"}}) {
        const auto got = rx->wait_for(sent.size());
        ASSERT_EQ(got.size(), sent.size()) << stats;
        for (std::size_t i = 0; i < got.size(); ++i) {
            ASSERT_EQ(got[i].payload, sent[i].payload) << stats << " " << i;
            // The schedule counts from t: no packet before its deadline.
            EXPECT_GE(got[i].ts_ns, t * 1000 + static_cast<std::int64_t>(i) * 10'000'000 - kEpsilonNs)
                << stats << " packet " << i;
        }
        const auto j = nlohmann::json::parse(read_file(stats));
        ASSERT_TRUE(j["start_at"].is_object()) << j.dump();
        EXPECT_EQ(j["start_at"]["requested_us"].get<std::int64_t>(), t);
        EXPECT_EQ(j["start_at"]["requested"], core::format_time(t));
        const auto first_send = j["start_at"]["first_send_us"].get<std::int64_t>();
        EXPECT_GE(first_send, t) << j.dump();
        EXPECT_EQ(j["start_at"]["late_us"].get<std::int64_t>(), first_send - t);
        EXPECT_EQ(j["start_at"]["first_send"], core::format_time(first_send));
    }
}

TEST(StartAt, PassedUnreadableAndFarOffTimesAreRefused) {
    TempDir dir;
    write_capture(dir / "x.pcap", small_stream(5));
    UdpReceiver rx;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"2020-01-01T00:00:00Z", "--start-at 2020-01-01T00:00:00Z: that was "},
        {unix_text(now_us() - 1'500'000), " s ago"},
        {"half past eight", "--start-at"},
        {"+5", "--start-at"},
        {"now", "--start-at now: "},
        {"+25h", "more than the 24 h allowed"},
        // Ahead when the command starts, passed once the capture is loaded: refused, not late.
        {"+1us", "by the time the capture was loaded and the target ready"},
    };
    for (const auto& [text, says] : cases) {
        const auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--start-at", text});
        EXPECT_EQ(r.exit_code, 2) << text << ": " << r.err;
        EXPECT_TRUE(contains(r.err, says)) << text << ": " << r.err;
    }
    EXPECT_TRUE(rx.wait_for(1, std::chrono::milliseconds(300)).empty());
}

TEST(StartAt, SigintWhileWaitingSendsNothing) {
    TempDir dir;
    write_capture(dir / "x.pcap", small_stream(5));
    UdpReceiver rx;
    Process p({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--start-at", "+1h", "--stats-json",
               dir / "s.json"},
              dir / "out.txt", dir / "err.txt");
    ASSERT_TRUE(wait_until([&] { return contains(read_file_if_exists(dir / "err.txt"), "waiting "); },
                           std::chrono::seconds(30)))
        << read_file_if_exists(dir / "err.txt");
    EXPECT_EQ(p.stop(SIGINT, std::chrono::milliseconds(5000)), 130);
    const std::string err = read_file(dir / "err.txt");
    EXPECT_TRUE(contains(err, "interrupted by SIGINT while waiting for --start-at: nothing sent")) << err;
    EXPECT_TRUE(rx.wait_for(1, std::chrono::milliseconds(300)).empty());
    const auto j = nlohmann::json::parse(read_file(dir / "s.json"));
    EXPECT_EQ(j["packets"], 0);
    EXPECT_EQ(j["interrupted"], true);
    EXPECT_TRUE(j["start_at"]["first_send_us"].is_null()) << j.dump();
}

TEST(StartAt, SigtermWhileWaitingOverTcpSendsNothing) {
    TempDir dir;
    write_capture(dir / "x.pcap", packetized_stream(core::Protocol::ipfix, core::TimeStyle::milliseconds, 50, 100));
    TcpReceiver rx;
    Process p({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--transport", "tcp", "--start-at",
               "+1h"},
              dir / "out.txt", dir / "err.txt");
    ASSERT_TRUE(wait_until([&] { return contains(read_file_if_exists(dir / "err.txt"), "waiting "); },
                           std::chrono::seconds(30)))
        << read_file_if_exists(dir / "err.txt");
    // The connection is made before the wait, so that the start does not wait for it.
    const auto conns = rx.wait_ended(1, std::chrono::milliseconds(200));
    EXPECT_EQ(conns.size(), 1u);
    EXPECT_EQ(p.stop(SIGTERM, std::chrono::milliseconds(5000)), 143);
    EXPECT_EQ(rx.bytes(), 0u);
}

TEST(StartAt, RebaseNowMeansTheStartTime) {
    TempDir dir;
    const auto sent = packetized_stream(core::Protocol::ipfix, core::TimeStyle::milliseconds, 100, 50);
    ASSERT_GT(sent.size(), 2u);
    write_capture(dir / "x.pcap", sent);
    UdpReceiver rx;
    // 2.5 s ahead: `now` read when the command starts is a different second from the start's.
    const std::int64_t t = start_time(2500);
    const auto r = run({flowlab_bin(), "replay", dir / "x.pcap", "--to", rx.target(), "--topspeed", "--start-at",
                        core::format_time(t), "--rebase-time", "now", "--stats-json", dir / "s.json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = rx.wait_for(sent.size());
    ASSERT_EQ(got.size(), sent.size());
    EXPECT_GE(got[0].ts_ns, t * 1000 - kEpsilonNs);
    EXPECT_EQ(core::load_be16(got[0].payload.data()), 10);
    EXPECT_EQ(core::load_be32(got[0].payload.data() + 4), static_cast<std::uint32_t>(t / kUsPerSecond));  // exportTime
    const auto j = nlohmann::json::parse(read_file(dir / "s.json"));
    EXPECT_EQ(j["rebase"]["shift_s"].get<std::int64_t>(),
              t / kUsPerSecond - static_cast<std::int64_t>(core::load_be32(sent[0].payload.data() + 4)));
}

}  // namespace
}  // namespace flowlab::test
