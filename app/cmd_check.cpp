/// @brief `flowlab check`: gen -> replay -> a real collector -> verify, one verdict (or one
/// row per rate with --rates). The pieces are the libraries; this file only strings them
/// together, owns the work directory and the signals.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_units.hpp"
#include "commands.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/gen/gen_run.hpp"
#include "flowlab/gen/units.hpp"
#include "flowlab/replay/replay.hpp"
#include "flowlab/verify/collector_run.hpp"
#include "flowlab/verify/report.hpp"
#include "flowlab/verify/verify.hpp"

namespace flowlab::app {
namespace {
namespace fs = std::filesystem;

std::atomic<bool> g_check_stop{false};
extern "C" void on_check_signal(int) { g_check_stop.store(true, std::memory_order_relaxed); }

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
    std::size_t examples = 10;
    std::string report_json, junit;
    bool quiet = false;
};

std::string rate_label(double pps) {
    char b[32];
    if (pps >= 1e6 && std::fmod(pps, 1e5) == 0) std::snprintf(b, sizeof b, "%gM", pps / 1e6);
    else if (pps >= 1e3 && std::fmod(pps, 100) == 0) std::snprintf(b, sizeof b, "%gk", pps / 1e3);
    else std::snprintf(b, sizeof b, "%g", pps);
    return b;
}

struct RateResult {
    std::string label;
    replay::ReplayStats sent;
    verify::VerifyResult verdict;
};

/// One collector run at one timing: start, send, finish, verify.
RateResult run_once(const CheckArgs& a, const verify::CollectorProfile& profile, const std::string& gen_dir,
                    const std::string& run_dir, const replay::Timing& timing, const std::string& label) {
    verify::CollectorRunOptions co;
    co.dir = run_dir;
    verify::CollectorRun collector(profile, co);
    if (!a.quiet)
        std::fprintf(stderr, "flowlab check: %s listening on 127.0.0.1:%u (pid %d), sending at %s\n", profile.name.c_str(),
                     collector.port(), static_cast<int>(collector.pid()), label.c_str());

    replay::ExportsOptions eo;
    eo.path = gen_dir + "/exports.pcap";
    eo.target = replay::resolve_target("127.0.0.1:" + std::to_string(collector.port()));
    eo.timing = timing;
    eo.exporter_src = replay::parse_exporter_source("auto");
    replay::RunControl rc;
    rc.stop = &g_check_stop;
    rc.note = [&](const std::string& n) {
        if (!a.quiet) std::fprintf(stderr, "flowlab check: replay: %s\n", n.c_str());
    };
    RateResult out;
    out.label = label;
    out.sent = replay::replay_exports(eo, rc);
    if (out.sent.error) std::rethrow_exception(out.sent.error);
    if (g_check_stop.load()) throw Error("interrupted");
    if (!a.quiet) std::fprintf(stderr, "flowlab check: replay: %s\n", replay::summary_line(out.sent).c_str());

    verify::VerifyOptions vo;
    vo.truth_dir = gen_dir;
    vo.collected = collector.finish();
    vo.profile = profile;
    vo.examples = a.examples;
    // Each exporter was sent from its own loopback address: map them back to the truth's.
    for (const auto& [exporter, local] : out.sent.sources) {
        const auto colon = local.rfind(':');
        const auto from = core::IpAddress::parse(local.substr(0, colon));
        const auto to = core::IpAddress::parse(exporter);
        if (from && to) vo.exporter_map.emplace_back(*from, *to);
    }
    out.verdict = verify::verify(vo);
    return out;
}

int run_check(const CheckArgs& a) {
    const verify::CollectorProfile profile = verify::load_profile(a.collector);
    (void)verify::parse_run_spec(profile);  // a profile without "run" fails before any work
    const gen::Scenario scenario = gen::load_scenario(a.scenario, scenario_search_dirs());

    const int pacings = (a.pps > 0) + (a.speed > 0) + (a.mbps > 0) + (a.topspeed ? 1 : 0) + (!a.rates.empty());
    if (pacings > 1) throw UsageError("choose one of --pps, --speed, --mbps, --topspeed and --rates");

    // The work directory: given (kept), or temporary (removed unless --keep).
    std::string work = a.workdir;
    bool remove_work = false;
    if (work.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/flowlab-check-XXXXXX";
        if (!mkdtemp(tmpl.data())) throw IoError("cannot create a work directory in " + tmpl);
        work = tmpl;
        remove_work = !a.keep;
    }
    struct Cleanup {
        std::string dir;
        bool remove;
        ~Cleanup() {
            std::error_code ec;
            if (remove) fs::remove_all(dir, ec);
        }
    } cleanup{work, remove_work};

    struct sigaction sa {};
    sa.sa_handler = on_check_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    gen::GenOptions go;
    go.output_dir = work + "/gen";
    go.source.seed = a.seed;
    go.source.scale = a.scale;
    if (!a.start.empty()) go.source.start_us = core::parse_time_arg(a.start);
    if (!a.duration.empty()) go.source.duration_us = core::parse_duration(a.duration);
    go.progress = stderr_is_tty() && !a.quiet;
    go.interrupted = &g_check_stop;
    const gen::GenSummary g = gen::run_gen(scenario, go);
    if (!a.quiet)
        std::fprintf(stderr, "flowlab check: gen %s (seed %llu, %s): %llu records in %llu messages from %zu exporters\n",
                     scenario.name.c_str(), static_cast<unsigned long long>(g.seed),
                     gen::format_duration(g.end_us - g.start_us).c_str(),
                     static_cast<unsigned long long>(g.stats.records), static_cast<unsigned long long>(g.stats.messages),
                     g.stats.exporters.size());

    if (a.rates.empty()) {
        replay::Timing t;
        std::string label;
        if (a.topspeed) {
            t.pace = replay::Pace::topspeed;
            label = "top speed";
        } else if (a.speed > 0) {
            t.pace = replay::Pace::original;
            t.speed = a.speed;
            label = "speed " + rate_label(a.speed);
        } else if (a.mbps > 0) {
            t.pace = replay::Pace::mbps;
            t.rate = a.mbps;
            label = rate_label(a.mbps) + " Mbps";
        } else {
            t.pace = replay::Pace::pps;
            t.rate = a.pps > 0 ? a.pps : 5000;
            label = rate_label(t.rate) + " pps";
        }
        RateResult r = run_once(a, profile, work + "/gen", work + "/collector", t, label);
        if (!a.quiet) std::fputs(verify::format_text(r.verdict).c_str(), stdout);
        else std::printf("%s\n", r.verdict.verdict().c_str());
        if (!a.report_json.empty()) verify::write_file_atomic(a.report_json, verify::to_json(r.verdict).dump(2) + "\n");
        if (!a.junit.empty()) verify::write_file_atomic(a.junit, verify::format_junit(r.verdict));
        if (a.keep || !a.workdir.empty()) std::fprintf(stderr, "flowlab check: work directory kept: %s\n", work.c_str());
        return r.verdict.match() ? 0 : 1;
    }

    // --rates: one fresh collector per rate, same exports.
    std::vector<RateResult> rows;
    for (double pps : a.rates) {
        replay::Timing t;
        t.pace = replay::Pace::pps;
        t.rate = pps;
        rows.push_back(run_once(a, profile, work + "/gen", work + "/collector-" + rate_label(pps), t, rate_label(pps) + " pps"));
    }
    std::printf("%-10s %12s %12s %12s %12s %10s %10s %10s  %s\n", "rate", "achieved", "messages", "records",
                "received", "lost", "altered", "extra", "verdict");
    std::optional<std::string> capacity;
    bool all_match = true;
    nlohmann::json report = nlohmann::json::array();
    for (const auto& r : rows) {
        const auto& rr = *r.verdict.records;
        std::printf("%-10s %12.0f %12llu %12llu %12llu %12llu %10llu %10llu  %s\n", r.label.c_str(), r.sent.pps(),
                    static_cast<unsigned long long>(r.sent.packets), static_cast<unsigned long long>(rr.truth_records),
                    static_cast<unsigned long long>(rr.collected_records), static_cast<unsigned long long>(rr.missing),
                    static_cast<unsigned long long>(rr.altered),
                    static_cast<unsigned long long>(rr.unexpected + rr.duplicated),
                    r.verdict.match() ? "MATCH" : "DIFFERENT");
        if (r.verdict.match() && rr.missing == 0) capacity = r.label;
        all_match = all_match && r.verdict.match();
        nlohmann::json j = verify::to_json(r.verdict);
        j["rate"] = r.label;
        j["achieved_pps"] = r.sent.pps();
        j["messages_sent"] = r.sent.packets;
        report.push_back(j);
    }
    if (capacity)
        std::printf("capacity: no loss up to %s on this machine (the highest loss-free rate of this sweep)\n", capacity->c_str());
    else
        std::printf("capacity: records were lost or altered at every rate of this sweep\n");
    if (!a.report_json.empty()) verify::write_file_atomic(a.report_json, report.dump(2) + "\n");
    if (a.keep || !a.workdir.empty()) std::fprintf(stderr, "flowlab check: work directory kept: %s\n", work.c_str());
    return all_match ? 0 : 1;
}

}  // namespace

