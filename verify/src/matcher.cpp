/// @brief The record matcher (see matcher.hpp for the algorithm).
#include "matcher.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <thread>

#include "flowlab/core/error.hpp"
#include "input_stream.hpp"
#include "parallel_csv.hpp"
#include "readers/flowlab_csv.hpp"
#include "text_util.hpp"

namespace flowlab::verify::detail {

using core::Field;
using core::FieldSet;
using core::FlowRecord;

namespace {

constexpr std::int64_t kNoTime = std::numeric_limits<std::int64_t>::min();
constexpr std::size_t kNpos = std::numeric_limits<std::size_t>::max();

inline std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

inline std::uint64_t add(std::uint64_t h, std::uint64_t v) noexcept { return mix64(h ^ (v + 0x9E3779B97F4A7C15ULL)); }

inline std::uint64_t add_address(std::uint64_t h, const core::IpAddress& a) noexcept {
    std::uint64_t w[2];
    std::memcpy(w, a.bytes().data(), 16);
    return add(add(add(h, w[0]), w[1]), a.is_v6() ? 6 : a.is_v4() ? 4 : 0);
}

/// ICMP type/code as a record carries them: the ICMP fields, or type<<8|code in the
/// destination port (NetFlow v5 and some v9 exporters).
std::optional<std::pair<unsigned, unsigned>> icmp_pair(const FlowRecord& r) noexcept {
    // Collectors that print every field (goflow2) show 0/0 for ICMP fields they did not fill
    // while the type/code sits in the destination port: the port wins then.
    const bool zero_fields = r.icmp_type == 0 && r.icmp_code == 0;
    if (r.has(Field::icmp_type) && !(zero_fields && r.has(Field::dport) && r.dport != 0))
        return std::make_pair(unsigned{r.icmp_type}, r.has(Field::icmp_code) ? unsigned{r.icmp_code} : 0u);
    if (r.has(Field::dport)) return std::make_pair(unsigned{r.dport} >> 8, unsigned{r.dport} & 0xFFu);
    return std::nullopt;
}

/// Adds one to the count of each field in s (a loop over the set bits, not over every field:
/// it runs for every record matched).
void count_fields(std::array<std::uint64_t, core::kFieldCount>& counts, FieldSet s) noexcept {
    for (std::uint64_t b = s.bits(); b != 0; b &= b - 1) ++counts[static_cast<std::size_t>(std::countr_zero(b))];
}

std::uint64_t counter_key(std::uint64_t packets, std::uint64_t bytes) noexcept { return add(add(0, packets), bytes); }

}  // namespace

unsigned index_bits_for(std::size_t records) noexcept {
    // About one bucket per three records: a lookup scans a couple of 8-byte entries.
    const auto width = static_cast<unsigned>(std::bit_width(records / 3 + 1));
    return std::clamp(width, 4u, 26u);
}

KeySpec key_spec(FieldSet compare) noexcept {
    return KeySpec{compare.has(Field::sport) && compare.has(Field::dport), compare.has(Field::proto)};
}

namespace {

/// One definition for the collected records and the stored truth, which must hash alike.
template <class Record>
std::uint64_t key_hash_of(const Record& r, KeySpec spec) noexcept {
    std::uint64_t h = 0x1234567;
    h = add_address(h, r.src);
    h = add_address(h, r.dst);
    const bool icmp = r.has(Field::proto) && (r.proto == 1 || r.proto == 58);
    if (spec.ports && !icmp)
        h = add(h, (std::uint64_t{r.has(Field::sport) ? r.sport : 0u} << 16) | (r.has(Field::dport) ? r.dport : 0u));
    if (spec.proto) h = add(h, r.has(Field::proto) ? r.proto : 0x1FFu);
    return h;
}

}  // namespace

std::uint64_t key_hash(const FlowRecord& r, KeySpec spec) noexcept { return key_hash_of(r, spec); }

std::uint64_t sequence_key(std::uint8_t version, std::optional<std::uint32_t> domain, std::uint32_t sequence,
                           const core::IpAddress* exporter) noexcept {
    std::uint64_t h = add(add(add(0, version), domain ? *domain : 0xFFFFFFFF00000000ULL), sequence);
    return exporter ? add_address(h, *exporter) : h;
}

// ------------------------------------------------------------------ truth loading

/// Rows a regular file holds, estimated from the length of its first lines (2% over, as rows
/// are alike); 0 for anything else (standard input, a pipe, a small or empty file).
static std::size_t estimate_rows(const std::string& path) {
    struct stat st;
    if (path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (1 << 20)) return 0;
    std::ifstream in(path, std::ios::binary);
    std::vector<char> head(256u << 10);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    const auto lines = static_cast<std::size_t>(std::count(head.data(), head.data() + got, '\n'));
    if (lines < 2) return 0;
    return static_cast<std::size_t>(static_cast<double>(st.st_size) / static_cast<double>(got) * static_cast<double>(lines) * 1.02);
}

TruthSet load_truth(const std::string& path, unsigned threads, KeySpec spec, std::uint64_t min_parallel,
                    std::size_t block, const std::function<void(std::string_view, std::uint64_t, double)>& progress) {
    TruthSet t;
    t.path = path;
    t.key_spec = spec;
    std::uint64_t seen = 0;
    // Workers parse, pack and hash the key of each record; this thread only appends.
    if (auto par = ParallelCsvReader::open(path, threads, ParallelCsvReader::Output::packed, min_parallel, block, 0,
                                           [spec](const FlowRecord& r) { return key_hash(r, spec); })) {
        CsvBatch batch;
        std::uint64_t first_line = 0;
        bool reserved = false;
        double estimate_records = 0;
        std::vector<std::uint32_t> remap;
        std::vector<std::uint32_t>& hist = t.index_histogram;
        std::vector<std::uint64_t> early;  // hashes of the records before the histogram is sized
        unsigned shift = 64;
        while (par->next(batch, first_line)) {
            if (!reserved && batch.packed.size() > 1000) {
                // Rows are alike: size the store from the first block instead of regrowing it.
                const auto estimate = static_cast<std::size_t>(static_cast<double>(par->file_size()) /
                                                               static_cast<double>(par->block_size()) *
                                                               static_cast<double>(batch.packed.size()) * 1.02);
                t.records.reserve(estimate);
                t.key_tops.reserve(estimate);
                estimate_records = static_cast<double>(estimate);
                // The index's bucket histogram, counted here where this thread waits on the parsers.
                t.index_bits = index_bits_for(estimate);
                hist.assign(std::size_t{1} << t.index_bits, 0);
                shift = 64 - t.index_bits;
                for (const std::uint64_t h : early) ++hist[h >> shift];
                std::vector<std::uint64_t>().swap(early);
                reserved = true;
            }
            // The block interned its addresses on its own: translate its ids into the store's.
            remap.resize(batch.addresses.size());
            for (std::uint32_t id = 0; id < remap.size(); ++id) remap[id] = t.addresses.intern(batch.addresses.at(id));
            // A histogram slot is a cache and TLB miss (the histogram is 4 bytes a bucket, about one
            // bucket per three records): fetched a few records ahead, the misses overlap.
            constexpr std::size_t kAhead = 16;
            const std::size_t n = batch.packed.size();
            if (shift < 64)
                for (std::size_t i = 0; i < std::min(n, kAhead); ++i) __builtin_prefetch(&hist[batch.hashes[i] >> shift], 1);
            for (std::size_t i = 0; i < n; ++i) {
                if (shift < 64 && i + kAhead < n) __builtin_prefetch(&hist[batch.hashes[i + kAhead] >> shift], 1);
                PackedRecord& p = batch.packed[i];
                p.exporter_id = remap[p.exporter_id];
                p.next_hop_id = remap[p.next_hop_id];
                seen |= p.present;
                const auto idx = static_cast<std::uint32_t>(t.records.size());
                t.lines.add(idx, first_line + batch.line_in_block[i]);
                t.key_tops.push_back(static_cast<std::uint32_t>(batch.hashes[i] >> 32));
                if (shift < 64) ++hist[batch.hashes[i] >> shift];
                else early.push_back(batch.hashes[i]);
                t.records.push_back(p);
            }
            if (progress)
                progress("truth", t.records.size(),
                         estimate_records > 0 ? std::min(0.99, static_cast<double>(t.records.size()) / estimate_records) : -1.0);
        }
    } else {
        auto reader = open_collected(CollectedSpec{Tool::flowlab, path, "nfdump", {}});
        if (reader->traits().format != CollectedFormat::flowlab_csv)
            throw InputError(path, line_place(1), "truth must be flowlab CSV (truth/records.csv as `flowlab gen` writes it)");
        // Size the store from the file: growing it by doubling holds the old and the new array at
        // once (1.1 GB at the peak for 10 M records against 0.9 GB with the parallel loader).
        if (const std::size_t estimate = estimate_rows(path); estimate > 0) {
            t.records.reserve(estimate);
            t.key_tops.reserve(estimate);
        }
        FlowRecord r;
        while (reader->next(r)) {
            t.lines.add(t.records.size(), reader->place());
            t.key_tops.push_back(static_cast<std::uint32_t>(key_hash(r, spec) >> 32));
            t.records.push_back(pack(r, t.addresses));
            seen |= r.present.bits();
            if (progress && (t.records.size() & 0xFFFF) == 0) progress("truth", t.records.size(), -1.0);
        }
    }
    if (t.records.size() >= std::numeric_limits<std::uint32_t>::max())
        throw InputError(path, "more than 4294967294 truth records: split the verification by exporter or time");
    t.seen = FieldSet::from_bits(seen);
    return t;
}

void append_optional_truth(TruthSet& t, const std::string& path) {
    auto reader = open_collected(CollectedSpec{Tool::flowlab, path, "nfdump", {}});
    if (reader->traits().format != CollectedFormat::flowlab_csv)
        throw InputError(path, line_place(1), "truth must be flowlab CSV (truth/may-lose.csv as `flowlab gen` writes it)");
    t.optional_from = static_cast<std::uint32_t>(t.records.size());
    // The bucket histogram counted while loading covers the required records only: the
    // matcher counts it again.
    t.index_histogram.clear();
    t.index_bits = 0;
    FlowRecord r;
    std::uint64_t seen = t.seen.bits();
    while (reader->next(r)) {
        t.lines.add(t.records.size(), reader->place());
        t.key_tops.push_back(static_cast<std::uint32_t>(key_hash(r, t.key_spec) >> 32));
        t.records.push_back(pack(r, t.addresses));
        seen |= r.present.bits();
    }
    if (t.records.size() >= std::numeric_limits<std::uint32_t>::max())
        throw InputError(path, "more than 4294967294 truth records: split the verification by exporter or time");
    t.seen = FieldSet::from_bits(seen);
}

// ------------------------------------------------------------------ construction

Matcher::Matcher(TruthSet& truth, MatchConfig cfg) : truth_(truth), cfg_(std::move(cfg)) {
    key_exporter_ = cfg_.compare.has(Field::exporter) && truth_.seen.has(Field::exporter);
    key_ports_ = cfg_.compare.has(Field::sport) && cfg_.compare.has(Field::dport);
    key_proto_ = cfg_.compare.has(Field::proto);
    time_keyed_ = cfg_.compare.has(Field::first_ms);
    for (const TimeRule* rule : {&cfg_.traits.flow_time, &cfg_.traits.flow_time_ipfix}) {
        window_before_ = std::max(window_before_, rule->slack_ms + cfg_.extra_slack_ms);
        window_after_ = std::max(window_after_, rule->slack_ms + rule->granularity_ms + cfg_.extra_slack_ms);
    }
    FieldSet key;
    for (Field f : {Field::src, Field::dst}) key.set(f);
    if (key_exporter_) key.set(Field::exporter);
    if (key_ports_) {
        key.set(Field::sport);
        key.set(Field::dport);
    }
    if (key_proto_) key.set(Field::proto);
    result_.key = key;
    result_.compared = cfg_.compare;
    result_.truth_records = truth_.required();
    result_.may_lose_records = truth_.records.size() - truth_.required();

    const std::size_t n = truth_.records.size();
    // Index: entries bucketed by the top bits of their key hash (a counting sort, the histogram
    // usually counted while loading), then each small bucket sorted by (hash, flow start);
    // dir_ holds the bucket starts. Buckets average 2-4 entries. An entry keeps the top 32 bits
    // of the hash, which loading kept for each record (4 bytes where the whole hash would
    // double the index's memory while it is built): keys that agree in them share a group,
    // and every scan of a group compares the keys themselves.
    const KeySpec spec{key_ports_, key_proto_};
    const bool loaded = truth.key_tops.size() == n && truth.key_spec.ports == spec.ports && truth.key_spec.proto == spec.proto;
    std::vector<std::uint32_t> tops = std::move(truth.key_tops);
    if (!loaded) {
        tops.resize(n);
        for (std::size_t i = 0; i < n; ++i) tops[i] = static_cast<std::uint32_t>(key_hash_of(truth_.records.key(i), spec) >> 32);
    }
    unsigned bits = truth.index_bits;
    std::vector<std::uint32_t> count = std::move(truth.index_histogram);
    if (!loaded || bits == 0 || bits > 32 || count.size() != (std::size_t{1} << bits)) {
        bits = index_bits_for(n);
        count.assign(std::size_t{1} << bits, 0);
        for (const std::uint32_t top : tops) ++count[top >> (32 - bits)];
    }
    dir_shift_ = 64 - bits;
    dir_.resize(count.size() + 1);
    {
        std::uint32_t pos = 0;
        for (std::size_t b = 0; b < count.size(); ++b) {
            dir_[b] = pos;
            pos += count[b];
            count[b] = dir_[b];  // becomes the scatter cursor
        }
        dir_.back() = pos;
    }
    index_.resize(n);
    // The scatter misses twice a record (its cursor, its slot): both fetched ahead so the misses overlap.
    const unsigned top_shift = 32 - bits;
    constexpr std::size_t kAhead = 16;
    for (std::size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) __builtin_prefetch(&count[tops[i + kAhead] >> top_shift], 1);
        if (i + kAhead / 2 < n) __builtin_prefetch(&index_[count[tops[i + kAhead / 2] >> top_shift]], 1);
        index_[count[tops[i] >> top_shift]++] = std::uint64_t{i} << 32 | tops[i];
    }
    std::vector<std::uint32_t>().swap(count);
    std::vector<std::uint32_t>().swap(tops);
    // Within a bucket, by hash, flow start and file order: the start is looked up in the truth
    // store only for entries of equal hash (records of one key), which are few.
    auto before = [this](std::uint64_t x, std::uint64_t y) {
        const auto hx = static_cast<std::uint32_t>(x), hy = static_cast<std::uint32_t>(y);
        if (hx != hy) return hx < hy;
        const std::int64_t fx = truth_.records.first_or(x >> 32, kNoTime), fy = truth_.records.first_or(y >> 32, kNoTime);
        return fx != fy ? fx < fy : x >> 32 < y >> 32;
    };
    for (std::size_t b = 0; b + 1 < dir_.size(); ++b) {
        const auto first = index_.begin() + dir_[b], last = index_.begin() + dir_[b + 1];
        if (last - first < 2) continue;
        if (last - first <= 16) {
            for (auto i = first + 1; i != last; ++i)
                for (auto j = i; j != first && before(*j, *(j - 1)); --j) std::iter_swap(j, j - 1);
        } else {
            std::sort(first, last, before);
        }
    }
    state_.assign(n, kUnmatched);
}

