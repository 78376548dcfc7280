/// @brief Entry point of `flowlab`: parses the command line and maps errors to exit codes.
///
/// Exit codes: 0 success, 1 verification found differences, 2 bad input or usage (the message
/// names the file and the place), 3 internal error (a bug: please report it).
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/version.hpp"

namespace flowlab::app {
bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }
}  // namespace flowlab::app

int main(int argc, char** argv) {
    using namespace flowlab::app;
    CLI::App app{
        "flowlab: a test harness and flow simulator/replayer for NetFlow v5, NetFlow v9 and IPFIX.\n"
        "\n"
        "  gen        synthesize a scenario's traffic, meter it like a router, write the exports\n"
        "             (exports.pcap) and the exact ground truth (truth/*.csv, manifest.json)\n"
        "  replay     send a pcap of exports (UDP) or packets (raw frames) at a controlled rate\n"
        "  decode     decode the v5/v9/IPFIX exports in a pcap into CSV or JSON lines\n"
        "  verify     compare what a collector stored with the ground truth, record by record\n"
        "  check      gen -> replay -> collector -> verify against a real collector, one verdict\n"
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

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    try {
        return action ? action() : 0;
    } catch (const flowlab::Error& e) {
        std::fprintf(stderr, "flowlab: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "flowlab: internal error: %s\n", e.what());
        return 3;
    }
}
