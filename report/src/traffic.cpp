/// @brief TrafficAggregator: slots per source and protocol, cells of top-N candidates with
/// bounds (see traffic.hpp for what is exact and what is bounded).
#include "flowlab/report/traffic.hpp"

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include <algorithm>
#include <limits>
#include <string>

#include "flowlab/core/error.hpp"
#include "flowlab/core/units.hpp"

namespace flowlab::report {

using core::Field;
using core::FlowRecord;
using core::IpAddress;

ProtoClass proto_class(const FlowRecord& r) noexcept {
    if (!r.has(Field::proto)) return ProtoClass::other;
    switch (r.proto) {
        case 6: return ProtoClass::tcp;
        case 17: return ProtoClass::udp;
        case 1:
        case 58: return ProtoClass::icmp;
        default: return ProtoClass::other;
    }
}

std::string_view proto_class_name(ProtoClass p) noexcept {
    switch (p) {
        case ProtoClass::tcp: return "TCP";
        case ProtoClass::udp: return "UDP";
        case ProtoClass::icmp: return "ICMP";
        case ProtoClass::other: return "other";
    }
    return "?";
}

std::string_view dim_name(Dim d) noexcept {
    switch (d) {
        case Dim::host: return "host";
        case Dim::port: return "port";
        case Dim::conversation: return "conversation";
    }
    return "?";
}

std::pair<std::uint16_t, std::uint16_t> record_ports(const FlowRecord& r) noexcept {
    const std::uint16_t sport = r.has(Field::sport) ? r.sport : 0;
    std::uint16_t dport = r.has(Field::dport) ? r.dport : 0;
    if (r.is_icmp() && !r.has(Field::dport) && (r.has(Field::icmp_type) || r.has(Field::icmp_code)))
        dport = static_cast<std::uint16_t>(r.icmp_type << 8 | r.icmp_code);
    return {sport, dport};
}

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

std::int64_t start_slot(std::int64_t first_ms, std::int64_t slot_ms) noexcept { return floor_div(first_ms, slot_ms); }
// ceil(last / slot) - 1: a flow ending exactly on a boundary belongs to the slot before it,
// as nfdump's `-t A-B` keeps flows with last <= B.
std::int64_t end_slot(std::int64_t last_ms, std::int64_t slot_ms) noexcept { return floor_div(last_ms - 1, slot_ms); }

namespace {

struct ConvKey {
    IpAddress src, dst;
    friend bool operator==(const ConvKey&, const ConvKey&) = default;
    friend auto operator<=>(const ConvKey&, const ConvKey&) = default;
};
struct ConvHash {
    std::size_t operator()(const ConvKey& k) const noexcept { return k.src.hash() * 0x9E3779B97F4A7C15ull ^ k.dst.hash(); }
};

Counters max_of(const Counters& a, const Counters& b) noexcept {
    return {std::max(a.flows, b.flows), std::max(a.packets, b.packets), std::max(a.bytes, b.bytes)};
}

/// Moves the top `k` entries by flows together with the top `k` by bytes to the front of
/// `entries`, in order of flows (descending) then key, and returns how many they are and the
/// per-counter maximum of the others. Ties at the cut go to the smaller key: which keys are kept
/// must not depend on the order a hash table hands them out (absl seeds its hash per process),
/// or the same input would give different pages.
template <class K>
std::pair<std::size_t, Counters> keep_top(std::vector<std::pair<K, Counters>>& entries, std::size_t k) {
    const std::size_t n = entries.size();
    const auto by_flows = [&](std::uint32_t a, std::uint32_t b) {
        const auto &x = entries[a], &y = entries[b];
        return x.second.flows != y.second.flows ? x.second.flows > y.second.flows : x.first < y.first;
    };
    const auto by_bytes = [&](std::uint32_t a, std::uint32_t b) {
        const auto &x = entries[a], &y = entries[b];
        return x.second.bytes != y.second.bytes ? x.second.bytes > y.second.bytes : x.first < y.first;
    };
    std::vector<std::uint32_t> idx(n);
    for (std::uint32_t i = 0; i < n; ++i) idx[i] = i;
    std::vector<char> keep(n, n <= k ? 1 : 0);
    if (n > k) {
        const auto mid = idx.begin() + static_cast<std::ptrdiff_t>(k - 1);
        std::nth_element(idx.begin(), mid, idx.end(), by_flows);
        for (std::size_t i = 0; i < k; ++i) keep[idx[i]] = 1;
        std::nth_element(idx.begin(), mid, idx.end(), by_bytes);
        for (std::size_t i = 0; i < k; ++i) keep[idx[i]] = 1;
    }
    std::vector<std::uint32_t> kept_idx;
    for (std::uint32_t i = 0; i < n; ++i)
        if (keep[i]) kept_idx.push_back(i);
    std::sort(kept_idx.begin(), kept_idx.end(), by_flows);
    std::vector<std::pair<K, Counters>> sorted;
    sorted.reserve(n);
    for (std::uint32_t i : kept_idx) sorted.push_back(std::move(entries[i]));
    Counters rest;
    for (std::size_t i = 0; i < n; ++i)
        if (!keep[i]) {
            rest = max_of(rest, entries[i].second);
            sorted.push_back(std::move(entries[i]));
        }
    entries = std::move(sorted);
    return {kept_idx.size(), rest};
}

/// The key's own hash, mixed by absl: flat_hash_map takes its control bits from the high bits,
/// which std::hash of a port (the port itself) leaves zero.
template <class H>
struct Mixed {
    template <class K>
    std::size_t operator()(const K& k) const noexcept { return absl::Hash<std::size_t>{}(H{}(k)); }
};

/// Open cells hold every key of a window cell until it closes, one map per level and dimension:
/// with all keys new (a scan, random sources) each record inserts into twenty of them. An open
/// addressing table stores entries inline instead of one allocation per key: on 600k records
/// of all-new keys (bench/report_bench.sh) the report took 20.0 s with std::unordered_map.
template <class K, class H = std::hash<K>>
struct OpenDim {
    absl::flat_hash_map<K, Counters, Mixed<H>> map;
    Counters floor;  // upper bound of what a key held before its current entry (pruning)