// ------------------------------------------------------------------ keys and comparison

std::uint64_t Matcher::key_hash(const FlowRecord& r) const noexcept { return detail::key_hash(r, KeySpec{key_ports_, key_proto_}); }

bool Matcher::same_key(const FlowRecord& t, const FlowRecord& c) const noexcept {
    if (key_exporter_ && t.has(Field::exporter) && c.has(Field::exporter) && !same_address(t.exporter, c.exporter)) return false;
    if (!same_address(t.src, c.src) || !same_address(t.dst, c.dst)) return false;
    if (key_proto_ && (t.has(Field::proto) != c.has(Field::proto) || t.proto != c.proto)) return false;
    if (key_ports_ && !t.is_icmp()) {
        const unsigned ts = t.has(Field::sport) ? t.sport : 0u, td = t.has(Field::dport) ? t.dport : 0u;
        const unsigned cs = c.has(Field::sport) ? c.sport : 0u, cd = c.has(Field::dport) ? c.dport : 0u;
        if (ts != cs || td != cd) return false;
    }
    return true;
}

const TimeRule& Matcher::flow_rule(const FlowRecord& t, const FlowRecord& c) const noexcept {
    std::optional<std::uint8_t> v;
    if (c.has(Field::version)) v = c.version;
    else if (t.has(Field::version)) v = t.version;
    return cfg_.traits.time_for_version(v);
}

