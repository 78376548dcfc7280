/// @brief The lesson on a report page: its public story and question, and with --answers its key.
#pragma once

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

/// {"story", "question"} of the lesson, which are public (`flowlab scenarios show`): gen no
/// longer writes them into the directory, so they come from the scenario file (found by name,
/// its hash checked). Null, and a note, when it cannot be found.
nlohmann::json lesson_text(const nlohmann::json& manifest, const std::vector<std::string>& scenario_dirs,
                           std::vector<std::string>& notes);

}  // namespace flowlab::report::detail
