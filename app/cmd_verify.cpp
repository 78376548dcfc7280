/// @brief `flowlab verify`: compare what a collector stored with the ground truth.
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "cli_units.hpp"
#include "commands.hpp"
#include "console.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/record_format.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/verify/report.hpp"
#include "flowlab/verify/verify.hpp"

namespace flowlab::app {

namespace {

core::FieldSet field_set(const std::string& option, const std::vector<std::string>& list) {
    core::FieldSet s;
    for (const auto& name : list) {
        const auto f = core::field_from_name(name);
        if (!f) throw UsageError(option + ": unknown field '" + name + "' (expected CSV column names: " + core::csv_header() + ")");
        s.set(*f);
    }
    return s;
}

}  // namespace

void add_verify_command(CLI::App& root, Action& action) {
    struct Args {
        std::string truth, collected, level = "records", collector, bin, tolerance = "0", against = "records", time_slack,
            report_json, junit;
        // Comma-separated lists, split by CLI11 (the option may also be repeated).
        std::vector<std::string> fields, ignore, by, metrics, exporter_map;
        std::size_t examples = 10;
        unsigned threads = 0;
        std::string memory_limit;
        bool quiet = false;
        bool phases = false;
        ProgressMode progress = ProgressMode::automatic;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = root.add_subcommand(
        "verify",
        "Compare what a collector stored with flowlab's ground truth.\n"
        "  records level: every truth record matched by exactly one collected record (key + fields, times at the\n"
        "  collector's resolution); reports missing, altered (per-field diffs), duplicated and unexpected records,\n"
        "  and where records were lost by export sequence number.\n"
        "  totals level: bytes/packets/flows per key within a tolerance, against the records or the conversations.\n"
        "Collected data: TOOL:PATH with TOOL one of flowlab, nfdump, pmacct, tshark, goflow2 (a directory is read\n"
        "with `nfdump -R DIR -o json`); without TOOL the format is detected from the content.\n"
        "Exit status: 0 match, 1 differences, 2 bad input.");
    cmd->add_option("--truth", args->truth, "gen output directory (truth/records.csv, truth/conversations.csv), or a truth CSV file\n"
                    "(with --against conversations e.g. DIR/truth/packet-conversations.csv)")->required();
    cmd->add_option("--collected", args->collected, "collector output: [TOOL:]PATH")->required();
    cmd->add_option("--level", args->level, "records (default) or totals")->check(CLI::IsMember({"records", "totals"}));
    cmd->add_option("--collector", args->collector,
                    "collector profile (name in verify/collectors, or a JSON file): the fields it keeps and its time rules");
    cmd->add_option("--fields", args->fields, "compare only these fields (comma-separated CSV column names)")->delimiter(',');
    cmd->add_option("--ignore", args->ignore, "never compare these fields (e.g. exporter after a replay from loopback)")
        ->delimiter(',');
    cmd->add_option("--exporter-map", args->exporter_map,
                    "collected exporter addresses to truth ones, e.g. 127.0.0.2=192.0.2.1,127.0.0.3=192.0.2.2 (after a replay\n"
                    "with --exporter-src auto, so that exporters are still compared)")
        ->delimiter(',');
    cmd->add_option("--examples", args->examples, "examples listed per kind of difference (default 10)")
        ->transform(units::count());
    cmd->add_option("--time-slack", args->time_slack, "extra tolerance on flow times, with a unit: 5ms, 1s (default 0)")
        ->check(units::duration());
    cmd->add_option("--by", args->by,
                    "totals: key dimensions, comma-separated: exporter, domain, version, src, dst, host, sport, dport, port, "
                    "proto (default src,dst,sport,dport,proto)")
        ->delimiter(',');
    cmd->add_option("--bin", args->bin, "totals: time bins by flow start, with a unit: 5m, 1h")->check(units::duration());
    cmd->add_option("--tolerance", args->tolerance, "totals: allowed relative difference, e.g. 1% or 0.01 (default 0)")
        ->check(units::fraction());
    cmd->add_option("--against", args->against, "totals: records (default) or conversations (traffic truth)")
        ->check(CLI::IsMember({"records", "conversations"}));
    cmd->add_option("--metrics", args->metrics, "totals: bytes,packets,flows (default: all that apply)")
        ->delimiter(',')
        ->check(CLI::IsMember({"bytes", "packets", "flows"}));
    cmd->add_option("--report-json", args->report_json, "write the full result as JSON to this file");
    cmd->add_option("--junit", args->junit, "write a JUnit XML report to this file (for CI)");
    cmd->add_option("--threads", args->threads, "parsing threads (default: one per core)");
    cmd->add_option("--memory-limit", args->memory_limit,
                    "refuse, before starting, inputs whose estimated peak memory is larger, e.g. 2G, 512M\n"
                    "(default: half of this machine's memory; the report states the estimate)")
        ->check(units::size());
    cmd->add_flag("-q,--quiet", args->quiet, "print only the verdict line");
    cmd->add_flag("--phases", args->phases, "print how long each phase took (truth, index, collected, finish) on stderr");
    add_progress_flags(cmd, args->progress);

    cmd->callback([args, &action] {
        action = [args]() -> int {
            verify::VerifyOptions o;
            o.truth_dir = args->truth;
            o.collected = verify::parse_collected_spec(args->collected);
            o.level = args->level == "totals" ? verify::Level::totals : verify::Level::records;
            if (!args->collector.empty()) o.profile = verify::load_profile(args->collector);
            if (!args->fields.empty()) o.fields = field_set("--fields", args->fields);
            if (!args->ignore.empty()) o.ignore = field_set("--ignore", args->ignore);
            o.examples = args->examples;
            o.threads = args->threads;
            if (!args->memory_limit.empty()) o.memory_limit = static_cast<std::uint64_t>(core::parse_bytes(args->memory_limit));
            for (const auto& pair : args->exporter_map) {
                const auto eq = pair.find('=');
                const auto from = core::IpAddress::parse(pair.substr(0, eq == std::string::npos ? pair.size() : eq));
                const auto to = eq == std::string::npos ? std::nullopt : core::IpAddress::parse(pair.substr(eq + 1));
                if (!from || !to)
                    throw UsageError("--exporter-map: '" + pair + "' is not COLLECTED=TRUTH (two addresses, e.g. 127.0.0.2=192.0.2.1)");
                o.exporter_map.emplace_back(*from, *to);
            }
            if (!args->time_slack.empty()) o.time_slack_ms = core::floor_div(core::parse_duration(args->time_slack), 1000);
            const bool totals_options = !args->by.empty() || !args->bin.empty() || args->tolerance != "0" ||
                                        args->against != "records" || !args->metrics.empty();
            if (o.level == verify::Level::records && totals_options)
                throw UsageError("--by, --bin, --tolerance, --against and --metrics apply to --level totals");
            if (!args->by.empty()) {
                o.by.clear();
                for (const auto& name : args->by) {
                    const auto k = verify::totals_key_from_name(name);
                    if (!k)
                        throw UsageError("--by: unknown dimension '" + name +
                                         "' (expected exporter, domain, version, src, dst, host, sport, dport, port, proto)");
                    o.by.push_back(*k);
                }
            }
            if (!args->bin.empty()) {
                o.bin_ms = core::floor_div(core::parse_duration(args->bin), 1000);
                if (o.bin_ms <= 0) throw UsageError("--bin " + args->bin + ": expected at least 1ms");
            }
            o.tolerance = core::parse_fraction(args->tolerance);
            o.against = args->against == "conversations" ? verify::TotalsTruth::conversations : verify::TotalsTruth::records;
            if (!args->metrics.empty()) {
                std::vector<verify::Metric> m;
                for (const auto& name : args->metrics) {
                    if (name == "bytes") m.push_back(verify::Metric::bytes);
                    else if (name == "packets") m.push_back(verify::Metric::packets);
                    else if (name == "flows") m.push_back(verify::Metric::flows);
                    else throw UsageError("--metrics: unknown metric '" + name + "' (expected bytes, packets, flows)");
                }
                o.metrics = m;
            }

            Console console("verify", args->quiet ? ProgressMode::off : args->progress);
            RunHooks hooks = console.hooks();
            if (args->phases)
                hooks.phase = [&console](std::string_view phase, double s) {
                    console.note(fmt::format("phase {:<10} {:.3f} s", phase, s));
                };
            const verify::VerifyResult r = verify::verify(o, hooks);
            console.clear();
            if (!args->report_json.empty()) verify::write_file_atomic(args->report_json, verify::to_json(r).dump(2) + "\n");
            if (!args->junit.empty()) verify::write_file_atomic(args->junit, verify::format_junit(r));
            const std::string text = args->quiet ? r.verdict() + "\n" : verify::format_text(r);
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::fflush(stdout);
            if (!args->quiet && r.records)
                console.note(fmt::format("{} truth records, {} collected, in {:.2f} s ({:.0f} records/s): {}",
                                         r.records->truth_records, r.records->collected_records, r.seconds,
                                         r.seconds > 0 ? static_cast<double>(r.records->truth_records + r.records->collected_records) / r.seconds : 0.0,
                                         r.match() ? "MATCH" : "DIFFERENT"));
            return r.match() ? 0 : 1;
        };
    });
}

}  // namespace flowlab::app