std::uint64_t Matcher::expected_counter(const FlowRecord& t, Field f) const noexcept {
    const std::uint64_t v = f == Field::packets ? t.packets : t.bytes;
    if (t.has(Field::version) && t.version < 32 && ((cfg_.traits.scales_sampling_versions >> t.version) & 1u) &&
        t.has(Field::sampling_interval) && t.sampling_interval > 1)
        return v * t.sampling_interval;
    return v;
}

Matcher::Comparison Matcher::compare(const FlowRecord& t, const FlowRecord& c, FieldSet fields) const {
    // Runs for every record offered (and for every candidate scanned), so fields are compared
    // member by member on presence bit masks rather than through FlowRecord::number().
    Comparison out;
    if (t.has(Field::version) && !cfg_.drops.empty()) {
        const auto it = cfg_.drops.find(t.version);
        if (it != cfg_.drops.end()) fields = fields - it->second;
    }
    const bool icmp = t.is_icmp() || (!t.has(Field::proto) && c.is_icmp());
    auto bit = [](Field f) { return std::uint64_t{1} << static_cast<unsigned>(f); };
    std::uint64_t consider = fields.bits() & t.present.bits();
    if (icmp) consider &= ~(bit(Field::dport) | bit(Field::icmp_type) | bit(Field::icmp_code));
    const std::uint64_t both = consider & c.present.bits();
    std::uint64_t differ = 0;
    auto check = [&](Field f, bool equal) {
        if ((both & bit(f)) && !equal) differ |= bit(f);
    };
    check(Field::exporter, same_address(t.exporter, c.exporter));
    check(Field::domain, t.domain == c.domain);
    check(Field::src, same_address(t.src, c.src));
    check(Field::dst, same_address(t.dst, c.dst));
    check(Field::sport, t.sport == c.sport);
    check(Field::dport, t.dport == c.dport);
    check(Field::proto, t.proto == c.proto);
    check(Field::tos, t.tos == c.tos);
    check(Field::tcp_flags, t.tcp_flags == c.tcp_flags);
    if (both & (bit(Field::packets) | bit(Field::bytes))) {
        check(Field::packets, expected_counter(t, Field::packets) == c.packets);
        check(Field::bytes, expected_counter(t, Field::bytes) == c.bytes);
    }
    if (both & (bit(Field::first_ms) | bit(Field::last_ms))) {
        const TimeRule& rule = flow_rule(t, c);
        check(Field::first_ms, rule.distance(t.first_ms, c.first_ms) <= cfg_.extra_slack_ms);
        check(Field::last_ms, rule.distance(t.last_ms, c.last_ms) <= cfg_.extra_slack_ms);
    }
    check(Field::in_if, t.in_if == c.in_if);
    check(Field::out_if, t.out_if == c.out_if);
    check(Field::src_as, t.src_as == c.src_as);
    check(Field::dst_as, t.dst_as == c.dst_as);
    check(Field::src_mask, t.src_mask == c.src_mask);
    check(Field::dst_mask, t.dst_mask == c.dst_mask);
    check(Field::next_hop, same_address(t.next_hop, c.next_hop));
    check(Field::icmp_type, t.icmp_type == c.icmp_type);
    check(Field::icmp_code, t.icmp_code == c.icmp_code);
    check(Field::end_reason, t.end_reason == c.end_reason);
    // 0 and 1 both say "not sampled" (NetFlow v5 headers and pmacct print 0).
    check(Field::sampling_interval,
          std::max<std::uint64_t>(t.sampling_interval, 1) == std::max<std::uint64_t>(c.sampling_interval, 1));
    check(Field::version, t.version == c.version);
    check(Field::sequence, t.sequence == c.sequence);
    check(Field::template_id, t.template_id == c.template_id);
    check(Field::tunnel_src, same_address(t.tunnel_src, c.tunnel_src));
    check(Field::tunnel_dst, same_address(t.tunnel_dst, c.tunnel_dst));
    check(Field::in_if_name, t.in_if_name == c.in_if_name);
    check(Field::out_if_name, t.out_if_name == c.out_if_name);
    check(Field::vrf_in_id, t.vrf_in_id == c.vrf_in_id);
    check(Field::vrf_out_id, t.vrf_out_id == c.vrf_out_id);
    check(Field::vrf_in, t.vrf_in == c.vrf_in);
    check(Field::vrf_out, t.vrf_out == c.vrf_out);
    check(Field::sampling_algorithm, t.sampling_algorithm == c.sampling_algorithm);
    if (both & bit(Field::export_ms))
        check(Field::export_ms, cfg_.traits.export_time.distance(t.export_ms, c.export_ms) <= cfg_.extra_slack_ms);
    out.differ = FieldSet::from_bits(differ);
    out.unchecked = FieldSet::from_bits(consider & ~c.present.bits());
    // ICMP type/code is one thing however each side carries it (the ICMP fields, or the
    // destination port); a collector that loses it shows 0/0, as pmacct does with IE 32.
    if (icmp && (fields.has(Field::icmp_type) || fields.has(Field::icmp_code))) {
        const auto pt = icmp_pair(t), pc = icmp_pair(c);
        if (pt && pc) {
            if (pt->first != pc->first) out.differ.set(Field::icmp_type);
            if (pt->second != pc->second) out.differ.set(Field::icmp_code);
        } else if (pt) {
            out.unchecked.set(Field::icmp_type);
        }
    }
    if (t.has(Field::first_ms) && c.has(Field::first_ms)) out.dt = std::abs(t.first_ms - c.first_ms);
    return out;
}

