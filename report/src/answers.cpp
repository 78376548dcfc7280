/// @brief The lesson's public text, and its answer key for `flowlab report --answers` only.
#include "answers.hpp"

#include <algorithm>
#include <optional>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/activity_windows.hpp"
#include "flowlab/gen/answer_key.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/units.hpp"

namespace flowlab::report::detail {

using nlohmann::json;

namespace {

std::optional<std::int64_t> time_ms(const json& j) {
    if (!j.is_string()) return std::nullopt;
    try {
        return gen::parse_time(j.get<std::string>()) / 1000;
    } catch (const Error&) {
        return std::nullopt;  // a part of the key that is not a time ("no conversation of ...")
    }
}

/// The scenario gen ran, found by name and checked against the hash gen recorded; nullopt (and
/// a note saying why) when it cannot be had.
std::optional<gen::Scenario> scenario_of(const json& manifest, const std::vector<std::string>& scenario_dirs, const std::string& what,
                                         std::vector<std::string>& notes) {
    const json* sc = manifest.contains("scenario") ? &manifest["scenario"] : nullptr;
    if (!sc || !sc->is_object() || !sc->contains("name") || !(*sc)["name"].is_string()) return std::nullopt;
    try {
        gen::Scenario s = gen::load_scenario((*sc)["name"].get<std::string>(), scenario_dirs);
        if (sc->contains("sha256") && (*sc)["sha256"] != s.sha256) {
            notes.push_back(what + " not shown: " + s.file + " changed since this directory was generated");
            return std::nullopt;
        }
        return s;
    } catch (const Error& e) {
        notes.push_back(what + " not shown: " + e.what());
        return std::nullopt;
    }
}

}  // namespace

json answer_marks(const std::string& gen_dir, const std::vector<std::string>& scenario_dirs,
                  std::vector<std::string>& notes) {
    json found = nullptr;
    try {
        found = gen::find_answer_key(gen_dir, "", scenario_dirs);
    } catch (const UsageError& e) {
        notes.push_back(std::string("no answer marked: ") + e.what());
    }
    json out = {{"key", std::move(found)}, {"host", nullptr}, {"marks", json::array()}};
    const json& key = out["key"];
    json& marks = out["marks"];
    if (key.is_object()) {
        if (key.contains("host") && key["host"].is_string()) out["host"] = key["host"];
        if (key.contains("windows") && key["windows"].is_array()) {
            std::size_t n = 0;
            for (const json& w : key["windows"]) {
                ++n;
                const auto a = w.is_object() && w.contains("start") ? time_ms(w["start"]) : std::nullopt;
                const auto b = w.is_object() && w.contains("end") ? time_ms(w["end"]) : std::nullopt;
                if (a && b) marks.push_back({{"kind", "answer"}, {"label", "answer: episode " + std::to_string(n)}, {"start_ms", *a}, {"end_ms", *b}});
            }
        }
        if (key.contains("start"))
            if (const auto t = time_ms(key["start"])) marks.push_back({{"kind", "answer"}, {"label", "answer: start"}, {"start_ms", *t}, {"end_ms", *t}});
        if (key.contains("peak_rate") && key["peak_rate"].is_object() && key["peak_rate"].contains("at"))
            if (const auto t = time_ms(key["peak_rate"]["at"])) marks.push_back({{"kind", "answer"}, {"label", "answer: peak"}, {"start_ms", *t}, {"end_ms", *t}});
    }
    return out;
}

json event_marks(const json& manifest, const std::vector<std::string>& scenario_dirs, std::vector<std::string>& notes) {
    json marks = json::array();
    const auto s = scenario_of(manifest, scenario_dirs, "the scenario's events", notes);
    if (!s) return marks;
    try {
        // The run as gen made it: its seed, scale and span from the manifest.
        gen::SourceOptions o;
        o.seed = manifest.at("seed").get<std::uint64_t>();
        o.scale = manifest.at("scale").get<double>();
        const json& span = manifest.at("span");
        const std::int64_t start_us = span.contains("start_us") ? span["start_us"].get<std::int64_t>() : span.at("start_ms").get<std::int64_t>() * 1000;
        const std::int64_t end_us = span.contains("end_us") ? span["end_us"].get<std::int64_t>() : span.at("end_ms").get<std::int64_t>() * 1000;
        o.start_us = start_us;
        o.duration_us = end_us - start_us;
        std::vector<std::size_t> per_activity(s->activities.size(), 0);
        std::vector<std::size_t> left_out(s->activities.size(), 0);
        for (const gen::ActivityWindow& w : gen::activity_windows(*s, o)) {
            if (per_activity[w.activity]++ >= kMaxEventMarks) {
                ++left_out[w.activity];
                continue;
            }
            marks.push_back({{"kind", "event"}, {"label", w.name + " (" + w.kind + ")"}, {"activity", w.name},
                             {"activity_kind", w.kind}, {"start_ms", w.start_us / 1000}, {"end_ms", (w.end_us + 999) / 1000},
                             {"conversations", w.conversations}});
        }
        for (std::size_t i = 0; i < left_out.size(); ++i)
            if (left_out[i])
                notes.push_back("only the first " + std::to_string(kMaxEventMarks) + " windows of " + s->activities[i].name +
                                " are marked; " + std::to_string(left_out[i]) + " more are not");
    } catch (const json::exception& e) {
        notes.push_back(std::string("the scenario's events not shown: manifest.json: ") + e.what());
        marks = json::array();
    } catch (const Error& e) {
        notes.push_back(std::string("the scenario's events not shown: ") + e.what());
        marks = json::array();
    }
    return marks;
}

json lesson_text(const json& manifest, const std::vector<std::string>& scenario_dirs, std::vector<std::string>& notes) {
    const auto s = scenario_of(manifest, scenario_dirs, "the lesson's story and question", notes);
    if (!s || !s->lesson) return nullptr;
    json out = json::object();
    if (!s->lesson->story.empty()) out["story"] = s->lesson->story;
    if (!s->lesson->question.empty()) out["question"] = s->lesson->question;
    return out;
}

}  // namespace flowlab::report::detail
