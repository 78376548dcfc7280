/// @brief The computed part of a lesson's answer key (`lesson.answer.from_truth`): gen watches
/// every conversation it generates and, at the end, writes what the lesson asks for (the host,
/// the activity's episodes, its start and peak rate, byte totals per customer or family) into
/// manifest.json next to the answer's verbatim keys.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "flowlab/gen/conversation.hpp"
#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen {

class AnswerKeyBuilder {
public:
    /// `span_start_us` anchors the peak-rate bins (the span after --start overrides).
    AnswerKeyBuilder(const Scenario& s, std::int64_t span_start_us);

    /// Every conversation, in non-decreasing start time (the order gen produces them).
    void observe(const Conversation& c);

    /// The answer as written to manifest.json: the verbatim keys, then the computed ones.
    /// Null when the scenario has no answer.
    Json answer() const;

private:
    struct Window {
        std::int64_t start_us, end_us;
    };
    const Scenario& s_;
    std::int64_t span_start_us_;
    const AnswerFromTruth* f_ = nullptr;
    bool seen_ = false;
    core::IpAddress first_source_;
    std::int64_t first_us_ = 0;
    std::unordered_map<core::IpAddress, std::uint64_t> by_source_, by_destination_;
    std::vector<Window> windows_;
    std::map<std::int64_t, std::uint64_t> per_bin_;
    std::vector<std::pair<Cidr, std::string>> customer_blocks_;
    std::map<std::string, std::uint64_t> totals_;
};

}  // namespace flowlab::gen