    /// The table's own storage: one slot per capacity and a control byte each.
    std::size_t bytes() const noexcept { return map.capacity() * (sizeof(typename decltype(map)::slot_type) + 1); }
    /// Returns true if the key is new.
    bool add(const K& key, const Counters& c) {
        auto [it, fresh] = map.try_emplace(key);
        it->second.add(c);
        return fresh;
    }
    std::vector<std::pair<K, Counters>> take() {
        std::vector<std::pair<K, Counters>> v(map.begin(), map.end());
        map = {};
        return v;
    }
    /// Keeps a quarter of `limit` by flows and a quarter by bytes; returns how many keys went.
    std::size_t prune(std::size_t limit) {
        auto entries = take();
        const auto [kept, rest] = keep_top(entries, std::max<std::size_t>(1, limit / 4));
        // A dropped key's true value is at most its entry plus the old floor; one that comes
        // back starts a new entry from zero, so the floor grows by the largest dropped entry.
        floor.add(rest);
        map.reserve(kept);
        for (std::size_t i = 0; i < kept; ++i) map.emplace(entries[i].first, entries[i].second);
        return entries.size() - kept;
    }
};

struct OpenCell {
    Counters total;
    OpenDim<IpAddress> hosts;
    OpenDim<std::uint16_t> ports;
    OpenDim<ConvKey, ConvHash> convs;
    std::size_t bytes() const noexcept { return sizeof(OpenCell) + hosts.bytes() + ports.bytes() + convs.bytes(); }
};

// Per-entry costs of the node-based containers, for the memory account: libstdc++'s
// unordered_map node (next pointer, value, cached hash) plus a bucket pointer, and std::map's
// red-black node (three pointers and a colour) around its value.
template <class V>
constexpr std::size_t kHashNodeBytes = sizeof(void*) + sizeof(V) + sizeof(std::size_t) + sizeof(void*);
template <class V>
constexpr std::size_t kTreeNodeBytes = 4 * sizeof(void*) + sizeof(V);
/// Bytes of one open-table entry at the load absl keeps (at most 7/8 full, half after growth).
template <class K>
constexpr std::size_t kOpenEntryBytes = (sizeof(std::pair<K, Counters>) + 1) * 2;

using CellKey = std::pair<std::int64_t, std::int64_t>;

struct LevelState {
    LevelSpec spec;
    std::map<CellKey, OpenCell> open;
    std::map<CellKey, Cell> closed;
    CellKey last_key{};
    OpenCell* last_cell = nullptr;
    std::int64_t closed_through = std::numeric_limits<std::int64_t>::min();  // cells ending by this unit are closed

