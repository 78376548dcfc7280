/// @brief `flowlab gen`: synthesize a scenario's traffic and write exports plus ground truth.
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "cli_units.hpp"
#include "commands.hpp"
#include "console.hpp"
#include "run_options.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/gen/answer_key.hpp"
#include "flowlab/gen/dialect.hpp"
#include "flowlab/gen/gen_run.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/gen/units.hpp"

namespace flowlab::app {
namespace {

struct GenCommandOptions {
    std::string scenario;
    std::string output;
    std::optional<std::uint64_t> seed;
    RunOptions run;
    bool packets = false;
    std::optional<std::uint64_t> max_packets;
    std::optional<std::uint64_t> packets_per_conversation;
    ProgressMode progress = ProgressMode::automatic;
    std::string answer_key;
    bool answer_key_given = false;
    std::string dialect;
    std::string shard;  ///< "I/N", empty: the whole run
    std::size_t jobs = 0;
    bool truth_jsonl = false;
    std::vector<std::string> faults;  ///< --fault, after the scenario's own
};

int run_gen_command(const GenCommandOptions& o) {
    gen::Scenario scenario = gen::load_scenario(o.scenario, scenario_search_dirs());
    if (!o.dialect.empty()) scenario = gen::with_dialect(scenario, o.dialect);
    for (const auto& f : o.faults) scenario.faults.push_back(gen::parse_fault_option(f, scenario));
    gen::GenOptions g;
    g.output_dir = o.output;
    g.source = o.run.source();
    g.source.seed = o.seed;
    if (o.answer_key_given) g.answer_key_file = o.answer_key.empty() ? gen::answer_key_path(o.output) : o.answer_key;
    g.memory_limit = o.run.memory_limit_bytes();
    // Refused here (exit 2) before anything is written; the estimate is stated either way.
    const gen::RunEstimate estimate = o.run.check(scenario);
    g.packets = o.packets;
    if (o.max_packets) g.packet_budget.max_packets = *o.max_packets;
    if (o.packets_per_conversation) g.packet_budget.per_conversation = *o.packets_per_conversation;
    if (!o.shard.empty()) g.shard = gen::parse_shard(o.shard);
    g.jobs = o.jobs;
    g.truth_jsonl = o.truth_jsonl;
    Console console("gen", o.progress);
    console.note(scenario.name + ": " + describe_estimate(estimate, g.memory_limit));
    const gen::GenSummary s = gen::run_gen(scenario, g, console.hooks());
    console.clear();
    const auto& st = s.stats;
    const double per_s = s.seconds > 0 ? 1 / s.seconds : 0.0;
    const std::string shard =
        g.shard ? fmt::format(" shard {}/{} (exporters k with k mod {} = {})", g.shard->index, g.shard->count,
                              g.shard->count, g.shard->index)
                : "";
    console.note(fmt::format("{} (seed {}) {} from {}{}: {} conversations, {} records in {} messages from {} exporters -> {} "
                             "in {:.2f} s ({:.0f} records/s), {} of memory at the peak",
                             scenario.name, s.seed, gen::format_duration(s.end_us - s.start_us), gen::format_time(s.start_us),
                             shard, s.conversations_written, s.records_written, s.messages_written,
                             s.exporters_written.size(), o.output, s.seconds, static_cast<double>(st.records) * per_s,
                             core::format_bytes(static_cast<double>(gen::peak_resident_bytes()))));
    if (g.shard && s.exporters_written.empty())
        console.note(fmt::format("shard {}/{} holds no exporter (the scenario has {}): {} has no records and no "
                                 "conversations, only the empty files and the manifest",
                                 g.shard->index, g.shard->count, scenario.exporters.size(), o.output));
    if (o.packets)
        console.note(fmt::format("packets.pcap: {} packets ({:.0f} packets/s); {} conversations truncated, {} omitted by "
                                 "the packet budget",
                                 s.packets_written, static_cast<double>(s.packets_written) * per_s,
                                 s.packet_conversations_truncated, s.packet_conversations_omitted));
    for (std::size_t i : s.exporters_written)
        if (const auto& e = st.exporters[i]; e.ipv6_not_exportable)
            console.note(fmt::format("exporter {} (NetFlow v5) saw {} IPv6 conversations it cannot export", e.name,
                                     e.ipv6_not_exportable));
    return 0;
}

}  // namespace

void add_gen_command(CLI::App& root, Action& action) {
    auto o = std::make_shared<GenCommandOptions>();
    CLI::App* cmd = root.add_subcommand(
        "gen",
        "Synthesize a scenario's traffic, meter it as each of its exporters would, and write\n"
        "DIR/exports.pcap, DIR/truth/records.csv, DIR/truth/conversations.csv and DIR/manifest.json.\n"
        "With --packets also DIR/packets.pcap: every conversation's packets (Ethernet, IPv4/IPv6, TCP/UDP/ICMP,\n"
        "valid checksums) in time order, whose packets and IP bytes per conversation equal the truth.\n"
        "The same scenario and seed always give byte-identical files.");
    cmd->add_option("scenario", o->scenario, "a canned scenario's name (see `flowlab scenarios list`) or a file")
        ->required();
    cmd->add_option("-o,--output", o->output, "output directory (written atomically)")->required();
    cmd->add_option("--seed", o->seed, "random seed (default: the scenario's)");
    cmd->add_option("--dialect", o->dialect,
                    "switch every exporter to this exporter dialect (see `flowlab scenarios dialects`) or dialect file");
    cmd->add_option("--fault", o->faults,
                    "apply a fault to the export stream (repeatable; after the scenario's \"faults\"):\n"
                    "KIND[:KEY=VALUE,...], e.g. drop:exporter=edge,messages=10-20 or duplicate:every=50\n"
                    "(docs/scenario-format.md lists the kinds and keys)")
        ->take_all();
    o->run.add_to(cmd);
    auto* packets = cmd->add_flag("--packets", o->packets,
                  "also write DIR/packets.pcap, the packets of every conversation, for probes (softflowd, pmacctd, ...)");
    cmd->add_option("--max-packets", o->max_packets,
                    "packets.pcap: at most N packets in all; conversations beyond are cut or left out and\n"
                    "DIR/truth/packet-conversations.csv is the exact truth of what was written")
        ->transform(units::count())
        ->check(CLI::PositiveNumber)
        ->needs(packets);
    cmd->add_option("--packets-per-conversation", o->packets_per_conversation,
                    "packets.pcap: only the first N packets of each conversation (truth as for --max-packets)")
        ->transform(units::count())
        ->check(CLI::PositiveNumber)
        ->needs(packets);
    cmd->add_option("-j,--jobs", o->jobs,
                    "threads for simulating (default: one per core); the files are the same for every N.\n"
                    "With 2 or more the exporters are spread over N threads and the traffic source runs\n"
                    "ahead on its own (formatting and writing the files always has a thread of its own)")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--truth-jsonl", o->truth_jsonl,
                  "also write DIR/truth/records.jsonl: each truth record as `flowlab decode -f jsonl --keep-extra`\n"
                  "writes it, with the elements outside the record model (values from the scenario, enterprise\n"
                  "elements such as AppFlow's HTTP fields) as \"extra\"");
    add_progress_flags(cmd, o->progress);
    CLI::Option* key = cmd->add_option("--answer-key", o->answer_key,
                    "teachers: also write the lesson's answer key to FILE (default: DIR.answer-key.json beside the\n"
                    "output directory, which itself never holds the answer)")
        ->expected(0, 1);
    cmd->add_option("--shard", o->shard,
                    "write only shard I of N (0 <= I < N): the exporters k with k mod N = I (k counts the\n"
                    "scenario's exporters from 0, in file order), their datagrams, records and conversations.\n"
                    "The run is simulated whole, so shards 0..N-1 together hold exactly the unsharded files:\n"
                    "the same frames (bytes, timestamps, order per exporter) and rows. A conversation goes to\n"
                    "the shard of the first exporter that observes it (once, even if several do), to shard 0\n"
                    "if none does. manifest.json lists the shard's exporters and counts its files")
        ->type_name("I/N")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                try {
                    gen::parse_shard(text);
                    return {};
                } catch (const UsageError& e) {
                    return e.what();
                }
            },
            ""))
        ->excludes(packets);
    cmd->callback([o, key, &action] {
        o->answer_key_given = key->count() > 0;
        action = [o] { return run_gen_command(*o); };
    });
}

}  // namespace flowlab::app
