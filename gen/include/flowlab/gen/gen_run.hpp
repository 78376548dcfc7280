/// @brief `flowlab gen` as a library call: scenario in, output directory out.
///
/// Writes exports.pcap, truth/records.csv, truth/conversations.csv, manifest.json and, with
/// `packets`, packets.pcap (plus truth/packet-conversations.csv under a budget) into a
/// hidden temporary directory beside the target and renames it into place only when every
/// file is complete, so an interrupted or failed run leaves nothing that looks like output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowlab/core/run_control.hpp"
#include "flowlab/gen/packet_writer.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/simulation.hpp"
#include "flowlab/gen/traffic_source.hpp"

namespace flowlab::gen {

/// One part of a run split by exporter (`gen --shard I/N`): the run is simulated whole, as
/// without a shard, and only shard `index`'s share is written, so the shards 0..count-1 of one
/// scenario and seed together hold exactly the files of the unsharded run.
struct Shard {
    std::size_t index = 0;
    std::size_t count = 1;
    /// Exporter k (its index in the scenario's exporter list) belongs to shard k mod count.
    bool holds_exporter(std::size_t k) const noexcept { return k % count == index; }
};

/// Parses "I/N" (decimal, 0 <= I < N). Throws UsageError saying what was expected.
Shard parse_shard(std::string_view text);

/// The exporter whose shard a conversation row goes to: the lowest-indexed exporter whose
/// observed networks match it (observe(); before sampling, and also a NetFlow v5 exporter that
/// cannot export an IPv6 conversation), or nullopt when no exporter observes it (such rows go
/// to shard 0). A conversation several exporters see is written once, with the first of them.
std::optional<std::size_t> conversation_owner(const std::vector<ExporterPlan>& plans, const ConversationKey& key);

struct GenOptions {
    SourceOptions source;
    std::string output_dir;
    /// Also write packets.pcap: every conversation's packets (docs/packets.md).
    bool packets = false;
    PacketBudget packet_budget;
    /// Write the lesson's answer key (story, question, answer) to this file, which must lie
    /// outside output_dir; empty: no key is written. The output directory never holds it.
    std::string answer_key_file;
    /// Refuse a run whose estimated peak memory (check_run) exceeds this many bytes (0: no limit).
    std::uint64_t memory_limit = 0;
    /// Also write truth/records.jsonl: every truth record as `flowlab decode -f jsonl --keep-extra`
    /// writes it, the elements outside the record model (constants and per-conversation values
    /// from the scenario, enterprise elements) as "extra". Not with `shard`.
    bool truth_jsonl = false;
    /// Write only this shard's exporters (and conversations); cannot be combined with `packets`.
    std::optional<Shard> shard;
    /// Threads for simulating (0: one per hardware thread). 1 runs the traffic source and the
    /// simulation on the calling thread; more runs the source on a thread of its own, ahead of
    /// the simulation, and the exporters on `jobs` threads (at most one each). The files are
    /// the same for every value.
    std::size_t jobs = 0;
};

struct GenSummary {
    SimulationStats stats;
    std::uint64_t seed = 0;
    std::int64_t start_us = 0;
    std::int64_t end_us = 0;
    double seconds = 0;  ///< wall-clock time of the run
    std::uint64_t packets_written = 0;  ///< frames in packets.pcap (with `packets`)
    std::uint64_t packet_conversations_truncated = 0;
    std::uint64_t packet_conversations_omitted = 0;
    /// What the output directory holds: everything, or with a shard only its share (`stats`
    /// always covers the whole simulation).
    std::uint64_t conversations_written = 0;
    std::uint64_t records_written = 0;
    std::uint64_t messages_written = 0;
    std::vector<std::size_t> exporters_written;  ///< scenario indexes
};

/// The exporter emulation plan for exporter `index` of a scenario whose span starts at
/// `start_us` (the boot time is relative to it).
ExporterPlan make_exporter_plan(const Scenario& s, std::size_t index, std::int64_t start_us);

/// Columns of truth/conversations.csv.
/// No activity column: the activity names would tell a student which conversations matter.
inline constexpr const char* kConversationCsvHeader =
    "id,src,dst,sport,dport,proto,tos,tcp_flags,packets,bytes,first_ms,last_ms";

/// Runs the scenario and writes the output directory. Progress (task "gen", records, the
/// fraction of the span simulated) goes to hooks.progress. Throws ConfigError for a scenario
/// the exporters cannot carry, UsageError when the target exists and is not a flowlab output
/// directory, IoError naming the file and the operation when writing fails, Interrupted when
/// hooks.cancel is set (nothing is left behind in any of these cases), UsageError for a shard
/// out of range or combined with `packets`.
GenSummary run_gen(const Scenario& scenario, const GenOptions& options, const RunHooks& hooks = {});

}  // namespace flowlab::gen
