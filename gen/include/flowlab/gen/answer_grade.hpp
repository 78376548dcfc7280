/// @brief Judging a student's answer against a lesson's answer key (`scenarios answer`): each
/// part the key has is right or wrong, parts the question asks for and the student left out are
/// missing, parts given that the key does not have are not part of the question. The key is
/// never part of the result, so what is shown to a student cannot give the answer away.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flowlab/core/ip_address.hpp"
#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen {

struct AnswerWindow {
    std::int64_t start_us = 0, end_us = 0;
};

/// What the student gave (everything optional) and how close is close enough.
struct StudentAnswer {
    std::optional<core::IpAddress> host;
    /// Episodes, each START/END; a lone --start/--end pair is one window.
    std::vector<AnswerWindow> windows;
    std::optional<std::int64_t> start_us;
    std::optional<double> peak_rate_per_s;
    std::optional<int> port;
    /// {"name": bytes, ...}
    std::optional<Json> totals;
    std::int64_t time_tolerance_us = 120'000'000;
    double rate_tolerance = 0.10;
    double bytes_tolerance = 0.01;
};

struct AnswerGrade {
    struct Part {
        std::string name;  ///< host, port, windows, start, peak rate, totals
        bool right = false;
        /// Lines that help without revealing: "2 of 3 episodes found", "finance: missing".
        std::vector<std::string> details;
    };
    std::vector<Part> parts;
    std::vector<std::string> missing;    ///< asked for, not given (with the option to give it)
    std::vector<std::string> not_asked;  ///< given, not part of this question
    bool right() const noexcept;
};

/// Throws InputError for a key whose values are not what gen writes (a hand-edited key file).
AnswerGrade grade_answer(const Json& key, const StudentAnswer& answer);

}  // namespace flowlab::gen
