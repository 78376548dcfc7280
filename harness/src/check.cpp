/// @brief gen -> replay -> a real collector -> verify, one run per pace, in a work directory
/// that a failed or interrupted run does not leave behind.
#include "flowlab/harness/check.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/record_format.hpp"
#include "flowlab/core/udp_port.hpp"
#include "flowlab/core/xml_text.hpp"
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

std::string_view status_name(RunStatus s) noexcept {
    switch (s) {
        case RunStatus::match: return "MATCH";
        case RunStatus::within: return "WITHIN";
        case RunStatus::short_rate: return "SHORT";
        case RunStatus::send_errors: return "SEND-ERRORS";
        case RunStatus::loss: return "LOSS";
        case RunStatus::different: return "DIFFERENT";
    }
    return "?";
}

std::uint64_t RateRun::send_failures() const noexcept { return sent.errors.lost(); }

bool RateRun::short_of_rate(double tolerance) const noexcept {
    return requested_pps > 0 && sent.pps() < requested_pps * (1.0 - tolerance);
}

std::uint64_t RateRun::records_sent() const noexcept { return verdict.records ? verdict.records->truth_records : 0; }
std::uint64_t RateRun::records_stored() const noexcept { return verdict.records ? verdict.records->collected_records : 0; }
std::uint64_t RateRun::records_lost() const noexcept { return verdict.records ? verdict.records->missing : 0; }

double RateRun::loss_fraction() const noexcept {
    const std::uint64_t n = records_sent();
    return n ? static_cast<double>(records_lost()) / static_cast<double>(n) : 0.0;
}

RunStatus RateRun::status(const CheckOptions& o) const noexcept {
    if (short_of_rate(o.short_tolerance)) return RunStatus::short_rate;
    if (!o.allow_send_errors && send_failures()) return RunStatus::send_errors;
    if (verdict.match()) return RunStatus::match;
    const verify::RecordsResult* rr = verdict.records ? &*verdict.records : nullptr;
    if (!rr || rr->altered || rr->duplicated || rr->unexpected) return RunStatus::different;
    return loss_fraction() <= o.loss_threshold ? RunStatus::within : RunStatus::loss;
}

bool RateRun::passed(const CheckOptions& o) const noexcept {
    const RunStatus s = status(o);
    return s == RunStatus::match || s == RunStatus::within;
}

bool RateRun::ok(bool allow_send_errors) const noexcept {
    return verdict.match() && (allow_send_errors || send_failures() == 0);
}

bool CheckResult::ok() const noexcept {
    for (const RateRun& r : runs) {
        if (r.passed(options)) continue;
        if (options.allow_short && r.status(options) == RunStatus::short_rate) continue;
        return false;
    }
    return !runs.empty();
}