// ------------------------------------------------------------------ index access

std::pair<std::size_t, std::size_t> Matcher::group(std::uint64_t hash) const noexcept {
    const std::size_t top = static_cast<std::size_t>(hash >> dir_shift_);
    const auto low = static_cast<std::uint32_t>(hash >> 32);
    std::size_t b = dir_[top];
    const std::size_t e = dir_[top + 1];
    while (b < e && hash_at(b) != low) ++b;
    std::size_t g = b;
    while (g < e && hash_at(g) == low) ++g;
    return {b, g};
}

std::int64_t Matcher::first_at(std::size_t pos) const noexcept { return truth_.records.first_or(idx_at(pos), kNoTime); }

std::pair<std::size_t, std::size_t> Matcher::window(std::size_t b, std::size_t e, const FlowRecord& c) const {
    if (!time_keyed_ || !c.has(Field::first_ms) || e - b < 2) return {b, e};
    const auto begin = index_.begin();
    auto by_first = [this](std::uint64_t x, std::int64_t v) { return truth_.records.first_or(x >> 32, kNoTime) < v; };
    const auto lo = std::lower_bound(begin + static_cast<std::ptrdiff_t>(b), begin + static_cast<std::ptrdiff_t>(e),
                                     c.first_ms - window_before_, by_first);
    const auto hi = std::lower_bound(lo, begin + static_cast<std::ptrdiff_t>(e), c.first_ms + window_after_, by_first);
    return {static_cast<std::size_t>(lo - begin), static_cast<std::size_t>(hi - begin)};
}

std::size_t Matcher::find_unmatched(std::size_t pos) {
    // The usual case first: an unmatched entry costs one look at its state, not at skip_.
    if (pos < index_.size() && state_[idx_at(pos)] == kUnmatched) return pos;
    // skip_ links are laid lazily: mark() only sets the state (it runs for every record, in
    // truth order, and a write to skip_ would miss the cache each time); the first scan that
    // meets a matched entry links past it, so repeated scans of a key stay linear.
    const std::size_t n = index_.size();
    if (pos < n && skip_.empty()) {  // 4 bytes an entry, only once a scan meets a matched entry
        skip_.resize(n + 1);
        for (std::size_t i = 0; i <= n; ++i) skip_[i] = static_cast<std::uint32_t>(i);
    }
    while (pos < n) {
        if (skip_[pos] != pos) {
            skip_[pos] = skip_[skip_[pos]];
            pos = skip_[pos];
        } else if (state_[idx_at(pos)] != kUnmatched) {
            skip_[pos] = static_cast<std::uint32_t>(pos + 1);
            ++pos;
        } else {
            return pos;
        }
    }
    return n;
}

void Matcher::mark(std::size_t pos, State s) { state_[idx_at(pos)] = s; }

const FlowRecord& Matcher::truth_at(std::size_t pos) {
    if (scratch_pos_ != pos) {
        truth_.unpack(idx_at(pos), scratch_);
        scratch_pos_ = pos;
    }
    return scratch_;
}

// ------------------------------------------------------------------ phase 1

void Matcher::offer(const FlowRecord& c, std::uint64_t line) { offer_hashed(c, line, nullptr); }

void Matcher::offer_batch(const FlowRecord* recs, const std::uint32_t* line_in_block, std::uint64_t first_line, std::size_t n) {
    // In the truth's order the cursor matches from sequential memory. Out of it, each record
    // touches a directory slot, an index entry and a truth record at random places in
    // gigabytes: then fetch them ahead in three stages, so that the misses of the next
    // records overlap the work on this one.
    constexpr std::size_t kAhead = 12;
    std::size_t i = 0;
    while (i < n) {
        if (cursor_misses_ < 8) {
            offer_hashed(recs[i], first_line + line_in_block[i], nullptr);
            ++i;
            continue;
        }
        const std::size_t end = std::min(n, i + 4096);  // a run out of order: pipeline it
        hashes_.resize(end - i);
        for (std::size_t k = i; k < end; ++k) hashes_[k - i] = key_hash(recs[k]);
        for (std::size_t k = i; k < end; ++k) {
            const std::size_t j = k - i;
            if (k + kAhead < end) __builtin_prefetch(&dir_[hashes_[j + kAhead] >> dir_shift_]);
            if (k + kAhead / 2 < end) {
                const std::uint32_t b = dir_[hashes_[j + kAhead / 2] >> dir_shift_];
                if (b < index_.size()) __builtin_prefetch(&index_[b]);
            }
            if (k + kAhead / 4 < end) {
                const std::uint32_t b = dir_[hashes_[j + kAhead / 4] >> dir_shift_];
                if (b < index_.size()) {
                    __builtin_prefetch(truth_.records.address_of(idx_at(b)));
                    __builtin_prefetch(&state_[idx_at(b)]);
                }
            }
            offer_hashed(recs[k], first_line + line_in_block[k], &hashes_[j]);
        }
        i = end;
    }
}

