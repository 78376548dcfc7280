/// @brief `flowlab scenarios`: what ships and whether a scenario file is valid. Verbs are
/// subcommands of their own (validate now; list and show slot in beside it).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/gen/scenario.hpp"

namespace flowlab::app {

std::vector<std::string> scenario_search_dirs() {
    std::vector<std::string> dirs;
    // FLOWLAB_SCENARIOS: a colon-separated list searched first (tests, local collections).
    if (const char* env = std::getenv("FLOWLAB_SCENARIOS")) {
        std::string s = env;
        std::size_t from = 0;
        while (from <= s.size()) {
            const std::size_t colon = s.find(':', from);
            const std::string d = s.substr(from, colon == std::string::npos ? std::string::npos : colon - from);
            if (!d.empty()) dirs.push_back(d);
            if (colon == std::string::npos) break;
            from = colon + 1;
        }
    }
    // The installed location, relative to the executable: <prefix>/bin/flowlab →
    // <prefix>/share/flowlab/scenarios.
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) dirs.push_back((exe.parent_path().parent_path() / "share" / "flowlab" / "scenarios").string());
    return dirs;
}

namespace {

struct ValidateOptions {
    std::vector<std::string> files;
    bool quiet = false;
};

std::string describe(const gen::Scenario& s) {
    std::map<std::string, int> kinds;
    for (const auto& a : s.activities) ++kinds[std::string(gen::to_string(a.kind))];
    std::string k;
    for (const auto& [name, n] : kinds) k += (k.empty() ? "" : ", ") + std::to_string(n) + " " + name;
    std::map<std::string, int> protos;
    for (const auto& e : s.exporters) ++protos[std::string(gen::to_string(e.protocol))];
    std::string p;
    for (const auto& [name, n] : protos) p += (p.empty() ? "" : ", ") + std::to_string(n) + " " + name;
    return s.name + ": " + gen::format_duration(s.duration_us) + " from " + gen::format_time(s.start_us) + "; " +
           std::to_string(s.networks.size()) + " networks, " + std::to_string(s.pools.size()) + " host pools; " +
           std::to_string(s.activities.size()) + " activities (" + k + "); " + std::to_string(s.exporters.size()) +
           " exporters (" + p + ")";
}

int run_validate(const ValidateOptions& o) {
    int bad = 0;
    for (const auto& f : o.files) {
        try {
            const gen::Scenario s = gen::load_scenario(f, scenario_search_dirs());
            if (!o.quiet) std::printf("%s: ok: %s\n", f.c_str(), describe(s).c_str());
        } catch (const ConfigError& e) {
            // Report every file, then fail (exit 2) if any was wrong.
            std::fprintf(stderr, "flowlab: %s\n", e.what());
            ++bad;
        }
    }
    return bad == 0 ? 0 : 2;
}

}  // namespace

void add_scenarios_command(CLI::App& root, Action& action) {
    CLI::App* cmd = root.add_subcommand(
        "scenarios", "The canned scenarios: what ships, what each teaches, and checking a scenario file.");
    cmd->require_subcommand(1);

    auto v = std::make_shared<ValidateOptions>();
    CLI::App* validate = cmd->add_subcommand(
        "validate",
        "Check scenario files the way `flowlab gen` reads them: keys, types, units, ranges and cross-references.\n"
        "Prints one line per valid file; exit code 2 and a message naming the file, the JSON pointer and what was\n"
        "expected for the first mistake of each invalid one. A name without '/' or \".json\" is looked up among\n"
        "the canned scenarios (FLOWLAB_SCENARIOS, then the installed ones).");
    validate->add_option("files", v->files, "scenario files (or canned scenario names)")->required();
    validate->add_flag("-q,--quiet", v->quiet, "print nothing for valid files");
    validate->callback([v, &action] { action = [v] { return run_validate(*v); }; });
}

}  // namespace flowlab::app