    std::int64_t unit(std::int64_t slot) const noexcept { return floor_div(slot - spec.offset, spec.factor); }
};

}  // namespace

std::vector<LevelSpec> default_levels(std::int64_t slot_ms, std::size_t candidates) {
    std::vector<LevelSpec> out{{1, 0, candidates, "slot"}};
    constexpr std::int64_t kHour = 3'600'000, kDay = 24 * kHour, kWeek = 7 * kDay;
    if (slot_ms <= 0) return out;
    std::int64_t below = slot_ms;
    const std::pair<std::int64_t, std::size_t> coarser[] = {{kHour, 4}, {kDay, 10}, {kWeek, 20}};
    for (const auto& [ms, times] : coarser) {
        if (ms <= below || ms % below != 0) continue;
        // Weeks start on Monday: the epoch began on a Thursday, four days after one.
        const std::int64_t offset = ms == kWeek ? 4 * kDay / slot_ms : 0;
        const char* name = ms == kHour ? "hour" : ms == kDay ? "day" : "week";
        out.push_back({ms / slot_ms, offset, candidates * times, name});
        below = ms;
    }
    return out;
}

namespace {

/// The slot width and the number of slots the estimates assume: the span's, when it is known,
/// else the most the aggregation keeps.
std::int64_t estimate_slot_ms(const TrafficOptions& o) { return o.slot_ms > 0 ? o.slot_ms : 300'000; }
std::uint64_t estimate_slots(const TrafficOptions& o) {
    const std::int64_t slot_ms = estimate_slot_ms(o);
    if (o.span_ms && o.span_ms->second > o.span_ms->first)
        return static_cast<std::uint64_t>(end_slot(o.span_ms->second, slot_ms) - start_slot(o.span_ms->first, slot_ms) + 1);
    return o.max_slots;
}

}  // namespace

std::uint64_t estimate_traffic_memory(const TrafficOptions& o, std::uint64_t records, std::size_t sources) {
    const std::int64_t slot_ms = estimate_slot_ms(o);
    const std::uint64_t slots = estimate_slots(o);
    sources = std::max<std::size_t>(sources, 1);
    // Series: a row per slot that has records.
    std::uint64_t b = std::min(records, slots) * (kHashNodeBytes<std::pair<std::int64_t, void*>> + 3 * sizeof(void*) +
                                                  sources * sizeof(std::array<Counters, kProtoClasses>));
    const std::size_t open_limit = std::max<std::size_t>(o.open_keys_limit, 1);
    for (const LevelSpec& l : default_levels(slot_ms, std::max<std::size_t>(o.candidates, 1))) {
        // Open: two cells (before and after a unit boundary), each dimension up to its limit.
        const std::uint64_t keys = std::min<std::uint64_t>(records * 2, open_limit);
        b += 2 * (sizeof(OpenCell) + keys * (kOpenEntryBytes<IpAddress> + kOpenEntryBytes<ConvKey>) +
                  std::min<std::uint64_t>(keys, 65536) * kOpenEntryBytes<std::uint16_t>);
        // Closed: a cell per start unit and end unit. Flows end at most seven units after they
        // start (35 minutes in 5-minute slots: a router's active timeout is at most 30), a
        // longer one makes a cell of its own; each cell keeps up to twice its candidates per
        // dimension (by flows and by bytes), and their keys are interned once.
        const std::uint64_t units = slots / static_cast<std::uint64_t>(l.factor) + 2;
        const std::uint64_t cells = std::min(records, units * 8);
        const std::uint64_t kept = std::min<std::uint64_t>(records * 5, cells * kDims * 2 * l.candidates);
        b += cells * (kTreeNodeBytes<std::pair<const std::pair<std::int64_t, std::int64_t>, Cell>>) +
             kept * (sizeof(Candidate) + kHashNodeBytes<std::pair<IpAddress, std::uint32_t>> / 2);
    }
    return b;
}

std::uint64_t estimate_traffic_json_bytes(const TrafficOptions& o, std::uint64_t records, std::size_t sources) {
    const std::int64_t slot_ms = estimate_slot_ms(o);
    const std::uint64_t slots = estimate_slots(o);
    sources = std::max<std::size_t>(sources, 1);
    // 20 digits of a 64-bit count (or a sign and 19) and a comma.
    constexpr std::uint64_t kNumber = 21;
    // The section's fixed members, and per source its name and label.
    std::uint64_t b = 4096 + sources * (slots * kProtoClasses * 3 * kNumber + 256);
    std::uint64_t kept_total = 0;
    for (const LevelSpec& l : default_levels(slot_ms, std::max<std::size_t>(o.candidates, 1))) {
        // As estimate_traffic_memory(): cells and the candidates they keep.
        const std::uint64_t units = slots / static_cast<std::uint64_t>(l.factor) + 2;
        const std::uint64_t cells = std::min(records, units * 8);
        const std::uint64_t kept = std::min<std::uint64_t>(records * 5, cells * kDims * 2 * l.candidates);
        // Per cell: start, end, three totals, and per dimension a count and two bounds of two
        // counters; per candidate a key and two counters.
        b += 512 + cells * (5 + kDims * 5) * kNumber + kept * 3 * kNumber;
        kept_total += kept;
    }
    // Interned keys: at most two addresses and a conversation per candidate; an address as the
    // longest IPv6 text in quotes and a comma, a conversation as two indices.
    b += std::min(kept_total, records * 2) * 2 * 42 + std::min(kept_total, records) * 2 * 11;
    return b;
}

std::uint64_t held_bytes(const TrafficData& d) {
    std::uint64_t b = sizeof(TrafficData);
    for (const SourceSeries& s : d.sources) {
        b += sizeof(SourceSeries) + s.name.capacity();
        for (const auto& v : s.slots) b += v.capacity() * sizeof(Counters);
    }
    for (const Level& l : d.levels) {
        b += sizeof(Level) + l.cells.capacity() * sizeof(Cell);
        for (const Cell& c : l.cells)
            for (const DimCell& dc : c.dims) b += dc.kept.capacity() * sizeof(Candidate);
    }
    b += d.addresses.capacity() * sizeof(IpAddress) + d.conversations.capacity() * sizeof(d.conversations[0]);
    return b;
}

struct TrafficAggregator::Impl {
    TrafficOptions o;
    std::int64_t span_first = std::numeric_limits<std::int64_t>::min();
    std::int64_t span_last = std::numeric_limits<std::int64_t>::max();

