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

namespace flowlab::gen {

/// Where the teacher's answer key of the gen output `gen_dir` is kept unless told otherwise:
/// beside the directory, never inside it ("out" -> "out.answer-key.json"), so that handing the
/// directory to a student gives nothing away. The one place that decides it (gen --answer-key,
/// scenarios answer and report --answers use it).
std::string answer_key_path(const std::string& gen_dir);

/// The answer key for the gen output in `gen_dir` (whose manifest.json is read): from
/// `key_file` if given, else from answer_key_path(gen_dir) if that exists, else recomputed by
/// running the scenario again (found by name in `scenario_dirs`, its SHA-256 checked against
/// the manifest's) with the manifest's seed, span and scale into a temporary directory.
/// A key file must belong to this output (same scenario, hash, seed, span and scale).
/// Throws UsageError (no answer in this scenario, a key of another output), InputError
/// (unreadable JSON), IoError.
Json find_answer_key(const std::string& gen_dir, const std::string& key_file, const std::vector<std::string>& scenario_dirs);

}  // namespace flowlab::gen
