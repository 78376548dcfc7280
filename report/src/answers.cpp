/// @brief The lesson's answer key and the scenario's events, for `flowlab report --answers` only.
#include "answers.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/units.hpp"

namespace flowlab::report::detail {

using nlohmann::json;

json load_answer_key(const std::string& /*gen_dir*/, const json& manifest) {
    // gen writes the key into manifest.json under /lesson/answer; when it moves to a teacher
    // key file of its own, this is the one function that follows it.
    const json* lesson = manifest.contains("lesson") ? &manifest["lesson"] : nullptr;
    if (!lesson || !lesson->is_object() || !lesson->contains("answer")) return nullptr;
    return (*lesson)["answer"];
}

namespace {

std::optional<std::int64_t> time_ms(const json& j) {
    if (!j.is_string()) return std::nullopt;
    try {
        return gen::parse_time(j.get<std::string>()) / 1000;
    } catch (const Error&) {
        return std::nullopt;  // a part of the key that is not a time ("no conversation of ...")
    }
}

bool is_event_kind(const gen::Activity& a) {
    switch (a.kind) {
        case gen::ActivityKind::burst:
        case gen::ActivityKind::scan:
        case gen::ActivityKind::ddos:
        case gen::ActivityKind::worm: return true;
        case gen::ActivityKind::bulk: return std::get<gen::BulkSpec>(a.spec).schedule.has_value();
        default: return false;
    }
}

std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (true) {
        const std::size_t c = line.find(',', pos);
        out.push_back(line.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
        if (c == std::string::npos) break;
        pos = c + 1;
    }
    return out;
}

/// Episodes per event activity from truth/conversations.csv (in start order, as gen writes it).
void add_events(const std::string& gen_dir, const gen::Scenario& s, json& marks, std::vector<std::string>& notes) {
    struct Episodes {
        std::string kind;
        std::int64_t gap_ms = 10 * 60'000;
        std::vector<std::pair<std::int64_t, std::int64_t>> list;
    };
    std::map<std::string, Episodes> events;
    for (std::size_t i = 0; i < s.activities.size(); ++i) {
        const gen::Activity& a = s.activities[i];
        if (!is_event_kind(a)) continue;
        Episodes e;
        e.kind = std::string(gen::to_string(a.kind));
        if (s.lesson && s.lesson->from_truth && s.lesson->from_truth->activity == i && s.lesson->from_truth->windows_gap_us > 0)
            e.gap_ms = s.lesson->from_truth->windows_gap_us / 1000;
        events.emplace(a.name, std::move(e));
    }
    if (events.empty()) return;
    const std::string path = gen_dir + "/truth/conversations.csv";
    std::ifstream in(path);
    if (!in) {
        notes.push_back("scenario events not marked: cannot read " + path);
        return;
    }
    std::string line;
    std::getline(in, line);
    const auto header = split_csv_line(line);
    auto column = [&](std::string_view name) -> std::size_t {
        const auto it = std::find(header.begin(), header.end(), name);
        if (it == header.end()) throw InputError(path, InputError::Place{{}, 1, {}}, "no column '" + std::string(name) + "'");
        return static_cast<std::size_t>(it - header.begin());
    };
    const std::size_t c_activity = column("activity"), c_first = column("first_ms"), c_last = column("last_ms");
    std::uint64_t line_no = 1;
    constexpr std::size_t kMaxEpisodes = 1000;
    while (std::getline(in, line)) {
        ++line_no;
        const auto cells = split_csv_line(line);
        if (cells.size() != header.size())
            throw InputError(path, InputError::Place{{}, line_no, {}},
                             "expected " + std::to_string(header.size()) + " columns, found " + std::to_string(cells.size()));
        auto it = events.find(cells[c_activity]);
        if (it == events.end()) continue;
        std::int64_t first = 0, last = 0;
        try {
            first = std::stoll(cells[c_first]);
            last = std::stoll(cells[c_last]);
        } catch (const std::exception&) {
            throw InputError(path, InputError::Place{{}, line_no, {}}, "first_ms/last_ms: expected epoch milliseconds");
        }
        auto& list = it->second.list;
        if (!list.empty() && first <= list.back().second + it->second.gap_ms)
            list.back().second = std::max(list.back().second, last);
        else if (list.size() < kMaxEpisodes)
            list.emplace_back(first, last);
    }
    for (const auto& [name, e] : events)
        for (std::size_t i = 0; i < e.list.size(); ++i)
            marks.push_back({{"kind", "event"},
                             {"label", name + " (" + e.kind + ")" + (e.list.size() > 1 ? " #" + std::to_string(i + 1) : "")},
                             {"start_ms", e.list[i].first},
                             {"end_ms", e.list[i].second}});
}

}  // namespace

json answer_marks(const std::string& gen_dir, const json& manifest, const std::vector<std::string>& scenario_dirs,
                  std::vector<std::string>& notes) {
    json out = {{"key", load_answer_key(gen_dir, manifest)}, {"host", nullptr}, {"marks", json::array()}};
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
    // The scenario's events need its activities: the file gen ran, found by name and checked
    // against the hash gen recorded.
    const json* sc = manifest.contains("scenario") ? &manifest["scenario"] : nullptr;
    if (!sc || !sc->is_object() || !sc->contains("name") || !(*sc)["name"].is_string()) return out;
    const std::string name = (*sc)["name"].get<std::string>();
    try {
        const gen::Scenario s = gen::load_scenario(name, scenario_dirs);
        if (sc->contains("sha256") && (*sc)["sha256"] != s.sha256)
            notes.push_back("scenario events not marked: " + s.file + " changed since this directory was generated");
        else
            add_events(gen_dir, s, marks, notes);
    } catch (const ConfigError& e) {
        notes.push_back(std::string("scenario events not marked: ") + e.what());
    } catch (const IoError& e) {
        notes.push_back(std::string("scenario events not marked: ") + e.what());
    }
    return out;
}

}  // namespace flowlab::report::detail
