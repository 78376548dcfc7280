/// @brief Scenario lookups, small model methods, and loading a scenario file by path or name.
#include "flowlab/gen/scenario.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/sha256.hpp"

namespace flowlab::gen {

bool Site::is_holiday(std::int64_t day) const noexcept {
    return std::binary_search(holidays.begin(), holidays.end(), day);
}

DayType Site::day_type(std::int64_t day) const noexcept {
    if (is_holiday(day)) return DayType::holiday;
    return (weekend_mask >> weekday_from_days(day) & 1) != 0 ? DayType::weekend : DayType::weekday;
}

double ProfileShape::eval(std::int64_t t, double& slope_per_us, std::int64_t& next_break) const noexcept {
    const std::size_t n = tod_us.size();
    if (n == 1) {
        slope_per_us = 0;
        next_break = kUsPerDay;
        return level[0];
    }
    // Segment [x0, x1) with levels v0, v1; the last point wraps to the first one + 24h.
    const auto it = std::upper_bound(tod_us.begin(), tod_us.end(), t);
    std::int64_t x0 = 0, x1 = 0;
    double v0 = 0, v1 = 0;
    if (it == tod_us.begin()) {
        x0 = tod_us[n - 1] - kUsPerDay;
        v0 = level[n - 1];
        x1 = tod_us[0];
        v1 = level[0];
        next_break = x1;
    } else if (it == tod_us.end()) {
        x0 = tod_us[n - 1];
        v0 = level[n - 1];
        x1 = tod_us[0] + kUsPerDay;
        v1 = level[0];
        next_break = kUsPerDay;
    } else {
        const auto k = static_cast<std::size_t>(it - tod_us.begin());
        x0 = tod_us[k - 1];
        v0 = level[k - 1];
        x1 = tod_us[k];
        v1 = level[k];
        next_break = x1;
    }
    slope_per_us = (v1 - v0) / static_cast<double>(x1 - x0);
    return v0 + slope_per_us * static_cast<double>(t - x0);
}

double ProfileShape::max_level() const noexcept { return *std::max_element(level.begin(), level.end()); }

std::string_view to_string(ActivityKind k) noexcept {
    switch (k) {
        case ActivityKind::interactive:
            return "interactive";
        case ActivityKind::web:
            return "web";
        case ActivityKind::dns:
            return "dns";
        case ActivityKind::bulk:
            return "bulk";
        case ActivityKind::burst:
            return "burst";
        case ActivityKind::scan:
            return "scan";
        case ActivityKind::ddos:
            return "ddos";
        case ActivityKind::worm:
            return "worm";
    }
    return "?";
}

std::string_view to_string(ExportProtocol p) noexcept {
    switch (p) {
        case ExportProtocol::v5:
            return "v5";
        case ExportProtocol::v9:
            return "v9";
        case ExportProtocol::ipfix:
            return "ipfix";
    }
    return "?";
}

std::string_view to_string(TimeStyle t) noexcept {
    switch (t) {
        case TimeStyle::uptime:
            return "uptime";
        case TimeStyle::seconds:
            return "seconds";
        case TimeStyle::milliseconds:
            return "milliseconds";
        case TimeStyle::microseconds:
            return "microseconds";
        case TimeStyle::nanoseconds:
            return "nanoseconds";
    }
    return "?";
}

std::string_view to_string(SamplingMode m) noexcept {
    switch (m) {
        case SamplingMode::none:
            return "none";
        case SamplingMode::deterministic:
            return "deterministic";
        case SamplingMode::random:
            return "random";
    }
    return "?";
}

Exporter::Sighting Exporter::sight(const ConversationKey& key) const noexcept {
    Sighting s;
    s.in_if = default_if;
    s.out_if = default_if;
    bool src_seen = false, dst_seen = false;
    // Longest prefix first: the most specific observed network decides the interface.
    for (const Observation& o : observes) {
        if (!src_seen && o.block.contains(key.src)) {
            s.in_if = o.if_index;
            src_seen = true;
        }
        if (!dst_seen && o.block.contains(key.dst)) {
            s.out_if = o.if_index;
            dst_seen = true;
        }
        if (src_seen && dst_seen) break;
    }
    s.seen = src_seen || dst_seen;
    return s;
}

namespace {
template <class V>
std::size_t find_named(const V& v, std::string_view n) noexcept {
    for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i].name == n) return i;
    return kNone;
}
}  // namespace

std::size_t Scenario::find_site(std::string_view n) const noexcept { return find_named(sites, n); }
std::size_t Scenario::find_network(std::string_view n) const noexcept { return find_named(networks, n); }
std::size_t Scenario::find_pool(std::string_view n) const noexcept { return find_named(pools, n); }
std::size_t Scenario::find_profile(std::string_view n) const noexcept { return find_named(profiles, n); }
std::size_t Scenario::find_activity(std::string_view n) const noexcept { return find_named(activities, n); }

