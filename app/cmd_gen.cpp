/// @brief `flowlab gen`: synthesize a scenario's traffic and write exports plus ground truth.
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli_units.hpp"
#include "commands.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/gen/gen_run.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/gen/units.hpp"

namespace flowlab::app {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted.store(true); }

struct GenCommandOptions {
    std::string scenario;
    std::string output;
    std::optional<std::uint64_t> seed;
    std::string start;
    std::string duration;
    double scale = 1.0;
    bool packets = false;
    std::optional<std::uint64_t> max_packets;
    std::optional<std::uint64_t> packets_per_conversation;
};

int run_gen_command(const GenCommandOptions& o) {
    const gen::Scenario scenario = gen::load_scenario(o.scenario, scenario_search_dirs());
    gen::GenOptions g;
    g.output_dir = o.output;
    g.source.seed = o.seed;
    g.source.scale = o.scale;
    if (!o.start.empty()) g.source.start_us = core::parse_time_arg(o.start);
    if (!o.duration.empty()) g.source.duration_us = core::parse_duration(o.duration);
    if ((o.max_packets || o.packets_per_conversation) && !o.packets)
        throw UsageError("--max-packets and --packets-per-conversation apply to --packets");
    g.packets = o.packets;
    if (o.max_packets) g.packet_budget.max_packets = *o.max_packets;
    if (o.packets_per_conversation) g.packet_budget.per_conversation = *o.packets_per_conversation;
    g.progress = stderr_is_tty();
    g.interrupted = &g_interrupted;
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    const gen::GenSummary s = gen::run_gen(scenario, g);
    const auto& st = s.stats;
    std::fprintf(stderr,
                 "flowlab gen: %s (seed %llu) %s from %s: %llu conversations, %llu records in %llu messages "
                 "from %zu exporters -> %s in %.2f s (%.0f records/s)\n",
                 scenario.name.c_str(), static_cast<unsigned long long>(s.seed),
                 gen::format_duration(s.end_us - s.start_us).c_str(), gen::format_time(s.start_us).c_str(),
                 static_cast<unsigned long long>(st.conversations), static_cast<unsigned long long>(st.records),
                 static_cast<unsigned long long>(st.messages), st.exporters.size(), o.output.c_str(), s.seconds,
                 s.seconds > 0 ? static_cast<double>(st.records) / s.seconds : 0.0);
    if (o.packets)
        std::fprintf(stderr,
                     "flowlab gen: packets.pcap: %llu packets (%.0f packets/s); %llu conversations truncated, %llu omitted "
                     "by the packet budget\n",
                     static_cast<unsigned long long>(s.packets_written),
                     s.seconds > 0 ? static_cast<double>(s.packets_written) / s.seconds : 0.0,
                     static_cast<unsigned long long>(s.packet_conversations_truncated),
                     static_cast<unsigned long long>(s.packet_conversations_omitted));
    for (const auto& e : st.exporters)
        if (e.ipv6_not_exportable)
            std::fprintf(stderr, "flowlab gen: exporter %s (NetFlow v5) saw %llu IPv6 conversations it cannot export\n",
                         e.name.c_str(), static_cast<unsigned long long>(e.ipv6_not_exportable));
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
    cmd->add_option("--start", o->start,
                    "start time: ISO 8601 with a zone (2026-03-02T00:00:00Z), a date, `now` or Unix seconds\n"
                    "(default: the scenario's)")
        ->check(units::time());
    cmd->add_option("--duration", o->duration, "span to generate, with a unit: 90m, 36h, 1h30m, 2w (default: the scenario's)")
        ->check(units::duration());
    cmd->add_option("--scale", o->scale, "multiply every arrival rate (load tests)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_flag("--packets", o->packets,
                  "also write DIR/packets.pcap, the packets of every conversation, for probes (softflowd, pmacctd, ...)");
    cmd->add_option("--max-packets", o->max_packets,
                    "packets.pcap: at most N packets in all; conversations beyond are cut or left out and\n"
                    "DIR/truth/packet-conversations.csv is the exact truth of what was written")
        ->transform(units::count())
        ->check(CLI::PositiveNumber);
    cmd->add_option("--packets-per-conversation", o->packets_per_conversation,
                    "packets.pcap: only the first N packets of each conversation (truth as for --max-packets)")
        ->transform(units::count())
        ->check(CLI::PositiveNumber);
    cmd->callback([o, &action] { action = [o] { return run_gen_command(*o); }; });
}

}  // namespace flowlab::app