void Matcher::offer_hashed(const FlowRecord& c, std::uint64_t line, const std::uint64_t* hash) {
    ++result_.collected_records;
    if (c.has(Field::sequence) && c.has(Field::version)) {
        const std::optional<std::uint32_t> domain = c.has(Field::domain) ? std::optional<std::uint32_t>(c.domain) : std::nullopt;
        const std::uint64_t k = sequence_key(c.version, domain, c.sequence, key_exporter_ && c.has(Field::exporter) ? &c.exporter : nullptr);
        if (k != last_sequence_key_) collected_sequences_.insert(k);
        last_sequence_key_ = k;
        sequence_versions_[c.version] |= static_cast<std::uint8_t>(1u | (c.has(Field::domain) ? 2u : 0u));
    }
    if (c.has(Field::exporter) && collected_exporters_.size() < 16 &&
        std::none_of(collected_exporters_.begin(), collected_exporters_.end(),
                     [&](const core::IpAddress& e) { return same_address(e, c.exporter); }))
        collected_exporters_.push_back(c.exporter);

    // Collectors mostly store records in the order they arrived, which is the truth's order:
    // try the truth record after the last one matched before hashing (sequential memory).
    // After a run of misses (records out of order) it is tried only now and then, since each
    // try costs a cache miss of its own.
    if (cursor_ < state_.size() && state_[cursor_] == kUnmatched && (cursor_misses_ < 8 || (++cursor_skips_ & 63) == 0)) {
        truth_.unpack(cursor_, cursor_rec_);
        if (same_key(cursor_rec_, c)) {
            const Comparison cmp = compare(cursor_rec_, c, cfg_.compare);
            if (cmp.differ.empty() && cmp.dt == 0) {
                state_[cursor_] = kMatched;
                ++result_.matched;
                ++result_.pairs;
                count_fields(result_.unchecked, cmp.unchecked);
                ++cursor_;
                cursor_misses_ = 0;
                return;
            }
        }
        ++cursor_misses_;
    }
    const std::uint64_t h = hash ? *hash : key_hash(c);
    const auto [gb, ge] = group(h);
    if (gb < ge) {
        const auto [lo, hi] = window(gb, ge, c);
        std::size_t best = kNpos;
        Comparison best_cmp;
        for (std::size_t pos = find_unmatched(lo); pos < hi; pos = find_unmatched(pos + 1)) {
            const FlowRecord& t = truth_at(pos);
            if (!same_key(t, c)) continue;
            Comparison cmp = compare(t, c, cfg_.compare);
            if (cmp.differ.empty() && (best == kNpos || cmp.dt < best_cmp.dt)) {
                best = pos;
                best_cmp = cmp;
                if (cmp.dt == 0) break;
            }
        }
        if (best != kNpos) {
            mark(best, kMatched);
            cursor_ = idx_at(best) + 1;
            ++result_.matched;
            ++result_.pairs;
            count_fields(result_.unchecked, best_cmp.unchecked);
            return;
        }
    }
    // Kept packed until the stream ends: when little matches (a wrong exporter address, another
    // run's data), every collected record waits here.
    const auto k = static_cast<std::uint32_t>(left_lines_.size());
    left_.push_back(pack(c, left_addresses_));
    left_lines_.push_back(line);
    left_hashes_.push_back(h);
    if (!c.extra.empty()) left_extra_.emplace(k, c.extra);
}

Matcher::Leftover Matcher::leftover(std::size_t i) const {
    Leftover l{left_.unpack_record(i, left_addresses_), left_lines_[i], left_hashes_[i]};
    if (const auto it = left_extra_.find(static_cast<std::uint32_t>(i)); it != left_extra_.end()) l.rec.extra = it->second;
    return l;
}

// ------------------------------------------------------------------ phases 2-4

bool Matcher::try_merge(const Leftover& l, std::size_t b, std::size_t e) {
    const FlowRecord& c = l.rec;
    if (!c.has(Field::packets) && !c.has(Field::bytes)) return false;
    // A summing collector adds counters and ORs TCP flags (pmacct's tcpflags primitive is
    // cumulative, not a key): a candidate's flags must be within the row's, and together equal.
    const bool flags = cfg_.compare.has(Field::tcp_flags) && c.has(Field::tcp_flags);
    const FieldSet fields = cfg_.compare - FieldSet{Field::packets, Field::bytes, Field::tcp_flags};
    const auto [lo, hi] = window(b, e, c);
    std::vector<std::size_t> cands;
    for (std::size_t pos = find_unmatched(lo); pos < hi && cands.size() < 4096; pos = find_unmatched(pos + 1)) {
        const FlowRecord& t = truth_at(pos);
        if (!same_key(t, c) || !compare(t, c, fields).differ.empty()) continue;
        if (flags && t.has(Field::tcp_flags) && (t.tcp_flags & ~c.tcp_flags) != 0) continue;
        cands.push_back(pos);
    }
    if (cands.size() < 2) return false;
    std::uint64_t packets = 0, bytes = 0;
    std::uint8_t flags_or = 0;
    for (std::size_t k = 0; k < cands.size(); ++k) {
        const FlowRecord& t = truth_at(cands[k]);
        packets += expected_counter(t, Field::packets);
        bytes += expected_counter(t, Field::bytes);
        flags_or = static_cast<std::uint8_t>(flags_or | t.tcp_flags);
        const bool p_ok = !cfg_.compare.has(Field::packets) || !c.has(Field::packets) || packets == c.packets;
        const bool b_ok = !cfg_.compare.has(Field::bytes) || !c.has(Field::bytes) || bytes == c.bytes;
        const bool f_ok = !flags || flags_or == c.tcp_flags;
        if (k >= 1 && p_ok && b_ok && f_ok) {
            for (std::size_t j = 0; j <= k; ++j) mark(cands[j], kMerged);
            result_.merged_rows += 1;
            result_.merged_records += k + 1;
            result_.matched += k + 1;
            result_.pairs += k + 1;
            return true;
        }
        if ((c.has(Field::packets) && packets > c.packets) || (c.has(Field::bytes) && bytes > c.bytes)) return false;
    }
    return false;
}

bool Matcher::try_duplicate(const Leftover& l, std::size_t b, std::size_t e) {
    const FlowRecord& c = l.rec;
    const auto [lo, hi] = window(b, e, c);
    std::size_t best = kNpos;
    std::int64_t best_dt = 0;
    for (std::size_t pos = lo; pos < hi; ++pos) {
        if (state_[idx_at(pos)] == kUnmatched) continue;
        const FlowRecord& t = truth_at(pos);
        if (!same_key(t, c)) continue;
        const Comparison cmp = compare(t, c, cfg_.compare);
        if (cmp.differ.empty() && (best == kNpos || cmp.dt < best_dt)) {
            best = pos;
            best_dt = cmp.dt;
        }
    }
    if (best == kNpos) return false;
    const std::uint32_t idx = idx_at(best);
    ++copies_[idx];
    ++result_.duplicated;
    if (result_.duplicated_examples.size() < cfg_.examples) {
        RecordExample ex;
        ex.truth = truth_.unpack(idx);
        ex.truth_line = truth_.lines.line(idx);
        ex.collected = c;
        ex.collected_line = l.line;
        result_.duplicated_examples.push_back(std::move(ex));
        duplicate_example_idx_.push_back(idx);
    }
    return true;
}

void Matcher::record_altered(std::uint32_t idx, const FlowRecord& t, const Leftover& l, const Comparison& cmp) {
    ++result_.altered;
    ++result_.pairs;
    for (std::size_t i = 0; i < core::kFieldCount; ++i) {
        if (cmp.differ.has(static_cast<Field>(i))) ++result_.altered_by_field[i];
        if (cmp.unchecked.has(static_cast<Field>(i))) ++result_.unchecked[i];
    }
    if (result_.altered_examples.size() < cfg_.examples) {
        RecordExample ex;
        ex.truth = t;
        ex.truth_line = truth_.lines.line(idx);
        ex.collected = l.rec;
        ex.collected_line = l.line;
        ex.differing = cmp.differ;
        ex.note = expectation_note(t, cmp.differ);
        result_.altered_examples.push_back(std::move(ex));
    }
}

