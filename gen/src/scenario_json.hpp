/// @brief The scenario reader's JSON layer: text → document in linear time, within stated
/// limits (size, depth, number of values), with every error placed at line:column and JSON
/// pointer; and, for errors found later in the model, the line:column of any pointer.
///
/// nlohmann's SAX parser does the lexing (iteratively: no recursion on nesting); this layer
/// builds the document itself so that duplicate keys are found with a hash set and members are
/// appended without nlohmann::ordered_map's linear search per insert, which made a 160k-member
/// object take 45 s.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen::detail {

/// Parses scenario JSON. Throws ConfigError (with a position) for malformed JSON, a key given
/// twice in one object, and a document beyond kScenarioLimits.
Json parse_json(std::string_view text, const std::string& file);

/// Line and column (1-based; columns count characters) of byte `offset` of `text`.
core::TextPosition position_of(std::string_view text, std::size_t offset);

/// Byte offsets where the values at these JSON pointers start in `text` (a document that
/// parse_json accepts), in one pass; pointers with no value are left out.
std::unordered_map<std::string, std::size_t> locate(std::string_view text, const std::vector<std::string>& pointers);

}  // namespace flowlab::gen::detail
