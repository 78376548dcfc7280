/// @brief `flowlab report`: nfsen-like pictures of a gen output directory, a collector's data and
/// verify/check/conformance results, as one self-contained HTML page.
#include <memory>
#include <string>
#include <vector>

#include "cli_units.hpp"
#include "commands.hpp"
#include "console.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/report/page.hpp"
#include "flowlab/report/report.hpp"

namespace flowlab::app {
namespace {

struct ReportArgs {
    std::vector<std::string> inputs;
    std::vector<std::string> collected;
    std::string output;
    std::string title;
    bool answers = false;
    std::size_t top = 10;
    std::size_t candidates = 10;
    std::string memory_limit;
    bool quiet = false;
    ProgressMode progress = ProgressMode::automatic;
};

int run_report(const ReportArgs& a) {
    report::ReportOptions o;
    o.inputs = a.inputs;
    for (const auto& c : a.collected) o.collected.push_back(verify::parse_collected_spec(c));
    o.output = a.output;
    o.title = a.title;
    o.answers = a.answers;
    o.top = a.top;
    o.traffic.candidates = std::max(a.candidates, a.top);
    if (!a.memory_limit.empty()) o.memory_limit = static_cast<std::uint64_t>(core::parse_bytes(a.memory_limit));
    o.scenario_dirs = scenario_search_dirs();
    Console console("report", a.quiet ? ProgressMode::off : a.progress);
    const report::ReportSummary s = report::write_report(o, console.hooks());
    console.clear();
    for (const auto& n : s.notes) console.note("note: " + n);
    if (!a.quiet) console.note(s.line());
    return 0;
}

}  // namespace

void add_report_command(CLI::App& root, Action& action) {
    auto a = std::make_shared<ReportArgs>();
    std::string where;
    for (const auto& c : report::chart_library_candidates()) where += (where.empty() ? "" : ", ") + c;
    CLI::App* cmd = root.add_subcommand(
        "report",
        "Draw nfsen-like pictures as one self-contained HTML page (no network access when opened, small\n"
        "enough to mail): traffic in 5-minute slots per exporter and protocol (flows, packets or bytes, stacked),\n"
        "a time window you select, each week over the others, and the top hosts, ports and conversations of the\n"
        "window by flows and by bytes with the nfdump command that gives the same table.\n"
        "Inputs: a gen output directory (its truth), a directory of nfcapd files, a collector's output file\n"
        "(any format verify reads), the JSON of verify --report-json, check --report-json (also with --rates)\n"
        "and conformance report cards. Each input is one section of the page.\n"
        "The lesson's answer and the scenario's events are marked only with --answers.\n"
        "Charts: Chart.js from Debian's libjs-chart.js, read from " + where + ".\n"
        "Exit status: 0 written, 2 bad input or usage, 130/143 interrupted (nothing written).");
    cmd->add_option("inputs", a->inputs, "gen output directories, nfcapd directories, collector output or result JSON files");
    cmd->add_option("--collected", a->collected, "a collector's data, [TOOL:]PATH as for verify (repeatable)");
    cmd->add_option("-o,--output", a->output, "the HTML file to write")->required();
    cmd->add_option("--title", a->title, "the page's title");
    cmd->add_flag("--answers", a->answers, "mark the lesson's answer and the scenario's events (for teachers)");
    cmd->add_option("--top", a->top, "rows per ranking table (default 10, as nfdump -n)")->check(CLI::Range(1, 1000));
    cmd->add_option("--candidates", a->candidates,
                    "keys kept per 5-minute cell and dimension, by flows and by bytes (default 10, at least --top);\n"
                    "hour, day and week cells keep 4, 10 and 20 times as many. More makes rankings exact for more\n"
                    "windows and the page larger")
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--memory-limit", a->memory_limit,
                    "refuse, before reading, an input whose aggregation and page data would need more memory, and stop\n"
                    "(writing nothing) if they grow past it, e.g. 2G, 512M (default: half of this machine's memory; the\n"
                    "summary states what they held, the peak and its bound)")
        ->check(units::size());
    cmd->add_flag("-q,--quiet", a->quiet, "no progress and no summary line");
    add_progress_flags(cmd, a->progress);
    cmd->callback([a, &action] { action = [a] { return run_report(*a); }; });
}

}  // namespace flowlab::app
