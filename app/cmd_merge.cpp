/// @brief `flowlab merge`: the shards of one gen run (gen --shard I/N) as one gen output directory.
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "console.hpp"
#include "flowlab/harness/merge.hpp"

namespace flowlab::app {
namespace {

struct MergeArgs {
    harness::MergeOptions options;
    bool quiet = false;
    ProgressMode progress = ProgressMode::automatic;
};

int run_merge(const MergeArgs& a) {
    Console console("merge", a.quiet ? ProgressMode::off : a.progress);
    const harness::MergeSummary s = harness::merge_shards(a.options, console.hooks());
    console.clear();
    if (!a.quiet)
        console.note(fmt::format("{} shards, {} exporters: {} records, {} conversations, {} datagrams -> {}",
                                 s.shards, s.exporters, s.records, s.conversations, s.frames,
                                 a.options.output));
    return 0;
}

}  // namespace

void add_merge_command(CLI::App& root, Action& action) {
    auto a = std::make_shared<MergeArgs>();
    CLI::App* cmd = root.add_subcommand(
        "merge",
        "Merge the shards of one gen run (gen --shard I/N for every I of one N, from one scenario, seed and\n"
        "span) into one gen output directory, for verify and report: exports.pcap, truth/records.csv and\n"
        "truth/conversations.csv are the unsharded run's files byte for byte (datagrams by capture time, "
        "then\n"
        "exporter index, each with its truth rows; conversations by id); manifest.json adds up the counts "
        "and\n"
        "names the shards (\"merged_from\").\n"
        "Each shard's files are checked against its manifest (size, SHA-256) as they are read.\n"
        "Exit status: 0 merged, 2 not every shard of one run, a damaged shard or bad usage (nothing "
        "written),\n"
        "130/143 interrupted (nothing written).");
    cmd->add_option("shards", a->options.shards, "the shards' directories, in any order")->required();
    cmd->add_option("-o,--output", a->options.output,
                    "the merged directory (replaces an earlier flowlab output)")
        ->required();
    cmd->add_flag("-q,--quiet", a->quiet, "no progress and no summary line");
    add_progress_flags(cmd, a->progress);
    cmd->callback([a, &action] { action = [a] { return run_merge(*a); }; });
}

}  // namespace flowlab::app
