/// @brief Exporter emulation: the flow cache of one exporter, metering conversations into
/// records the way a router does (active and inactive timeouts, TCP FIN/RST, a cache-size
/// limit with emergency expiry, 1-in-N packet sampling).
///
/// Packets are never touched one by one where arithmetic can do it: a Burst's packet times and
/// sizes are exact functions of its index (conversation.hpp), so the packets and bytes that fall
/// inside a timeout window are computed in O(1). Only trains whose own packet gaps exceed the
/// inactive timeout, and random sampling, walk packets individually.
///
/// Semantics (documented in docs/scenario-format.md, "Exporters"):
/// - An entry starts at its first observed packet t0 and holds the packets with time
///   < t0 + active_timeout; it expires at t0 + active_timeout (end reason 2, active timeout).
/// - A gap >= inactive_timeout after the entry's last packet expires it at last + inactive
///   (end reason 1, idle timeout). The end of a conversation is the same.
/// - A packet carrying FIN or RST is counted and expires the entry at that packet (reason 3).
/// - When a new entry needs room and the cache holds cache_size entries, the entry that has
///   been in the cache longest is expired at that instant with the packets it has seen
///   (reason 5, lack of resources); its conversation continues in a new entry.
/// - Deterministic sampling takes every N-th packet of each conversation from a random phase
///   (systematic count-based sampling); random sampling takes each packet with probability
///   1/N. Records carry the sampled packets and bytes (unscaled, as routers export them), and
///   times of the first and last sampled packet; timeouts act on the sampled packets only.
/// - Concurrent conversations with an identical 5-tuple are metered as separate entries (the
///   generator avoids such collisions); records never mix two conversations.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "flowlab/core/flow_record.hpp"
#include "flowlab/gen/conversation.hpp"

namespace flowlab::gen {

enum class MeterSampling : std::uint8_t { none, deterministic, random };

struct MeterConfig {
    std::int64_t active_timeout_us = 60'000'000;
    std::int64_t inactive_timeout_us = 15'000'000;
    std::size_t cache_size = 0;  ///< 0 = unlimited
    MeterSampling sampling = MeterSampling::none;
    std::uint32_t sampling_interval = 1;  ///< N of 1-in-N
};

/// IPFIX flowEndReason values (RFC 5102 / IANA).
enum class EndReason : std::uint8_t { idle = 1, active = 2, end_of_flow = 3, forced = 4, lack_of_resources = 5 };

/// What an exporter knows about a conversation it observes besides the packets.
struct FlowContext {
    std::uint32_t in_if = 0;
    std::uint32_t out_if = 0;
    std::uint32_t vrf_in = 0;
    std::uint32_t vrf_out = 0;
    std::uint8_t src_mask = 0;
    std::uint8_t dst_mask = 0;
    std::uint32_t src_as = 0;
    std::uint32_t dst_as = 0;
    core::IpAddress next_hop;
};

/// A metered record before export: the FlowRecord fields plus the instant the entry expired.
struct MeteredRecord {
    core::FlowRecord record;
    std::int64_t expire_us = 0;
    std::uint64_t conversation = 0;
};

/// SplitMix64 (Steele, Lea, Flood 2014): the meter's own small, portable stream for sampling
/// decisions, so that metering is a pure function of (conversation, exporter, seed) and does
/// not depend on how traffic models draw their numbers.
class MeterRng {
public:
    explicit MeterRng(std::uint64_t seed) noexcept : s_(seed) {}
    std::uint64_t next() noexcept {
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform in (0, 1]: never 0, so log() is finite.
    double uniform_open0() noexcept { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }

private:
    std::uint64_t s_;
};

/// The packets one exporter observes of one conversation, in time order, after sampling.
/// Supports the two questions the cache asks: when is the next packet, and what do the
/// packets before a time limit add up to (stopping at gaps, FIN/RST).
class PacketCursor {
public:
    PacketCursor(const Conversation& conv, const MeterConfig& cfg, std::uint64_t seed);

    bool done() const noexcept { return burst_ >= conv_->bursts.size(); }
    /// Time of the next observed packet; requires !done().
    std::int64_t next_time() const noexcept { return next_time_; }

    enum class Stop : std::uint8_t { limit, gap, fin, exhausted };
    struct Taken {
        std::uint64_t packets = 0;
        std::uint64_t bytes = 0;
        std::int64_t first_us = 0;
        std::int64_t last_us = 0;
        std::uint8_t flags = 0;
    };
    /// Adds to `acc` the observed packets with time < limit_us, stopping early before a packet
    /// that follows the previous one by >= inactive_us, or after a packet with FIN or RST.
    Stop take(std::int64_t limit_us, std::int64_t inactive_us, Taken& acc);

    const Conversation& conversation() const noexcept { return *conv_; }

private:
    void settle();                         // position on the next observed packet or the end
    std::uint64_t stride() const noexcept { return stride_; }
    const Conversation* conv_;
    MeterSampling mode_;
    std::uint64_t stride_ = 1;        // deterministic: N; none: 1
    double log_keep_ = 0;             // random: log(1 - 1/N)
    MeterRng rng_;
    std::size_t burst_ = 0;
    std::uint64_t index_ = 0;         // next candidate packet within the burst
    std::uint64_t burst_base_ = 0;    // packets of this conversation before the current burst
    std::uint64_t phase_ = 0;         // deterministic: sampled packets have (global index % N) == phase
    std::uint64_t skip_ = 0;          // random: packets to skip before the next sampled one
    std::int64_t next_time_ = 0;
};

struct FlowCacheStats {
    std::uint64_t conversations = 0;   ///< conversations observed
    std::uint64_t unseen = 0;          ///< observed conversations whose packets were all sampled away
    std::uint64_t records = 0;
    std::uint64_t emergency_expiries = 0;
    std::uint64_t packets = 0;         ///< packets in records (after sampling)
    std::uint64_t bytes = 0;
    std::size_t peak_entries = 0;
};

/// One exporter's flow cache. Feed it conversations at their start time (observe), ask when
/// it next has something to do (next_event), and let it run up to a time (advance): records
/// come out in expiry order.
class FlowCache {
public:
    FlowCache(MeterConfig config, std::uint64_t seed);
    ~FlowCache();
    FlowCache(FlowCache&&) noexcept;
    FlowCache& operator=(FlowCache&&) noexcept;

    /// Starts following a conversation; call in non-decreasing start order, no later than
    /// any pending event (start_us <= next_event()).
    void observe(std::shared_ptr<const Conversation> conv, const FlowContext& obs);
    /// Time of the next entry start or expiry; INT64_MAX when idle.
    std::int64_t next_event() const noexcept;
    /// Runs every event at or before t, appending expired records (in expiry order).
    void advance(std::int64_t t, std::vector<MeteredRecord>& out);
    /// Runs to the end of every conversation.
    void drain(std::vector<MeteredRecord>& out);

    std::size_t live_entries() const noexcept;
    std::size_t conversations_in_flight() const noexcept;
    const FlowCacheStats& stats() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowlab::gen
