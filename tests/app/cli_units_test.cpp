/// @brief Every command takes durations, times, packet rates and counts the same way: each value
/// below is accepted by every option of its kind, or refused by all of them with the same message.
/// Before one parser served them all, gen took "1h30m" and replay refused it, `replay --pps 50k`
/// was refused while `check --rates 50k` was taken, and "5" meant milliseconds in verify but
/// seconds in replay.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace flowlab {
namespace {

struct Option {
    std::vector<std::string> command;  ///< subcommand and its required arguments (pointing at nothing)
    std::string option;
};

/// Every option of a kind, with just enough arguments to reach option parsing. The inputs do
/// not exist, so a run that gets past parsing stops at once with "no such file" (exit 2).
const std::vector<Option> kDurations{
    {{"gen", "/nonexistent/s.json", "-o", "/nonexistent/out"}, "--duration"},
    {{"replay", "/nonexistent/x.pcap", "--to", "127.0.0.1:9"}, "--duration"},
    {{"verify", "--truth", "/nonexistent", "--collected", "/nonexistent"}, "--time-slack"},
    {{"verify", "--truth", "/nonexistent", "--collected", "/nonexistent", "--level", "totals"}, "--bin"},
    {{"check", "/nonexistent/s.json", "--collector", "/nonexistent/p.json"}, "--duration"},
    {{"scenarios", "answer", "x", "--from", "/nonexistent"}, "--tolerance"},
};
const std::vector<Option> kTimes{
    {{"gen", "/nonexistent/s.json", "-o", "/nonexistent/out"}, "--start"},
    {{"replay", "/nonexistent/x.pcap", "--to", "127.0.0.1:9"}, "--rebase-time"},
    {{"check", "/nonexistent/s.json", "--collector", "/nonexistent/p.json"}, "--start"},
    {{"scenarios", "answer", "x", "--from", "/nonexistent"}, "--start"},
};
const std::vector<Option> kPacketRates{
    {{"replay", "/nonexistent/x.pcap", "--to", "127.0.0.1:9"}, "--pps"},
    {{"check", "/nonexistent/s.json", "--collector", "/nonexistent/p.json"}, "--pps"},
    {{"check", "/nonexistent/s.json", "--collector", "/nonexistent/p.json"}, "--rates"},
};
const std::vector<Option> kCounts{
    {{"gen", "/nonexistent/s.json", "-o", "/nonexistent/out", "--packets"}, "--max-packets"},
    {{"replay", "/nonexistent/x.pcap", "--to", "127.0.0.1:9"}, "--loop"},
    {{"verify", "--truth", "/nonexistent", "--collected", "/nonexistent"}, "--examples"},
    {{"check", "/nonexistent/s.json", "--collector", "/nonexistent/p.json"}, "--examples"},
};

struct Outcome {
    bool accepted;
    std::string message;  ///< the refusal after "--option: " (empty when accepted)
};

Outcome run_with(const Option& o, const std::string& value) {
    std::vector<std::string> argv{test::flowlab_bin()};
    argv.insert(argv.end(), o.command.begin(), o.command.end());
    argv.push_back(o.option);
    argv.push_back(value);
    const auto r = test::run(argv, {}, std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 2) << "every run here ends on a missing input or a refused value\n" << r.err;
    const std::string prefix = o.option + ": ";
    const auto at = r.err.find(prefix);
    if (at == std::string::npos) return {true, {}};
    const auto end = r.err.find('\n', at);
    return {false, r.err.substr(at + prefix.size(), end - at - prefix.size())};
}

void expect_agreement(const std::vector<Option>& options, const std::vector<std::string>& good,
                      const std::vector<std::string>& bad) {
    for (const auto& v : good) {
        for (const auto& o : options) {
            const Outcome out = run_with(o, v);
            EXPECT_TRUE(out.accepted) << o.command[0] << " " << o.option << " refused \"" << v << "\": " << out.message;
        }
    }
    for (const auto& v : bad) {
        std::string first;
        for (const auto& o : options) {
            const Outcome out = run_with(o, v);
            EXPECT_FALSE(out.accepted) << o.command[0] << " " << o.option << " accepted \"" << v << "\"";
            if (first.empty()) first = out.message;
            EXPECT_EQ(out.message, first) << o.command[0] << " " << o.option << " refuses \"" << v
                                          << "\" differently";
        }
    }
}

TEST(OneVocabulary, DurationsAgreeAndABareNumberIsRefusedEverywhere) {
    expect_agreement(kDurations, {"2w", "1h30m", "500ms", "90s", "1.5h", "250us"}, {"90", "5", "1h30", "15x", "-5s"});
    const Outcome bare = run_with(kDurations[1], "30");
    EXPECT_NE(bare.message.find("a bare number is refused"), std::string::npos) << bare.message;
}

TEST(OneVocabulary, TimesAgree) {
    expect_agreement(kTimes, {"2024-03-04T09:30:00Z", "2024-03-04T09:30:00+09:00", "2024-03-04", "now", "1709544600"},
                     {"2024-03-04T09:30:00", "yesterday", "2024-13-01"});
}

TEST(OneVocabulary, PacketRatesAgree) {
    expect_agreement(kPacketRates, {"50k", "50kpps", "5000", "1.5M", "200/s"}, {"5m", "0", "fast", "50kbps"});
}

TEST(OneVocabulary, CountsAgree) {
    expect_agreement(kCounts, {"10k", "500", "2M"}, {"10m", "ten", "-1"});
}

TEST(OneVocabulary, RefusalsEscapeWhatTheyQuote) {
    const Outcome o = run_with(kDurations[0], "1\x1b[2J\x07");
    ASSERT_FALSE(o.accepted);
    EXPECT_EQ(o.message.find('\x1b'), std::string::npos) << o.message;
    EXPECT_NE(o.message.find("\\x1b[2J\\x07"), std::string::npos) << o.message;
}

}  // namespace
}  // namespace flowlab
