/// @brief Result documents (verify, check, check --rates, conformance) checked and turned into
/// the page's verdict, sweep and card sections.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace flowlab::report::detail {

/// "verdict", "sweep" or "card"; nullopt when the document is none of them.
std::optional<std::string> result_kind(const nlohmann::json& j);

/// The section for a result of that kind. Throws InputError naming `file` and the JSON pointer
/// of what is missing or of the wrong type; keys the page does not use are kept or ignored.
nlohmann::json result_section(const nlohmann::json& j, const std::string& kind, const std::string& file);

/// One line for the command's summary.
std::string result_line(const nlohmann::json& section);

}  // namespace flowlab::report::detail
