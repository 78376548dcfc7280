/// @brief Record-level matching of collected records against truth records.
///
/// Truth records are indexed by a hash of their key (exporter when compared, src, dst, ports,
/// protocol; ICMP without ports) and, within a key, sorted by flow start. Collected records
/// stream in (phase 1): each takes the unmatched truth record of its key whose fields all
/// agree, nearest in time. What is left is resolved after the stream ends, in collected order:
/// sums of several truth records (collectors that aggregate), duplicates (equal to a truth
/// record already matched), altered records (same key, nearest in time; then records whose
/// key itself was altered, found by their counters), and finally unexpected records; truth
/// records still unmatched are missing. Every step is a hash lookup plus a scan of the few
/// records of one key, so the whole is linear in the number of records.
#pragma once

#include <array>
#include <cstdint>
#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "flowlab/verify/collected.hpp"
#include "flowlab/verify/verify.hpp"
#include "record_store.hpp"

namespace flowlab::verify::detail {

/// Which fields make the matching key besides the addresses (from what is compared).
struct KeySpec {
    bool ports = true;
    bool proto = true;
};
KeySpec key_spec(core::FieldSet compare) noexcept;
/// Bucket bits of the index for a number of records.
unsigned index_bits_for(std::size_t records) noexcept;
/// Hash of a record's key: src, dst, ports (not for ICMP), protocol. Not the exporter: records of
/// one 5-tuple from several exporters share a group and are told apart when both carry it.
std::uint64_t key_hash(const core::FlowRecord& r, KeySpec spec) noexcept;

struct TruthSet {
    std::string path;
    TruthStore records;
    /// Per record, the top 32 bits of its key hash (of `key_spec`), and the index's bucket
    /// histogram, computed while loading (the thread that stores records is idle while the
    /// parsers work). The histogram may be empty.
    KeySpec key_spec;
    std::vector<std::uint32_t> key_tops;
    unsigned index_bits = 0;                     ///< bucket bits the histogram was counted for
    std::vector<std::uint32_t> index_histogram;  ///< entries per bucket (top index_bits of the hash)
    AddressTable addresses;
    LineMap lines;
    core::FieldSet seen;  ///< fields present in at least one record

    core::FlowRecord unpack(std::size_t idx) const {
        core::FlowRecord r;
        records.unpack(idx, addresses, r);
        return r;
    }
    void unpack(std::size_t idx, core::FlowRecord& r) const { records.unpack(idx, addresses, r); }
    /// Records from this index on may be lost (truth/may-lose.csv of a faulted run): missing
    /// ones are counted apart, received ones are not matches of the truth proper.
    std::uint32_t optional_from = std::numeric_limits<std::uint32_t>::max();
    std::uint32_t required() const noexcept {
        return static_cast<std::uint32_t>(std::min<std::size_t>(records.size(), optional_from));
    }
};

/// Loads a flowlab records CSV (in parallel from `min_parallel` bytes on, in blocks of
/// `block` bytes), hashing keys as `spec` says. Throws InputError/IoError.
TruthSet load_truth(const std::string& path, unsigned threads, KeySpec spec, std::uint64_t min_parallel = 8u << 20,
                    std::size_t block = 8u << 20,
                    const std::function<void(std::string_view, std::uint64_t, double)>& progress = {});

/// Appends a faulted run's truth/may-lose.csv to `t` as its optional records (read serially:
/// such files are small). Throws InputError/IoError.
void append_optional_truth(TruthSet& t, const std::string& path);

struct MatchConfig {
    core::FieldSet compare;
    ReaderTraits traits;
    std::map<std::uint8_t, core::FieldSet> drops;
    std::int64_t extra_slack_ms = 0;
    std::size_t examples = 10;
};

class Matcher {
public:
    /// Takes truth.key_tops and truth.index_histogram (if filled) for their own.
    Matcher(TruthSet& truth, MatchConfig cfg);
    /// Phase 1 for one collected record (line: where it came from, for reports).
    void offer(const core::FlowRecord& c, std::uint64_t line);
    /// Phase 1 for a block of records (line of record i: first_line + line_in_block[i]),
    /// fetching the index ahead.
    void offer_batch(const core::FlowRecord* recs, const std::uint32_t* line_in_block, std::uint64_t first_line, std::size_t n);
    /// Resolves the rest and builds the result.
    RecordsResult finish();

private:
    struct Comparison {
        core::FieldSet differ;
        core::FieldSet unchecked;
        std::int64_t dt = 0;
    };
    struct Leftover {
        core::FlowRecord rec;
        std::uint64_t line;
        std::uint64_t hash;
    };
    enum State : std::uint8_t { kUnmatched = 0, kMatched = 1, kAltered = 2, kMerged = 3 };

