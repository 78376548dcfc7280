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
#include "flowlab/harness/capacity.hpp"
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
    std::string step_min = "2s";
    double step_buffers = 1;
    bool allow_short = false;
    double loss_threshold = 0;
    bool find_capacity = false;
    double start_rate = 10'000, max_rate = 0, resolution = 0.05;
    std::size_t max_steps = 16;
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
    o.allow_short = a.allow_short;
    o.loss_threshold = a.loss_threshold;
    if (!a.rates.empty() || a.find_capacity) {
        harness::StepMinimum step;
        step.min_ns = core::parse_duration(a.step_min) * 1000;
        step.buffers = a.step_buffers;
        if (step.min_ns > 0 || step.buffers > 0) o.step = step;
    }

    if (a.find_capacity) {
        harness::SearchOptions so;
        so.start_pps = a.start_rate;
        so.max_pps = a.max_rate;
        so.resolution = a.resolution;
        so.max_steps = a.max_steps;
        const harness::CapacityResult c = harness::run_capacity_search(scenario, o, so, hooks);
        console.clear();
        std::fputs(harness::format_sweep(c.check, false).c_str(), stdout);
        std::fputs(harness::format_search(c.search, o.loss_threshold).c_str(), stdout);
        nlohmann::json steps = nlohmann::json::array();
        for (const auto& run : c.check.runs) steps.push_back(harness::to_json(run, o));
        if (!a.report_json.empty()) {
            nlohmann::json j = {{"kind", "capacity_search"}, {"loss_threshold", o.loss_threshold}, {"steps", steps}};
            const auto& s = c.search;
            auto probe = [](const std::optional<harness::Probe>& p) -> nlohmann::json {
                if (!p) return nullptr;
                return {{"rate_pps", p->requested_pps}, {"achieved_pps", p->achieved_pps}, {"loss_fraction", p->loss},
                        {"outcome", std::string(harness::outcome_name(p->outcome))}};
            };
            j["capacity"] = probe(s.last_pass);
            j["first_fail"] = probe(s.first_fail);
            j["bracket"] = s.bracket() ? nlohmann::json(*s.bracket()) : nlohmann::json(nullptr);
            j["upper_bound"] = std::string(harness::upper_bound_name(s.bound));
            j["summary"] = harness::format_search(s, o.loss_threshold);
            verify::write_file_atomic(a.report_json, j.dump(2) + "\n");
        }
        if (!a.html.empty()) {
            // The page draws the probes as a sweep (sorted by rate), the search's own lines on top.
            report::write_result_page(steps, "check",
                                      fmt::format("flowlab check --find-capacity: {} on {}", scenario.name, o.profile.name),
                                      a.html);
        }
        if (!a.junit.empty())
            verify::write_file_atomic(a.junit, harness::format_sweep_junit(c.check.runs, o,
                                                                           scenario.name + " on " + o.profile.name + " capacity search"));
        std::fflush(stdout);
        if (c.check.workdir_kept) console.note("work directory kept: " + c.check.workdir);
        // Exit 0 when a capacity was found (the failing probes above it are the search's point).
        return c.search.last_pass ? 0 : 1;
    }

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
        for (const auto& run : r.runs) report.push_back(harness::to_json(run, o));
        if (!a.report_json.empty()) verify::write_file_atomic(a.report_json, report.dump(2) + "\n");
        write_html(report);
        if (!a.junit.empty())
            verify::write_file_atomic(a.junit,
                                      harness::format_sweep_junit(r.runs, o, scenario.name + " on " + o.profile.name + " rate sweep"));
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
        "record. With --rates, one fresh collector per rate and a table (requested and achieved rate, messages and\n"
        "records sent, stored, lost and where, kernel drops while sending); a rate the sender achieved less than\n"
        "99% of is SHORT and never passes. Each rate sends for at least --step-min and --step-buffers times the\n"
        "collector's receive buffer, replaying the exports in loops with rebased times (the truth repeated alike).\n"
        "--find-capacity searches (doubling, then bisection) for the highest rate with loss <= --loss-threshold.\n"
        "Exit status: 0 match (every rate; --find-capacity: a capacity was found), 1 differences, loss, SHORT rates\n"
        "(unless --allow-short) or datagrams the kernel refused, 2 bad input or the collector could not run,\n"
        "130/143 interrupted (the collector is stopped, the work directory removed).");
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
    auto* find = cmd->add_flag("--find-capacity", a->find_capacity,
                               "search for the highest rate (messages/s) with loss <= --loss-threshold, achieved within 1%:\n"
                               "doubling from --start-rate until a rate fails, then bisection; prints the rate, the bracket\n"
                               "between the last pass and the first fail, the steps, and whether loss or the sender bounds it");
    cmd->add_option("--start-rate", a->start_rate, "--find-capacity: first rate (default 10k)")
        ->transform(units::packet_rate())
        ->needs(find);
    cmd->add_option("--max-rate", a->max_rate, "--find-capacity: never try above this rate (default: no limit)")
        ->transform(units::packet_rate())
        ->needs(find);
    cmd->add_option("--resolution", a->resolution,
                    "--find-capacity: stop bisecting once the bracket is this narrow (default 5%)")
        ->transform(units::fraction())
        ->needs(find);
    cmd->add_option("--max-steps", a->max_steps, "--find-capacity: most collector runs (default 16)")
        ->check(CLI::PositiveNumber)
        ->needs(find);
    cmd->add_option("--loss-threshold", a->loss_threshold,
                    "--rates/--find-capacity: records lost (of those sent) a rate may have and still pass: 0.1%, 0.001\n"
                    "(default 0: none)")
        ->transform(units::fraction());
    cmd->add_option("--step-min", a->step_min,
                    "--rates/--find-capacity: each rate sends for at least this long (default 2s; 0s: no minimum)")
        ->check(units::duration());
    cmd->add_option("--step-buffers", a->step_buffers,
                    "--rates/--find-capacity: and at least this many times the collector socket's receive buffer\n"
                    "(SO_RCVBUF, read from its socket) in UDP payload bytes (default 1: the kernel charges each datagram\n"
                    "its payload plus about 700 bytes of bookkeeping, so the buffer holds fewer datagrams than that; 0: no\n"
                    "minimum)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--allow-short", a->allow_short,
                  "rates the sender achieved less than 99% of do not fail the check (they still never count as passed)");
    pps->excludes(speed, mbps, top, rates, find);
    speed->excludes(mbps, top, rates, find);
    mbps->excludes(top, rates, find);
    top->excludes(rates, find);
    rates->excludes(find);
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
    cmd->add_option("--junit", a->junit,
                    "write a JUnit XML report (suite named after the scenario, collector and rate; --rates and\n"
                    "--find-capacity: one testcase per rate)");
    cmd->add_flag("-q,--quiet", a->quiet, "print only the verdict");
    add_progress_flags(cmd, a->progress);
    cmd->callback([a, &action] { action = [a] { return run_check(*a); }; });
}

}  // namespace flowlab::app
