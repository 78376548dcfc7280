/// @brief `flowlab merge`: the shards of one gen run (gen --shard I/N, I = 0..N-1) as one gen
/// output directory, for verify and report to read as if the run had not been split.
///
///     harness::MergeOptions o;
///     o.shards = {"s0", "s1", "s2"};   // any order
///     o.output = "whole";
///     const harness::MergeSummary s = harness::merge_shards(o, hooks);
///
/// What comes out is the unsharded run's files: exports.pcap merges the shards' datagrams by
/// capture time and, at equal times, by exporter index, the order gen writes them in; each
/// datagram brings its truth rows (as many of its shard's next rows as it carries flow records,
/// counted by decoding it), so truth/records.csv is in gen's order too; truth/conversations.csv
/// merges by id. All three are byte for byte the unsharded run's (tests/check/merge_test, on
/// exporters that share an address, a domain and sequence numbers). manifest.json is the
/// shards' with the counts added up, every exporter listed, "shard": null and "merged_from"
/// naming the shards.
///
/// Errors (InputError/UsageError, exit 2, nothing written): a directory that is not a shard
/// (no manifest, "shard" null), shards of different runs (flowlab version, scenario, seed,
/// scale, span, collector or shard count differ), a shard given twice or missing, a shard whose
/// files do not match its manifest (size or SHA-256: damaged or edited), gen --packets output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flowlab/core/run_control.hpp"

namespace flowlab::harness {

struct MergeOptions {
    std::vector<std::string> shards;  ///< gen --shard output directories, every I of one N
    std::string output;               ///< the merged directory (replaces an earlier flowlab output)
};

struct MergeSummary {
    std::uint64_t shards = 0;
    std::uint64_t exporters = 0;
    std::uint64_t records = 0;
    std::uint64_t conversations = 0;
    std::uint64_t frames = 0;
};

/// Merges the shards into options.output (written under a temporary name, renamed when
/// complete). Progress: task "merge", bytes read. Throws as said above; Interrupted on a stop.
MergeSummary merge_shards(const MergeOptions& options, const RunHooks& hooks = {});

}  // namespace flowlab::harness
