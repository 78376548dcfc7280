/// @brief What `flowlab report --answers` adds: the lesson's answer key and the scenario's events.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowlab::report::detail {

/// The lesson's answer key of a gen output directory, null when it has none. The one place
/// in the report that knows where gen keeps the key (today manifest.json /lesson/answer).
nlohmann::json load_answer_key(const std::string& gen_dir, const nlohmann::json& manifest);

/// The page's "answers" object: {"key": the key as written, "host": address or null,
/// "marks": [{"label", "start_ms", "end_ms", "kind": "answer"|"event"}]}: the key's episodes,
/// start and peak, and the episodes of the scenario's incident-like activities (burst, scan,
/// ddos, worm, scheduled bulk) from truth/conversations.csv. Problems that only cost the
/// events (scenario file not found or changed since gen) become `notes`.
nlohmann::json answer_marks(const std::string& gen_dir, const nlohmann::json& manifest,
                            const std::vector<std::string>& scenario_dirs, std::vector<std::string>& notes);

}  // namespace flowlab::report::detail