std::string Matcher::expectation_note(const FlowRecord& t, FieldSet differ) const {
    std::string note;
    if ((differ.has(Field::packets) || differ.has(Field::bytes)) &&
        expected_counter(t, Field::packets) != t.packets)
        note += "the collector multiplies packets/bytes by the sampling interval " + std::to_string(t.sampling_interval) +
                ": expected " + std::to_string(expected_counter(t, Field::packets)) + " packets, " +
                std::to_string(expected_counter(t, Field::bytes)) + " bytes";
    if (differ.has(Field::first_ms) || differ.has(Field::last_ms)) {
        const TimeRule& rule = cfg_.traits.time_for_version(t.has(Field::version) ? std::optional<std::uint8_t>(t.version) : std::nullopt);
        if (rule.granularity_ms > 1 || rule.slack_ms > 0 || cfg_.extra_slack_ms > 0) {
            if (!note.empty()) note += "; ";
            note += "times compared at the collector's resolution (" + std::to_string(rule.granularity_ms) + " ms steps, ±" +
                    std::to_string(rule.slack_ms + cfg_.extra_slack_ms) + " ms)";
        }
    }
    return note;
}

bool Matcher::try_pair_same_key(const Leftover& l, std::size_t b, std::size_t e) {
    const FlowRecord& c = l.rec;
    const auto [lo, hi] = window(b, e, c);
    std::size_t best = kNpos;
    Comparison best_cmp;
    std::size_t best_n = 0;
    for (std::size_t pos = find_unmatched(lo); pos < hi; pos = find_unmatched(pos + 1)) {
        const FlowRecord& t = truth_at(pos);
        if (!same_key(t, c)) continue;
        Comparison cmp = compare(t, c, cfg_.compare);
        const std::size_t n = static_cast<std::size_t>(std::popcount(cmp.differ.bits()));
        if (best == kNpos || n < best_n || (n == best_n && cmp.dt < best_cmp.dt)) {
            best = pos;
            best_cmp = cmp;
            best_n = n;
        }
    }
    if (best == kNpos) {
        // Nothing unmatched in the time window: the nearest unmatched record of the key.
        std::size_t start = b;
        if (time_keyed_ && c.has(Field::first_ms))
            start = static_cast<std::size_t>(
                std::lower_bound(index_.begin() + static_cast<std::ptrdiff_t>(b), index_.begin() + static_cast<std::ptrdiff_t>(e),
                                 c.first_ms, [this](std::uint64_t x, std::int64_t v) { return truth_.records.first_or(x >> 32, kNoTime) < v; }) -
                index_.begin());
        std::size_t after = find_unmatched(start);
        while (after < e && !same_key(truth_at(after), c)) after = find_unmatched(after + 1);
        if (after >= e) after = kNpos;
        std::size_t before = kNpos;
        for (std::size_t pos = start, steps = 0; pos > b && steps < 256; ++steps) {
            --pos;
            if (state_[idx_at(pos)] == kUnmatched && same_key(truth_at(pos), c)) {
                before = pos;
                break;
            }
        }
        auto dist = [&](std::size_t pos) {
            return c.has(Field::first_ms) && first_at(pos) != kNoTime ? std::abs(first_at(pos) - c.first_ms)
                                                                             : std::int64_t{0};
        };
        if (after != kNpos && (before == kNpos || dist(after) <= dist(before))) best = after;
        else best = before;
        if (best == kNpos) return false;
        best_cmp = compare(truth_at(best), c, cfg_.compare);
    }
    const std::uint32_t idx = idx_at(best);
    const FlowRecord t = truth_at(best);
    mark(best, kAltered);
    record_altered(idx, t, l, best_cmp);
    return true;
}