namespace {

/// UDP payload bytes per datagram of a capture (what a collector's socket must take).
double payload_bytes_per_message(const std::string& pcap) {
    core::PcapReader reader(pcap);
    core::UdpDatagram d;
    std::uint64_t n = 0, bytes = 0;
    while (reader.next_udp(d)) {
        ++n;
        bytes += d.payload.size();
    }
    return n ? static_cast<double>(bytes) / static_cast<double>(n) : 0.0;
}

using MessageKey = std::tuple<core::IpAddress, std::uint8_t, std::uint32_t, std::uint32_t>;  // exporter, version, domain, seq

/// The (exporter, version, domain, sequence) of the first `count` datagrams of a capture: the
/// messages a run that stopped partway through a loop did send of that loop.
std::set<MessageKey> first_messages(const std::string& pcap, std::uint64_t count) {
    std::set<MessageKey> out;
    core::PcapReader reader(pcap);
    core::UdpDatagram d;
    for (std::uint64_t i = 0; i < count && reader.next_udp(d); ++i) {
        const auto& p = d.payload;
        if (p.size() < 2) continue;
        const std::uint16_t version = core::load_be16(p.data());
        if (version == 5 && p.size() >= 24)
            out.emplace(d.src, 5, std::uint32_t{core::load_be16(p.data() + 20)}, core::load_be32(p.data() + 16));
        else if (version == 9 && p.size() >= 20)
            out.emplace(d.src, 9, core::load_be32(p.data() + 16), core::load_be32(p.data() + 12));
        else if (version == 10 && p.size() >= 16)
            out.emplace(d.src, 10, core::load_be32(p.data() + 12), core::load_be32(p.data() + 8));
    }
    return out;
}

/// The truth of what a looped run sent: the generated truth once per whole loop, loop k's
/// records moved by shift_s + k * loop_shift_s seconds and their sequence numbers advanced k
/// times their session's advance over the capture, exactly as replay rewrote the exports; then,
/// when sending stopped partway through a loop (the step's time was up), the records of the
/// messages of that loop that were sent.
std::uint64_t write_looped_truth(const std::string& in, const std::string& out, const std::string& pcap,
                                 const replay::ReplayStats& sent) {
    std::map<std::tuple<core::IpAddress, std::uint8_t, std::uint32_t>, std::uint32_t> advance;
    for (const replay::SessionAdvance& a : sent.sequence_advance)
        advance.try_emplace({a.exporter, a.version, a.domain}, a.advance);
    const std::uint64_t whole = sent.file_packets ? sent.packets / sent.file_packets : 0;
    const std::uint64_t partial = sent.packets - whole * sent.file_packets;
    std::set<MessageKey> partial_messages;
    if (partial) partial_messages = first_messages(pcap, partial);
    std::FILE* f = std::fopen(out.c_str(), "w");
    if (!f) throw IoError("cannot write " + out + ": " + std::strerror(errno));
    std::uint64_t n = 0;
    try {
        core::RecordWriter w(f, core::RecordFormat::csv, out);
        w.begin();
        core::FlowRecord r;
        for (std::uint64_t k = 0; k < whole + (partial ? 1 : 0); ++k) {
            const std::int64_t shift_ms = (sent.shift_s + static_cast<std::int64_t>(k) * sent.loop_shift_s) * 1000;
            core::RecordCsvReader reader(in);
            while (reader.next(r)) {
                const std::uint32_t domain = r.has(core::Field::domain) ? r.domain : 0;
                if (k == whole && !partial_messages.count(MessageKey{r.exporter, r.version, domain, r.sequence})) continue;
                if (r.has(core::Field::first_ms)) r.first_ms += shift_ms;
                if (r.has(core::Field::last_ms)) r.last_ms += shift_ms;
                if (r.has(core::Field::export_ms)) r.export_ms += shift_ms;
                if (r.has(core::Field::sequence) && r.has(core::Field::version)) {
                    const auto it = advance.find({r.exporter, r.version, domain});
                    if (it != advance.end()) r.sequence += static_cast<std::uint32_t>(k * it->second);
                }
                w.write(r);
                ++n;
            }
        }
        w.flush();
    } catch (...) {
        std::fclose(f);
        throw;
    }
    if (std::fclose(f) != 0) throw IoError("cannot write " + out + ": " + std::strerror(errno));
    return n;
}

/// Samples the collector's socket while replay sends, and ends the sending (`stop`) once
/// `limit_ns` of wall time have passed (0: no limit) or `cancel` is set: replay's own
/// --duration counts scheduled time, which a sender that falls behind never reaches.
class SocketSampler {
public:
    SocketSampler(std::uint16_t port, RateRun& run, std::int64_t limit_ns, const std::atomic<bool>* cancel)
        : port_(port), run_(run) {
        const auto s = core::udp_socket_state(port_);
        base_drops_ = s ? s->drops : 0;
        t0_ = std::chrono::steady_clock::now();
        thread_ = std::jthread([this, limit_ns, cancel](std::stop_token st) {
            int tick = 0;
            while (!st.stop_requested()) {
                if (tick++ % 10 == 0) sample();
                const auto elapsed = std::chrono::steady_clock::now() - t0_;
                if ((cancel && cancel->load()) || (limit_ns > 0 && elapsed >= std::chrono::nanoseconds(limit_ns)))
                    stop.store(true);
                std::unique_lock lock(m_);
                cv_.wait_for(lock, st, std::chrono::milliseconds(10), [] { return false; });
            }
        });
    }
    std::atomic<bool> stop{false};
    ~SocketSampler() { finish(); }
    /// Stops sampling (after the last sample).
    void finish() {
        if (!thread_.joinable()) return;
        thread_.request_stop();
        thread_.join();
        sample();
    }

private:
    void sample() {
        const auto s = core::udp_socket_state(port_);
        if (!s) return;
        StepSample x;
        x.t_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0_).count();
        x.drops = s->drops >= base_drops_ ? s->drops - base_drops_ : 0;
        x.rx_queue = s->rx_queue;
        if (x.drops && run_.first_drop_ms < 0) run_.first_drop_ms = x.t_ms;
        run_.kernel_drops = x.drops;
        run_.max_queue = std::max(run_.max_queue, x.rx_queue);
        run_.during.push_back(x);
    }
    std::uint16_t port_;
    RateRun& run_;
    std::uint64_t base_drops_ = 0;
    std::chrono::steady_clock::time_point t0_;
    std::mutex m_;
    std::condition_variable_any cv_;
    std::jthread thread_;
};

}  // namespace

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
    RateRun out;
    out.pace = pace;
    std::string name = dir_name.empty() ? "collector-" + pace.label : dir_name;
    std::replace(name.begin(), name.end(), ' ', '-');
    out.dir = workdir_ + "/" + name;
    if (!created_workdir_) created_.push_back(out.dir);

    CollectorRunOptions co;
    co.dir = out.dir;
    CollectorRun collector(options_.profile, co, hooks_);
    out.requested_pps = pace.timing.pace == replay::Pace::pps ? pace.timing.rate : 0;
    out.receive_buffer = core::udp_receive_buffer(collector.port()).value_or(0);

    replay::ExportsOptions eo;
    eo.path = workdir_ + "/gen/exports.pcap";
    eo.target = replay::resolve_target(collector.address().to_string() + ":" + std::to_string(collector.port()));
    eo.timing = pace.timing;
    eo.exporter_src = replay::parse_exporter_source("auto");
    if (options_.step && out.requested_pps > 0) {
        if (!bytes_per_message_) bytes_per_message_ = payload_bytes_per_message(eo.path);
        const double by_time = out.requested_pps * static_cast<double>(options_.step->min_ns) / 1e9;
        const double by_buffer =
            *bytes_per_message_ > 0 ? options_.step->buffers * static_cast<double>(out.receive_buffer) / *bytes_per_message_ * 1.1 : 0;
        // (10% over the mean: the messages of a partial loop need not be of mean size.)
        out.step_messages = static_cast<std::uint64_t>(std::ceil(std::max(by_time, by_buffer)));
        const std::uint64_t per_loop = std::max<std::uint64_t>(1, g.stats.messages);
        out.loops = std::max<std::uint64_t>(1, (out.step_messages + per_loop - 1) / per_loop);
        if (out.loops > 1) {
            eo.timing.loops = out.loops;
            eo.rebase_to_s = g.stats.first_export_ns / 1'000'000'000;
            // The step's time at the requested rate: a sender that falls short stops there
            // (partway through a loop) instead of sending every message at its own pace.
            eo.timing.duration_ns = static_cast<std::int64_t>(std::ceil(static_cast<double>(out.step_messages) / out.requested_pps * 1e9));
        }
    }
    hooks_.tell(fmt::format("{} listening on {}:{} (pid {}), receive buffer {}, sending at {}{}", collector.name(),
                            collector.address().to_string(), collector.port(), collector.pid(),
                            out.receive_buffer ? std::to_string(out.receive_buffer) + " bytes" : "unknown", pace.label,
                            out.loops > 1 ? fmt::format(" ({} loops of {} messages, at least {} in all)", out.loops,
                                                        g.stats.messages, out.step_messages)
                                          : ""));
    replay::RunControl rc;
    const std::atomic<bool>* cancel = hooks_.cancel ? hooks_.cancel->flag() : nullptr;
    rc.stop = cancel;
    rc.note = [this](const std::string& n) { hooks_.tell("replay: " + n); };
    rc.progress = hooks_.progress;
    // A step stops after its time at the requested rate (and a little slack for a sender on
    // pace, which ends on its own at the last deadline); its truth then covers a partial loop.
    const std::int64_t wall_limit =
        eo.timing.duration_ns > 0 ? eo.timing.duration_ns + eo.timing.duration_ns / 20 + 50'000'000 : 0;
    SocketSampler sampler(collector.port(), out, wall_limit, cancel);
    rc.stop = &sampler.stop;
    out.sent = replay::replay_exports(eo, rc);
    if (out.sent.interrupted && !(cancel && cancel->load())) {  // the step's time was up
        out.sent.interrupted = false;
        out.sent.duration_reached = true;
    }
    hooks_.check_cancel(fmt::format("while sending to {} at {} ({} of {} messages sent)", collector.name(), pace.label,
                                    out.sent.packets, out.sent.file_packets));
    if (out.sent.error) std::rethrow_exception(out.sent.error);
    hooks_.tell("replay: " + replay::summary_line(out.sent));

    verify::VerifyOptions vo;
    vo.truth_dir = workdir_ + "/gen";
    collector.wait_quiet();
    sampler.finish();  // drops counted until the collector had taken everything
    out.collector_exit = collector.stop();
    if (out.loops > 1) {
        if (!out.sent.rebased) throw Error("replay did not rebase the looped exports");
        vo.truth_dir = out.dir + "/truth-records.csv";
        write_looped_truth(verify::truth_records_path(workdir_ + "/gen"), vo.truth_dir, eo.path, out.sent);
    }
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
    r.options = options;
    r.gen = session.generate();
    const bool one = paces.size() == 1;
    for (const Pace& p : paces) r.runs.push_back(session.run_at(p, one ? "collector" : ""));
    session.succeeded();
    r.workdir = session.workdir();
    r.workdir_kept = session.keeps_workdir();
    return r;
}

