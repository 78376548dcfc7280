/// @brief Entry point of `flowlab`: parses the command line and maps errors to exit codes.
///
/// Exit codes: 0 success, 1 verification found differences, 2 bad input or usage (the message
/// names the file and the place), 3 internal error (a bug: please report it), 130 / 143 when
/// stopped by SIGINT / SIGTERM (after stopping child processes and removing partial output).
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "console.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/process.hpp"
#include "flowlab/core/version.hpp"

int main(int argc, char** argv) {
    using namespace flowlab::app;
    // Before the options: their checks already look for scenarios, dialects and profiles.
    apply_user_data_from_environment();
    CLI::App app{
        "flowlab: a test harness and flow simulator/replayer for NetFlow v5, NetFlow v9 and IPFIX.\n"
        "\n"
        "  gen        synthesize a scenario's traffic, meter it like a router, write the exports\n"
        "             (exports.pcap) and the exact ground truth (truth/*.csv, manifest.json)\n"
        "  replay     send a pcap of exports (UDP) or packets (raw frames) at a controlled rate\n"
        "  decode     decode the v5/v9/IPFIX exports in a pcap into CSV or JSON lines\n"
        "  verify     compare what a collector stored with the ground truth, record by record\n"
        "  check      gen -> replay -> collector -> verify against a real collector, one verdict\n"
        "  conformance  run the decoder regression suite (numbered RFC cases) against a decoder or\n"
        "             a collector and write its report card\n"
        "  report     nfsen-like pictures of a scenario, a collector's data or a verdict, as one HTML page\n"
        "  merge      the shards of one gen run (gen --shard I/N) as one gen output directory\n"
        "  scenarios  list the canned scenarios, show their story, check an answer, validate a file\n"
        "\n"
        "Run `flowlab <command> --help` for the options of each command.",
        "flowlab"};
    app.set_version_flag("--version", std::string("flowlab ") + flowlab::kVersion);
    app.require_subcommand(1);
    app.fallthrough(false);

    Action action;
    add_gen_command(app, action);
    add_decode_command(app, action);
    add_replay_command(app, action);
    add_scenarios_command(app, action);
    add_verify_command(app, action);
    add_check_command(app, action);
    add_conformance_command(app, action);
    add_report_command(app, action);
    add_merge_command(app, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    std::string command = "flowlab";
    for (const CLI::App* sub = &app; !sub->get_subcommands().empty();) {
        sub = sub->get_subcommands().front();
        command += " " + sub->get_name();
    }
    install_stop_signals();
    auto interrupted = [&](int signal, std::string_view done) {
        fmt::print(stderr, "{}: interrupted by {}{}{}\n", command, flowlab::core::signal_name(signal > 0 ? signal : 2),
                   done.empty() ? "" : " ", done);
        return 128 + (signal > 0 ? signal : 2);
    };
    try {
        const int code = action ? action() : 0;
        // A command that finished its work anyway (a short one, or replay with its summary)
        // still reports the stop it was asked for.
        if (stop_token().cancelled()) return interrupted(stop_token().signal(), {});
        return code;
    } catch (const flowlab::Interrupted& e) {
        return interrupted(e.signal(), e.done());
    } catch (const flowlab::Error& e) {
        // An error that follows a stop request is its consequence (a read cut short by the
        // signal): report the stop, with the error as what was done.
        if (stop_token().cancelled()) return interrupted(stop_token().signal(), std::string("(") + e.what() + ")");
        fmt::print(stderr, "flowlab: {}\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "flowlab: internal error: {}\n", e.what());
        return 3;
    }
}
