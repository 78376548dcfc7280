/// @brief Scenario lookups, small model methods, and loading a scenario file by path or name.
#include "flowlab/gen/scenario.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "flowlab/core/error.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/gen/sha256.hpp"
#include "scenario_json.hpp"

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

ScenarioErrors::ScenarioErrors(std::vector<ConfigError> errors, std::size_t unlisted)
    : ConfigError(errors.front().file(), errors.front().pointer(), errors.front().detail(), errors.front().position()),
      errors_(std::move(errors)), unlisted_(unlisted) {
    for (const auto& e : errors_) all_ += (all_.empty() ? "" : "\n") + std::string(e.what());
    if (unlisted_ > 0) all_ += "\n" + file() + ": and " + std::to_string(unlisted_) + " more errors";
}

Scenario parse_scenario_text(std::string_view text, const std::string& file) {
    const Json doc = detail::parse_json(text, file);
    try {
        return parse_scenario(doc, file);
    } catch (const ScenarioErrors& e) {
        // Place every error at its value's line and column (a missing key at its object's),
        // and list them in file order.
        std::vector<std::string> pointers;
        for (const auto& x : e.errors()) {
            for (std::string p = x.pointer();; p.erase(p.rfind('/'))) {
                pointers.push_back(p);
                if (p.empty()) break;
            }
        }
        const auto offsets = detail::locate(text, pointers);
        std::vector<std::pair<std::size_t, ConfigError>> placed;
        for (const auto& x : e.errors()) {
            std::size_t at = 0;
            for (std::string p = x.pointer();; p.erase(p.rfind('/'))) {
                if (const auto it = offsets.find(p); it != offsets.end()) {
                    at = it->second;
                    break;
                }
                if (p.empty()) break;
            }
            placed.emplace_back(at, ConfigError(x.file(), x.pointer(), x.detail(), detail::position_of(text, at)));
        }
        std::stable_sort(placed.begin(), placed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<ConfigError> sorted;
        for (auto& [at, x] : placed) sorted.push_back(std::move(x));
        throw ScenarioErrors(std::move(sorted), e.unlisted());
    }
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
    // Read at most one byte beyond the limit: a huge file is refused without reading it all.
    std::string bytes;
    char chunk[1 << 16];
    while (bytes.size() <= kScenarioLimits.bytes && in.read(chunk, sizeof chunk).gcount() > 0)
        bytes.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (in.bad()) throw IoError(path + ": read error");
    if (bytes.size() > kScenarioLimits.bytes)
        throw ConfigError(path, "",
                          "the file is larger than " + core::format_bytes(static_cast<double>(kScenarioLimits.bytes)) +
                              "; scenarios are limited to that size");
    Scenario s = parse_scenario_text(bytes, path);
    s.sha256 = sha256_hex(bytes);
    return s;
}

}  // namespace flowlab::gen
