/// @brief The capacity search (harness::find_capacity) on simulated collectors and senders,
/// and how a run is judged (RateRun::status): SHORT before loss, loss against the threshold,
/// alterations never pass. No collector, no clock: every outcome is decided by the simulation.
#include <gtest/gtest.h>

#include <cmath>

#include "flowlab/harness/capacity.hpp"
#include "flowlab/harness/check.hpp"

namespace flowlab::harness {
namespace {

/// A collector that takes `capacity` messages/s and loses the excess, behind a sender that
/// reaches at most `sender` messages/s; loss above `threshold` fails.
struct Simulated {
    double capacity = 75'000;
    double sender = 1e9;
    double threshold = 0;
    std::vector<double> asked;
    Probe operator()(double pps) {
        asked.push_back(pps);
        Probe p;
        p.achieved_pps = std::min(pps, sender);
        p.loss = p.achieved_pps > capacity ? (p.achieved_pps - capacity) / p.achieved_pps : 0;
        if (p.achieved_pps < pps * (1 - kShortTolerance)) p.outcome = ProbeOutcome::short_rate;
        else if (p.loss > threshold) p.outcome = ProbeOutcome::loss;
        else p.outcome = ProbeOutcome::pass;
        return p;
    }
};

SearchResult search(Simulated& sim, SearchOptions o = {}) {
    return find_capacity(o, [&](double pps) { return sim(pps); });
}

TEST(CapacitySearch, DoublesThenBisectsToTheCollectorsLimitWithinTheResolution) {
    Simulated sim;
    const SearchResult r = search(sim);
    ASSERT_TRUE(r.last_pass && r.first_fail);
    EXPECT_LE(r.last_pass->requested_pps, sim.capacity);
    EXPECT_GT(r.first_fail->requested_pps, sim.capacity);
    ASSERT_TRUE(r.bracket());
    EXPECT_LE(*r.bracket(), 0.05);
    EXPECT_EQ(r.bound, UpperBound::collector_loss);
    // 10k 20k 40k 80k (fail), then bisection between 40k and 80k.
    ASSERT_GE(sim.asked.size(), 5u);
    EXPECT_EQ(sim.asked[0], 10'000);
    EXPECT_EQ(sim.asked[1], 20'000);
    EXPECT_EQ(sim.asked[2], 40'000);
    EXPECT_EQ(sim.asked[3], 80'000);
    EXPECT_EQ(sim.asked[4], 60'000);
    EXPECT_EQ(r.steps.size(), sim.asked.size());
}

TEST(CapacitySearch, ASenderThatCannotKeepUpBoundsTheSearchAndSaysSo) {
    Simulated sim;
    sim.capacity = 5e6;
    sim.sender = 300'000;
    const SearchResult r = search(sim);
    ASSERT_TRUE(r.last_pass && r.first_fail);
    EXPECT_EQ(r.bound, UpperBound::sender_short);
    EXPECT_LE(r.last_pass->requested_pps, sim.sender);
    EXPECT_EQ(r.first_fail->outcome, ProbeOutcome::short_rate);
    const std::string text = format_search(r, 0);
    EXPECT_NE(text.find("sender could not achieve"), std::string::npos) << text;
    EXPECT_NE(text.find(rate_label(r.last_pass->requested_pps) + " pps"), std::string::npos) << text;
}

TEST(CapacitySearch, AFailingStartRateIsHalvedUntilOnePasses) {
    Simulated sim;
    sim.capacity = 3'000;
    const SearchResult r = search(sim);
    ASSERT_TRUE(r.last_pass);
    EXPECT_EQ(sim.asked[0], 10'000);
    EXPECT_EQ(sim.asked[1], 5'000);
    EXPECT_EQ(sim.asked[2], 2'500);
    EXPECT_LE(r.last_pass->requested_pps, 3'000);
    EXPECT_GT(r.first_fail->requested_pps, 3'000);
    EXPECT_EQ(r.bound, UpperBound::collector_loss);
}

TEST(CapacitySearch, ACollectorThatAlwaysLosesHasNoCapacityAndTheLossIsTheReason) {
    Simulated sim;
    SearchOptions o;
    o.max_steps = 5;
    const SearchResult r = find_capacity(o, [&](double pps) {
        Probe p = sim(pps);
        p.loss = 0.1;  // every tenth message, at every rate
        p.outcome = ProbeOutcome::loss;
        return p;
    });
    EXPECT_FALSE(r.last_pass);
    ASSERT_TRUE(r.first_fail);
    EXPECT_EQ(r.steps.size(), 5u);
    EXPECT_EQ(r.bound, UpperBound::collector_loss);
    const std::string text = format_search(r, 0.01);
    EXPECT_NE(text.find("no rate passed"), std::string::npos) << text;
    EXPECT_NE(text.find("collector loss"), std::string::npos) << text;
}

TEST(CapacitySearch, TheLossThresholdDecidesWhatPasses) {
    Simulated lossy;
    lossy.capacity = 50'000;
    lossy.threshold = 0.2;  // up to 62.5k loses at most 20%
    const SearchResult r = search(lossy);
    ASSERT_TRUE(r.last_pass && r.first_fail);
    EXPECT_GT(r.last_pass->requested_pps, 50'000);
    EXPECT_LE(r.last_pass->requested_pps, 62'500);
    EXPECT_GT(r.first_fail->requested_pps, 62'500);
}

TEST(CapacitySearch, StopsAtMaxRateAndSaysThereIsNoUpperBound) {
    Simulated sim;
    SearchOptions o;
    o.max_pps = 30'000;
    const SearchResult r = search(sim, o);
    EXPECT_EQ(sim.asked, (std::vector<double>{10'000, 20'000, 30'000}));
    ASSERT_TRUE(r.last_pass);
    EXPECT_FALSE(r.first_fail);
    EXPECT_EQ(r.bound, UpperBound::max_rate);
    EXPECT_NE(format_search(r, 0).find("lower bound only"), std::string::npos);
}

TEST(CapacitySearch, RoundsRatesToThreeSignificantDigits) {
    EXPECT_EQ(round_rate(60'000), 60'000);
    EXPECT_EQ(round_rate(123'456), 123'000);
    EXPECT_EQ(round_rate(1'234'567), 1'230'000);
    EXPECT_EQ(round_rate(999.6), 1'000);
    EXPECT_EQ(round_rate(0.2), 1);
}

// ------------------------------------------------------------------ how a run is judged

RateRun run_with(double requested, double achieved_pps, std::uint64_t truth, std::uint64_t missing, std::uint64_t altered = 0) {
    RateRun r;
    r.requested_pps = requested;
    r.sent.packets = static_cast<std::uint64_t>(achieved_pps);
    r.sent.duration_ns = 1'000'000'000;
    verify::RecordsResult rr;
    rr.truth_records = truth;
    rr.missing = missing;
    rr.altered = altered;
    rr.matched = truth - missing - altered;
    rr.collected_records = truth - missing;
    r.verdict.records = rr;
    return r;
}

TEST(RunStatus, AShortRateIsShortWhateverItsLossAndNeverPasses) {
    CheckOptions o;
    const RateRun r = run_with(2e6, 467'000, 1000, 0);
    EXPECT_TRUE(r.short_of_rate());
    EXPECT_EQ(r.status(o), RunStatus::short_rate);
    EXPECT_FALSE(r.passed(o));
    EXPECT_EQ(run_with(2e6, 467'000, 1000, 500).status(o), RunStatus::short_rate);
    o.allow_short = true;
    EXPECT_FALSE(r.passed(o)) << "--allow-short keeps the exit status, not the pass";
}

TEST(RunStatus, WithinOnePercentOfTheRequestIsNotShort) {
    CheckOptions o;
    EXPECT_FALSE(run_with(100'000, 99'001, 1000, 0).short_of_rate());
    EXPECT_TRUE(run_with(100'000, 98'999, 1000, 0).short_of_rate());
    EXPECT_EQ(run_with(100'000, 99'500, 1000, 0).status(o), RunStatus::match);
    EXPECT_FALSE(run_with(0, 5, 1000, 0).short_of_rate()) << "a pace that is not a pps rate";
}

TEST(RunStatus, LossIsJudgedAgainstTheThresholdAndAlterationsNeverPass) {
    CheckOptions o;
    EXPECT_EQ(run_with(1000, 1000, 1000, 10).status(o), RunStatus::loss);
    o.loss_threshold = 0.01;
    EXPECT_EQ(run_with(1000, 1000, 1000, 10).status(o), RunStatus::within);
    EXPECT_TRUE(run_with(1000, 1000, 1000, 10).passed(o));
    EXPECT_EQ(run_with(1000, 1000, 1000, 11).status(o), RunStatus::loss);
    EXPECT_EQ(run_with(1000, 1000, 1000, 0, 1).status(o), RunStatus::different);
    EXPECT_DOUBLE_EQ(run_with(1000, 1000, 1000, 10).loss_fraction(), 0.01);
}

TEST(RunStatus, TheSweepNeverClaimsARateAboveWhatWasAchieved) {
    CheckResult c;
    c.runs.push_back(run_with(50'000, 50'000, 1000, 0));
    c.runs.push_back(run_with(2e6, 467'000, 1000, 0));
    c.runs[0].pace = Pace::pps(50'000);
    c.runs[1].pace = Pace::pps(2e6);
    const std::string t = format_sweep(c);
    EXPECT_NE(t.find("capacity: no loss up to 50k pps"), std::string::npos) << t;
    EXPECT_EQ(t.find("up to 2M"), std::string::npos) << t;
    EXPECT_NE(t.find("SHORT: the sender achieved 467000 of 2M pps"), std::string::npos) << t;
    EXPECT_FALSE(c.ok());
    c.options.allow_short = true;
    EXPECT_TRUE(c.ok());
    const std::string junit = format_sweep_junit(c.runs, CheckOptions{}, "s");
    EXPECT_NE(junit.find("tests=\"2\" failures=\"1\""), std::string::npos) << junit;
    EXPECT_NE(junit.find("name=\"2M pps\""), std::string::npos) << junit;
    const auto j = to_json(c.runs[1], CheckOptions{});
    EXPECT_EQ(j["status"], "SHORT");
    EXPECT_FALSE(j["match"].get<bool>());
    EXPECT_TRUE(j["verify_match"].get<bool>());
}

}  // namespace
}  // namespace flowlab::harness