namespace {

std::string percent(double fraction) {
    if (fraction == 0) return "0%";
    if (fraction < 0.0001) return "<0.01%";
    return fmt::format("{:.2f}%", fraction * 100);
}

/// "SHORT: achieved 467k of 2M pps (23.4%)", "LOSS: 12 of 1000 records (1.20%)", ...
std::string status_detail(const RateRun& run, const CheckOptions& o) {
    const RunStatus s = run.status(o);
    switch (s) {
        case RunStatus::short_rate:
            return fmt::format("SHORT: the sender achieved {:.0f} of {} pps ({:.1f}%), more than {:g}% short", run.achieved_pps(),
                               rate_label(run.requested_pps), 100 * run.achieved_pps() / run.requested_pps,
                               o.short_tolerance * 100);
        case RunStatus::send_errors: return fmt::format("SEND-ERRORS: {} datagrams not sent", run.send_failures());
        case RunStatus::loss:
        case RunStatus::within:
            return fmt::format("{}: {} of {} records lost ({}; threshold {})", status_name(s), run.records_lost(),
                               run.records_sent(), percent(run.loss_fraction()), percent(o.loss_threshold));
        case RunStatus::different: return run.verdict.verdict();
        case RunStatus::match: break;
    }
    return "MATCH";
}

std::string loops_text(const RateRun& run) {
    if (!run.sent.file_packets || run.sent.packets % run.sent.file_packets == 0) return std::to_string(run.sent.loops_completed);
    return fmt::format("{:.2f}", static_cast<double>(run.sent.packets) / static_cast<double>(run.sent.file_packets));
}

std::string drops_text(const RateRun& run) {
    if (run.during.empty()) return "-";
    if (run.kernel_drops == 0) return "0";
    return fmt::format("{}@{:.1f}s", run.kernel_drops, static_cast<double>(run.first_drop_ms) / 1000);
}

}  // namespace

