/// @brief The lesson on a report page: its public story and question, and with --answers its key.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowlab::report::detail {

/// The page's "answers" object: {"key": the answer key, "host": address or null, "marks":
/// [{"label", "start_ms", "end_ms", "kind": "answer"}]}: the key's episodes, start and peak.
/// The key is gen's (gen::find_answer_key: the key file beside the directory, else recomputed
/// from the scenario). A scenario without an answer becomes a note.
nlohmann::json answer_marks(const std::string& gen_dir,
                            const std::vector<std::string>& scenario_dirs, std::vector<std::string>& notes);

/// At most this many windows of one activity are marked (about three months of nightly
/// backups): each is a band and a label on every time axis, and thousands would cover the chart.
inline constexpr std::size_t kMaxEventMarks = 100;

/// Marks of the scenario's events, for --answers only (they name activities and their times,
/// which a student must find): [{"kind": "event", "label": "NAME (KIND)", "activity",
/// "activity_kind", "start_ms", "end_ms", "conversations"}] in order of start, one per window
/// of gen::activity_windows (the scenario found by name and its hash checked, the run's seed,
/// scale and span from `manifest`). Beyond kMaxEventMarks windows of one activity, and when the
/// scenario cannot be had, a note says so.
nlohmann::json event_marks(const nlohmann::json& manifest, const std::vector<std::string>& scenario_dirs,
                           std::vector<std::string>& notes);

/// {"story", "question"} of the lesson, which are public (`flowlab scenarios show`): gen no
/// longer writes them into the directory, so they come from the scenario file (found by name,
/// its hash checked). Null, and a note, when it cannot be found.
nlohmann::json lesson_text(const nlohmann::json& manifest, const std::vector<std::string>& scenario_dirs,
                           std::vector<std::string>& notes);

}  // namespace flowlab::report::detail