    std::unordered_map<IpAddress, std::uint32_t> source_ids;
    std::vector<IpAddress> source_addresses;  // unset address = no exporter field
    std::unordered_map<std::int64_t, std::vector<std::array<Counters, kProtoClasses>>> series;
    std::int64_t min_slot = std::numeric_limits<std::int64_t>::max();
    std::int64_t max_slot = std::numeric_limits<std::int64_t>::min();

    std::vector<LevelState> levels;
    std::int64_t watermark_ms = std::numeric_limits<std::int64_t>::min();
    std::int64_t closed_through_slot = std::numeric_limits<std::int64_t>::min();  // slots wholly closed
    std::size_t open_keys = 0;
    bool late_record = false;  // the record being added reached a closed cell
    std::uint64_t late_cells = 0;
    std::uint64_t closed_bytes = 0;  // closed cells with their candidates
    std::uint64_t since_account = 0;

    std::unordered_map<IpAddress, std::uint32_t> address_ids;
    std::vector<IpAddress> addresses;
    std::unordered_map<std::uint64_t, std::uint32_t> conversation_ids;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> conversations;

    TrafficData out;

    explicit Impl(TrafficOptions opt) : o(std::move(opt)) {
        if (o.slot_ms <= 0) o.slot_ms = 300'000;
        o.candidates = std::max<std::size_t>(o.candidates, 1);
        if (o.span_ms) {
            span_first = start_slot(o.span_ms->first, o.slot_ms);
            span_last = end_slot(o.span_ms->second, o.slot_ms);
        }
        for (LevelSpec& l : default_levels(o.slot_ms, o.candidates)) {
            l.candidates = std::max<std::size_t>(l.candidates, 1);
            // A pruned cell keeps a quarter of the limit by each counter: at least its candidates.
            o.open_keys_limit = std::max<std::size_t>(o.open_keys_limit, 4 * l.candidates);
            levels.push_back(LevelState{std::move(l), {}, {}, {}, nullptr, std::numeric_limits<std::int64_t>::min()});
        }
    }

