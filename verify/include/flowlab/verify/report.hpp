/// @brief Verification reports: readable text (verdict first), JSON, and JUnit XML for CI.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "flowlab/verify/verify.hpp"

namespace flowlab::verify {

/// The text report: verdict line, counts, where records were lost, examples with per-field
/// differences, and the fields that could not be checked.
std::string format_text(const VerifyResult& r);

/// The whole result as JSON (stable keys, for scripts).
nlohmann::json to_json(const VerifyResult& r);

/// JUnit XML: one testsuite, one testcase per check (records overall, per exporter, loss by
/// sequence; or totals). The suite is `suite`, or else named after the truth's scenario (and
/// the collector profile), or the collected source when the scenario is unknown.
std::string format_junit(const VerifyResult& r, const std::string& suite = {});

/// Writes text to `path` through a temporary file renamed into place. Throws IoError.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace flowlab::verify
