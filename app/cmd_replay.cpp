/// @brief `flowlab replay`: command line, signals and progress around flowlab::replay.
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "cli_units.hpp"
#include "commands.hpp"
#include "console.hpp"
#include "flowlab/core/calendar.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/replay/replay.hpp"

namespace flowlab::app {

namespace {

struct ReplayArgs {
    std::string file;
    std::string to;
    std::string transport = "udp";
    std::string iface;
    double speed = 1.0;
    double pps = 0;
    double mbps = 0;
    bool topspeed = false;
    std::uint64_t loops = 1;
    std::string duration;
    std::string rebase_time;
    std::string start_at;
    std::string exporter_src;
    std::string stats_json;
    std::size_t batch = 32;
    bool allow_send_errors = false;
    ProgressMode progress = ProgressMode::automatic;
};

int run_replay(const ReplayArgs& a) {
    replay::Timing timing;
    // First, so that +DURATION counts from the command's start.
    if (!a.start_at.empty()) {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        timing.start_at_us =
            replay::parse_start_at(a.start_at, std::chrono::duration_cast<std::chrono::microseconds>(now).count());
    }
    if (a.topspeed) {
        timing.pace = replay::Pace::topspeed;
    } else if (a.pps > 0) {
        timing.pace = replay::Pace::pps;
        timing.rate = a.pps;
    } else if (a.mbps > 0) {
        timing.pace = replay::Pace::mbps;
        timing.rate = a.mbps;
    } else {
        timing.pace = replay::Pace::original;
        timing.speed = a.speed;
    }
    timing.loops = a.loops;
    if (!a.duration.empty()) timing.duration_ns = core::parse_duration_ns(a.duration);

    Console console("replay", a.progress);
    const RunHooks hooks = console.hooks();
    replay::RunControl control;
    control.stop = stop_token().flag();
    control.batch = a.batch;
    control.note = [&console](const std::string& msg) { console.note("note: " + msg); };
    control.progress = hooks.progress;

    replay::ReplayStats stats;
    if (!a.iface.empty()) {
        replay::PacketsOptions o;
        o.path = a.file;
        o.iface = a.iface;
        o.timing = timing;
        stats = replay::replay_packets(o, control);
    } else {
        replay::ExportsOptions o;
        o.path = a.file;
        o.target = replay::resolve_target(a.to);
        o.transport = a.transport == "tcp" ? replay::Transport::tcp : replay::Transport::udp;
        o.timing = timing;
        if (!a.exporter_src.empty()) o.exporter_src = replay::parse_exporter_source(a.exporter_src);
        if (!a.rebase_time.empty()) {
            // Every shard given the same --start-at must rebase onto the same second, whenever
            // each was started: `now` is the start time then.
            o.rebase_to_s = timing.start_at_us && a.rebase_time == "now"
                                ? core::floor_div(*timing.start_at_us, core::kUsPerSecond)
                                : replay::parse_rebase_time(a.rebase_time);
        }
        stats = replay::replay_exports(o, control);
    }
    console.clear();
    console.note(replay::summary_line(stats));
    // An interrupted run's figures are complete for what was sent ("interrupted": true).
    if (!a.stats_json.empty()) replay::write_stats_json(stats, a.stats_json);
    if (stats.error) std::rethrow_exception(stats.error);
    if (stats.interrupted && stats.start_at_us && stats.first_send_us < 0)
        throw Interrupted(stop_token().signal(), "while waiting for --start-at: nothing sent");
    if (stats.interrupted)
        throw Interrupted(stop_token().signal(), fmt::format("after sending {} packets", stats.packets));
    if (const std::uint64_t lost = stats.errors.lost(); lost && !a.allow_send_errors) {
        console.note(fmt::format("{} of {} datagrams were refused by the target or not sent (is the collector "
                                 "listening?); exit status 1 (--allow-send-errors accepts that)",
                                 lost, stats.packets + stats.errors.skipped));
        return 1;
    }
    return 0;
}

}  // namespace

void add_replay_command(CLI::App& root, Action& action) {
    auto args = std::make_shared<ReplayArgs>();
    CLI::App* cmd = root.add_subcommand(
        "replay",
        "Send a capture file at a controlled rate.\n"
        "Exports mode (--to): each UDP datagram's payload goes, unchanged, to HOST:PORT over UDP; with\n"
        "--transport tcp the IPFIX messages go over TCP, one connection per exporter address and port.\n"
        "Packets mode (--iface): each Ethernet frame is injected into the interface (needs root).\n"
        "It sends wherever you point it: use loopback or a lab network you own.");
    cmd->add_option("FILE", args->file, "capture file (pcap or pcapng); - reads standard input")->required();
    auto* to = cmd->add_option("--to", args->to, "exports mode: target HOST:PORT, [IPV6]:PORT or NAME:PORT");
    auto* iface =
        cmd->add_option("--iface", args->iface, "packets mode: inject the frames into this interface");
    to->excludes(iface);
    auto* transport =
        cmd->add_option("--transport", args->transport,
                        "exports mode: udp (default) or tcp (IPFIX only, RFC 7011 10.4: one connection per "
                        "exporter address and source port of the capture, messages back to back)")
            ->check(CLI::IsMember({"udp", "tcp"}));
    transport->excludes(iface);
    auto* speed =
        cmd->add_option("--speed", args->speed, "original spacing divided by X (default 1: as captured)")
            ->check(CLI::PositiveNumber);
    auto* pps = cmd->add_option("--pps", args->pps, "packets per second, evenly spaced: 5000, 50k, 1.5Mpps")
                    ->transform(units::packet_rate());
    auto* mbps =
        cmd->add_option("--mbps", args->mbps,
                        "N megabits per second, counting IP+UDP headers (exports) or whole frames (packets)")
            ->transform(units::count())
            ->check(CLI::PositiveNumber);
    auto* top = cmd->add_flag("--topspeed", args->topspeed, "as fast as the kernel takes them");
    speed->excludes(pps, mbps, top);
    pps->excludes(mbps, top);
    mbps->excludes(top);
    cmd->add_option("--loop", args->loops, "send the file N times; 0 = until interrupted (default 1)")
        ->transform(units::count());
    cmd->add_option("--duration", args->duration, "stop after this long, with a unit: 90s, 15m, 250ms, 1h30m")
        ->check(units::duration());
    auto* rebase =
        cmd->add_option("--rebase-time", args->rebase_time,
                        "now | UNIX_SECONDS | 2024-05-01T12:00:00Z: move all export and flow times by whole "
                        "seconds so the first message is sent at that time; sequence numbers continue "
                        "across loops")
            ->check(units::time());
    cmd->add_option("--start-at", args->start_at,
                    "TIME | +DURATION: load the capture and open the sockets, then send the first packet at "
                    "TIME (ISO 8601 UTC such as 2026-12-06T20:30:00.5Z, Unix seconds such as 1765053000.5, "
                    "or +5s from now) on the wall clock, and pace from then; replays given the same TIME "
                    "start on the same tick. A time already passed when ready, or more than 24 h ahead, is "
                    "refused. With --rebase-time now, now is TIME")
        ->check(CLI::Validator(
            [](const std::string& text) -> std::string {
                // Syntax only here; whether the time has passed is decided once, when the run starts.
                try {
                    if (!text.empty() && text.front() == '+') {
                        core::parse_duration(text.substr(1));
                    } else if (text != "now") {
                        core::parse_time_arg(text);
                    }
                    return {};
                } catch (const core::UnitError& e) {
                    return std::string(e.what()) + "; or +DURATION from now (\"+5s\", \"+500ms\")";
                }
            },
            "TIME"));
    auto* src =
        cmd->add_option("--exporter-src", args->exporter_src,
                        "auto: each exporter sends from its own loopback address (127.0.0.2, ...); or "
                        "EXPORTER=LOCAL,... with local addresses of this host");
    iface->excludes(rebase, src);
    cmd->add_option("--stats-json", args->stats_json, "write the run's figures as JSON to this file");
    cmd->add_option("--batch", args->batch, "most datagrams per sendmmsg call (default 32)")
        ->check(CLI::Range(1, 1024));
    cmd->add_flag("--allow-send-errors", args->allow_send_errors,
                  "exit 0 even when the kernel refused datagrams (ICMP port unreachable: nothing listens) or could "
                  "not send them");
    add_progress_flags(cmd, args->progress);
    // Runs only when this subcommand was given: main then calls the action.
    cmd->callback([&action, args] {
        action = [args] {
            if (args->to.empty() && args->iface.empty()) {
                throw UsageError("replay: give --to HOST:PORT (exports over UDP) or --iface IF (frames)");
            }
            return run_replay(*args);
        };
    });
}

}  // namespace flowlab::app
