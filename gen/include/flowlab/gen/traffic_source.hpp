/// @brief The conversation stream of a scenario: every conversation of every activity, merged
/// in non-decreasing start time, generated lazily (pull-based).
///
/// Memory grows with the conversations generated but not yet pulled (a session's two
/// directions, a scheduled day's runs), never with the span. The stream is a pure function of
/// (scenario, options, seed): same inputs, same conversations, same order, same ids.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "flowlab/gen/conversation.hpp"
#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen {

struct SourceOptions {
    std::optional<std::int64_t> start_us;     ///< overrides time.start (--start)
    std::optional<std::int64_t> duration_us;  ///< overrides time.duration (--duration)
    std::optional<std::uint64_t> seed;        ///< overrides the scenario's seed (--seed)
    double scale = 1.0;                       ///< multiplies every arrival rate (--scale)
    /// Generate only these activities (indices); empty: all. Each activity's streams are keyed
    /// by its name, so leaving others out changes none of its conversations (only the ids).
    std::vector<std::size_t> only;
};

class TrafficSource {
public:
    /// `scenario` must outlive the source. Throws ScenarioErrors for a run that check_run
    /// refuses (the span, the scale, exporter limits, rate bounds).
    explicit TrafficSource(const Scenario& scenario, const SourceOptions& options = {});
    ~TrafficSource();
    TrafficSource(const TrafficSource&) = delete;
    TrafficSource& operator=(const TrafficSource&) = delete;

    /// The next conversation (start_us() non-decreasing; ties in activity order, then in order of
    /// generation). Reuses out's bursts storage. False when the stream is exhausted.
    ///
    /// Every conversation has at least one burst; bursts are ordered and disjoint; every packet
    /// is 28..1500 bytes at the IP level. Sessions *start* inside [start, end); their packets may
    /// run a little past the end (a reply's round trip), except long sessions (interactive,
    /// bulk), which close at the end.
    bool next(Conversation& out);

    std::int64_t start_us() const noexcept { return start_; }
    std::int64_t end_us() const noexcept { return end_; }
    std::uint64_t seed() const noexcept { return seed_; }
    double scale() const noexcept { return scale_; }
    /// Conversations returned so far.
    std::uint64_t emitted() const noexcept { return emitted_; }
    /// Conversations generated and waiting to be returned (what the source holds in memory).
    std::size_t pending() const noexcept;

    struct Runner;

private:
    std::int64_t start_ = 0;
    std::int64_t end_ = 0;
    std::uint64_t seed_ = 0;
    double scale_ = 1.0;
    std::uint64_t emitted_ = 0;
    std::vector<std::unique_ptr<Runner>> runners_;
    struct Head {
        std::int64_t start;
        std::uint32_t runner;
    };
    std::vector<Head> heads_;  ///< min-heap over runners' next conversation
};

}  // namespace flowlab::gen
