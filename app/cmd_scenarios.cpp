/// @brief `flowlab scenarios`: what ships (list), what each teaches (show: story and question,
/// never the answer), whether a student's answer is right (answer, against the teacher's key),
/// whether a scenario file is valid (validate), and a copy to start from (copy, with its schema).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_units.hpp"
#include "commands.hpp"
#include "flowlab/core/atomic_file.hpp"
#include "flowlab/core/data_dirs.hpp"
#include "flowlab/core/excerpt.hpp"
#include "run_options.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/ip_address.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/gen/dialect.hpp"
#include "flowlab/gen/answer_grade.hpp"
#include "flowlab/gen/answer_key.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/units.hpp"

namespace flowlab::app {

std::vector<std::string> scenario_search_dirs() {
    return core::data_dirs(core::DataKind::scenarios);
}

namespace {

struct ValidateOptions {
    std::vector<std::string> files;
    bool quiet = false;
    RunOptions run;
};

std::string describe(const gen::Scenario& s) {
    std::map<std::string, int> kinds;
    for (const auto& a : s.activities) ++kinds[std::string(a.kind())];
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

namespace fs = std::filesystem;

std::string read_whole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Where the text's "$schema" string value is (offset and length of what is between the
/// quotes), if the document has one. Canned scenarios say "./schema.json": a relative reference
/// that editors resolve against the file's own directory.
std::optional<std::pair<std::size_t, std::size_t>> schema_reference(const std::string& text) {
    const std::size_t key = text.find("\"$schema\"");
    if (key == std::string::npos) return std::nullopt;
    const std::size_t open = text.find('"', text.find(':', key + 9));
    if (open == std::string::npos) return std::nullopt;
    const std::size_t close = text.find('"', open + 1);
    if (close == std::string::npos) return std::nullopt;
    return std::pair{open + 1, close - open - 1};
}

/// The file a "$schema" reference names, for a scenario at `scenario`: relative references
/// against its directory, file:// URLs and absolute paths as they are; other URLs are not
/// files (empty).
std::string schema_file(const std::string& scenario, const std::string& ref) {
    if (ref.rfind("file://", 0) == 0) return ref.substr(7);
    if (ref.find("://") != std::string::npos) return {};
    if (!ref.empty() && ref.front() == '/') return ref;
    return (fs::path(scenario).parent_path() / ref).string();
}

int run_copy(const std::string& name, const std::string& dest) {
    const std::string source = gen::resolve_scenario_path(name, scenario_search_dirs());
    std::string text = read_whole(source);
    gen::parse_scenario_text(text, source);  // a broken scenario is refused here, not copied
    fs::path target = dest;
    std::error_code ec;
    if (fs::is_directory(target, ec)) target /= fs::path(source).filename();
    if (fs::exists(target, ec)) throw UsageError(target.string() + " exists; choose another name (nothing was written)");
    if (!fs::is_directory(target.parent_path().empty() ? fs::path(".") : target.parent_path(), ec))
        throw UsageError("no directory " + target.parent_path().string() + " to copy " + name + " into");

    std::string schema_note;
    if (const auto at = schema_reference(text)) {
        const std::string ref = text.substr(at->first, at->second);
        const std::string schema = schema_file(source, ref);
        if (!schema.empty() && fs::exists(schema, ec)) {
            const std::string beside = schema_file(target.string(), ref);
            const std::string wanted = read_whole(schema);
            if (!fs::exists(beside, ec)) {
                core::AtomicFile f(beside);
                if (std::fwrite(wanted.data(), 1, wanted.size(), f.get()) != wanted.size())
                    throw IoError(beside + ": write failed: " + std::strerror(errno));
                f.commit();
                schema_note = "its JSON Schema copied beside it: " + beside;
            } else if (read_whole(beside) == wanted) {
                schema_note = "its JSON Schema is already beside it: " + beside;
            } else {
                // Another schema.json is there (another tool's, or another flowlab's): point at ours.
                const std::string absolute = fs::absolute(schema).lexically_normal().string();
                text.replace(at->first, at->second, absolute);
                schema_note = beside + " is another schema, so \"$schema\" now names " + absolute;
            }
        }
    }
    core::AtomicFile f(target.string());
    if (std::fwrite(text.data(), 1, text.size(), f.get()) != text.size())
        throw IoError(target.string() + ": write failed: " + std::strerror(errno));
    f.commit();
    fmt::print("copied {} to {}{}{}\n", source, target.string(), schema_note.empty() ? "" : "; ",
               schema_note);
    return 0;
}

/// Editors find a scenario's JSON Schema through its "$schema": say so when it names a file
/// that is not there (a canned scenario copied by hand without schema.json).
void note_missing_schema(const std::string& file) {
    std::string text;
    try {
        text = read_whole(file);
    } catch (const IoError&) {
        return;
    }
    const auto at = schema_reference(text);
    if (!at) return;
    const std::string ref = text.substr(at->first, at->second);
    const std::string schema = schema_file(file, ref);
    std::error_code ec;
    if (schema.empty() || fs::exists(schema, ec)) return;
    fmt::print(
        stderr,
        "flowlab: note: {}: its \"$schema\" ({}) names {}, which does not exist: editors will not find "
        "the schema (`flowlab scenarios copy NAME DIR` copies a scenario with its schema)\n",
        file, core::excerpt(ref, 200), schema);
}

int run_validate(const ValidateOptions& o) {
    int bad = 0;
    for (const auto& f : o.files) {
        try {
            const gen::Scenario s = gen::load_scenario(f, scenario_search_dirs());
            // The checks gen runs before it starts, with the same overrides and memory limit.
            const gen::RunEstimate e = o.run.check(s);
            if (!o.quiet)
                fmt::print("{}: ok: {}; {}\n", f, describe(s),
                           describe_estimate(e, o.run.memory_limit_bytes()));
            if (!s.file.empty()) note_missing_schema(s.file);
        } catch (const gen::ScenarioErrors& e) {
            // Every error of every file, then fail (exit 2) if any was wrong.
            for (const auto& x : e.errors()) fmt::print(stderr, "flowlab: {}\n", x.what());
            if (e.unlisted() > 0) fmt::print(stderr, "flowlab: {}: and {} more errors\n", f, e.unlisted());
            ++bad;
        } catch (const ConfigError& e) {
            fmt::print(stderr, "flowlab: {}\n", e.what());
            ++bad;
        }
    }
    return bad == 0 ? 0 : 2;
}

/// Canned scenarios in search order; a name found in an earlier directory hides later ones.
std::vector<gen::Scenario> canned_scenarios(std::vector<std::string>& broken) {
    std::vector<gen::Scenario> out;
    std::set<std::string> names;
    for (const auto& dir : scenario_search_dirs()) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) continue;
        std::vector<std::filesystem::path> files;
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
            const auto& p = e.path();
            if (e.is_regular_file() && p.extension() == ".json" && p.filename() != "schema.json") files.push_back(p);
            else if (e.is_directory() && std::filesystem::exists(p / "scenario.json")) files.push_back(p / "scenario.json");
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            try {
                gen::Scenario s = gen::load_scenario(f.string(), {});
                if (names.insert(s.name).second) out.push_back(std::move(s));
            } catch (const Error& e) {
                broken.push_back(e.what());
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

std::string protocols_of(const gen::Scenario& s) {
    std::set<std::string> protos;
    bool v4 = false, v6 = false;
    for (const auto& e : s.exporters) protos.insert(std::string(gen::to_string(e.protocol)));
    for (const auto& n : s.networks) (n.cidr.is_v4() ? v4 : v6) = true;
    std::string p;
    for (const auto& x : protos) p += (p.empty() ? "" : "+") + x;
    return p + (v4 && v6 ? ", IPv4+IPv6" : v6 ? ", IPv6" : ", IPv4");
}

int run_list() {
    std::vector<std::string> broken;
    const auto all = canned_scenarios(broken);
    fmt::print("{:<20} {:<6} {:<20} {}\n", "NAME", "SPAN", "PROTOCOLS", "SUMMARY");
    for (const auto& s : all)
        fmt::print("{:<20} {:<6} {:<20} {}\n", s.name, gen::format_duration(s.duration_us), protocols_of(s),
                   s.summary);
    for (const auto& b : broken) fmt::print(stderr, "flowlab: skipped: {}\n", b);
    if (all.empty()) {
        fmt::print(
            stderr,
            "flowlab: no canned scenarios found (searched $FLOWLAB_SCENARIOS and the installed ones)\n");
        return 2;
    }
    return 0;
}

int run_dialects() {
    const auto all = gen::list_dialects();
    if (all.empty()) {
        fmt::print(stderr,
                   "flowlab: no dialects found (searched $FLOWLAB_DIALECTS and the installed ones)\n");
        return 2;
    }
    for (const auto& d : all) {
        fmt::print("{:<22} {:<6} {}\n", d.name, d.protocol, d.description);
        fmt::print("{:<22} {:<6} source: {}\n", "", "", d.source);
    }
    return 0;
}

int run_show(const std::string& name) {
    const gen::Scenario s = gen::load_scenario(name, scenario_search_dirs());
    fmt::print("{}: {}\n", s.name, s.summary);
    fmt::print("span: {} from {}; seed {}; exporters:", gen::format_duration(s.duration_us),
               gen::format_time(s.start_us), s.seed);
    for (const auto& e : s.exporters)
        fmt::print(" {} ({}, {})", e.name, std::string(gen::to_string(e.protocol)),
                   gen::address_text(e.address));
    fmt::print("\n\n");
    if (!s.lesson) {
        fmt::print("This scenario has no lesson.\n");
        return 0;
    }
    fmt::print("Story\n  {}\n\nQuestion\n  {}\n\n", s.lesson->story, s.lesson->question);
    // The same steps for every lesson: each lesson's data is a gen directory, and the report
    // draws any of them. A step per lesson ("look at the flows at night") would point at the
    // answer, and a field in every scenario file would repeat this text nine times.
    fmt::print("Generate it:      flowlab gen {} -o {}\n", s.name, s.name);
    fmt::print("Look at the data: flowlab report {} -o {}.html   (open it in a browser: traffic over time,\n"
               "                  top hosts, ports and conversations of any window you drag across the chart)\n",
               s.name, s.name);
    fmt::print("                  flowlab decode {}/exports.pcap   (the records; or replay it into your collector)\n",
               s.name);
    fmt::print("Check an answer:  flowlab scenarios answer {} --from {} --help\n", s.name, s.name);
    return 0;
}

struct AnswerOptions {
    std::string name;
    std::string from;
    std::string host;
    std::string start, end;
    std::vector<std::string> windows;
    std::optional<double> peak_rate;
    std::optional<int> port;
    std::string totals;
    std::string tolerance = "2m";
    double rate_tolerance = 0.10;
    double bytes_tolerance = 0.01;
    bool reveal = false;
    std::string key;
};

std::int64_t parse_time_arg(const std::string& what, const std::string& text) {
    try {
        return core::parse_time_arg(text);
    } catch (const core::UnitError& e) {
        throw UsageError(what + ": " + e.what());
    }
}

std::string window_text(const gen::AnswerWindow& w) {
    return gen::format_time(w.start_us) + " to " + gen::format_time(w.end_us);
}

/// A whole JSON file; a syntax error names the line (nlohmann reports it) and exits 2.
template <class JsonType = nlohmann::json>
JsonType read_json_file(const std::string& path, const std::string& unreadable_hint) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot read " + path + unreadable_hint);
    try {
        return JsonType::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw InputError(path, InputError::Place{}, std::string("invalid JSON: ") + e.what());
    }
}

int run_answer(const AnswerOptions& o) {
    const std::string path = o.from + "/manifest.json";
    const nlohmann::json m = read_json_file(path, " (is --from the output directory of `flowlab gen`?)");
    const std::string got_name = m.value("/scenario/name"_json_pointer, std::string());
    if (got_name != o.name)
        throw UsageError(path + ": /scenario/name: the output is of scenario \"" + got_name + "\", not \"" + o.name + "\"");
    const gen::Json key = gen::find_answer_key(o.from, o.key, scenario_search_dirs());

    // Parse everything the student gave before judging anything: bad input is exit 2.
    gen::StudentAnswer answer;
    answer.time_tolerance_us = gen::parse_duration(o.tolerance);
    answer.rate_tolerance = o.rate_tolerance;
    answer.bytes_tolerance = o.bytes_tolerance;
    answer.peak_rate_per_s = o.peak_rate;
    answer.port = o.port;
    if (!o.host.empty()) {
        answer.host = core::IpAddress::parse(o.host);
        if (!answer.host) throw UsageError("--host: '" + o.host + "' is not an IPv4 or IPv6 address");
    }
    for (const auto& w : o.windows) {
        const auto slash = w.find('/');
        if (slash == std::string::npos) throw UsageError("--window: expected START/END, e.g. 2024-02-06T10:41Z/2024-02-06T10:46Z, got '" + w + "'");
        answer.windows.push_back({parse_time_arg("--window", w.substr(0, slash)), parse_time_arg("--window", w.substr(slash + 1))});
    }
    if (!o.start.empty()) answer.start_us = parse_time_arg("--start", o.start);
    if (!o.end.empty()) {
        if (!answer.start_us) throw UsageError("--end needs --start");
        answer.windows.push_back({*answer.start_us, parse_time_arg("--end", o.end)});
    }
    for (const auto& w : answer.windows)
        if (w.end_us < w.start_us) throw UsageError("a window ends before it starts: " + window_text(w));
    if (!o.totals.empty()) {
        gen::Json totals = read_json_file<gen::Json>(o.totals, "");
        if (!totals.is_object()) throw InputError(o.totals, InputError::Place{}, "expected a JSON object {\"name\": bytes, ...}");
        for (const auto& [k, v] : totals.items())
            if (!v.is_number() || v.get<double>() < 0)
                throw InputError(o.totals, InputError::Place{}, "/" + k + ": expected a number of bytes, got " + v.dump());
        answer.totals = std::move(totals);
    }
    if (!answer.host && answer.windows.empty() && !answer.start_us && !answer.peak_rate_per_s && !answer.port && !answer.totals)
        throw UsageError("nothing to check: give --host, --window/--start/--end, --peak-rate, --port and/or --totals");

    const gen::AnswerGrade grade = gen::grade_answer(key, answer);
    for (const auto& p : grade.parts) {
        fmt::print("{:<10} {}\n", p.name, p.right ? "right" : "wrong");
        for (const auto& d : p.details) fmt::print("           {}\n", d);
    }
    for (const auto& x : grade.not_asked) fmt::print("{:<10} not part of this question\n", x);
    for (const auto& x : grade.missing) fmt::print("{:<10} {}\n", "missing", x);
    if (o.reveal) fmt::print("answer key: {}\n", key.dump());
    fmt::print("{}\n", grade.right() ? "RIGHT" : "NOT YET");
    return grade.right() ? 0 : 1;
}

}  // namespace

void add_scenarios_command(CLI::App& root, Action& action) {
    CLI::App* cmd = root.add_subcommand(
        "scenarios", "The canned scenarios: what ships, what each teaches, and checking a scenario file.");
    cmd->require_subcommand(1);

    auto v = std::make_shared<ValidateOptions>();
    CLI::App* validate = cmd->add_subcommand(
        "validate",
        "Check scenario files with the very checks `flowlab gen` runs before it starts: keys, types, units,\n"
        "ranges, cross-references, and the run itself (span, export times, exporter limits, upper bounds on\n"
        "rates, conversations and memory) with the same --start/--duration/--scale/--memory-limit: a file that\n"
        "passes here, gen runs. Prints one line per valid file with the run's estimate; for an invalid one every\n"
        "mistake (file:line:column, JSON pointer, what was expected) and exit code 2. A name without '/' or\n"
        "\".json\" is looked up among the canned scenarios (FLOWLAB_SCENARIOS, then the installed ones).");
    validate->add_option("files", v->files, "scenario files (or canned scenario names)")->required();
    validate->add_flag("-q,--quiet", v->quiet, "print nothing for valid files");
    v->run.add_to(validate);
    validate->callback([v, &action] { action = [v] { return run_validate(*v); }; });

    CLI::App* list = cmd->add_subcommand("list", "The canned scenarios: name, span, export protocols and address families, summary.");
    list->callback([&action] { action = [] { return run_list(); }; });

    CLI::App* dialects = cmd->add_subcommand(
        "dialects", "The exporter dialects `flowlab gen --dialect` and an exporter's \"dialect\" key can name, with the\n"
                    "public source of each layout. Each file is checked (templates, options, values) as it is listed.");
    dialects->callback([&action] { action = [] { return run_dialects(); }; });

    auto copy_args = std::make_shared<std::pair<std::string, std::string>>();
    CLI::App* copy = cmd->add_subcommand(
        "copy",
        "Copy a canned scenario (or a scenario file) to start your own: DEST is a file or a directory. Its\n"
        "JSON Schema (\"$schema\") comes along, so that an editor still completes and checks it there: schema.json is\n"
        "copied beside it, or, when another schema.json is already there, \"$schema\" names the installed one.\n"
        "Nothing is overwritten.");
    copy->add_option("name", copy_args->first, "canned scenario name or scenario file")->required();
    copy->add_option("dest", copy_args->second, "file or directory to copy it to")->required();
    copy->callback([copy_args, &action] {
        action = [copy_args] { return run_copy(copy_args->first, copy_args->second); };
    });

    auto show_name = std::make_shared<std::string>();
    CLI::App* show = cmd->add_subcommand("show", "A canned scenario's story and question (never its answer) and how to start.");
    show->add_option("name", *show_name, "canned scenario name or scenario file")->required();
    show->callback([show_name, &action] { action = [show_name] { return run_show(*show_name); }; });

    auto a = std::make_shared<AnswerOptions>();
    CLI::App* answer = cmd->add_subcommand(
        "answer",
        "Check a student's answer against the lesson's answer key. The key is never in the student's directory:\n"
        "it is read from --key, or from DIR.answer-key.json beside DIR (`flowlab gen --answer-key`), or recomputed\n"
        "by running the scenario again with the seed and span of DIR/manifest.json.\n"
        "Give the parts the question asks for; each is judged right or wrong (the key is not shown):\n"
        "  host       --host: the address, exactly (IPv6 in any spelling)\n"
        "  windows    --window START/END, once per episode (or --start/--end for one): every episode of the\n"
        "             key must have a window whose start AND end are both within --tolerance (default 2m)\n"
        "             of the episode's, and no window may match no episode\n"
        "  start      --start: within --tolerance of the key's start (first packet)\n"
        "  peak rate  --peak-rate: flows per second, within 10% of the key's (busiest bin, e.g. one minute)\n"
        "  totals     --totals FILE: JSON {\"name\": bytes, ...}, every name of the key within 1%\n"
        "  port       --port: checked when given and the key has one\n"
        "Exit status: 0 right (every part the key has was answered and is right), 1 wrong or incomplete,\n"
        "2 bad input (no manifest, another scenario's output, unreadable times or files).");
    answer->add_option("name", a->name, "the scenario's name")->required();
    answer->add_option("--from", a->from, "output directory of `flowlab gen` (holds manifest.json)")->required();
    answer->add_option("--host", a->host, "the host you found");
    answer->add_option("--window", a->windows, "an episode as START/END (ISO 8601 times with a zone); repeat per episode");
    answer->add_option("--start", a->start, "a start time (ISO 8601 with a zone)")->check(units::time());
    answer->add_option("--end", a->end, "with --start: the end of a single window")->check(units::time());
    answer->add_option("--peak-rate", a->peak_rate, "peak rate in flows per second (1500, 1.5k)")
        ->transform(units::count());
    answer->add_option("--port", a->port, "port")->check(CLI::Range(0, 65535));
    answer->add_option("--totals,--bill", a->totals, "JSON file of byte totals, e.g. {\"acme\": 123456, ...}");
    answer->add_option("--tolerance", a->tolerance, "how far times may be off, with a unit (default 2m)")
        ->check(units::duration());
    answer->add_flag("--reveal", a->reveal, "also print the answer key (for teachers)");
    answer->add_option("--key", a->key, "the teacher's answer key (from `flowlab gen --answer-key`)");
    answer->callback([a, &action] { action = [a] { return run_answer(*a); }; });
}

}  // namespace flowlab::app