std::string format_loss_places(const RateRun& run, const std::string& indent) {
    if (!run.verdict.records) return {};
    std::string out;
    for (const verify::StreamLoss& l : run.verdict.records->loss) {
        if (!l.records_missing) continue;
        out += fmt::format("{}lost at exporter {} domain {} v{}: {} of {} records, in {} of {} messages", indent,
                           l.exporter.to_string(), l.domain, l.version, l.records_missing, l.records, l.messages_hit,
                           l.messages);
        if (!l.ranges.empty())
            out += fmt::format(" ({} runs of messages; first at sequence {}-{})", l.ranges_total, l.ranges.front().first_sequence,
                               l.ranges.front().last_sequence);
        out += "\n";
    }
    return out;
}

std::string format_sweep(const CheckResult& r, bool capacity_line) {
    const CheckOptions& o = r.options;
    std::string out = fmt::format("{:<12} {:>12} {:>6} {:>10} {:>11} {:>11} {:>11} {:>8} {:>12} {:>8} {:>8}  {}\n", "requested",
                                  "achieved", "loops", "messages", "records", "stored", "lost", "lost%", "kernel drops",
                                  "altered", "extra", "status");
    std::string places;
    const RateRun* capacity = nullptr;
    bool failed_below = false;
    std::vector<std::string> shorts;
    for (const RateRun& run : r.runs) {
        const verify::RecordsResult& rr = *run.verdict.records;
        out += fmt::format("{:<12} {:>12.0f} {:>6} {:>10} {:>11} {:>11} {:>11} {:>8} {:>12} {:>8} {:>8}  {}\n", run.pace.label,
                           run.achieved_pps(), loops_text(run), run.sent.packets, run.records_sent(),
                           run.records_stored(), run.records_lost(), percent(run.loss_fraction()), drops_text(run),
                           rr.altered, rr.unexpected + rr.duplicated, status_detail(run, o));
        const std::string where = format_loss_places(run, "    ");
        if (!where.empty()) out += where;
        if (run.passed(o) && !failed_below) capacity = &run;
        else failed_below = true;
        if (run.status(o) == RunStatus::short_rate)
            shorts.push_back(fmt::format("{} achieved only {:.0f} pps", run.pace.label, run.achieved_pps()));
    }
    if (!capacity_line) return out;
    if (capacity) {
        out += fmt::format("capacity: {} up to {} (achieved {:.0f} pps; every lower rate of this sweep passed too)",
                           capacity->records_lost() ? "loss within " + percent(o.loss_threshold) : std::string("no loss"),
                           capacity->pace.label, capacity->achieved_pps());
    } else {
        out += "capacity: no rate of this sweep passed (see the status column)";
    }
    if (!shorts.empty()) {
        out += "; SHORT: ";
        for (std::size_t i = 0; i < shorts.size(); ++i) out += (i ? ", " : "") + shorts[i];
        out += " (the sender could not reach those rates: they say nothing about the collector there)";
    }
    out += "\n";
    return out;
}

