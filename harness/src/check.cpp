/// @brief gen -> replay -> a real collector -> verify, one run per pace, in a work directory
/// that a failed or interrupted run does not leave behind.
#include "flowlab/harness/check.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/run_check.hpp"
#include "flowlab/gen/units.hpp"
#include "flowlab/harness/collector.hpp"
#include "flowlab/verify/report.hpp"

namespace flowlab::harness {
namespace fs = std::filesystem;

std::string rate_label(double v) {
    if (v >= 1e6 && std::fmod(v, 1e5) == 0) return fmt::format("{:g}M", v / 1e6);
    if (v >= 1e3 && std::fmod(v, 100) == 0) return fmt::format("{:g}k", v / 1e3);
    return fmt::format("{:g}", v);
}

Pace Pace::pps(double rate) {
    Pace p;
    p.timing.pace = replay::Pace::pps;
    p.timing.rate = rate;
    p.label = rate_label(rate) + " pps";
    return p;
}

Pace Pace::mbps(double rate) {
    Pace p;
    p.timing.pace = replay::Pace::mbps;
    p.timing.rate = rate;
    p.label = rate_label(rate) + " Mbps";
    return p;
}

Pace Pace::speed(double x) {
    Pace p;
    p.timing.pace = replay::Pace::original;
    p.timing.speed = x;
    p.label = "speed " + rate_label(x);
    return p;
}

Pace Pace::topspeed() {
    Pace p;
    p.timing.pace = replay::Pace::topspeed;
    p.label = "top speed";
    return p;
}

std::uint64_t RateRun::send_failures() const noexcept { return sent.errors.lost(); }

bool RateRun::ok(bool allow_send_errors) const noexcept {
    return verdict.match() && (allow_send_errors || send_failures() == 0);
}

bool CheckResult::ok() const noexcept {
    for (const RateRun& r : runs)
        if (!r.ok(allow_send_errors)) return false;
    return !runs.empty();
}

CheckSession::CheckSession(const gen::Scenario& scenario, CheckOptions options, RunHooks hooks)
    : scenario_(scenario), options_(std::move(options)), hooks_(std::move(hooks)) {
    (void)parse_run_spec(options_.profile);  // a profile without "run" fails before any work
    std::error_code ec;
    if (options_.workdir.empty()) {
        std::string tmpl = options_.temp_parent + "/flowlab-check-XXXXXX";
        if (!::mkdtemp(tmpl.data()))
            throw IoError("cannot create a work directory in " + options_.temp_parent + ": " + std::strerror(errno));
        workdir_ = tmpl;
        created_workdir_ = true;
        return;
    }
    workdir_ = options_.workdir;
    if (fs::exists(workdir_, ec)) {
        if (!fs::is_directory(workdir_, ec)) throw UsageError("--workdir " + workdir_ + ": exists and is not a directory");
        return;
    }
    fs::create_directories(workdir_, ec);
    if (ec) throw IoError("cannot create work directory " + workdir_ + ": " + ec.message());
    created_workdir_ = true;
}

bool CheckSession::keeps_workdir() const noexcept {
    if (options_.keep) return true;
    return succeeded_ && !options_.workdir.empty();
}

CheckSession::~CheckSession() {
    std::error_code ec;
    if (keeps_workdir()) {
        if (!succeeded_) hooks_.tell("work directory kept: " + workdir_);
        return;
    }
    if (created_workdir_) {
        fs::remove_all(workdir_, ec);
        if (!succeeded_) hooks_.tell("removed work directory " + workdir_);
        return;
    }
    for (const auto& e : created_) {
        fs::remove_all(e, ec);
        hooks_.tell("removed " + e);
    }
}

const gen::GenSummary& CheckSession::generate() {
    if (gen_) return *gen_;
    gen::GenOptions go;
    go.output_dir = workdir_ + "/gen";
    go.source = options_.source;
    go.memory_limit = gen::default_memory_limit();
    if (!created_workdir_) created_.push_back(go.output_dir);
    gen_ = gen::run_gen(scenario_, go, hooks_);
    hooks_.tell(fmt::format("gen {} (seed {}, {}): {} records in {} messages from {} exporters", scenario_.name, gen_->seed,
                            gen::format_duration(gen_->end_us - gen_->start_us), gen_->stats.records,
                            gen_->stats.messages, gen_->stats.exporters.size()));
    return *gen_;
}

RateRun CheckSession::run_at(const Pace& pace, const std::string& dir_name) {
    const gen::GenSummary& g = generate();
    (void)g;
    RateRun out;
    out.pace = pace;
    std::string name = dir_name.empty() ? "collector-" + pace.label : dir_name;
    std::replace(name.begin(), name.end(), ' ', '-');
    out.dir = workdir_ + "/" + name;
    if (!created_workdir_) created_.push_back(out.dir);

    CollectorRunOptions co;
    co.dir = out.dir;
    CollectorRun collector(options_.profile, co, hooks_);
    hooks_.tell(fmt::format("{} listening on {}:{} (pid {}), sending at {}", collector.name(),
                            collector.address().to_string(), collector.port(), collector.pid(), pace.label));

    replay::ExportsOptions eo;
    eo.path = workdir_ + "/gen/exports.pcap";
    eo.target = replay::resolve_target(collector.address().to_string() + ":" + std::to_string(collector.port()));
    eo.timing = pace.timing;
    eo.exporter_src = replay::parse_exporter_source("auto");
    replay::RunControl rc;
    rc.stop = hooks_.cancel ? hooks_.cancel->flag() : nullptr;
    rc.note = [this](const std::string& n) { hooks_.tell("replay: " + n); };
    rc.progress = hooks_.progress;
    out.sent = replay::replay_exports(eo, rc);
    hooks_.check_cancel(fmt::format("while sending to {} at {} ({} of {} messages sent)", collector.name(), pace.label,
                                    out.sent.packets, out.sent.file_packets));
    if (out.sent.error) std::rethrow_exception(out.sent.error);
    hooks_.tell("replay: " + replay::summary_line(out.sent));

    verify::VerifyOptions vo;
    vo.truth_dir = workdir_ + "/gen";
    collector.wait_quiet();
    out.collector_exit = collector.stop();
    vo.collected = collector.collected();
    vo.profile = options_.profile;
    vo.examples = options_.examples;
    // Each exporter was sent from its own loopback address: map them back to the truth's.
    for (const auto& [exporter, local] : out.sent.sources) {
        const auto colon = local.rfind(':');
        const auto from = core::IpAddress::parse(local.substr(0, colon));
        const auto to = core::IpAddress::parse(exporter);
        if (from && to) vo.exporter_map.emplace_back(*from, *to);
    }
    out.verdict = verify::verify(vo, hooks_);
    return out;
}

CheckResult run_check(const gen::Scenario& scenario, const CheckOptions& options, const std::vector<Pace>& paces,
                      const RunHooks& hooks) {
    CheckSession session(scenario, options, hooks);
    CheckResult r;
    r.allow_send_errors = options.allow_send_errors;
    r.gen = session.generate();
    const bool one = paces.size() == 1;
    for (const Pace& p : paces) r.runs.push_back(session.run_at(p, one ? "collector" : ""));
    session.succeeded();
    r.workdir = session.workdir();
    r.workdir_kept = session.keeps_workdir();
    return r;
}

std::string format_sweep(const CheckResult& r) {
    std::string out = fmt::format("{:<10} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10} {:>10} {:>12}  {}\n", "rate", "achieved",
                                  "messages", "records", "received", "lost", "altered", "extra", "send errors", "verdict");
    const RateRun* capacity = nullptr;
    for (const RateRun& run : r.runs) {
        const verify::RecordsResult& rr = *run.verdict.records;
        out += fmt::format("{:<10} {:>12.0f} {:>12} {:>12} {:>12} {:>10} {:>10} {:>10} {:>12}  {}\n", run.pace.label,
                           run.sent.pps(), run.sent.packets, rr.truth_records, rr.collected_records, rr.missing,
                           rr.altered, rr.unexpected + rr.duplicated, run.send_failures(),
                           run.ok(r.allow_send_errors) ? "MATCH" : "DIFFERENT");
        if (run.ok(r.allow_send_errors) && rr.missing == 0) capacity = &run;
    }
    if (capacity)
        out += fmt::format("capacity: no loss up to {} on this machine (the highest loss-free rate of this sweep)\n",
                           capacity->pace.label);
    else
        out += "capacity: records were lost or altered at every rate of this sweep\n";
    return out;
}

nlohmann::json to_json(const RateRun& run) {
    nlohmann::json j = verify::to_json(run.verdict);
    j["rate"] = run.pace.label;
    j["achieved_pps"] = run.sent.pps();
    j["messages_sent"] = run.sent.packets;
    j["send_failures"] = run.send_failures();
    return j;
}

std::string junit_suite_name(const gen::Scenario& scenario, const verify::CollectorProfile& profile, const RateRun& run) {
    return scenario.name + " on " + profile.name + " at " + run.pace.label;
}

}  // namespace flowlab::harness