    std::uint32_t address_id(const IpAddress& a) {
        auto [it, fresh] = address_ids.try_emplace(a, static_cast<std::uint32_t>(addresses.size()));
        if (fresh) addresses.push_back(a);
        return it->second;
    }
    std::optional<std::uint32_t> find_address(const IpAddress& a) const {
        auto it = address_ids.find(a);
        return it == address_ids.end() ? std::nullopt : std::optional<std::uint32_t>(it->second);
    }
    std::uint32_t conversation_id(std::uint32_t src, std::uint32_t dst) {
        auto [it, fresh] = conversation_ids.try_emplace(std::uint64_t{src} << 32 | dst,
                                                        static_cast<std::uint32_t>(conversations.size()));
        if (fresh) conversations.emplace_back(src, dst);
        return it->second;
    }

    template <class K, class H, class Intern>
    DimCell close_dim(OpenDim<K, H>& d, std::size_t candidates, Intern intern) {
        auto entries = d.take();
        const auto [kept, rest] = keep_top(entries, candidates);
        DimCell c;
        c.err = d.floor;
        c.rest = d.floor;
        c.rest.add(rest);
        c.kept.reserve(kept);
        for (std::size_t i = 0; i < kept; ++i) c.kept.push_back({intern(entries[i].first), entries[i].second});
        std::sort(c.kept.begin(), c.kept.end(), [](const Candidate& a, const Candidate& b) {
            return a.value.flows != b.value.flows ? a.value.flows > b.value.flows : a.key < b.key;
        });
        return c;
    }

    void close_cell(LevelState& lv, const CellKey& key, OpenCell& oc) {
        open_keys -= oc.hosts.map.size() + oc.ports.map.size() + oc.convs.map.size();
        const std::size_t k = lv.spec.candidates;
        Cell c;
        c.start = key.first;
        c.end = key.second;
        c.total = oc.total;
        c.dims[0] = close_dim(oc.hosts, k, [&](const IpAddress& a) { return address_id(a); });
        c.dims[1] = close_dim(oc.ports, k, [](std::uint16_t p) { return std::uint32_t{p}; });
        c.dims[2] = close_dim(oc.convs, k, [&](const ConvKey& x) { return conversation_id(address_id(x.src), address_id(x.dst)); });
        std::uint64_t b = kTreeNodeBytes<std::pair<const CellKey, Cell>>;
        for (const DimCell& d : c.dims) b += d.kept.capacity() * sizeof(Candidate);
        closed_bytes += b;
        lv.closed.emplace(key, std::move(c));
    }

    /// What the structures hold now: exact for the open tables (their capacity), the closed
    /// cells' candidates and the series rows; node costs by the constants above.
    std::uint64_t held_bytes() const {
        std::uint64_t b = closed_bytes;
        for (const LevelState& lv : levels)
            for (const auto& [key, cell] : lv.open) b += kTreeNodeBytes<CellKey> + cell.bytes();
        for (const auto& [slot, row] : series)
            b += kHashNodeBytes<std::pair<std::int64_t, void*>> + row.capacity() * sizeof(row[0]) + sizeof(row);
        b += address_ids.size() * kHashNodeBytes<std::pair<IpAddress, std::uint32_t>> + addresses.capacity() * sizeof(IpAddress);
        b += conversation_ids.size() * kHashNodeBytes<std::pair<std::uint64_t, std::uint32_t>> +
             conversations.capacity() * sizeof(conversations[0]);
        b += source_ids.size() * kHashNodeBytes<std::pair<IpAddress, std::uint32_t>>;
        return b;
    }

