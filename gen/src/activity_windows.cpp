/// @brief Event activities' windows, from the conversations their models generate.
#include "flowlab/gen/activity_windows.hpp"

#include <algorithm>

namespace flowlab::gen {

bool is_event(const Activity& a) noexcept {
    if (const auto* b = std::get_if<BulkSpec>(&a.spec)) return b->schedule.has_value();
    return a.is<BurstSpec>() || a.is<ScanSpec>() || a.is<DdosSpec>() || a.is<WormSpec>();
}

std::vector<ActivityWindow> activity_windows(const Scenario& s, const SourceOptions& options, std::int64_t gap_us) {
    SourceOptions o = options;
    o.only.clear();
    for (std::size_t i = 0; i < s.activities.size(); ++i)
        if (is_event(s.activities[i]) && (options.only.empty() || std::count(options.only.begin(), options.only.end(), i)))
            o.only.push_back(i);
    std::vector<ActivityWindow> out;
    if (o.only.empty()) return out;
    // The open window of each activity (index into out), or none yet.
    std::vector<std::size_t> open(s.activities.size(), kNone);
    TrafficSource source(s, o);
    Conversation c;
    while (source.next(c)) {
        std::size_t& w = open[c.activity];
        // Conversations come in start order, so a window only grows at its end.
        if (w != kNone && c.start_us() <= out[w].end_us + gap_us) {
            out[w].end_us = std::max(out[w].end_us, c.end_us());
            ++out[w].conversations;
            continue;
        }
        const Activity& a = s.activities[c.activity];
        w = out.size();
        out.push_back({c.activity, a.name, std::string(a.kind()), c.start_us(), c.end_us(), 1});
    }
    // Already in order of start: windows are opened as their first conversation comes.
    return out;
}

}  // namespace flowlab::gen
