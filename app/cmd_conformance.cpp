/// @brief `flowlab conformance`: runs the case matrix against a decoder or a collector and
/// writes the report card (text, JSON, JUnit, HTML); with --baseline, only what changed.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "commands.hpp"
#include "flowlab/core/atomic_file.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/version.hpp"
#include "flowlab/harness/conformance.hpp"

namespace flowlab::app {
namespace {

std::atomic<bool> g_conf_stop{false};
extern "C" void on_conformance_signal(int) { g_conf_stop.store(true, std::memory_order_relaxed); }

struct ConformanceArgs {
    std::string decoder, decoder_format, collector;
    std::vector<std::string> cases;
    std::vector<std::string> only;
    std::string report_json, junit, html, baseline, workdir;
    unsigned jobs = 0;
    bool list = false, quiet = false, all_details = false;
};

std::string self_program() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("flowlab") : p.string();
}

void write_file(const std::string& path, const std::string& text) {
    core::AtomicFile f(path);
    if (std::fwrite(text.data(), 1, text.size(), f.get()) != text.size()) throw IoError("cannot write " + path);
    f.commit();
}

int run_conformance(const ConformanceArgs& a) {
    std::vector<std::string> paths = a.cases.empty() ? harness::default_case_paths() : a.cases;
    if (paths.empty()) throw UsageError("no conformance cases found: give --cases DIR or set FLOWLAB_CONFORMANCE");
    std::vector<harness::Case> cases = harness::load_cases(paths);
    if (!a.only.empty()) {
        std::vector<harness::Case> kept;
        for (auto& c : cases)
            for (const auto& o : a.only)
                if (c.id == o || c.group == o || (o.back() == '.' && c.id.rfind(o, 0) == 0)) {
                    kept.push_back(std::move(c));
                    break;
                }
        cases = std::move(kept);
        if (cases.empty()) throw UsageError("--only matches no case");
    }
    if (a.list) {
        for (const auto& c : cases)
            fmt::print("{:<6} {:<11} {:<20} {}{}\n", c.id, c.group, c.rfc, c.title,
                       c.informational ? " (informational)" : "");
        return 0;
    }
    if (a.decoder.empty() == a.collector.empty()) throw UsageError("give one of --decoder and --collector");
    std::unique_ptr<harness::Implementation> impl =
        a.decoder.empty() ? harness::make_collector(a.collector) : harness::make_decoder(a.decoder, a.decoder_format, self_program());

    struct sigaction sa{};
    sa.sa_handler = on_conformance_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    harness::RunOptions ro;
    ro.jobs = a.jobs ? a.jobs : std::max(1u, std::thread::hardware_concurrency());
    ro.workdir = a.workdir;
    ro.stop = &g_conf_stop;
    std::size_t done = 0;
    const bool progress = !a.quiet && isatty(STDERR_FILENO) == 1;
    ro.on_result = [&](const harness::CaseResult& r) {
        ++done;
        if (progress)
            fmt::print(stderr, "\rflowlab conformance: {}/{} cases ({} {})   ", done, cases.size(), r.id,
                       std::string(harness::to_string(r.verdict)));
    };
    harness::Card card;
    try {
        card = harness::run_suite(cases, *impl, ro);
    } catch (const Error&) {
        if (g_conf_stop.load()) return 130;
        throw;
    }
    if (progress) fmt::print(stderr, "\n");
    card.version = kVersion;

    if (!a.report_json.empty()) write_file(a.report_json, harness::card_json(card).dump(2) + "\n");
    if (!a.junit.empty()) write_file(a.junit, harness::card_junit(card));
    if (!a.html.empty()) write_file(a.html, harness::card_html(card));

    if (!a.baseline.empty()) {
        const harness::Card before = harness::read_card_json(a.baseline);
        const auto changes = harness::compare_cards(before, card);
        std::fputs(harness::changes_text(changes).c_str(), stdout);
        for (const auto& c : changes)
            if (c.regression) return 1;
        return 0;
    }
    std::fputs(harness::card_text(card, !a.all_details).c_str(), stdout);
    for (const auto& c : card.cases)
        if (c.verdict == harness::Verdict::fail || c.verdict == harness::Verdict::lost || c.verdict == harness::Verdict::crash ||
            c.verdict == harness::Verdict::hang)
            return 1;
    return 0;
}

}  // namespace

void add_conformance_command(CLI::App& root, Action& action) {
    auto args = std::make_shared<ConformanceArgs>();
    CLI::App* cmd = root.add_subcommand(
        "conformance",
        "Run the decoder regression suite: numbered cases (RFC 7011/7012/3954/5477/5655/7125 rules, faults real exporters\n"
        "and decoders got wrong) against a decoder that reads a capture or a collector started fresh for each case,\n"
        "and print the report card. Exit 1 when a case fails (or, with --baseline, when a case newly fails).");
    auto* dec = cmd->add_option("--decoder", args->decoder,
                                "flowlab | tshark | ipfixdump | \"COMMAND LINE\" with {pcap} (UDP capture of the case), {ipfix}\n"
                                "(IPFIX file, RFC 5655), {port} (collector port), {out} (output file; else stdout)");
    cmd->add_option("--decoder-format", args->decoder_format, "how to read a command line's output: flowlab, nfdump, pmacct, tshark, goflow2")
        ->needs(dec);
    auto* col = cmd->add_option("--collector", args->collector, "nfcapd | nfacctd | PROFILE.json (a verify profile with a run block)");
    dec->excludes(col);
    cmd->add_option("--cases", args->cases, "case files or directories (default: the shipped conformance/ cases)");
    cmd->add_option("--only", args->only, "run only these cases: ids (3.4), id prefixes (3.) or groups (framing)");
    cmd->add_option("--report-json", args->report_json, "write the card as JSON (the format --baseline reads)");
    cmd->add_option("--junit", args->junit, "write the card as JUnit XML");
    cmd->add_option("--html", args->html, "write the card as a self-contained HTML page");
    cmd->add_option("--baseline", args->baseline, "a previous --report-json card: print only what changed, exit 1 on a new failure");
    cmd->add_option("-j,--jobs", args->jobs, "cases at once (default: one per core)");
    cmd->add_option("--workdir", args->workdir, "keep every case's capture, output and logs here");
    cmd->add_flag("--list", args->list, "list the cases and exit");
    cmd->add_flag("--all-details", args->all_details, "show what was sent for every case, not only failures");
    cmd->add_flag("-q,--quiet", args->quiet, "no progress");
    cmd->callback([&action, args] { action = [args] { return run_conformance(*args); }; });
}

}  // namespace flowlab::app