RecordsResult Matcher::finish() {
    std::vector<std::size_t> pending, rest;
    for (std::size_t i = 0; i < left_lines_.size(); ++i) {
        const auto [b, e] = group(left_hashes_[i]);
        if (b == e) {
            rest.push_back(i);
            continue;
        }
        const Leftover l = leftover(i);
        if (cfg_.traits.sums_equal_records && try_merge(l, b, e)) continue;
        if (try_duplicate(l, b, e)) continue;
        pending.push_back(i);
    }
    for (std::size_t i : pending) {
        const auto [b, e] = group(left_hashes_[i]);
        if (!try_pair_same_key(leftover(i), b, e)) rest.push_back(i);
    }
    std::sort(rest.begin(), rest.end());

    // Records whose key itself was altered: look them up by their counters among the truth
    // records still unmatched, and accept a candidate that differs in at most two fields and
    // agrees on the flow start.
    // (counter key, truth index) of the unmatched truth records, sorted: 12 bytes a record even
    // when everything is unmatched (a whole run with the wrong exporter address).
    std::vector<std::pair<std::uint64_t, std::uint32_t>> by_counters;
    const bool counters = cfg_.compare.has(Field::packets) && cfg_.compare.has(Field::bytes);
    if (counters && !rest.empty()) {
        entry_pos_.resize(index_.size());
        for (std::size_t pos = 0; pos < index_.size(); ++pos) entry_pos_[idx_at(pos)] = static_cast<std::uint32_t>(pos);
        FlowRecord t;
        for (std::uint32_t idx = 0; idx < truth_.records.size(); ++idx) {
            if (state_[idx] != kUnmatched) continue;
            truth_.unpack(idx, t);
            if (!t.has(Field::packets) || !t.has(Field::bytes)) continue;
            by_counters.emplace_back(counter_key(expected_counter(t, Field::packets), expected_counter(t, Field::bytes)), idx);
        }
        std::sort(by_counters.begin(), by_counters.end());
    }
    for (std::size_t i : rest) {
        const Leftover l = leftover(i);
        const FlowRecord& c = l.rec;
        std::size_t best_pos = kNpos;
        Comparison best_cmp;
        std::size_t best_n = 0;
        if (counters && c.has(Field::packets) && c.has(Field::bytes)) {
            const std::uint64_t ck = counter_key(c.packets, c.bytes);
            const auto first = std::lower_bound(by_counters.begin(), by_counters.end(), std::make_pair(ck, std::uint32_t{0}));
            {
                std::size_t scanned = 0;
                for (auto it = first; it != by_counters.end() && it->first == ck; ++it) {
                    const std::uint32_t idx = it->second;
                    if (state_[idx] != kUnmatched) continue;
                    if (++scanned > 256) break;
                    const std::size_t pos = entry_pos_[idx];
                    const FlowRecord& t = truth_at(pos);
                    Comparison cmp = compare(t, c, cfg_.compare);
                    const std::size_t n = static_cast<std::size_t>(std::popcount(cmp.differ.bits()));
                    if (n > 2 || cmp.differ.has(Field::first_ms)) continue;
                    if (best_pos == kNpos || n < best_n || (n == best_n && cmp.dt < best_cmp.dt)) {
                        best_pos = pos;
                        best_cmp = cmp;
                        best_n = n;
                    }
                }
            }
        }
        if (best_pos != kNpos) {
            const std::uint32_t idx = idx_at(best_pos);
            const FlowRecord t = truth_at(best_pos);
            mark(best_pos, kAltered);
            record_altered(idx, t, l, best_cmp);
            continue;
        }
        ++result_.unexpected;
        if (c.has(Field::exporter)) ++unexpected_by_exporter_[c.exporter];
        if (c.has(Field::first_ms)) ++timeline_slot(c.first_ms).unexpected;
        if (result_.unexpected_examples.size() < cfg_.examples) {
            RecordExample ex;
            ex.collected = c;
            ex.collected_line = l.line;
            result_.unexpected_examples.push_back(std::move(ex));
        }
    }
    if (key_exporter_ && result_.matched == 0 && result_.truth_records > 0) result_.inferred_exporter_map = infer_exporter_map();
    left_ = TruthStore();
    left_addresses_ = AddressTable();
    std::vector<std::uint64_t>().swap(left_lines_);
    std::vector<std::uint64_t>().swap(left_hashes_);
    left_extra_.clear();

    // Loss location reads the final states only: it runs beside the counting below.
    RecordsResult loss_part;
    std::thread loss_thread([&] { analyse_loss(loss_part); });
    for (std::uint32_t idx = truth_.required(); idx < truth_.records.size(); ++idx) {
        if (state_[idx] == kUnmatched) {
            ++result_.may_lose_missing;
            continue;
        }
        ++result_.may_lose_received;
        if (state_[idx] != kAltered) --result_.matched;
    }
    for (std::uint32_t idx = 0; idx < truth_.required(); ++idx) {
        if (state_[idx] != kUnmatched) continue;
        ++result_.missing;
        if (result_.missing_examples.size() < cfg_.examples) {
            RecordExample ex;
            ex.truth = truth_.unpack(idx);
            ex.truth_line = truth_.lines.line(idx);
            result_.missing_examples.push_back(std::move(ex));
        }
    }
    // copies = how many collected records matched the truth record in all.
    for (std::size_t i = 0; i < result_.duplicated_examples.size(); ++i)
        result_.duplicated_examples[i].copies = copies_[duplicate_example_idx_[i]] + 1;
    count_per_exporter(result_);
    loss_thread.join();
    result_.loss = std::move(loss_part.loss);

    if (key_exporter_ && result_.matched == 0 && result_.truth_records > 0 && !collected_exporters_.empty()) {
        bool overlap = false;
        for (const auto& a : collected_exporters_)
            for (std::uint32_t id = 1; id < truth_.addresses.size(); ++id)
                if (truth_.addresses.at(id) == a) overlap = true;
        if (!overlap) {
            std::string map;
            for (const auto& [from, to] : result_.inferred_exporter_map)
                map += (map.empty() ? "" : ",") + from.to_string() + "=" + to.to_string();
            std::string note = "no collected record has one of the truth's exporter addresses (collected: " +
                               collected_exporters_.front().to_string() + (collected_exporters_.size() > 1 ? ", ..." : "") +
                               "); if the collector received the exports from another address (a replay from loopback), ";
            if (!map.empty())
                note += "map them back (inferred from the records): --exporter-map " + map + " (or compare without it: --ignore exporter)";
            else
                note += "compare without it: --ignore exporter";
            result_.notes.push_back(note);
        }
    }
    return std::move(result_);
}

// ------------------------------------------------------------------ exporter map inference

std::vector<std::pair<core::IpAddress, core::IpAddress>> Matcher::infer_exporter_map() const {
    // Each collected record votes for the truth exporter that sent a record with the same flow
    // key and, where the collector keeps them, the same domain, template and sequence number.
    // Bounded: a diagnosis after a run that matched nothing, not a second matcher.
    constexpr std::size_t kMaxTruth = 4'000'000, kMaxCollected = 400'000;
    core::FieldSet extra;
    for (Field f : {Field::domain, Field::template_id, Field::sequence, Field::version})
        if (cfg_.compare.has(f) && truth_.seen.has(f)) extra.set(f);
    auto mix = [](std::uint64_t h, std::uint64_t v) {
        h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        return h;
    };
    auto hash_of = [&](const core::IpAddress& src, const core::IpAddress& dst, std::uint64_t ports, std::uint64_t proto,
                       auto&& field) {
        std::uint64_t h = mix(std::hash<core::IpAddress>{}(src), std::hash<core::IpAddress>{}(dst));
        h = mix(h, ports);
        h = mix(h, proto);
        for (Field f : {Field::domain, Field::template_id, Field::sequence, Field::version})
            if (extra.has(f)) h = mix(h, field(f));
        return h;
    };
    std::unordered_map<std::uint64_t, std::uint32_t> owner;  // flow hash -> truth exporter id (0: several)
    for (std::size_t i = 0; i < truth_.records.size() && i < kMaxTruth; ++i) {
        const PackedRecord p = truth_.records.get(i);
        if (p.exporter_id == 0) continue;
        const std::uint64_t h = hash_of(p.src, p.dst, std::uint64_t{p.sport} << 16 | p.dport, p.proto, [&](Field f) -> std::uint64_t {
            return f == Field::domain ? p.domain : f == Field::template_id ? p.template_id : f == Field::sequence ? p.sequence : p.version;
        });
        auto [it, fresh] = owner.try_emplace(h, p.exporter_id);
        if (!fresh && it->second != p.exporter_id) it->second = 0;
    }
    std::map<core::IpAddress, std::map<std::uint32_t, std::uint64_t>> votes;
    std::map<core::IpAddress, std::uint64_t> seen;
    for (std::size_t i = 0; i < left_lines_.size() && i < kMaxCollected; ++i) {
        const core::FlowRecord c = leftover(i).rec;
        if (!c.has(Field::exporter)) continue;
        ++seen[c.exporter];
        const std::uint64_t h = hash_of(c.src, c.dst, std::uint64_t{c.sport} << 16 | c.dport, c.proto,
                                        [&](Field f) { return c.number(f); });
        const auto it = owner.find(h);
        if (it != owner.end() && it->second != 0) ++votes[c.exporter][it->second];
    }
    std::vector<std::pair<core::IpAddress, core::IpAddress>> out;
    for (const auto& [collected, v] : votes) {
        std::uint32_t best = 0;
        std::uint64_t most = 0;
        for (const auto& [id, n] : v)
            if (n > most) best = id, most = n;
        // A clear majority of the exporter's records, or it is a guess not worth offering.
        if (best != 0 && 2 * most > seen[collected]) out.emplace_back(collected, truth_.addresses.at(best));
    }
    return out;
}

// ------------------------------------------------------------------ loss by sequence number