void add_check_command(CLI::App& root, Action& action) {
    auto a = std::make_shared<CheckArgs>();
    CLI::App* cmd = root.add_subcommand(
        "check",
        "Test a real collector end to end: generate a scenario's exports, start the collector (a profile in\n"
        "verify/collectors: nfcapd, nfacctd, or a JSON file of yours) on a loopback port, replay the exports to\n"
        "it (each exporter from its own 127.0.0.x address), stop it, and verify what it stored record by record.\n"
        "With --rates, one fresh collector per rate and a table: the highest loss-free rate is its capacity here.\n"
        "Exit status: 0 match (every rate), 1 differences, 2 bad input or the collector could not run.");
    cmd->add_option("scenario", a->scenario, "canned scenario name or scenario file")->required();
    cmd->add_option("--collector", a->collector, "collector profile: name (nfcapd, nfacctd) or JSON file")->required();
    cmd->add_option("--seed", a->seed, "gen: random seed (default: the scenario's)");
    cmd->add_option("--start", a->start, "gen: start time, ISO 8601 with a zone, a date, now or Unix seconds")
        ->check(units::time());
    cmd->add_option("--duration", a->duration, "gen: span to generate, with a unit: 2h, 1d, 1h30m")->check(units::duration());
    cmd->add_option("--scale", a->scale, "gen: multiply every arrival rate")->check(CLI::PositiveNumber);
    cmd->add_option("--pps", a->pps, "replay: messages per second: 5000, 50k (default 5k)")->transform(units::packet_rate());
    cmd->add_option("--speed", a->speed, "replay: original spacing, this many times faster")->check(CLI::PositiveNumber);
    cmd->add_option("--mbps", a->mbps, "replay: megabits per second on the IP layer")
        ->transform(units::count())
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--topspeed", a->topspeed, "replay: as fast as the kernel takes them");
    cmd->add_option("--rates", a->rates, "sweep: messages per second, e.g. 10k,50k,100k (one collector run each)")
        ->delimiter(',')
        ->transform(units::packet_rate());
    cmd->add_option("--workdir", a->workdir, "keep everything (exports, truth, collector output, logs) in this directory");
    cmd->add_flag("--keep", a->keep, "keep the temporary work directory and print where it is");
    cmd->add_option("--examples", a->examples, "examples listed per kind of difference (default 10)")
        ->transform(units::count());
    cmd->add_option("--report-json", a->report_json, "write the verification result(s) as JSON");
    cmd->add_option("--junit", a->junit, "write a JUnit XML report (single rate)");
    cmd->add_flag("-q,--quiet", a->quiet, "print only the verdict");
    cmd->callback([a, &action] { action = [a] { return run_check(*a); }; });
}

}  // namespace flowlab::app