Scenario::HostRef Scenario::find_host(const core::IpAddress& a) const noexcept {
    for (std::size_t p = 0; p < pools.size(); ++p) {
        for (std::size_t n : pools[p].networks) {
            const Cidr& c = networks[n].cidr;
            if (!c.contains(a)) continue;
            const std::uint64_t off = c.offset_of(a);
            if (off >= pools[p].offset && off - pools[p].offset < pools[p].count) return {p, off - pools[p].offset};
        }
    }
    return {};
}

namespace {

/// Tracks where the parser is, to report a key that appears twice in one object: JSON allows
/// it, nlohmann keeps the last one, and a scenario would silently lose the first.
class DuplicateKeyCheck {
public:
    explicit DuplicateKeyCheck(const std::string& file) : file_(&file) {}
    bool operator()(int /*depth*/, Json::parse_event_t event, Json& parsed) {
        using E = Json::parse_event_t;
        switch (event) {
            case E::object_start:
                frames_.push_back(Frame{true, {}, {}, 0});
                break;
            case E::array_start:
                frames_.push_back(Frame{false, {}, {}, 0});
                break;
            case E::key: {
                Frame& f = frames_.back();
                f.key = parsed.get<std::string>();
                if (!f.keys.insert(f.key).second)
                    throw ConfigError(*file_, pointer(), "the key \"" + f.key + "\" appears twice in this object");
                break;
            }
            case E::object_end:
            case E::array_end:
                frames_.pop_back();
                element_done();
                break;
            case E::value:
                element_done();
                break;
        }
        return true;
    }

private:
    struct Frame {
        bool object;
        std::set<std::string> keys;
        std::string key;
        std::size_t index;
    };
    void element_done() {
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    }
    std::string pointer() const {
        std::string p;
        for (const Frame& f : frames_) {
            std::string token = f.object ? f.key : std::to_string(f.index);
            std::string escaped;
            for (char c : token) escaped += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
            p += "/" + escaped;
        }
        return p;
    }
    const std::string* file_;
    std::vector<Frame> frames_;
};

}  // namespace

Scenario parse_scenario_text(std::string_view text, const std::string& file) {
    Json doc;
    try {
        doc = Json::parse(text.begin(), text.end(), DuplicateKeyCheck(file));
    } catch (const Json::parse_error& e) {
        // e.byte counts the characters read up to and including the offending one (1-based).
        const std::size_t at = e.byte == 0 ? 0 : std::min<std::size_t>(e.byte - 1, text.size());
        std::size_t line = 1, line_start = 0;
        for (std::size_t i = 0; i < at; ++i) {
            if (text[i] == '\n') {
                ++line;
                line_start = i + 1;
            }
        }
        const std::size_t column = at - line_start + 1;
        std::size_t line_end = text.find('\n', line_start);
        if (line_end == std::string_view::npos) line_end = text.size();
        std::string detail = e.what();
        // Keep nlohmann's explanation, drop its "[json.exception.parse_error.101] parse error at line..." prefix.
        if (const auto p = detail.find(": syntax error"); p != std::string::npos) detail = detail.substr(p + 2);
        std::string excerpt(text.substr(line_start, std::min<std::size_t>(line_end - line_start, 200)));
        throw ConfigError(file, "",
                          "line " + std::to_string(line) + ", column " + std::to_string(column) + ": invalid JSON: " +
                              detail + "\n  " + excerpt + "\n  " + std::string(column > 0 ? column - 1 : 0, ' ') + "^");
    }
    return parse_scenario(doc, file);
}

std::string resolve_scenario_path(const std::string& path_or_name, const std::vector<std::string>& search_dirs) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_regular_file(path_or_name, ec)) return path_or_name;
    const bool looks_like_path = path_or_name.find('/') != std::string::npos ||
                                 (path_or_name.size() > 5 && path_or_name.ends_with(".json"));
    if (looks_like_path) throw ConfigError(path_or_name, "", "no such scenario file");
    std::string looked;
    for (const auto& dir : search_dirs) {
        for (const fs::path& cand : {fs::path(dir) / (path_or_name + ".json"), fs::path(dir) / path_or_name / "scenario.json"}) {
            if (fs::is_regular_file(cand, ec)) return cand.string();
            looked += "\n  " + cand.string();
        }
    }
    throw ConfigError(path_or_name, "",
                      "neither a file nor a canned scenario name" +
                          (looked.empty() ? std::string(" (no scenario directory to search)") : "; looked for:" + looked));
}

Scenario load_scenario(const std::string& path_or_name, const std::vector<std::string>& search_dirs) {
    const std::string path = resolve_scenario_path(path_or_name, search_dirs);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open for reading");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw IoError(path + ": read error");
    const std::string bytes = ss.str();
    Scenario s = parse_scenario_text(bytes, path);
    s.sha256 = sha256_hex(bytes);
    return s;
}

}  // namespace flowlab::gen