nlohmann::json to_json(const RateRun& run, const CheckOptions& o) {
    nlohmann::json j = verify::to_json(run.verdict);
    j["verify_match"] = run.verdict.match();
    j["match"] = run.passed(o);
    j["status"] = std::string(status_name(run.status(o)));
    j["verdict"] = status_detail(run, o);
    j["rate"] = run.pace.label;
    if (run.requested_pps > 0) j["rate_pps"] = run.requested_pps;
    j["achieved_pps"] = run.achieved_pps();
    j["short"] = run.short_of_rate(o.short_tolerance);
    j["seconds"] = run.sent.seconds();
    j["loops"] = run.sent.file_packets ? static_cast<double>(run.sent.packets) / static_cast<double>(run.sent.file_packets) : 0.0;
    j["duration_reached"] = run.sent.duration_reached;
    j["messages_sent"] = run.sent.packets;
    j["payload_bytes_sent"] = run.sent.bytes;
    j["records_sent"] = run.records_sent();
    j["records_stored"] = run.records_stored();
    j["records_lost"] = run.records_lost();
    j["loss_fraction"] = run.loss_fraction();
    j["loss_threshold"] = o.loss_threshold;
    j["send_failures"] = run.send_failures();
    j["receive_buffer"] = run.receive_buffer;
    j["step_messages"] = run.step_messages;
    nlohmann::json during = nlohmann::json::array();
    for (const StepSample& s : run.during) during.push_back({s.t_ms, s.drops, s.rx_queue});
    j["kernel_drops"] = {{"total", run.kernel_drops},
                         {"first_ms", run.first_drop_ms < 0 ? nlohmann::json(nullptr) : nlohmann::json(run.first_drop_ms)},
                         {"max_queue_bytes", run.max_queue},
                         {"samples_columns", {"t_ms", "drops", "rx_queue"}},
                         {"samples", during}};
    return j;
}

nlohmann::json to_json(const RateRun& run) { return to_json(run, CheckOptions{}); }

std::string format_sweep_junit(const std::vector<RateRun>& runs, const CheckOptions& o, const std::string& suite) {
    std::size_t failures = 0;
    double seconds = 0;
    std::string cases;
    for (const RateRun& run : runs) {
        const bool pass = run.passed(o) || (o.allow_short && run.status(o) == RunStatus::short_rate);
        seconds += run.sent.seconds() + run.verdict.seconds;
        cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n", core::xml_escape(suite),
                             core::xml_escape(run.pace.label), run.sent.seconds() + run.verdict.seconds);
        const std::string detail = status_detail(run, o);
        const std::string body = fmt::format(
            "requested {} achieved {:.0f} pps, {} messages in {} loops, {} records sent, {} stored, {} lost, kernel drops {}\n{}",
            run.pace.label, run.achieved_pps(), run.sent.packets, loops_text(run), run.records_sent(),
            run.records_stored(), run.records_lost(), drops_text(run), format_loss_places(run, ""));
        if (!pass) {
            ++failures;
            cases += fmt::format("      <failure message=\"{}\">{}</failure>\n", core::xml_escape(detail), core::xml_escape(body));
        } else {
            cases += fmt::format("      <system-out>{}</system-out>\n", core::xml_escape(detail + "\n" + body));
        }
        cases += "    </testcase>\n";
    }
    return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n"
                       "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n{}  </testsuite>\n"
                       "</testsuites>\n",
                       runs.size(), failures, seconds, core::xml_escape(suite), runs.size(), failures, seconds, cases);
}

std::string junit_suite_name(const gen::Scenario& scenario, const verify::CollectorProfile& profile, const RateRun& run) {
    return scenario.name + " on " + profile.name + " at " + run.pace.label;
}

}  // namespace flowlab::harness