    /// Updates the peak and enforces the limit.
    void account() {
        const std::uint64_t b = held_bytes();
        out.peak_bytes = std::max(out.peak_bytes, b);
        if (o.memory_limit && b + o.memory_held_elsewhere > o.memory_limit)
            throw UsageError("the report's aggregation holds " + core::format_bytes(static_cast<double>(b)) + " after " +
                             std::to_string(out.records) + " records" +
                             (o.memory_held_elsewhere
                                  ? " (and its page data " + core::format_bytes(static_cast<double>(o.memory_held_elsewhere)) + ")"
                                  : std::string()) +
                             ", more than --memory-limit " +
                             core::format_bytes(static_cast<double>(o.memory_limit)) +
                             "; raise --memory-limit, or lower --candidates (keys kept per cell)");
    }

    /// Closes the cells of every level that end by slot `slot`.
    void close_through(std::int64_t slot) {
        for (LevelState& lv : levels) {
            // Unit u ends with slot offset + (u + 1) * factor - 1.
            const std::int64_t through = slot == std::numeric_limits<std::int64_t>::max()
                                             ? slot
                                             : floor_div(slot + 1 - lv.spec.offset, lv.spec.factor) - 1;
            if (through <= lv.closed_through) continue;
            for (auto it = lv.open.begin(); it != lv.open.end();) {
                if (it->first.second <= through) {
                    if (lv.last_cell == &it->second) lv.last_cell = nullptr;
                    close_cell(lv, it->first, it->second);
                    it = lv.open.erase(it);
                } else {
                    ++it;
                }
            }
            lv.closed_through = through;
        }
        closed_through_slot = std::max(closed_through_slot, slot);
    }

    static void late_dim(DimCell& d, std::optional<std::uint32_t> key, const Counters& c) {
        if (key)
            for (Candidate& k : d.kept)
                if (k.key == *key) {
                    k.value.add(c);
                    return;
                }
        d.rest.add(c);  // some key not kept grew by c: the bound of every such key grows by c
    }

    void add_late(Cell& cell, const FlowRecord& r, const Counters& c, std::uint16_t sport, std::uint16_t dport) {
        if (!cell.late) ++late_cells;
        cell.late = true;
        cell.total.add(c);
        const auto s = find_address(r.src), d = find_address(r.dst);
        late_dim(cell.dims[0], s, c);
        late_dim(cell.dims[0], d, c);
        late_dim(cell.dims[1], sport, c);
        late_dim(cell.dims[1], dport, c);
        std::optional<std::uint32_t> conv;
        if (s && d) {
            auto it = conversation_ids.find(std::uint64_t{*s} << 32 | *d);
            if (it != conversation_ids.end()) conv = it->second;
        }
        late_dim(cell.dims[2], conv, c);
        late_record = true;
    }

    template <class K, class H>
    void add_open(OpenDim<K, H>& d, const K& key, const Counters& c) {
        if (!d.add(key, c)) return;
        ++open_keys;
        out.peak_open_keys = std::max(out.peak_open_keys, open_keys);
        if (d.map.size() > o.open_keys_limit) {
            open_keys -= d.prune(o.open_keys_limit);
            ++out.pruned;
        }
    }

    void add(const FlowRecord& r) {
        ++out.records;
        if (!r.has(Field::first_ms)) {
            ++out.without_time;
            return;
        }
        const std::int64_t first = r.first_ms;
        const std::int64_t last = r.has(Field::last_ms) ? r.last_ms : first;
        const std::int64_t s = start_slot(first, o.slot_ms);
        if (s < span_first || s > span_last) {
            ++out.outside_span;
            return;
        }
        const std::int64_t e = end_slot(last, o.slot_ms);
        const Counters c{1, r.packets, r.bytes};
        out.total.add(c);

        // Time series.
        const IpAddress exporter = r.has(Field::exporter) ? r.exporter : IpAddress{};
        auto [sit, fresh_source] = source_ids.try_emplace(exporter, static_cast<std::uint32_t>(source_addresses.size()));
        if (fresh_source) source_addresses.push_back(exporter);
        auto& row = series[s];
        if (row.size() <= sit->second) row.resize(sit->second + 1);
        row[sit->second][static_cast<std::size_t>(proto_class(r))].add(c);
        min_slot = std::min(min_slot, s);
        max_slot = std::max(max_slot, s);

        // Cells, at every level.
        const auto [sport, dport] = record_ports(r);
        for (LevelState& lv : levels) {
            const CellKey key{lv.unit(s), lv.unit(e)};
            if (key.second <= lv.closed_through) {
                auto it = lv.closed.find(key);
                if (it != lv.closed.end()) {
                    add_late(it->second, r, c, sport, dport);
                    continue;
                }
                // A cell never seen before: open, exact, closed at the next advance.
            }
            if (!lv.last_cell || lv.last_key != key) {
                lv.last_cell = &lv.open[key];
                lv.last_key = key;
            }
            OpenCell& cell = *lv.last_cell;
            cell.total.add(c);
            add_open(cell.hosts, r.src, c);
            add_open(cell.hosts, r.dst, c);
            add_open(cell.ports, sport, c);
            add_open(cell.ports, dport, c);
            add_open(cell.convs, ConvKey{r.src, r.dst}, c);
        }
        advance(last);
        // Every 4096 records: each adds at most twenty open entries and four cells, so the
        // account lags by a bounded amount (about 5 MB) between two looks.
        if (++since_account == 4096) {
            since_account = 0;
            account();
        }
    }