void Matcher::analyse_loss(RecordsResult& r) {
    struct Message {
        std::uint32_t sequence;
        std::int64_t export_ms;
        std::uint64_t records = 0, missing = 0;
        std::int64_t first_flow = std::numeric_limits<std::int64_t>::max();
        std::int64_t last_flow = std::numeric_limits<std::int64_t>::min();
    };
    struct Stream {
        std::uint32_t exporter_id, domain;
        std::uint8_t version;
        std::vector<Message> messages;
        std::uint64_t records = 0, missing = 0;
        std::uint32_t last_sequence = 0;  // the message of the previous record (records of one
        std::uint32_t last_message = ~0u;  // message are consecutive in the exporter's order)
    };
    std::vector<Stream> streams;
    std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint8_t>, std::size_t> stream_ids;
    std::unordered_map<std::uint64_t, std::uint32_t> message_ids;  // (stream, sequence) → index
    std::size_t last_stream = ~std::size_t{0};
    std::tuple<std::uint32_t, std::uint32_t, std::uint8_t> last_key{};
    for (std::uint32_t idx = 0; idx < truth_.required(); ++idx) {
        const TruthStore::Meta p = truth_.records.meta(idx);
        if (!p.has(Field::sequence) || !p.has(Field::version)) continue;
        const auto key = std::make_tuple(p.exporter_id, p.has(Field::domain) ? p.domain : 0u, p.version);
        if (!(last_stream < streams.size() && key == last_key)) {
            auto [it, fresh] = stream_ids.try_emplace(key, streams.size());
            if (fresh) streams.push_back(Stream{p.exporter_id, std::get<1>(key), p.version, {}, 0, 0});
            last_stream = it->second;
            last_key = key;
        }
        Stream& s = streams[last_stream];
        if (s.last_message == ~0u || s.last_sequence != p.sequence) {
            const std::uint64_t mkey = (std::uint64_t{static_cast<std::uint32_t>(last_stream)} << 32) | p.sequence;
            auto [mit, mfresh] = message_ids.try_emplace(mkey, static_cast<std::uint32_t>(s.messages.size()));
            if (mfresh) s.messages.push_back(Message{p.sequence, p.has(Field::export_ms) ? p.export_ms : 0});
            s.last_sequence = p.sequence;
            s.last_message = mit->second;
        }
        Message& m = s.messages[s.last_message];
        ++m.records;
        ++s.records;
        if (state_[idx] == kUnmatched) {
            ++m.missing;
            ++s.missing;
            if (p.has(Field::first_ms)) {
                m.first_flow = std::min(m.first_flow, p.first_ms);
                m.last_flow = std::max(m.last_flow, p.first_ms);
            }
        }
    }
    for (const Stream& s : streams) {
        StreamLoss loss;
        loss.exporter = truth_.addresses.at(s.exporter_id);
        loss.domain = s.domain;
        loss.version = s.version;
        loss.messages = s.messages.size();
        loss.records = s.records;
        loss.records_missing = s.missing;
        const bool any_sequences = std::any_of(sequence_versions_.begin(), sequence_versions_.end(), [](std::uint8_t f) { return f != 0; });
        if (any_sequences) {
            // The collected data carries sequence numbers (for this version, or at least for
            // others: then a version none of whose messages arrived shows every one unseen).
            bool with_domain = false;
            if (sequence_versions_[s.version]) with_domain = sequence_versions_[s.version] & 2u;
            else
                for (std::uint8_t f : sequence_versions_) with_domain = with_domain || (f & 2u);
            std::uint64_t unseen = 0;
            for (const Message& m : s.messages) {
                const std::optional<std::uint32_t> domain = with_domain ? std::optional<std::uint32_t>(s.domain) : std::nullopt;
                const std::uint64_t k = sequence_key(s.version, domain, m.sequence, key_exporter_ ? &loss.exporter : nullptr);
                if (!collected_sequences_.count(k)) ++unseen;
            }
            loss.messages_unseen = unseen;
        }
        std::optional<SequenceRange> run;
        auto close = [&]() {
            if (!run) return;
            ++loss.ranges_total;
            if (loss.ranges.size() < cfg_.examples) loss.ranges.push_back(*run);
            run.reset();
        };
        for (const Message& m : s.messages) {
            if (m.missing == 0) {
                close();
                continue;
            }
            ++loss.messages_hit;
            if (!run) {
                run = SequenceRange{};
                run->first_sequence = m.sequence;
                run->first_export_ms = m.export_ms;
                run->first_flow_ms = m.first_flow;
                run->last_flow_ms = m.last_flow;
            }
            run->last_sequence = m.sequence;
            run->last_export_ms = m.export_ms;
            ++run->messages;
            if (m.missing == m.records) ++run->messages_whole;
            run->records_missing += m.missing;
            run->first_flow_ms = std::min(run->first_flow_ms, m.first_flow);
            run->last_flow_ms = std::max(run->last_flow_ms, m.last_flow);
        }
        close();
        if (loss.records_missing > 0 || loss.messages_unseen.value_or(0) > 0) r.loss.push_back(std::move(loss));
    }
}

TimelineSlot& Matcher::timeline_slot(std::int64_t first_ms) {
    const std::int64_t w = result_.timeline_slot_ms;
    const std::int64_t start = (first_ms >= 0 ? first_ms / w : -((-first_ms + w - 1) / w)) * w;
    // Truth records come in export order: most fall in the slot of the record before.
    if (timeline_last_ && timeline_last_->start_ms == start) return *timeline_last_;
    TimelineSlot& s = timeline_[start];
    s.start_ms = start;
    timeline_last_ = &s;
    return s;
}

void Matcher::count_per_exporter(RecordsResult& r) {
    std::vector<ExporterCounts> by_id(truth_.addresses.size());
    for (std::uint32_t idx = 0; idx < truth_.required(); ++idx) {
        const TruthStore::Meta p = truth_.records.meta(idx);
        ExporterCounts& c = by_id[p.exporter_id];
        TimelineSlot* t = p.has(Field::first_ms) ? &timeline_slot(p.first_ms) : nullptr;
        ++c.truth;
        if (t) ++t->truth;
        switch (state_[idx]) {
            case kUnmatched:
                ++c.missing;
                if (t) ++t->missing;
                break;
            case kAltered:
                ++c.altered;
                if (t) ++t->altered;
                break;
            default:
                ++c.matched;
                if (t) ++t->matched;
                break;
        }
    }
    for (const auto& [idx, n] : copies_) {
        const TruthStore::Meta p = truth_.records.meta(idx);
        by_id[p.exporter_id].duplicated += n;
        if (p.has(Field::first_ms)) timeline_slot(p.first_ms).duplicated += n;
    }
    r.timeline.reserve(timeline_.size());
    for (const auto& [start, slot] : timeline_) r.timeline.push_back(slot);
    timeline_.clear();
    timeline_last_ = nullptr;
    std::map<core::IpAddress, ExporterCounts> by;
    for (std::uint32_t id = 0; id < by_id.size(); ++id) {
        if (by_id[id].truth == 0) continue;
        by_id[id].exporter = truth_.addresses.at(id);
        by[by_id[id].exporter] = by_id[id];
    }
    for (const auto& [a, n] : unexpected_by_exporter_) {
        ExporterCounts& c = by[a];
        c.exporter = a;
        c.unexpected += n;
    }
    for (auto& [a, c] : by) r.per_exporter.push_back(c);
}

}  // namespace flowlab::verify::detail
