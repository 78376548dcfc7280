/// @brief Streaming aggregation of flow records into nfsen's pictures: 5-minute slots per source
/// and protocol class, and top-N candidates per window cell, in memory bounded by slots and
/// candidates rather than by records.
///
/// Time series. A record counts in the slot of its flow start (first_ms), per source (exporter
/// address) and protocol class (TCP, UDP, ICMP incl. ICMPv6, other): flows, packets, bytes.
///
/// Window rankings. A report's time window [A, B) selects exactly the records nfdump's
/// `-t A-B` selects: first_ms >= A and last_ms <= B. A record is therefore filed in the cell
/// (start slot, end slot) with start slot = floor(first_ms / slot) and end slot =
/// ceil(last_ms / slot) - 1, and a window of whole slots [s, e] is the union of the cells with
/// start >= s and end <= e. The same is kept at coarser levels aligned to UTC (hours, days,
/// weeks from Monday): a cell (u, v) of a level holds the records starting in unit u and
/// ending in unit v, so a window takes the coarse cells that lie wholly inside it and only
/// its ragged edges from finer ones, and each record is counted once (the page's query()).
/// Each cell keeps, per dimension (host = either address, port = either port, conversation =
/// source and destination address; nfdump's `-s ip`, `-s port` and `-s record -A
/// srcip,dstip`), the top keys by flows and the top by bytes (the level's `candidates` each)
/// with all three counters, plus two bounds per counter: `err` (a kept key's true value is
/// within [value, value + err]) and `rest` (any key not kept has at most `rest`). The page sums
/// the cells of a window and states whether its top-N table is exact or how far off it can
/// be. A cell is exact (err 0, rest 0) when it has at most `candidates` keys; `err` is
/// non-zero only when a cell still being filled held more than `open_keys_limit` keys and was
/// pruned, and a record that arrives after its cell was closed (more than `close_lag_ms`
/// later than the latest flow end seen) widens `rest` instead of being dropped.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::report {

struct Counters {
    std::uint64_t flows = 0, packets = 0, bytes = 0;
    void add(const Counters& o) noexcept {
        flows += o.flows;
        packets += o.packets;
        bytes += o.bytes;
    }
    friend bool operator==(const Counters&, const Counters&) = default;
};

enum class ProtoClass : std::uint8_t { tcp, udp, icmp, other };
inline constexpr std::size_t kProtoClasses = 4;
ProtoClass proto_class(const core::FlowRecord& r) noexcept;
std::string_view proto_class_name(ProtoClass p) noexcept;

enum class Dim : std::uint8_t { host, port, conversation };
inline constexpr std::size_t kDims = 3;
std::string_view dim_name(Dim d) noexcept;

/// The ports nfdump's `-s port` counts for a record: source and destination port as stored;
/// ICMP without a destination port uses type << 8 | code as nfdump does.
std::pair<std::uint16_t, std::uint16_t> record_ports(const core::FlowRecord& r) noexcept;

/// Slot of a flow start and the last slot a flow end belongs to (see the file comment).
std::int64_t start_slot(std::int64_t first_ms, std::int64_t slot_ms) noexcept;
std::int64_t end_slot(std::int64_t last_ms, std::int64_t slot_ms) noexcept;

/// A level of cells: units of `factor` slots, counted from slot `offset` (weeks start on a
/// Monday: epoch day 4).
struct LevelSpec {
    std::int64_t factor = 1;
    std::int64_t offset = 0;
    std::size_t candidates = 20;
    std::string name;
};

struct TrafficOptions {
    std::int64_t slot_ms = 300'000;
    /// Keys kept per 5-minute cell and dimension, by flows and (separately) by bytes; the
    /// hour, day and week levels keep 4, 10 and 20 times as many.
    std::size_t candidates = 10;
    /// A cell is closed (cut to its candidates) once the latest flow end seen is this much past
    /// the cell's end. Records in export or arrival order are late by at most the exporters'
    /// timeouts, so a quarter of an hour keeps every shipped case exact.
    std::int64_t close_lag_ms = 15 * 60'000;
    /// Keys an open cell holds per dimension before it is pruned to a quarter of this by flows
    /// and a quarter by bytes (then `err` becomes non-zero).
    std::size_t open_keys_limit = 1u << 16;
    /// Records whose start is outside [first, second) are counted apart (e.g. the span of a
    /// gen output directory). Without it the span is the records' own, at most `max_slots`
    /// slots ending at the latest start (earlier records are counted apart).
    std::optional<std::pair<std::int64_t, std::int64_t>> span_ms;
    std::size_t max_slots = 400 * 288;
    /// Bytes the aggregator's structures may hold (series, open and closed cells, interned
    /// keys); 0: no limit. add() throws UsageError once they hold more.
    std::uint64_t memory_limit = 0;
    /// Bytes the caller holds besides (the page's data so far), counted against memory_limit.
    std::uint64_t memory_held_elsewhere = 0;
};