    std::uint64_t key_hash(const core::FlowRecord& r) const noexcept;
    void offer_hashed(const core::FlowRecord& c, std::uint64_t line, const std::uint64_t* hash);
    bool same_key(const core::FlowRecord& t, const core::FlowRecord& c) const noexcept;
    Comparison compare(const core::FlowRecord& t, const core::FlowRecord& c, core::FieldSet fields) const;
    const TimeRule& flow_rule(const core::FlowRecord& t, const core::FlowRecord& c) const noexcept;
    std::pair<std::size_t, std::size_t> group(std::uint64_t hash) const noexcept;
    std::int64_t first_at(std::size_t pos) const noexcept;
    std::pair<std::size_t, std::size_t> window(std::size_t b, std::size_t e, const core::FlowRecord& c) const;
    std::size_t find_unmatched(std::size_t pos);
    void mark(std::size_t pos, State s);
    const core::FlowRecord& truth_at(std::size_t pos);
    std::uint64_t expected_counter(const core::FlowRecord& t, core::Field f) const noexcept;

    bool try_merge(const Leftover& l, std::size_t b, std::size_t e);
    bool try_duplicate(const Leftover& l, std::size_t b, std::size_t e);
    bool try_pair_same_key(const Leftover& l, std::size_t b, std::size_t e);
    void record_altered(std::uint32_t idx, const core::FlowRecord& t, const Leftover& l, const Comparison& cmp);
    void analyse_loss(RecordsResult& r);
    std::vector<std::pair<core::IpAddress, core::IpAddress>> infer_exporter_map() const;
    void count_per_exporter(RecordsResult& r);
    TimelineSlot& timeline_slot(std::int64_t first_ms);
    std::string expectation_note(const core::FlowRecord& t, core::FieldSet differ) const;

    const TruthSet& truth_;
    MatchConfig cfg_;
    bool key_exporter_ = false, key_ports_ = false, key_proto_ = false;
    bool time_keyed_ = false;
    std::int64_t window_before_ = 0, window_after_ = 0;

    /// Per index position: truth index << 32 | the top 32 bits of the key hash (the directory
    /// slot is their top bits); within a key by flow start, which the truth store answers.
    std::vector<std::uint64_t> index_;
    std::uint32_t idx_at(std::size_t pos) const noexcept { return static_cast<std::uint32_t>(index_[pos] >> 32); }
    std::uint32_t hash_at(std::size_t pos) const noexcept { return static_cast<std::uint32_t>(index_[pos]); }
    std::vector<std::uint32_t> dir_;
    unsigned dir_shift_ = 64;
    std::vector<std::uint32_t> entry_pos_;   ///< truth index → entry position
    std::vector<std::uint8_t> state_;        ///< per truth index
    std::vector<std::uint32_t> skip_;        ///< per entry position: DSU "next possibly unmatched"
    std::unordered_map<std::uint32_t, std::uint32_t> copies_;
    std::vector<std::uint32_t> duplicate_example_idx_;

    /// Collected records phase 1 did not match, in collected order (see leftover()).
    TruthStore left_;
    AddressTable left_addresses_;
    std::vector<std::uint64_t> left_lines_, left_hashes_;
    std::unordered_map<std::uint32_t, std::vector<core::ExtraField>> left_extra_;
    Leftover leftover(std::size_t i) const;
    std::size_t cursor_ = 0;  ///< truth index after the last record matched
    unsigned cursor_misses_ = 0;
    unsigned cursor_skips_ = 0;
    std::vector<std::uint64_t> hashes_;
    core::FlowRecord cursor_rec_;
    core::FlowRecord scratch_;
    std::uint64_t scratch_pos_ = ~0ull;

    RecordsResult result_;
    std::unordered_set<std::uint64_t> collected_sequences_;  ///< (version, domain?, seq, exporter?) seen
    std::uint64_t last_sequence_key_ = 0;
    std::array<std::uint8_t, 256> sequence_versions_{};  ///< per version: 1 sequences seen, 2 with domain
    std::vector<core::IpAddress> collected_exporters_;
    std::map<core::IpAddress, std::uint64_t> unexpected_by_exporter_;
    std::map<std::int64_t, TimelineSlot> timeline_;  ///< by slot start
    TimelineSlot* timeline_last_ = nullptr;
};

/// Stream key of a collected message for "did this sequence number arrive" (exporter only when
/// it is part of the key).
std::uint64_t sequence_key(std::uint8_t version, std::optional<std::uint32_t> domain, std::uint32_t sequence,
                           const core::IpAddress* exporter) noexcept;

}  // namespace flowlab::verify::detail
