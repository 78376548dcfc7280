#include "flowlab/gen/answer_grade.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/units.hpp"

namespace flowlab::gen {

bool AnswerGrade::right() const noexcept {
    return missing.empty() && std::all_of(parts.begin(), parts.end(), [](const Part& p) { return p.right; });
}

AnswerGrade grade_answer(const Json& key, const StudentAnswer& a) {
    AnswerGrade g;
    const auto part = [&](std::string name, bool right) -> AnswerGrade::Part& {
        g.parts.push_back({std::move(name), right, {}});
        return g.parts.back();
    };
    try {
        if (key.contains("host") && key["host"].is_string()) {
            if (a.host) part("host", core::IpAddress::parse(key["host"].get<std::string>()) == a.host);
            else g.missing.push_back("host (--host)");
        }
        if (a.port && key.contains("port")) part("port", key["port"] == *a.port);

        const bool has_windows = key.contains("windows") && key["windows"].is_array();
        if (has_windows) {
            std::vector<AnswerWindow> truth;
            for (const auto& w : key["windows"])
                truth.push_back({parse_time(w.at("start").get<std::string>()), parse_time(w.at("end").get<std::string>())});
            if (a.windows.empty()) {
                g.missing.push_back("windows (--window START/END, once per episode)");
            } else {
                // Each true episode needs a window of the student's whose start and end are both
                // within the tolerance, and no window of the student's may match nothing.
                const auto close = [&](const AnswerWindow& x, const AnswerWindow& y) {
                    return std::llabs(x.start_us - y.start_us) <= a.time_tolerance_us &&
                           std::llabs(x.end_us - y.end_us) <= a.time_tolerance_us;
                };
                std::size_t found = 0, stray = 0;
                for (const auto& t : truth)
                    found += std::any_of(a.windows.begin(), a.windows.end(), [&](const auto& w) { return close(w, t); });
                for (const auto& w : a.windows)
                    stray += std::none_of(truth.begin(), truth.end(), [&](const auto& t) { return close(w, t); });
                part("windows", found == truth.size() && stray == 0)
                    .details.push_back(std::to_string(found) + " of " + std::to_string(truth.size()) + " episodes found, " +
                                       std::to_string(stray) + " window(s) matching none");
            }
        } else if (key.contains("start") && key["start"].is_string()) {
            const std::int64_t t = parse_time(key["start"].get<std::string>());
            if (a.start_us) part("start", std::llabs(*a.start_us - t) <= a.time_tolerance_us);
            else g.missing.push_back("start (--start)");
        }
        if (key.contains("peak_rate") && key["peak_rate"].is_object()) {
            const double t = key["peak_rate"].at("per_s").get<double>();
            if (a.peak_rate_per_s) part("peak rate", std::fabs(*a.peak_rate_per_s - t) <= a.rate_tolerance * t);
            else g.missing.push_back("peak rate (--peak-rate, flows per second)");
        }
        if (key.contains("totals") && key["totals"].is_object()) {
            if (!a.totals) {
                g.missing.push_back("totals (--totals FILE)");
            } else {
                std::vector<std::string> details;
                for (const auto& [name, v] : key["totals"].items()) {
                    const double t = v.get<double>();
                    const bool given = a.totals->contains(name);
                    if (!given || std::fabs((*a.totals)[name].get<double>() - t) > a.bytes_tolerance * std::max(t, 1.0))
                        details.push_back(name + ": " + (given ? "wrong" : "missing"));
                }
                for (const auto& [name, v] : a.totals->items())
                    if (!key["totals"].contains(name)) details.push_back(name + ": not in the answer key");
                part("totals", details.empty()).details = std::move(details);
            }
        }
    } catch (const Json::exception& e) {
        throw InputError("answer key", InputError::Place{}, std::string("not as gen writes it: ") + e.what());
    }
    // Parts given that the key does not have are neither right nor wrong.
    const auto extra = [&](bool given, const char* what, bool in_key) {
        if (given && !in_key) g.not_asked.emplace_back(what);
    };
    extra(a.host.has_value(), "host", key.contains("host"));
    extra(!a.windows.empty(), "windows", key.contains("windows"));
    extra(a.start_us.has_value() && a.windows.empty(), "start", key.contains("start"));
    extra(a.peak_rate_per_s.has_value(), "peak rate", key.contains("peak_rate"));
    extra(a.totals.has_value(), "totals", key.contains("totals"));
    extra(a.port.has_value(), "port", key.contains("port"));
    return g;
}

}  // namespace flowlab::gen