/// An upper bound of the bytes the aggregator holds for `records` records from `sources`
/// exporters, for a refusal before any work starts: every record can add five keys to the
/// open cell of each level (up to open_keys_limit per dimension, in a cell before and a cell
/// after a boundary) and open one cell per level, whose candidates stay after it closes; the
/// span (or max_slots) bounds the cells and the series.
std::uint64_t estimate_traffic_memory(const TrafficOptions& options, std::uint64_t records, std::size_t sources);

/// An upper bound of the JSON text of the pictures' data (TrafficData as the page holds it) for
/// the same input: every slot of the span per source, the cells and candidates the estimate
/// above allows, their interned addresses, every number at its widest.
std::uint64_t estimate_traffic_json_bytes(const TrafficOptions& options, std::uint64_t records, std::size_t sources);

struct Candidate {
    std::uint32_t key = 0;  ///< host: address index; port: the port; conversation: conversation index
    Counters value;
};

struct DimCell {
    std::vector<Candidate> kept;  ///< by flows, descending
    Counters rest;                ///< upper bound of any key not kept
    Counters err;                 ///< a kept key's true value is at most value + err
};

struct Cell {
    std::int64_t start = 0, end = 0;  ///< in units of the cell's level
    Counters total;
    std::array<DimCell, kDims> dims;
    bool late = false;  ///< received records after it was closed
};

struct Level {
    LevelSpec spec;
    std::vector<Cell> cells;  ///< sorted by (start, end); start/end in units of this level
};

/// The levels for a slot length: the slot itself, then hour, day and week where they are whole
/// multiples of the level below (5-minute slots: 1, 12, 288, 2016 slots).
std::vector<LevelSpec> default_levels(std::int64_t slot_ms, std::size_t candidates);

struct SourceSeries {
    std::string name;  ///< exporter address, or "(no exporter)"
    /// Per protocol class, per slot from TrafficData::first_slot.
    std::array<std::vector<Counters>, kProtoClasses> slots;
};

struct TrafficData {
    std::int64_t slot_ms = 300'000;
    std::int64_t first_slot = 0;
    std::size_t slot_count = 0;
    std::vector<SourceSeries> sources;  ///< sorted by name
    std::vector<Level> levels;          ///< finest first
    std::vector<core::IpAddress> addresses;                             ///< host keys
    std::vector<std::pair<std::uint32_t, std::uint32_t>> conversations;  ///< (src, dst) address indices
    std::uint64_t records = 0;       ///< every record offered
    std::uint64_t without_time = 0;  ///< no flow start: in no picture
    std::uint64_t outside_span = 0;  ///< start outside the span: in no picture
    std::uint64_t late_records = 0;  ///< arrived after their cell was closed
    std::uint64_t pruned = 0;        ///< times an open cell was pruned
    std::size_t peak_open_keys = 0;  ///< most keys held by open cells at once
    std::uint64_t peak_bytes = 0;    ///< most bytes the aggregator's structures held at once
    Counters total;                  ///< of the records in the pictures
};

/// Bytes `d` holds (its vectors' capacities).
std::uint64_t held_bytes(const TrafficData& d);

class TrafficAggregator {
public:
    explicit TrafficAggregator(TrafficOptions options = {});
    ~TrafficAggregator();
    TrafficAggregator(const TrafficAggregator&) = delete;
    TrafficAggregator& operator=(const TrafficAggregator&) = delete;

    void add(const core::FlowRecord& r);
    /// Closes every cell and returns the pictures' data; the aggregator is empty afterwards.
    TrafficData finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowlab::report
