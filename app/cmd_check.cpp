/// @brief `flowlab check`: options in, harness::run_check, verdict (or the sweep table) out.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_units.hpp"
#include "commands.hpp"
#include "console.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/harness/check.hpp"
#include "flowlab/report/report.hpp"
#include "flowlab/verify/report.hpp"

namespace flowlab::app {
namespace {

struct CheckArgs {
    std::string scenario;
    std::string collector;
    std::optional<std::uint64_t> seed;
    std::string start, duration;
    double scale = 1.0;
    double pps = 0, speed = 0, mbps = 0;
    bool topspeed = false;
    std::vector<double> rates;
    std::string workdir;
    bool keep = false;
    bool allow_send_errors = false;
    std::size_t examples = 10;
    std::string report_json, junit, html;
    bool quiet = false;
    ProgressMode progress = ProgressMode::automatic;
};

std::vector<harness::Pace> paces(const CheckArgs& a) {
    if (!a.rates.empty()) {
        std::vector<harness::Pace> out;
        for (double r : a.rates) out.push_back(harness::Pace::pps(r));
        return out;
    }
    if (a.topspeed) return {harness::Pace::topspeed()};
    if (a.speed > 0) return {harness::Pace::speed(a.speed)};
    if (a.mbps > 0) return {harness::Pace::mbps(a.mbps)};
    return {harness::Pace::pps(a.pps > 0 ? a.pps : 5000)};
}

int run_check(const CheckArgs& a) {
    Console console("check", a.quiet ? ProgressMode::off : a.progress);
    RunHooks hooks = console.hooks();
    if (a.quiet) hooks.note = nullptr;

    harness::CheckOptions o;
    o.profile = verify::load_profile(a.collector);
    const gen::Scenario scenario = gen::load_scenario(a.scenario, scenario_search_dirs());
    o.source.seed = a.seed;
    o.source.scale = a.scale;
    if (!a.start.empty()) o.source.start_us = core::parse_time_arg(a.start);
    if (!a.duration.empty()) o.source.duration_us = core::parse_duration(a.duration);
    o.workdir = a.workdir;
    const char* tmp = std::getenv("TMPDIR");
    if (tmp && *tmp) o.temp_parent = tmp;
    o.keep = a.keep;
    o.examples = a.examples;
    o.allow_send_errors = a.allow_send_errors;

    const harness::CheckResult r = harness::run_check(scenario, o, paces(a), hooks);
    console.clear();
    // The page draws the same JSON --report-json writes (flowlab report reads either).
    auto write_html = [&](const nlohmann::json& result) {
        if (a.html.empty()) return;
        const std::string title = fmt::format("flowlab check: {} on {}", scenario.name, o.profile.name);
        report::write_result_page(result, "check", title, a.html);
    };
    if (!a.rates.empty()) {
        std::fputs(harness::format_sweep(r).c_str(), stdout);
        nlohmann::json report = nlohmann::json::array();
        for (const auto& run : r.runs) report.push_back(harness::to_json(run));
        if (!a.report_json.empty()) verify::write_file_atomic(a.report_json, report.dump(2) + "\n");
        write_html(report);
    } else {
        const harness::RateRun& run = r.runs.front();
        if (a.quiet) fmt::print("{}\n", run.verdict.verdict());
        else std::fputs(verify::format_text(run.verdict).c_str(), stdout);
        if (!a.report_json.empty()) verify::write_file_atomic(a.report_json, harness::to_json(run).dump(2) + "\n");
        if (!a.html.empty()) write_html(harness::to_json(run));
        if (!a.junit.empty())
            verify::write_file_atomic(a.junit, verify::format_junit(run.verdict, harness::junit_suite_name(scenario, o.profile, run)));
    }
    std::fflush(stdout);
    for (const auto& run : r.runs)
        if (run.send_failures())
            console.note(fmt::format("{}: {} datagrams were refused by the kernel or not sent{}", run.pace.label,
                                     run.send_failures(),
                                     a.allow_send_errors ? " (allowed by --allow-send-errors)"
                                                         : ": the check fails (--allow-send-errors accepts that)"));
    if (r.workdir_kept) console.note("work directory kept: " + r.workdir);
    return r.exit_code();
}

}  // namespace

void add_check_command(CLI::App& root, Action& action) {
    auto a = std::make_shared<CheckArgs>();
    CLI::App* cmd = root.add_subcommand(
        "check",
        "Test a real collector end to end: generate a scenario's exports, start the collector (a profile in\n"
        "verify/collectors: nfcapd, nfacctd, or a JSON file of yours) on a loopback port, replay the exports to\n"
        "it (each exporter from its own 127.0.0.x address), stop it by PID, and verify what it stored record by\n"
        "record. With --rates, one fresh collector per rate and a table: the highest loss-free rate is its capacity.\n"
        "Exit status: 0 match (every rate), 1 differences or datagrams the kernel refused, 2 bad input or the\n"
        "collector could not run, 130/143 interrupted (the collector is stopped, the work directory removed).");
    cmd->add_option("scenario", a->scenario, "canned scenario name or scenario file")->required();
    cmd->add_option("--collector", a->collector, "collector profile: name (nfcapd, nfacctd) or JSON file")->required();
    cmd->add_option("--seed", a->seed, "gen: random seed (default: the scenario's)");
    cmd->add_option("--start", a->start, "gen: start time, ISO 8601 with a zone, a date, now or Unix seconds")
        ->check(units::time());
    cmd->add_option("--duration", a->duration, "gen: span to generate, with a unit: 2h, 1d, 1h30m")->check(units::duration());
    cmd->add_option("--scale", a->scale, "gen: multiply every arrival rate")->check(CLI::PositiveNumber);
    auto* pps =
        cmd->add_option("--pps", a->pps, "replay: messages per second: 5000, 50k (default 5k)")->transform(units::packet_rate());
    auto* speed =
        cmd->add_option("--speed", a->speed, "replay: original spacing, this many times faster")->check(CLI::PositiveNumber);
    auto* mbps = cmd->add_option("--mbps", a->mbps, "replay: megabits per second on the IP layer")
                     ->transform(units::count())
                     ->check(CLI::PositiveNumber);
    auto* top = cmd->add_flag("--topspeed", a->topspeed, "replay: as fast as the kernel takes them");
    auto* rates = cmd->add_option("--rates", a->rates, "sweep: messages per second, e.g. 10k,50k,100k (one collector run each)")
                      ->delimiter(',')
                      ->transform(units::packet_rate());
    pps->excludes(speed, mbps, top, rates);
    speed->excludes(mbps, top, rates);
    mbps->excludes(top, rates);
    top->excludes(rates);
    cmd->add_flag("--allow-send-errors", a->allow_send_errors,
                  "datagrams the kernel refused or could not send do not fail the check");
    cmd->add_option("--workdir", a->workdir,
                    "keep everything (exports, truth, collector output, logs) in this directory after a successful run");
    cmd->add_flag("--keep", a->keep, "keep the work directory even after a failure, and print where it is");
    cmd->add_option("--examples", a->examples, "examples listed per kind of difference (default 10)")
        ->transform(units::count());
    cmd->add_option("--report-json", a->report_json, "write the verification result(s) as JSON");
    cmd->add_option("--html", a->html,
                    "write the verdict (or the sweep: sent vs stored per rate, the capacity marked) as one self-contained\n"
                    "HTML page, as `flowlab report` draws the --report-json result");
    cmd->add_option("--junit", a->junit, "write a JUnit XML report (suite named after the scenario, collector and rate)")
        ->excludes(rates);
    cmd->add_flag("-q,--quiet", a->quiet, "print only the verdict");
    add_progress_flags(cmd, a->progress);
    cmd->callback([a, &action] { action = [a] { return run_check(*a); }; });
}

}  // namespace flowlab::app
