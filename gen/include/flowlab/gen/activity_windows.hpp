/// @brief When a scenario's events happen: each event activity's active windows over a run's
/// span, found by running that activity's own model (the code gen generates with), so a mark
/// drawn from them can never disagree with the traffic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/traffic_source.hpp"

namespace flowlab::gen {

/// Conversations of one activity closer than this (end of one to start of the next) are one
/// window: the answer keys' episodes use the same gap ("windows": {"gap": "10m"}), so a burst's
/// windows and the key's episodes coincide, and a report's 5-minute slots show each window as
/// one shaded stretch.
inline constexpr std::int64_t kEventGapUs = 10 * kUsPerMinute;

/// Whether an activity is an event that overlays the base traffic in a window of time. The
/// rule: the kinds gen schedules or starts at a moment are events (bulk with a schedule, burst,
/// scan, ddos, worm); the rate-driven kinds (interactive, web, dns, bulk without a schedule)
/// are the base traffic and never events, even when gated to days or a daily window, since
/// they run through every day they are allowed the way office hours do ("telnet all day").
bool is_event(const Activity& a) noexcept;

struct ActivityWindow {
    std::size_t activity = 0;  ///< index into the scenario's activities
    std::string name;          ///< the activity's name
    std::string kind;          ///< its kind ("bulk", "burst", "scan", ...)
    std::int64_t start_us = 0;  ///< first packet of the window's first conversation
    std::int64_t end_us = 0;    ///< last packet of any of its conversations
    std::uint64_t conversations = 0;
};

/// The active windows of every event activity (is_event) of `s` over the run `options`
/// describes (its start, duration, seed and scale, as in manifest.json), in order of start
/// (ties: activity order). Every conversation of an event activity lies inside one window of
/// its activity, and windows of one activity are more than `gap_us` apart. Only the event
/// activities are generated, so this costs a fraction of the run. Throws ScenarioErrors for a
/// run gen would refuse.
std::vector<ActivityWindow> activity_windows(const Scenario& s, const SourceOptions& options,
                                             std::int64_t gap_us = kEventGapUs);

}  // namespace flowlab::gen