    void advance(std::int64_t last) {
        if (late_record) {
            ++out.late_records;
            late_record = false;
        }
        if (last <= watermark_ms) return;
        watermark_ms = last;
        // Cells whose records all end by the end of slot `through`, close_lag behind the latest end.
        const std::int64_t through = floor_div(watermark_ms - o.close_lag_ms, o.slot_ms) - 1;
        if (through > closed_through_slot) close_through(through);
    }

    TrafficData finish() {
        account();
        close_through(std::numeric_limits<std::int64_t>::max());
        account();
        TrafficData d = std::move(out);
        d.slot_ms = o.slot_ms;
        if (min_slot > max_slot) {
            d.first_slot = o.span_ms ? span_first : 0;
            d.slot_count = o.span_ms ? static_cast<std::size_t>(span_last - span_first + 1) : 0;
        } else if (o.span_ms) {
            d.first_slot = span_first;
            d.slot_count = static_cast<std::size_t>(span_last - span_first + 1);
        } else {
            d.first_slot = std::max(min_slot, max_slot - static_cast<std::int64_t>(o.max_slots) + 1);
            d.slot_count = static_cast<std::size_t>(max_slot - d.first_slot + 1);
        }
        // Sources by name, so that colours do not depend on the order records came in.
        std::vector<std::uint32_t> order(source_addresses.size());
        for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            const IpAddress &x = source_addresses[a], &y = source_addresses[b];
            if (x.is_set() != y.is_set()) return x.is_set();
            return x < y;
        });
        d.sources.resize(order.size());
        for (std::size_t i = 0; i < order.size(); ++i) {
            const IpAddress& a = source_addresses[order[i]];
            d.sources[i].name = a.is_set() ? a.to_string() : "(no exporter)";
            for (auto& p : d.sources[i].slots) p.assign(d.slot_count, Counters{});
        }
        for (const auto& [slot, row] : series) {
            if (slot < d.first_slot) {
                for (const auto& per_source : row)
                    for (const Counters& c : per_source) {
                        d.outside_span += c.flows;
                        d.total.flows -= c.flows;
                        d.total.packets -= c.packets;
                        d.total.bytes -= c.bytes;
                    }
                continue;
            }
            const auto i = static_cast<std::size_t>(slot - d.first_slot);
            for (std::size_t k = 0; k < order.size(); ++k)
                if (order[k] < row.size())
                    for (std::size_t p = 0; p < kProtoClasses; ++p) d.sources[k].slots[p][i] = row[order[k]][p];
        }
        series.clear();
        for (LevelState& lv : levels) {
            Level level;
            level.spec = lv.spec;
            const std::int64_t first_unit = lv.unit(d.first_slot);
            level.cells.reserve(lv.closed.size());
            for (auto& [key, cell] : lv.closed)
                if (key.first >= first_unit) level.cells.push_back(std::move(cell));
            lv.closed.clear();
            d.levels.push_back(std::move(level));
        }
        d.addresses = std::move(addresses);
        d.conversations = std::move(conversations);
        return d;
    }
};

TrafficAggregator::TrafficAggregator(TrafficOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
TrafficAggregator::~TrafficAggregator() = default;
void TrafficAggregator::add(const FlowRecord& r) { impl_->add(r); }
TrafficData TrafficAggregator::finish() { return impl_->finish(); }

}  // namespace flowlab::report
