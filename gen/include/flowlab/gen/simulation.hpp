/// @brief The export half of `flowlab gen`: conversations in, NetFlow/IPFIX messages out.
///
/// One discrete-event loop runs every exporter's flow cache in global time order, hands
/// expired records to each exporter's packetizer after its export delay, flushes partly
/// filled messages after a maximum wait, and delivers messages to the sink in non-decreasing
/// export time across all exporters. Memory holds only conversations still in flight and
/// records not yet exported: it grows with concurrency, never with the span simulated.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "flowlab/core/encoder.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/gen/conversation.hpp"
#include "flowlab/gen/meter.hpp"
#include "flowlab/gen/units.hpp"
#include "flowlab/gen/value_rules.hpp"

namespace flowlab::gen {

/// A network an exporter sees, and what it knows about it.
struct ObservedNetwork {
    Cidr block;
    std::uint32_t if_index = 0;  ///< interface towards this network
    std::uint32_t as_number = 0;
    std::uint32_t vrf = 0;  ///< VRF of the interface towards this network
};

struct ExporterPlan {
    std::string name;
    core::ExporterConfig exporter;  ///< protocol, address, domain, boot, MTU, templates, sampling
    std::uint16_t source_port = 0;  ///< UDP source port of its exports
    MeterConfig meter;
    std::vector<ObservedNetwork> observes;
    std::uint32_t default_if = 0;  ///< interface towards everything not in `observes` (in VRF 0)
    core::IpAddress next_hop;      ///< next hop written into records (optional)
    std::int64_t export_delay_us = 0;           ///< from expiry to the export queue
    std::int64_t max_message_wait_us = 1'000'000;  ///< a partly filled message goes out after this
    std::vector<ValueRule> value_rules;  ///< per-conversation values, drawn under the simulation's seed
};

/// Which conversations an exporter sees: those with the source or destination in one of its
/// networks (longest prefix wins); the interfaces and masks are those of the matching networks.
std::optional<FlowContext> observe(const ExporterPlan& plan, const ConversationKey& key);

struct ExporterStats {
    std::string name;
    FlowCacheStats cache;
    core::PacketizerStats packetizer;
    std::uint64_t ipv6_not_exportable = 0;  ///< IPv6 conversations a v5 exporter saw but cannot export
};

struct SimulationStats {
    std::uint64_t conversations = 0;
    std::uint64_t conversation_packets = 0;
    std::uint64_t conversation_bytes = 0;
    std::uint64_t messages = 0;
    std::uint64_t records = 0;
    std::int64_t first_export_ns = 0;
    std::int64_t last_export_ns = 0;
    std::size_t peak_in_flight = 0;  ///< conversations metered at once, all exporters
    std::vector<ExporterStats> exporters;
};

struct SimulationSinks {
    std::function<void(const Conversation&)> conversation;
    /// Every message, in export order; `exporter` indexes the plan's exporters.
    std::function<void(std::size_t exporter, const core::EncodedMessage&)> message;
    /// Called about every 64k conversations with the simulated time (for progress output).
    std::function<void(std::int64_t sim_time_us, const SimulationStats&)> progress;
};

/// Pulls conversations (non-decreasing start) until `pull` returns false and meters them all
/// to the end. Throws ConfigError if an exporter cannot be built (see core::Packetizer).
SimulationStats simulate(const std::vector<ExporterPlan>& plans, std::uint64_t seed,
                         const std::function<bool(Conversation&)>& pull, const SimulationSinks& sinks);

/// The same with the exporters spread over `threads` worker threads (at most one per
/// exporter; 1 or a single exporter: simulate() above). The calling thread pulls, calls the
/// conversation sink and hands the messages to the message sink, in the same order and with
/// the same bytes as simulate(): exporters share nothing but the conversations, and each
/// message's place in the order follows from its exporter's own events (see simulation.cpp).
/// An error in a worker is rethrown here; on any error the workers are stopped and joined.
/// stats.peak_in_flight is then the sum of each exporter's peak (at most that).
SimulationStats simulate(const std::vector<ExporterPlan>& plans, std::uint64_t seed,
                         const std::function<bool(Conversation&)>& pull, const SimulationSinks& sinks,
                         std::size_t threads);

/// The workers take conversations in batches of at most kParallelBatch, fewer with many
/// exporters: a batch holds at most kParallelPairs (conversation, exporter) pairs, so that the
/// records and messages of a batch stay bounded whatever the number of exporters. At most
/// kParallelDepth + 1 batches are in flight (handed out and not yet merged).
inline constexpr std::size_t kParallelBatch = 1024;
inline constexpr std::size_t kParallelPairs = 8192;
inline constexpr std::size_t kParallelDepth = 3;

}  // namespace flowlab::gen
